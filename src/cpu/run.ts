// The run loop: fetch a block from the decode cache, run it through the generated switch, retire
// its instructions into virtual time, and between blocks service what `pending` asks for (external
// interrupts, the STI/MOV SS shadow, TF single-step, HLT, device deadlines, stop requests, VMX).
// This is the ONE place guest faults (the CpuFault sentinel) are caught and turned into exception
// delivery; host errors pass through untouched.
import { HostBugError } from '../common/assert.js';
import { AR } from './descriptor.js';
import { IF, TF } from './eflags.js';
import { UnsupportedFeature, deliverEvent } from './exceptions.js';
import { ABORTED, FAULT, VM_EXIT } from './fault.js';
import { readEflags } from './flags.js';
import type { Insn } from './insn.js';
import { translateFetch } from './memory-access.js';
import { DecodeCache, decodeOne } from './decode-cache.js';
import { HANDLERS } from './dispatch.js';
import { Insn as InsnClass } from './insn.js';
import { type BlockRunner, makeBlockRunner } from './run-block.js';
import { csLimitExceeded } from './segmentation.js';
import { type Cpu, Pending, SegSlot } from './state.js';
import { EventKind, VECTOR_NAMES, Vec } from './vectors.js';

/** Why run() returned. */
export type StopReason =
  | { readonly kind: 'stop-requested' }
  | { readonly kind: 'budget' }
  | { readonly kind: 'halted-forever'; readonly why: string }
  | { readonly kind: 'triple-fault'; readonly report: string }
  | { readonly kind: 'unsupported'; readonly message: string }
  | { readonly kind: 'breakpoint'; readonly eip: number };

/** What Core.run returns: a StopReason, or (when `vmExitStops` is set) 'vm-exit': a VM exit completed
 *  and the processor is in VMX root operation at the host state. For a TypeScript hypervisor HOST_RIP
 *  is its own code (vmx/host-ops.ts), so run() returns to it; code-driven VMX runs on at HOST_RIP. */
export type CoreStop = StopReason | { readonly kind: 'vm-exit' };

const VM_EXIT_STOP: CoreStop = { kind: 'vm-exit' };

/** Consecutive HLT wake-ups by a device deadline that delivered no interrupt before we call the
 *  halt permanent (e.g. a periodic timer whose IRQ the PIC masks). */
const MAX_FRUITLESS_WAKEUPS = 1_000_000;
/** Blocks run at most this many instructions between looks at the clock and the budget. */
const MAX_SLICE = 0x3fffffff;
/** DR6.BS: the #DB was a single-step trap (SDM Vol. 3 §18.2.3). */
const DR6_BS = 1 << 14;

let runBlock: BlockRunner | null = null;

