// The forward half of the debugger core (core.ts adds going back in time): breakpoints of every
// kind over a DebugTarget, stepping by instruction or VM exit, continuing, numbering every VM exit,
// and taking the periodic snapshots reverse execution restores from.
import { EXIT_REASON, EXIT_REASON_BASIC_MASK } from '../cpu/vmx/exit-reasons.js';
import { decodeIo } from '../cpu/vmx/qualification.js';
import { type Breakpoint, BreakpointList, type BreakpointSpec } from './breakpoints.js';
import { ConsoleGate } from './console-gate.js';
import { DEFAULT_POLICY, type SnapshotPolicy, SnapshotStore } from './history/snapshots.js';
import type { Position } from './position.js';
import { writeVirtual } from './guest-memory.js';
import type { DebugTarget, EndOutcome, ExitInfo, GuestRegisters, ProbeHit, RunStop, WritableRegister } from './target.js';

/** Why the guest stopped: every command that runs the guest returns one. */
export type StopEvent =
  | { readonly kind: 'step'; readonly pos: Position }
  | { readonly kind: 'breakpoint'; readonly pos: Position; readonly bp: Breakpoint; readonly addr: number }
  | { readonly kind: 'watch'; readonly pos: Position; readonly bp: Breakpoint; readonly old: Uint8Array; readonly now: Uint8Array }
  | { readonly kind: 'io'; readonly pos: Position; readonly bp: Breakpoint; readonly port: number; readonly write: boolean; readonly size: number; readonly value: number }
  | { readonly kind: 'vm-exit'; readonly pos: Position; readonly exit: ExitInfo; readonly bp: Breakpoint | null }
  | { readonly kind: 'ended'; readonly pos: Position; readonly outcome: EndOutcome }
  | { readonly kind: 'interrupted'; readonly pos: Position }
  /** Reverse execution reached the start of the recorded history. */
  | { readonly kind: 'history-start'; readonly pos: Position };

export interface DebuggerOptions {
  /** Guest console bytes (each shown once, however often history replays them). */
  readonly console?: (bytes: Uint8Array) => void;
  readonly snapshots?: SnapshotPolicy;
  /** Most exits kept for `history` and reverse stepping by exit (older ones are forgotten). */
  readonly maxExitLog?: number;
}

interface ForwardOptions {
  /** A breakpoint at the current EIP does not stop (resuming from it). */
  stepOver: boolean;
  /** Every VM exit stops (stepping), not only those breakpoints ask for. */
  stopAtExits: boolean;
}

/** Instructions per slice when a front end continues asynchronously (to notice an interrupt). */
export const CONTINUE_SLICE = 2_000_000;

export class DebuggerBase {
  readonly breakpoints = new BreakpointList();
  readonly console: ConsoleGate;
  readonly snapshots: SnapshotStore;
  /** Exits by number (exitLog[n - exitLogBase - 1] is exit n). */
  private exitLog: ExitInfo[] = [];
  private exitLogBase = 0;
  private readonly maxExitLog: number;
  /** While replaying, probes are off and nothing is traced. */
  protected replaying = false;
  /** Called for each VM exit while running (trace on), and each instruction when tracing steps. */
  traceExit: ((exit: ExitInfo) => void) | null = null;

  constructor(
    readonly target: DebugTarget,
    opts: DebuggerOptions = {},
  ) {
    this.console = new ConsoleGate(opts.console ?? (() => {}));
    this.snapshots = new SnapshotStore(opts.snapshots ?? DEFAULT_POLICY);
    this.maxExitLog = opts.maxExitLog ?? 200_000;
    target.onExit = (e) => this.recordExit(e);
    this.takeSnapshot();
  }

  // ---------------------------------------------------------------- state

  get position(): Position {
    const t = this.target;
    return { insns: t.instructions, exits: t.exitCount, atExit: t.pendingExit !== null };
  }

  registers(): GuestRegisters {
    return this.target.registers();
  }

  /** EIP as a linear address (CS base + EIP). */
  linearEip(): number {
    const r = this.target.registers();
    return (r.segs.cs.base + r.eip) >>> 0;
  }

  /** Exit number n, if still in the log. */
  exit(n: number): ExitInfo | undefined {
    return this.exitLog[n - this.exitLogBase - 1];
  }

  /** The exit stopped at, else the last one that happened. */
  get lastExit(): ExitInfo | null {
    const t = this.target;
    return t.pendingExit ?? this.exit(t.exitCount) ?? null;
  }

  /** The last `n` exits up to the current position, oldest first. */
  exitHistory(n: number): ExitInfo[] {
    const last = this.target.exitCount;
    const out: ExitInfo[] = [];
    for (let k = Math.max(1, last - n + 1); k <= last; k++) {
      const e = this.exit(k);
      if (e) out.push(e);
    }
    return out;
  }

  private recordExit(e: ExitInfo): void {
    const i = e.number - this.exitLogBase - 1;
    if (i >= 0) this.exitLog[i] = e;
    if (this.exitLog.length > this.maxExitLog) {
      const drop = this.exitLog.length - this.maxExitLog;
      this.exitLog.splice(0, drop);
      this.exitLogBase += drop;
    }
    if (!this.replaying) this.traceExit?.(e);
  }

