// The bounded set of periodic snapshots reverse execution restores from. Snapshots are taken every
// `interval` instructions; when there are more than `maxCount` of them (or they hold more than
// `maxBytes`), every other one is dropped and the interval doubles, so the history always reaches
// back to the start with a logarithmic spread and a fixed memory bound. The start is always kept.
import type { TargetSnapshot } from '../target.js';
import { type Position, comparePositions } from '../position.js';

export interface Snapshot {
  readonly pos: Position;
  readonly target: TargetSnapshot;
  /** Console bytes written up to this point (ConsoleGate.position). */
  readonly console: number;
}

export interface SnapshotPolicy {
  /** Instructions between snapshots at first. */
  readonly interval: number;
  readonly maxCount: number;
  /** Approximate bound on the bytes snapshots hold beyond shared memory frames. */
  readonly maxBytes: number;
}

export const DEFAULT_POLICY: SnapshotPolicy = { interval: 200_000, maxCount: 32, maxBytes: 256 * 1024 * 1024 };

export class SnapshotStore {
  private list: Snapshot[] = [];
  interval: number;

  constructor(private readonly policy: SnapshotPolicy = DEFAULT_POLICY) {
    this.interval = policy.interval;
  }

  get count(): number {
    return this.list.length;
  }

  get all(): readonly Snapshot[] {
    return this.list;
  }

  /** The instruction count at which the next periodic snapshot is due. */
  get nextDue(): number {
    const last = this.list[this.list.length - 1];
    return last ? last.pos.insns + this.interval : 0;
  }

  add(s: Snapshot): void {
    // Keep the list ordered; a snapshot at a point already covered replaces nothing.
    const last = this.list[this.list.length - 1];
    if (last && comparePositions(s.pos, last.pos) <= 0) return;
    this.list.push(s);
    while (this.list.length > this.policy.maxCount || (this.bytes() > this.policy.maxBytes && this.list.length > 2)) this.thin();
  }

  /**
   * The user changed the guest's state at `s.pos` (a register or memory write): what replay would
   * produce past this point is no longer what happens, so later snapshots go and `s` starts anew.
   */
  restartAt(s: Snapshot): void {
    this.list = this.list.filter((x) => comparePositions(x.pos, s.pos) < 0);
    this.list.push(s);
  }

  /** The latest snapshot at or before `pos`. */
  atOrBefore(pos: Position): Snapshot | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const s = this.list[i]!;
      if (comparePositions(s.pos, pos) <= 0) return s;
    }
    return undefined;
  }

  /** The latest snapshot strictly before `pos`. */
  before(pos: Position): Snapshot | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const s = this.list[i]!;
      if (comparePositions(s.pos, pos) < 0) return s;
    }
    return undefined;
  }

  bytes(): number {
    return this.list.reduce((n, s) => n + s.target.bytes, 0);
  }

  private thin(): void {
    // Keep the first (the start) and the last (the most recent); drop every other one between.
    const keep = this.list.filter((_, i) => i === 0 || i === this.list.length - 1 || i % 2 === 0);
    this.list = keep;
    this.interval *= 2;
  }
}
