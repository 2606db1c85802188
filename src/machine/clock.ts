// Virtual time: a count of virtual CPU cycles and a queue of device deadlines. It never reads the
// host clock (DESIGN.md invariant 4): the CPU advances it, devices schedule on it.
//
// Hot interface: the CPU adds retired cycles to `now` (1 per instruction until a cost model lands)
// and, once per instruction or per block, compares `now` with `nextDeadline`; only when it is
// reached does it call `advanceTo(now)`, which fires the due events in deadline order.

/** Nominal virtual CPU frequency: 1 GHz, so 1 cycle = 1 ns of virtual time. RDTSC returns `now`. */
export const CPU_HZ = 1_000_000_000;

/** Called when a scheduled deadline is reached; `atCycle` is the deadline it was scheduled for. */
export type ClockCallback = (atCycle: number) => void;

interface ClockEvent {
  readonly at: number;
  /** Ties between equal deadlines fire in scheduling order. */
  readonly seq: number;
  readonly id: number;
  readonly callback: ClockCallback;
}

export interface ClockState {
  readonly now: number;
}

export class Clock {
  /** Virtual cycles since power-on (a float64 holding an integer; exact up to 2^53). */
  now = 0;
  /** The earliest pending deadline, +Infinity when none: the CPU runs freely until `now` reaches it. */
  nextDeadline = Infinity;

  /** Pending events sorted by (at, seq); a device set has a handful, so a sorted array is enough. */
  private readonly queue: ClockEvent[] = [];
  private nextSeq = 0;
  private nextId = 1;

  /**
   * Calls `callback` once `now` reaches `atCycle` (a deadline at or before `now` fires on the next
   * `advanceTo`). Returns an id for `cancel`.
   */
  schedule(atCycle: number, callback: ClockCallback): number {
    const ev: ClockEvent = { at: atCycle, seq: this.nextSeq++, id: this.nextId++, callback };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > atCycle) i--;
    this.queue.splice(i, 0, ev);
    this.nextDeadline = this.queue[0]!.at;
    return ev.id;
  }

  /** Removes a pending event; returns false when it already fired or was cancelled. */
  cancel(id: number): boolean {
    const i = this.queue.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    this.nextDeadline = this.queue.length > 0 ? this.queue[0]!.at : Infinity;
    return true;
  }

  /**
   * Moves time forward to `cycle` (never backward) and fires every event due by then, earliest
   * first. While a callback runs, `now` is its deadline, so a device re-arming a periodic timer
   * from `now` does not drift; events a callback schedules at or before `cycle` fire in this call.
   */
  advanceTo(cycle: number): void {
    while (this.queue.length > 0 && this.queue[0]!.at <= cycle) {
      const ev = this.queue.shift()!;
      this.nextDeadline = this.queue.length > 0 ? this.queue[0]!.at : Infinity;
      if (ev.at > this.now) this.now = ev.at;
      ev.callback(ev.at);
    }
    if (cycle > this.now) this.now = cycle;
  }

  /** Number of pending events (tests, debugger). */
  get pending(): number {
    return this.queue.length;
  }

  saveState(): ClockState {
    return { now: this.now };
  }

  /** Restores the time and drops every pending event: restore the clock first, then the devices,
   *  whose loadState re-schedules their own deadlines. */
  loadState(state: ClockState): void {
    this.queue.length = 0;
    this.nextDeadline = Infinity;
    this.now = state.now;
  }
}