  // ---------------------------------------------------------------- changing the guest

  /** Sets a register (an error message if it cannot be set). History past this point is redone. */
  setRegister(name: WritableRegister, value: number): string | null {
    const err = this.target.setRegister(name, value);
    if (err === null) this.stateChanged();
    return err;
  }

  /** Writes guest-virtual memory (an error message if it cannot). */
  writeVirtual(addr: number, bytes: Uint8Array): string | null {
    const err = writeVirtual(this.target, addr, bytes);
    if (err === null) this.stateChanged();
    return err;
  }

  /** Writes guest-physical memory. */
  writePhysical(gpa: number, bytes: Uint8Array): boolean {
    const ok = this.target.writePhysical(gpa, bytes);
    if (ok) this.stateChanged();
    return ok;
  }

  /**
   * The user changed the guest: replaying from an earlier snapshot would not redo the change, so a
   * snapshot taken now becomes the base of everything after this point.
   */
  private stateChanged(): void {
    this.refreshWatches();
    const t = this.target;
    if (t.pendingExit !== null || t.ended) return;
    this.snapshots.restartAt({ pos: this.position, target: t.snapshot(), console: this.console.position });
  }

  // ---------------------------------------------------------------- breakpoints

  /** Adds a breakpoint; a watchpoint reads its current bytes (an error message if it cannot). */
  addBreakpoint(spec: BreakpointSpec): Breakpoint | string {
    if (spec.kind === 'watch') {
      const now = this.target.readPhysical(spec.phys, spec.len);
      if (now === null) return `cannot watch guest-physical 0x${spec.phys.toString(16)}: outside guest RAM`;
      const bp = this.breakpoints.add(spec);
      bp.old = now;
      return bp;
    }
    return this.breakpoints.add(spec);
  }

  deleteBreakpoint(id: number): boolean {
    return this.breakpoints.delete(id);
  }

  protected refreshWatches(): void {
    for (const bp of this.breakpoints.ofKind('watch')) bp.old = this.target.readPhysical(bp.spec.phys, bp.spec.len) ?? bp.old;
  }

  /** Fills the target's probes from the breakpoints (or empties them while replaying). */
  protected armProbes(stopAtExits: boolean): void {
    const p = this.target.probes;
    p.breakpoints.clear();
    p.ioPorts.clear();
    p.writeFrames.clear();
    if (this.replaying) {
      p.exitFilter = null;
      return;
    }
    const csBase = this.target.registers().segs.cs.base;
    for (const bp of this.breakpoints.ofKind('virt')) p.breakpoints.add((bp.spec.addr - csBase) >>> 0);
    for (const bp of this.breakpoints.ofKind('io')) p.ioPorts.add(bp.spec.port);
    for (const bp of this.breakpoints.ofKind('watch')) {
      for (let f = bp.spec.phys >>> 12; f <= (bp.spec.phys + bp.spec.len - 1) >>> 12; f++) p.writeFrames.add(f);
    }
    const exitBps = this.breakpoints.ofKind('exit');
    const ioBps = this.breakpoints.ofKind('io');
    p.exitFilter =
      stopAtExits || exitBps.length > 0 || ioBps.length > 0 ? (e) => stopAtExits || this.exitBreakpoint(e) !== null : null;
  }

  /** The breakpoint a VM exit matches (exit reasons, or an I/O port in an I/O-instruction exit). */
  protected exitBreakpoint(e: ExitInfo): Breakpoint | null {
    const basic = e.reason & EXIT_REASON_BASIC_MASK;
    for (const bp of this.breakpoints.ofKind('exit')) {
      if (bp.spec.reasons === null || bp.spec.reasons.includes(basic)) return bp;
    }
    if (basic === EXIT_REASON.IO_INSTRUCTION) {
      const port = decodeIo(e.qualification).port;
      for (const bp of this.breakpoints.ofKind('io')) if (bp.spec.port === port) return bp;
    }
    return null;
  }

  // ---------------------------------------------------------------- running forward

  /**
   * Steps `n` units: a unit is one instruction, or reaching a VM exit, or (from a VM-exit stop)
   * letting the hypervisor handle it and re-enter the guest. Breakpoints stop it early.
   */
  step(n = 1): StopEvent {
    let last: StopEvent | null = null;
    for (let i = 0; i < n; i++) {
      if (this.target.ended) return this.endedEvent(this.target.ended);
      const ev = this.forward(this.target.pendingExit !== null ? 0 : 1, { stepOver: true, stopAtExits: true });
      last = null;
      if (ev !== null) {
        if (ev.kind !== 'vm-exit') return ev;
        // Exits are units of stepping; one a breakpoint asks for ends a multi-step early.
        if (ev.bp !== null && i < n - 1) return ev;
        last = ev;
      }
      if (i < n - 1) {
        const bp = this.breakpointHere();
        if (bp) return bp;
      }
    }
    return last ?? { kind: 'step', pos: this.position };
  }

