// Per-iteration figures from two run lengths: (X(2N) - X(N)) / N, so everything the guest does once
// (boot, set-up, its final report) cancels. Modelled cycles and exits are exact differences. Wall
// time is not differenced (two noisy numbers of similar size make a worthless difference, and the
// longer run compiles traces the shorter may not): it is the fastest repeat of the long run divided
// by its iterations, boot included (a few ms at most at these lengths).
import type { RunFigures } from './measure.js';
import type { CellOk } from './schema.js';

/** What runs of one length gave: the deterministic figures of the first run, the wall times of all. */
export interface LengthRuns {
  readonly iterations: number;
  readonly first: RunFigures;
  readonly wallMs: readonly number[];
}

/** A zero-length "run" for macro workloads measured whole (one iteration = one run). */
export function nothing(): LengthRuns {
  return {
    iterations: 0,
    first: { kind: 'ran', output: '', exitValue: 0, instructions: 0, cost: { guest: 0, pageWalks: 0, transitions: 0, hypervisor: 0, total: 0 }, exitsByReason: {}, exits: 0, wallMs: 0 },
    wallMs: [0],
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The cell of one workload in one mode (relative figures filled in later against native). */
export function cellFrom(short: LengthRuns, long: LengthRuns): CellOk {
  const d = long.iterations - short.iterations;
  const a = short.first;
  const b = long.first;
  const per = (x: number, y: number): number => (y - x) / d;
  const reasons = new Set([...Object.keys(a.exitsByReason), ...Object.keys(b.exitsByReason)]);
  const exitsByReason: Record<string, number> = {};
  for (const r of [...reasons].sort()) {
    const v = per(a.exitsByReason[r] ?? 0, b.exitsByReason[r] ?? 0);
    if (v !== 0) exitsByReason[r] = v;
  }
  return {
    status: 'ok',
    iterations: d,
    instructions: per(a.instructions, b.instructions),
    cycles: per(a.cost.total, b.cost.total),
    guestCycles: per(a.cost.guest, b.cost.guest),
    pageWalkCycles: per(a.cost.pageWalks, b.cost.pageWalks),
    transitionCycles: per(a.cost.transitions, b.cost.transitions),
    hypervisorCycles: per(a.cost.hypervisor, b.cost.hypervisor),
    exits: per(a.exits, b.exits),
    exitsByReason,
    wallNs: (Math.min(...long.wallMs) / long.iterations) * 1e6,
    relCycles: null,
    relWall: null,
  };
}

/** The same cell with its figures relative to native's. */
export function relativeTo(cell: CellOk, native: CellOk | null): CellOk {
  if (native === null) return cell;
  return {
    ...cell,
    relCycles: native.cycles > 0 ? cell.cycles / native.cycles : null,
    relWall: native.wallNs > 0 && cell.wallNs > 0 ? cell.wallNs / native.wallNs : null,
  };
}
