// The debugger core, free of any front end (the REPL and the GDB stub are its two faces): forward.ts
// runs the guest forward with breakpoints of every kind; this adds going back in time by restoring a
// periodic snapshot and replaying deterministically (virtual time makes replay exact).
import { HostBugError } from '../common/assert.js';
import { DebuggerBase, type StopEvent } from './forward.js';
import type { Snapshot } from './history/snapshots.js';
import { type Position, START, comparePositions, samePosition } from './position.js';

export { CONTINUE_SLICE, type DebuggerOptions, type StopEvent } from './forward.js';

export class Debugger extends DebuggerBase {
  /** Moves to a position reached before (restoring the latest snapshot and replaying). */
  private replayTo(goal: Position): void {
    const snap = this.snapshots.atOrBefore(goal);
    if (!snap) throw new HostBugError('no snapshot at or before the goal (the start is always kept)');
    const here = this.position;
    // Replay from the snapshot unless we are already between it and the goal.
    if (!(comparePositions(snap.pos, here) <= 0 && comparePositions(here, goal) <= 0)) {
      this.target.restore(snap.target);
      this.console.position = snap.console;
    }
    this.replaying = true;
    try {
      this.replayForward(goal);
    } finally {
      this.replaying = false;
    }
    this.refreshWatches();
  }

  private replayForward(goal: Position): void {
    const t = this.target;
    for (let guard = 0; ; guard++) {
      const cur = this.position;
      const c = comparePositions(cur, goal);
      if (c === 0) return;
      if (c > 0 || guard > 1_000_000) throw new HostBugError(`replay diverged: at ${JSON.stringify(cur)}, wanted ${JSON.stringify(goal)}`);
      // Stop at the goal's exit if it lies ahead; past the goal's exit count means divergence.
      const stopAt = cur.exits < goal.exits ? goal.exits : goal.exits + 1;
      this.armProbes(false);
      t.probes.exitFilter = (e) => e.number >= stopAt;
      const budget = cur.atExit ? 0 : cur.insns < goal.insns ? goal.insns - cur.insns : 1;
      const r = t.run(budget, false);
      t.probes.exitFilter = null;
      if (r.kind === 'ended' && !samePosition(this.position, goal)) {
        throw new HostBugError(`replay diverged: the guest ended at ${JSON.stringify(this.position)} before ${JSON.stringify(goal)}`);
      }
    }
  }

  /**
   * Back one unit: from a VM-exit stop to the previous VM exit; from an instruction boundary to the
   * previous boundary or exit (the reverse of `step`).
   */
  reverseStep(): StopEvent {
    const cur = this.position;
    let goal: Position;
    if (cur.atExit) {
      const prev = cur.exits - 1;
      const e = prev > 0 ? this.exit(prev) : undefined;
      goal = e ? { insns: e.instructions, exits: prev, atExit: true } : START;
    } else {
      const last = cur.exits > 0 ? this.exit(cur.exits) : undefined;
      if (last && last.instructions === cur.insns) goal = { insns: cur.insns, exits: cur.exits, atExit: true };
      else if (cur.insns === 0) goal = START;
      else goal = { insns: cur.insns - 1, exits: this.exitsUpTo(cur.insns - 1), atExit: false };
    }
    if (samePosition(goal, cur)) return { kind: 'history-start', pos: cur };
    this.replayTo(goal);
    if (samePosition(goal, START)) return { kind: 'history-start', pos: this.position };
    if (goal.atExit) {
      const e = this.target.pendingExit;
      if (e) return { kind: 'vm-exit', pos: this.position, exit: e, bp: this.exitBreakpoint(e) };
    }
    return { kind: 'step', pos: this.position };
  }

  /** Exits that had happened once `insns` instructions retired (their `instructions` <= insns). */
  private exitsUpTo(insns: number): number {
    let n = this.target.exitCount;
    while (n > 0) {
      const e = this.exit(n);
      if (!e || e.instructions <= insns) break;
      n--;
    }
    return n;
  }

  /**
   * Back to the most recent earlier point where a breakpoint, watchpoint or exit breakpoint would
   * have stopped a continue; the start of history if there is none.
   */
  reverseContinue(): StopEvent {
    const cur = this.position;
    let end = cur;
    let hit: StopEvent | null = null;
    for (let snap = this.snapshots.before(cur); snap && !hit; snap = this.snapshots.before(snap.pos)) {
      hit = this.lastStopBetween(snap, end);
      end = snap.pos;
    }
    if (!hit) {
      this.replayTo(START);
      return { kind: 'history-start', pos: this.position };
    }
    this.replayTo(hit.pos);
    return this.reenact(hit);
  }

  /** Replays from `snap` up to (not including) `end` with breakpoints armed; the last stop seen. */
  private lastStopBetween(snap: Snapshot, end: Position): StopEvent | null {
    this.target.restore(snap.target);
    this.console.position = snap.console;
    this.refreshWatches();
    const hitsBefore = new Map(this.breakpoints.all.map((b) => [b, b.hits]));
    let last: StopEvent | null = null;
    let resumeFromStop = false;
    for (;;) {
      const here = this.position;
      if (comparePositions(here, end) >= 0) break;
      const ev = this.scanForward(end.insns - here.insns, resumeFromStop);
      if (ev === null) {
        resumeFromStop = false;
        continue;
      }
      if (comparePositions(ev.pos, end) >= 0 || ev.kind === 'ended') break;
      last = ev;
      resumeFromStop = true;
    }
    for (const [b, h] of hitsBefore) b.hits = h;
    return last;
  }

  /** forward() with probes armed but no snapshots or tracing: used to find stops in the past. */
  private scanForward(budget: number, stepOver: boolean): StopEvent | null {
    const saved = this.traceExit;
    this.traceExit = null;
    const due = this.snapshots.interval;
    try {
      // Let forward() arm probes (replaying = false) but keep it from taking snapshots.
      this.snapshots.interval = Number.MAX_SAFE_INTEGER / 4;
      return this.forward(Math.max(budget, this.target.pendingExit !== null ? 0 : 1), { stepOver, stopAtExits: false });
    } finally {
      this.snapshots.interval = due;
      this.traceExit = saved;
    }
  }

  /** After replaying to a stop found by a scan, the event as the user sees it now. */
  private reenact(hit: StopEvent): StopEvent {
    if (hit.kind === 'breakpoint' || hit.kind === 'watch' || hit.kind === 'io') hit.bp.hits++;
    if (hit.kind === 'vm-exit') {
      if (hit.bp) hit.bp.hits++;
      const e = this.target.pendingExit ?? hit.exit;
      return { ...hit, exit: e, pos: this.position };
    }
    return { ...hit, pos: this.position };
  }
}
