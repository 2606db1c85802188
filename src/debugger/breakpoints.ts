// Breakpoints of every kind the debugger offers, numbered as gdb numbers them (1, 2, ... never
// reused), and the one-line descriptions `info breakpoints` prints.
import { hex } from '../common/hex.js';
import { exitReasonName } from '../cpu/vmx/exit-reasons.js';

export type BreakpointSpec =
  /** Stop before executing the instruction at this guest-virtual (linear) address. */
  | { readonly kind: 'virt'; readonly addr: number }
  /** Stop before executing an instruction whose bytes start at this guest-physical address. */
  | { readonly kind: 'phys'; readonly addr: number }
  /** Stop at VM exits with these basic reasons (null: every exit). */
  | { readonly kind: 'exit'; readonly reasons: readonly number[] | null }
  /** Stop at an access to this I/O port (a VM exit in VM modes; after the IN/OUT natively). */
  | { readonly kind: 'io'; readonly port: number }
  /** Stop after an instruction changes these bytes (guest-physical `phys`, set from `addr`). */
  | { readonly kind: 'watch'; readonly addr: number; readonly phys: number; readonly len: number; readonly virtual: boolean };

export interface Breakpoint {
  readonly id: number;
  readonly spec: BreakpointSpec;
  hits: number;
  /** Watchpoints: the bytes at the last stop (or when set). */
  old?: Uint8Array;
}

export function describeSpec(s: BreakpointSpec): string {
  switch (s.kind) {
    case 'virt':
      return `breakpoint at 0x${hex(s.addr)}`;
    case 'phys':
      return `breakpoint at guest-physical 0x${hex(s.addr)}`;
    case 'exit':
      return s.reasons === null ? 'break on every VM exit' : `break on VM exit ${s.reasons.map((r) => `${exitReasonName(r)} (${r})`).join(', ')}`;
    case 'io':
      return `break on I/O port 0x${s.port.toString(16).padStart(4, '0')}`;
    case 'watch':
      return `watch ${s.len} byte${s.len === 1 ? '' : 's'} at ${s.virtual ? `0x${hex(s.addr)} (guest-physical 0x${hex(s.phys)})` : `guest-physical 0x${hex(s.phys)}`}`;
  }
}

export class BreakpointList {
  private readonly items: Breakpoint[] = [];
  private nextId = 1;

  add(spec: BreakpointSpec): Breakpoint {
    const bp: Breakpoint = { id: this.nextId++, spec, hits: 0 };
    this.items.push(bp);
    return bp;
  }

  delete(id: number): boolean {
    const i = this.items.findIndex((b) => b.id === id);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  clear(): void {
    this.items.length = 0;
  }

  get all(): readonly Breakpoint[] {
    return this.items;
  }

  find(pred: (b: Breakpoint) => boolean): Breakpoint | undefined {
    return this.items.find(pred);
  }

  ofKind<K extends BreakpointSpec['kind']>(kind: K): (Breakpoint & { spec: Extract<BreakpointSpec, { kind: K }> })[] {
    return this.items.filter((b) => b.spec.kind === kind) as (Breakpoint & { spec: Extract<BreakpointSpec, { kind: K }> })[];
  }
}
