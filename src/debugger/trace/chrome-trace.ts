// The Chrome trace-event format (the "JSON Object Format" of the Trace Event Format document, which
// chrome://tracing and ui.perfetto.dev open): complete events (ph "X"), instant events (ph "i") and
// metadata naming the process and its threads. Timestamps are microseconds; ours are virtual time.

/** One trace event. `ts` and `dur` are in microseconds of virtual time. */
export interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'X' | 'i' | 'M';
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  /** Instant events: scope `t` (thread). */
  readonly s?: 't';
  readonly args?: Readonly<Record<string, string | number>>;
}

/** The tracks ("threads") of the timeline. */
export const Track = { GUEST: 1, HYPERVISOR: 2, EVENTS: 3, CONSOLE: 4 } as const;
export type Track = (typeof Track)[keyof typeof Track];
const TRACK_NAMES: Record<Track, string> = {
  [Track.GUEST]: 'guest (VMX non-root)',
  [Track.HYPERVISOR]: 'hypervisor (VM exits)',
  [Track.EVENTS]: 'injected events and hypercalls',
  [Track.CONSOLE]: 'guest console',
};
const PID = 1;

/** Virtual cycles at 1 GHz (machine/clock.ts CPU_HZ) to trace microseconds. */
const CYCLES_PER_US = 1000;

export function cyclesToUs(cycles: number): number {
  return cycles / CYCLES_PER_US;
}

/** Collects events (up to `max`; later ones are counted and dropped) and writes the JSON. */
export class ChromeTrace {
  private readonly events: TraceEvent[] = [];
  dropped = 0;

  constructor(private readonly max = 2_000_000) {}

  get count(): number {
    return this.events.length;
  }

  complete(track: Track, name: string, cat: string, startCycle: number, endCycle: number, args?: Record<string, string | number>): void {
    this.push({ name, cat, ph: 'X', ts: cyclesToUs(startCycle), dur: cyclesToUs(Math.max(0, endCycle - startCycle)), pid: PID, tid: track, ...(args ? { args } : {}) });
  }

  instant(track: Track, name: string, cat: string, cycle: number, args?: Record<string, string | number>): void {
    this.push({ name, cat, ph: 'i', s: 't', ts: cyclesToUs(cycle), pid: PID, tid: track, ...(args ? { args } : {}) });
  }

  private push(e: TraceEvent): void {
    if (this.events.length >= this.max) this.dropped++;
    else this.events.push(e);
  }

  /** The whole trace as JSON text. */
  toJson(title: string): string {
    const meta: TraceEvent[] = [
      { name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: title } },
      ...Object.entries(TRACK_NAMES).map(([tid, name]): TraceEvent => ({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: Number(tid), args: { name } })),
    ];
    const body = [...meta, ...this.events].map((e) => JSON.stringify(e)).join(',\n');
    const other = JSON.stringify({ clock: 'virtual time (1 cycle = 1 ns at the nominal 1 GHz)', droppedEvents: this.dropped });
    return `{"displayTimeUnit":"ns","otherData":${other},"traceEvents":[\n${body}\n]}\n`;
  }
}