export class Core {
  readonly cpu: Cpu;
  readonly cache: DecodeCache;
  /** EIPs to stop at (the debugger's breakpoints); checked before each instruction when non-empty. */
  readonly breakpoints = new Set<number>();
  private readonly fetchBuf = new Uint8Array(16);
  private readonly straddle = new InsnClass();
  private fruitless = 0;
  /** The icount at which run() last stopped on a breakpoint (so resuming does not stop again). */
  private bpResume = -1;
  /** run() returns 'vm-exit' after each VM exit (the hypervisor is TypeScript: vmx/host-ops.ts). */
  vmExitStops = false;

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    this.cache = new DecodeCache(cpu.mem, cpu);
    runBlock ??= makeBlockRunner(HANDLERS);
    cpu.blockLookup = (c, from) => this.quickLookup(c, from);
    cpu.mem.onCodeWrite = (frame) => {
      this.cache.invalidateFrame(frame);
      cpu.codeGen++;
      cpu.pending |= Pending.CODE_CHANGED;
    };
  }

  /** Runs until something stops the processor or `maxInsns` instructions retire. */
  run(maxInsns: number): StopReason {
    const r = this.execute(maxInsns);
    if (r.kind === 'vm-exit') throw new HostBugError('run() of a processor whose VM exits stop it (use execute)');
    return r;
  }

  /** run() for the TypeScript hypervisor's processor (`vmExitStops`): may also return 'vm-exit'. */
  execute(maxInsns: number): CoreStop {
    const cpu = this.cpu;
    const clock = cpu.clock;
    let remaining = maxInsns;
    let step = false;
    for (;;) {
      if (cpu.shutdown) return { kind: 'triple-fault', report: `${cpu.shutdownReason}; ${describeState(cpu)}` };
      if (cpu.pending !== 0 || cpu.halted) {
        const p = cpu.pending;
        if (p & Pending.VM_EXIT) {
          // A VM exit the VMX layer recorded (hooks.ts): nothing else happens before it completes.
          cpu.pending &= ~Pending.VM_EXIT;
          cpu.vmx.completeExit(cpu, null);
          step = false;
          if (this.vmExitStops) return VM_EXIT_STOP;
          continue;
        }
        if (p & Pending.STOP) {
          cpu.pending &= ~Pending.STOP;
          return { kind: 'stop-requested' };
        }
        if (p & Pending.VMX) {
          cpu.pending &= ~Pending.VMX;
          const r = this.guard(() => cpu.vmx.onPending(cpu));
          if (r) return r;
          continue;
        }
        cpu.pending &= ~Pending.CODE_CHANGED;
        if (p & Pending.STEP) {
          // Out of budget: leave the one-instruction window pending for the next run(), or the
          // STI / MOV SS shadow (inhibitIrq) would never end and TF would skip its #DB.
          if (remaining <= 0) return { kind: 'budget' };
          cpu.pending &= ~Pending.STEP;
          step = true;
        }
        if ((p & Pending.CHECK_IRQ) !== 0 || cpu.halted) {
          if (!cpu.inhibitIrq) cpu.pending &= ~Pending.CHECK_IRQ;
          const r = this.acceptInterrupt();
          if (r) return r;
          if (cpu.shutdown || (cpu.pending & Pending.VM_EXIT) !== 0) continue;
        }
        if (cpu.halted) {
          const r = this.sleep();
          if (r) return r;
          continue;
        }
      }
      if (remaining <= 0) return { kind: 'budget' };
      // Device deadlines, and in VMX non-root the preemption timer and MTF (cpu.vmxDeadline).
      const room = (clock.nextDeadline < cpu.vmxDeadline ? clock.nextDeadline : cpu.vmxDeadline) - clock.now;
      if (room <= 0) {
        if (cpu.vmxDeadline <= clock.now) {
          cpu.vmxDeadline = Infinity;
          cpu.pending |= Pending.VMX;
        }
        if (clock.nextDeadline <= clock.now) {
          clock.advanceTo(clock.now);
          cpu.pending |= Pending.CHECK_IRQ;
        }
        continue;
      }
      let limit = remaining < room ? remaining : room;
      if (limit > MAX_SLICE) limit = MAX_SLICE;
      if (this.breakpoints.size !== 0) {
        if (this.breakpoints.has(cpu.eip >>> 0) && this.bpResume !== cpu.icount) {
          this.bpResume = cpu.icount;
          return { kind: 'breakpoint', eip: cpu.eip >>> 0 };
        }
        limit = 1;
      }
      const tfBefore = step && (cpu.flags & TF) !== 0;
      const inhibitBefore = cpu.inhibitIrq;
      if (step || cpu.csLimit !== -1) limit = 1;

      const n = this.executeSome(limit);
      if (n < 0) {
        const r = this.handleThrown(-1 - n);
        if (r) return r;
        remaining -= -1 - n;
      } else {
        cpu.icount += n;
        clock.now += n;
        remaining -= n;
      }

      // An instruction that exited did not complete: its one-instruction window is still open.
      if (step && (cpu.pending & Pending.VM_EXIT) === 0) {
        step = false;
        if (inhibitBefore) {
          cpu.inhibitIrq = false;
          cpu.pending |= Pending.CHECK_IRQ;
        }
        if (tfBefore && n === 1) {
          cpu.dr[6] = cpu.dr[6]! | DR6_BS;
          const r = this.guard(() => deliverEvent(cpu, Vec.DB, EventKind.Exception, 0, false));
          if (r) return r;
        }
        if (cpu.flags & TF) cpu.pending |= Pending.STEP;
      }
    }
  }

  /** Fetches and runs one block (or one instruction); returns the block runner's result. */
  private executeSome(limit: number): number {
    const cpu = this.cpu;
    const eip = cpu.eip;
    let first: Insn | null;
    try {
      if ((cpu.segAr[SegSlot.CS]! & AR.DB) === 0) throw new UnsupportedFeature('16-bit code segment (CS.D = 0)');
      if (csLimitExceeded(cpu, eip)) {
        FAULT.vector = Vec.GP;
        FAULT.errorCode = 0;
        FAULT.hasErrorCode = true;
        throw FAULT;
      }
      const lin = (cpu.segBase[SegSlot.CS]! + eip) | 0;
      let e = cpu.tlbData[lin >>> 12]!;
      let phys: number;
      if ((e & cpu.rMask) === 1) phys = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      else phys = translateFetch(cpu, lin);
      if (phys >= cpu.memSize) first = null;
      else first = this.cache.lookup(phys, eip) ?? this.cache.build(phys, eip);
      if (first === null) first = this.decodeSlow(lin, eip);
      else this.link(first, eip);
      if (csLimitExceeded(cpu, (first.nextEip - 1) | 0)) {
        FAULT.vector = Vec.GP;
        FAULT.errorCode = 0;
        FAULT.hasErrorCode = true;
        throw FAULT;
      }
    } catch (err) {
      // A fault fetching the first instruction: nothing retired, EIP stays.
      cpu.thrown = err;
      cpu.faultInsn = null;
      return -1;
    }
    return runBlock!(cpu, first, limit);
  }

  /**
   * The block runner's way to the next block when a chain misses (indirect jumps and returns with
   * many targets): a TLB hit for the fetch and an already-decoded block, else null (the run loop
   * then translates, decodes and links the slow way). Never faults, never decodes.
   */
  private quickLookup(cpu: Cpu, from: Insn): Insn | null {
    if (cpu.csLimit !== -1) return null;
    const eip = cpu.eip;
    const lin = (cpu.segBase[SegSlot.CS]! + eip) | 0;
    const e = cpu.tlbData[lin >>> 12]!;
    if ((e & cpu.rMask) !== 1) return null;
    const first = this.cache.lookup(((e & ~0xfff) | (lin & 0xfff)) >>> 0, eip);
    if (first === null || first.alone) return null;
    linkBlocks(cpu, from, first, eip);
    return first;
  }

  /** Chains `first` (the block just looked up for `eip`) to the block end that missed it. */
  private link(first: Insn, eip: number): void {
    const cpu = this.cpu;
    const from = cpu.chainFrom;
    cpu.chainFrom = null;
    if (from === null || first.alone || cpu.csLimit !== -1) return;
    linkBlocks(cpu, from, first, eip);
  }

  /** An instruction straddling two pages (or outside RAM): gather its bytes through the MMU. */
  private decodeSlow(lin: number, eip: number): Insn {
    const cpu = this.cpu;
    const buf = this.fetchBuf;
    let n = 0;
    for (; n < 15; n++) {
      const a = (lin + n) | 0;
      if (n > 0 && (a & 0xfff) === 0 && this.tryDecode(buf, n, eip)) return this.straddle;
      const p = translateFetch(cpu, a);
      buf[n] = cpu.mem.read8(p);
    }
    if (!this.tryDecode(buf, 15, eip)) {
      // Cannot happen: 15 bytes always decode to something other than Truncated.
      buf.fill(0x0f, 0, 2);
      this.tryDecode(buf, 15, eip);
    }
    return this.straddle;
  }

  private tryDecode(buf: Uint8Array, len: number, eip: number): boolean {
    if (!decodeOne(buf, len, eip, this.straddle, this.cpu)) return false;
    this.straddle.next = null;
    return true;
  }

  /** Accounts for `n` retired instructions and handles what the runner caught. */
  private handleThrown(n: number): CoreStop | null {
    const cpu = this.cpu;
    cpu.icount += n;
    cpu.clock.now += n;
    const t = cpu.thrown;
    const insn = cpu.faultInsn;
    cpu.thrown = null;
    cpu.faultInsn = null;
    if (t === FAULT) {
      if (insn !== null) cpu.eip = (insn.nextEip - insn.len) | 0;
      return this.guard(() => deliverEvent(cpu, FAULT.vector, EventKind.Exception, FAULT.errorCode, FAULT.hasErrorCode));
    }
    if (t === ABORTED) return null;
    if (insn !== null) cpu.eip = (insn.nextEip - insn.len) | 0;
    if (t === VM_EXIT) {
      cpu.vmx.completeExit(cpu, insn);
      return this.vmExitStops ? VM_EXIT_STOP : null;
    }
    if (t instanceof UnsupportedFeature) return { kind: 'unsupported', message: `${t.message} at EIP=${hex8(cpu.eip)}` };
    throw t;
  }

  /** Runs processor-internal work that may fault in a way the processor reports (not the guest). */
  private guard(f: () => void): CoreStop | null {
    try {
      f();
      return null;
    } catch (t) {
      return this.caught(t);
    }
  }

  /** What guard() makes of something thrown outside an instruction. */
  private caught(t: unknown): CoreStop | null {
    if (t === ABORTED) return null;
    if (t === VM_EXIT) {
      this.cpu.vmx.completeExit(this.cpu, null);
      return this.vmExitStops ? VM_EXIT_STOP : null;
    }
    if (t instanceof UnsupportedFeature) return { kind: 'unsupported', message: `${t.message} at EIP=${hex8(this.cpu.eip)}` };
    if (t === FAULT) {
      // A fault escaping delivery means deliverEvent itself could not cope: treat as shutdown.
      this.cpu.shutdown = true;
      this.cpu.shutdownReason = `${VECTOR_NAMES[FAULT.vector] ?? FAULT.vector} during event delivery`;
      return null;
    }
    throw t;
  }

  /** Delivers an external interrupt if one is pending and IF allows it (SDM Vol. 3 §6.8.1). */
  private acceptInterrupt(): CoreStop | null {
    const cpu = this.cpu;
    if (cpu.nonRoot) {
      // VMX first: interrupt-window exits, and external-interrupt exiting, which IF does not block.
      cpu.vmx.onExternalInterrupt(cpu);
      if ((cpu.pending & Pending.VM_EXIT) !== 0) return null;
    }
    if ((cpu.flags & IF) === 0 || cpu.inhibitIrq || !cpu.intc.hasInterrupt()) return null;
    const vector = cpu.intc.acknowledge();
    cpu.halted = false;
    this.fruitless = 0;
    return this.guard(() => deliverEvent(cpu, vector, EventKind.External, 0, false));
  }

  /** HLT: sleep until the next device deadline (virtual time jumps; no instructions retire). */
  private sleep(): StopReason | null {
    const cpu = this.cpu;
    const clock = cpu.clock;
    const t = clock.nextDeadline < cpu.vmxDeadline ? clock.nextDeadline : cpu.vmxDeadline;
    // In VMX non-root operation a VMX-preemption timer deadline still ends a halt with IF = 0.
    if ((cpu.flags & IF) === 0 && !(cpu.nonRoot && cpu.vmxDeadline !== Infinity)) {
      return { kind: 'halted-forever', why: 'halted with interrupts disabled (IF=0)' };
    }
    if (t === Infinity) return { kind: 'halted-forever', why: 'halted with no interrupt pending and no timer armed' };
    if (++this.fruitless > MAX_FRUITLESS_WAKEUPS) {
      return { kind: 'halted-forever', why: `halted: ${MAX_FRUITLESS_WAKEUPS} timer deadlines passed without an interrupt reaching the processor` };
    }
    cpu.cycleBias += t - clock.now;
    clock.advanceTo(t);
    cpu.pending |= Pending.CHECK_IRQ;
    if (cpu.vmxDeadline <= clock.now) {
      cpu.vmxDeadline = Infinity;
      cpu.pending |= Pending.VMX;
    }
    return null;
  }
}

/** Caches `first` as a successor of block end `from` for `eip`: the first slot if it is stale or
 *  already holds this EIP, else the second (indirect branches keep replacing it). */
function linkBlocks(cpu: Cpu, from: Insn, first: Insn, eip: number): void {
  if (from.c0Gen !== cpu.codeGen || from.c0Eip === eip) {
    from.c0 = first;
    from.c0Eip = eip;
    from.c0Gen = cpu.codeGen;
  } else {
    from.c1 = first;
    from.c1Eip = eip;
    from.c1Gen = cpu.codeGen;
  }
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

/** Everything the triple-fault report shows. */
export function describeState(cpu: Cpu): string {
  return (
    `EIP=${hex8(cpu.eip)} EFLAGS=${hex8(readEflags(cpu))} CPL=${cpu.cpl} CR0=${hex8(cpu.cr0)} ` +
    `CR2=${hex8(cpu.cr2)} CR3=${hex8(cpu.cr3)} ESP=${hex8(cpu.regs[4]!)}`
  );
}