  /** Runs until something stops the guest. */
  continue(): StopEvent {
    let first = true;
    for (;;) {
      const ev = this.resume(CONTINUE_SLICE, first);
      first = false;
      if (ev !== null) return ev;
    }
  }

  /**
   * One slice of a continue: runs at most `maxInsns` instructions; null when none of them stopped
   * the guest (the front end calls again, or reports an interrupt). `first`: the continue starts
   * here, so a breakpoint at the current address does not stop it.
   */
  resume(maxInsns: number, first: boolean): StopEvent | null {
    if (this.target.ended) return this.endedEvent(this.target.ended);
    return this.forward(maxInsns, { stepOver: first, stopAtExits: false });
  }

  /** The event a front end reports when the user interrupted a continue. */
  interrupted(): StopEvent {
    return { kind: 'interrupted', pos: this.position };
  }

  private endedEvent(outcome: EndOutcome): StopEvent {
    return { kind: 'ended', pos: this.position, outcome };
  }

  /** A code breakpoint (guest-virtual or guest-physical) at the current instruction, counted as hit. */
  breakpointHere(): StopEvent | null {
    if (this.target.pendingExit !== null) return null;
    const lin = this.linearEip();
    const v = this.breakpoints.ofKind('virt').find((b) => b.spec.addr === lin);
    if (v) {
      v.hits++;
      return { kind: 'breakpoint', pos: this.position, bp: v, addr: lin };
    }
    return this.physicalBreakpointHere();
  }

  private physicalBreakpointHere(): StopEvent | null {
    const phys = this.breakpoints.ofKind('phys');
    if (phys.length === 0 || this.target.pendingExit !== null) return null;
    const gpa = this.target.translate(this.linearEip());
    const bp = gpa === null ? undefined : phys.find((b) => b.spec.addr === gpa);
    if (!bp || gpa === null) return null;
    bp.hits++;
    return { kind: 'breakpoint', pos: this.position, bp, addr: gpa };
  }

  /** The engine under step, continue and replay. Null: the budget ran out with nothing to report. */
  protected forward(budget: number, opts: ForwardOptions): StopEvent | null {
    const t = this.target;
    this.armProbes(opts.stopAtExits);
    const physBps = !this.replaying && this.breakpoints.ofKind('phys').length > 0;
    let stepOver = opts.stepOver;
    let left = budget;
    for (;;) {
      if (t.ended) return this.endedEvent(t.ended);
      if (physBps && !stepOver) {
        const ev = this.physicalBreakpointHere();
        if (ev) return ev;
      }
      let chunk = left;
      if (physBps) chunk = Math.min(chunk, 1);
      if (!this.replaying) {
        const due = this.snapshots.nextDue - t.instructions;
        if (due > 0) chunk = Math.min(chunk, due);
      }
      const before = t.instructions;
      const r: RunStop = t.run(chunk, stepOver);
      stepOver = false;
      left -= t.instructions - before;
      switch (r.kind) {
        case 'budget':
          this.maybeSnapshot();
          if (left <= 0) return null;
          continue;
        case 'breakpoint': {
          const lin = this.linearEip();
          const bp = this.breakpoints.ofKind('virt').find((b) => b.spec.addr === lin);
          if (!bp) continue; // a stale EIP (the probes were armed under another CS base)
          bp.hits++;
          return { kind: 'breakpoint', pos: this.position, bp, addr: lin };
        }
        case 'probe': {
          const ev = this.probeEvent(t.takeHits());
          if (ev) return ev;
          if (left <= 0) return null;
          continue;
        }
        case 'vm-exit': {
          const bp = this.exitBreakpoint(r.exit);
          if (bp) bp.hits++;
          return { kind: 'vm-exit', pos: this.position, exit: r.exit, bp };
        }
        case 'ended':
          return this.endedEvent(r.outcome);
      }
    }
  }

  private probeEvent(hits: ProbeHit[]): StopEvent | null {
    if (this.replaying) return null;
    for (const h of hits) {
      if (h.kind !== 'io') continue;
      const bp = this.breakpoints.ofKind('io').find((b) => b.spec.port === h.port);
      if (bp) {
        bp.hits++;
        this.refreshWatches();
        return { kind: 'io', pos: this.position, bp, port: h.port, write: h.write, size: h.size, value: h.value };
      }
    }
    if (hits.some((h) => h.kind === 'write')) {
      for (const bp of this.breakpoints.ofKind('watch')) {
        const now = this.target.readPhysical(bp.spec.phys, bp.spec.len);
        if (now === null || bp.old === undefined) continue;
        if (!now.every((b, i) => b === bp.old![i])) {
          const old = bp.old;
          bp.old = now;
          bp.hits++;
          return { kind: 'watch', pos: this.position, bp, old, now };
        }
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- history

  protected takeSnapshot(): void {
    const t = this.target;
    if (t.pendingExit !== null || t.ended) return;
    this.snapshots.add({ pos: this.position, target: t.snapshot(), console: this.console.position });
  }

  private maybeSnapshot(): void {
    if (!this.replaying && this.target.instructions >= this.snapshots.nextDue) this.takeSnapshot();
  }
}
