// VMX non-root operation as the processor lives it (SDM Vol. 3 ch. 26): the VmxHooks the CPU calls
// at its seams (hooks.ts), deciding what causes a VM exit and recording the exit's cause; what
// VM entry leaves pending (event injection, pending debug exceptions, MTF, the preemption timer);
// and the in-flight event that becomes IDT-vectoring information. Entry and exit themselves are
// vm-entry.ts and vm-exit.ts. Exits are recorded in `exit`, then either left pending for the run
// loop (Pending.VM_EXIT: intercepted instructions, timers, interrupt checks) or thrown (VM_EXIT:
// from inside event delivery and memory accesses); the run loop calls completeExit.
import { IF } from '../eflags.js';
import { deliverEvent } from '../exceptions.js';
import { VM_EXIT } from '../fault.js';
import { Intercept, type VmxHooks } from '../hooks.js';
import type { Insn } from '../insn.js';
import { Pending, type Cpu } from '../state.js';
import { EventKind, Vec } from '../vectors.js';
import { VMX_CAPABILITIES, type VmxCapabilities } from './capabilities.js';
import { CPU_BASED, VM_EXIT as EXIT_CTL } from './controls.js';
import { EptStage, type EptExitSink } from './ept-stage.js';
import { EXIT_REASON } from './exit-reasons.js';
import { ExitInformation, GuestExtras, saveHeldGuestState } from './guest-state.js';
import type { GuestStateHolder } from './vmcs.js';
import { HostBugError } from '../../common/assert.js';
import { exceptionCausesExit, externalInterruptExits, preemptionDeadline, preemptionRemaining, shadowedCrRead, shadowedCrWrite } from './intercept.js';
import { TlbInvalidation } from './instructions.js';
import type { MsrAccess } from './msr-area.js';
import { DEBUG_QUAL, INTR_INFO, INTR_TYPE, intrInfo } from './qualification.js';
import { VmxState } from './vmx-state.js';
import { materializeHost, vmExitComplete } from './vm-exit.js';
import { instructionCausesExit } from './instruction-exits.js';

/** DR6 bits a #DB exit reports in its qualification (SDM Table 28-1). */
const DB_QUAL_BITS = DEBUG_QUAL.B0_B3 | DEBUG_QUAL.BD | DEBUG_QUAL.BS;
/** Interruption types whose delivery needs the instruction length (software events). */
const SOFTWARE_TYPES = (1 << INTR_TYPE.SOFT_INTR) | (1 << INTR_TYPE.PRIV_SW_EXCEPTION) | (1 << INTR_TYPE.SOFT_EXCEPTION);

export function isSoftwareType(info: number): boolean {
  return ((SOFTWARE_TYPES >>> ((info >>> 8) & 7)) & 1) !== 0;
}

export class VmxController implements VmxHooks, EptExitSink, MsrAccess, GuestStateHolder {
  readonly vmx: VmxState;
  /** Guest state that is not in the register file (entry loads it, exit saves it). */
  readonly extras = new GuestExtras();
  /** The exit being taken (filled by the hook that causes it, written by vmExitComplete). */
  readonly exit = new ExitInformation();
  readonly ept: EptStage;

  // ---- the event being delivered through the guest IDT (IDT-vectoring information, SDM §28.2.4)
  delivering = false;
  vectoringInfo = 0;
  vectoringError = 0;
  /** Software events: the instruction length the hypervisor needs to re-inject it. */
  vectoringLength = 0;
  /** The event was injected by VM entry: EIP was advanced by its length for software types. */
  vectoringInjected = false;
  /** The next onEvent is the event VM entry injects: it never consults the exception bitmap. */
  injectingNow = false;
  /** The instruction whose intercept recorded the pending exit (null: the exit is not one). */
  exitInsn: Insn | null = null;

  // ---- lazy host state (vm-exit.ts deferHost): for a hypervisor written in TypeScript
  /** VM exits may leave the host state unloaded (host-ops.ts sets this). */
  lazyHost = false;
  /** The registers still hold the guest state of the VMCS at `exitVmcs`; the host's is in its VMCS. */
  hostPending = false;

  // ---- what VM entry left pending for the first instruction boundary (Pending.VMX)
  /** VM-entry interruption information of an event still to inject (0: none). */
  injectInfo = 0;
  injectError = 0;
  injectLength = 0;
  /** Pending debug exceptions (B3:B0, BS) to deliver as a #DB before the first guest instruction. */
  pendingDebug = 0;
  mtfPending = false;
  timerExpired = false;
  /** Preemption-timer deadline in host TSC ticks (for the value saved at exit). */
  timerDeadline = 0;
  /** Clock cycles at which the timer expires and an MTF exit is due (Infinity: not armed). The
   *  earlier is cpu.vmxDeadline, which the run loop watches like a device deadline. */
  timerAt = Infinity;
  mtfAt = Infinity;

  // ---- block chains and traces kept across an exit and the next entry (vm-entry.ts)
  /** Cpu.codeGen of the guest when it exited, and of the processor after the host state loaded. */
  guestGen = -1;
  rootGen = -1;
  rootIcount = -1;
  exitVmcs = -1;
  /** CS selector, base, limit, AR, CPL, CR0, CR3, CR4, VPID, EPTP of the guest at its last exit. */
  readonly guestContext = new Int32Array(10);

  // ---- MsrAccess for the MSR-load/store areas
  lastLo = 0;
  lastHi = 0;
  private readonly msrValue = { lo: 0, hi: 0 };

  constructor(
    readonly cpu: Cpu,
    readonly caps: VmxCapabilities = VMX_CAPABILITIES,
  ) {
    this.vmx = new VmxState(cpu.mem, caps);
    this.ept = new EptStage(this, caps);
  }

  // ------------------------------------------------------------------ recording an exit

  /** Starts recording an exit; the caller fills more fields, then calls exitNow() or throws VM_EXIT. */
  record(reason: number, qualification = 0): ExitInformation {
    return this.exit.reset(reason, qualification);
  }

  /** The recorded exit is to be completed at the next instruction boundary (Pending.VM_EXIT). */
  exitNow(): true {
    this.cpu.pending |= Pending.VM_EXIT;
    return true;
  }

  /**
   * An exit caused by executing `insn` (fault-like: RIP stays at it; its length is reported). The
   * handler returns at once; the run loop has counted the instruction as retired, which
   * completeExit undoes.
   */
  instructionExit(insn: Insn, reason: number, qualification: number, info = 0): true {
    const x = this.exit.reset(reason, qualification);
    x.instructionLength = insn.len;
    x.instructionInfo = info;
    this.exitInsn = insn;
    return this.exitNow();
  }

  // ------------------------------------------------------------------ VmxHooks

  intercept(cpu: Cpu, kind: Intercept, insn: Insn, a: number, b: number): boolean {
    return instructionCausesExit(this, cpu, kind, insn, a, b);
  }

  readCr(_cpu: Cpu, cr: number, value: number): number {
    const c = this.vmx.controls;
    return (cr === 0 ? shadowedCrRead(value, c.cr0Mask, c.cr0Shadow) : shadowedCrRead(value, c.cr4Mask, c.cr4Shadow)) | 0;
  }

  writeCr(cpu: Cpu, cr: number, value: number): number {
    const c = this.vmx.controls;
    return (cr === 0 ? shadowedCrWrite(cpu.cr0, c.cr0Mask, value) : shadowedCrWrite(cpu.cr4, c.cr4Mask, value)) | 0;
  }

  onEvent(cpu: Cpu, vector: number, kind: EventKind, errorCode: number, hasErrorCode: boolean): void {
    if (this.injectingNow) {
      // Injected by VM entry: delivered as is (vectoring information set by inject()).
      this.injectingNow = false;
      this.delivering = true;
      return;
    }
    if (kind !== EventKind.External && kind !== EventKind.SoftwareInt && exceptionCausesExit(this.vmx.controls, vector, errorCode)) {
      this.exceptionExit(cpu, vector, kind, errorCode, hasErrorCode);
    }
    this.delivering = true;
    this.vectoringInfo = intrInfo(vector, kind, hasErrorCode);
    this.vectoringError = hasErrorCode ? errorCode : 0;
    this.vectoringLength = kind === EventKind.External || kind === EventKind.Exception ? 0 : cpu.softEventLength;
    this.vectoringInjected = false;
  }

  onDeliveryFault(cpu: Cpu, vector: number, errorCode: number, hasErrorCode: boolean): void {
    if (exceptionCausesExit(this.vmx.controls, vector, errorCode)) this.exceptionExit(cpu, vector, EventKind.Exception, errorCode, hasErrorCode);
  }

  /** Exit reason 0 (SDM §28.2.1, §28.2.2): #PF reports the linear address and leaves CR2 alone. */
  private exceptionExit(cpu: Cpu, vector: number, kind: EventKind, errorCode: number, hasErrorCode: boolean): never {
    const x = this.exit.reset(EXIT_REASON.EXCEPTION_NMI, 0);
    if (vector === Vec.PF) {
      x.qualification = cpu.cr2 >>> 0;
      cpu.cr2 = cpu.cr2BeforeFault;
    } else if (vector === Vec.DB) {
      x.qualification = cpu.dr[6]! & DB_QUAL_BITS;
    }
    x.intrInfo = intrInfo(vector, kind, hasErrorCode);
    x.intrErrorCode = hasErrorCode ? errorCode : 0;
    if (kind !== EventKind.Exception) x.instructionLength = cpu.softEventLength;
    throw VM_EXIT;
  }

  onEventDelivered(cpu: Cpu): void {
    this.delivering = false;
    // MTF: the exit comes after delivery, before the handler's first instruction (SDM §26.5.2).
    if ((this.vmx.controls.proc & CPU_BASED.MONITOR_TRAP_FLAG) !== 0) {
      this.mtfPending = true;
      cpu.pending |= Pending.VMX;
    }
  }

  onExternalInterrupt(cpu: Cpu): void {
    if (cpu.inhibitIrq) return;
    const c = this.vmx.controls;
    if ((c.proc & CPU_BASED.INTR_WINDOW_EXITING) !== 0 && (cpu.flags & IF) !== 0) {
      this.record(EXIT_REASON.INTERRUPT_WINDOW);
      this.exitNow();
    } else if (externalInterruptExits(c) && cpu.intc.hasInterrupt()) {
      const x = this.record(EXIT_REASON.EXTERNAL_INTERRUPT);
      if ((c.exit & EXIT_CTL.ACK_INTR_ON_EXIT) !== 0) x.intrInfo = intrInfo(cpu.intc.acknowledge(), INTR_TYPE.EXT_INTR, false);
      this.exitNow();
    }
  }

  onTripleFault(_cpu: Cpu): boolean {
    this.record(EXIT_REASON.TRIPLE_FAULT);
    this.delivering = false;
    throw VM_EXIT;
  }

  onPending(cpu: Cpu): void {
    const now = cpu.clock.now;
    if (now >= this.timerAt) {
      this.timerAt = Infinity;
      this.timerExpired = true;
    }
    if (now >= this.mtfAt) {
      this.mtfAt = Infinity;
      this.mtfPending = true;
    }
    cpu.vmxDeadline = this.timerAt < this.mtfAt ? this.timerAt : this.mtfAt;
    if (this.injectInfo !== 0) {
      const info = this.injectInfo;
      this.injectInfo = 0;
      this.inject(cpu, info);
    }
    if (this.pendingDebug !== 0) {
      cpu.dr[6] = cpu.dr[6]! | this.pendingDebug;
      this.pendingDebug = 0;
      deliverEvent(cpu, Vec.DB, EventKind.Exception, 0, false);
    }
    if (this.mtfPending) {
      this.record(EXIT_REASON.MONITOR_TRAP_FLAG);
      this.exitNow();
    } else if (this.timerExpired) {
      this.record(EXIT_REASON.PREEMPTION_TIMER);
      this.exitNow();
    }
  }

  /**
   * Writes the guest-state fields a lazy VM exit left in the registers (vmcs.ts HELD) into the
   * current VMCS. Until the host state is loaded, nothing but the guest changes those registers.
   */
  flushGuestState(): void {
    const v = this.vmx.vmcs;
    if (v.holder === null) return;
    if (v.base !== this.exitVmcs) throw new HostBugError('held guest state for a VMCS that is no longer current');
    v.holder = null;
    saveHeldGuestState(v, this.cpu);
  }

  /** Loads a host state a lazy VM exit deferred (vm-exit.ts). */
  materializeHost(): void {
    materializeHost(this, this.cpu);
  }

  completeExit(cpu: Cpu, insn: Insn | null): void {
    const pending = this.exitInsn;
    if (pending !== null) {
      // An intercepted instruction returned early and was counted as retired: it was not.
      this.exitInsn = null;
      cpu.eip = (pending.nextEip - pending.len) | 0;
      cpu.icount -= 1;
      cpu.clock.now -= 1;
      cpu.modelCycles -= pending.cost;
      insn = pending;
    }
    vmExitComplete(this, cpu, insn);
  }

  // ------------------------------------------------------------------ VM-entry event injection

  /** Delivers the event of the VM-entry interruption-information field (SDM §27.6.1). */
  private inject(cpu: Cpu, info: number): void {
    const type = (info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
    const vector = info & INTR_INFO.VECTOR_MASK;
    const hasError = (info & INTR_INFO.DELIVER_CODE) !== 0;
    let kind: EventKind;
    switch (type) {
      case INTR_TYPE.HARD_EXCEPTION: kind = EventKind.Exception; break;
      case INTR_TYPE.SOFT_INTR: kind = EventKind.SoftwareInt; break;
      case INTR_TYPE.PRIV_SW_EXCEPTION: kind = EventKind.PrivSoftwareException; break;
      case INTR_TYPE.SOFT_EXCEPTION: kind = EventKind.SoftwareException; break;
      // External interrupts and NMIs (no NMI blocking is modelled: the board has no NMI source).
      default: kind = EventKind.External;
    }
    const software = isSoftwareType(info);
    // Software events return past the instruction that "raised" them (SDM §27.6.1.1).
    if (software) cpu.eip = (cpu.eip + this.injectLength) | 0;
    this.vectoringInfo = (info & (INTR_INFO.VECTOR_MASK | INTR_INFO.TYPE_MASK | INTR_INFO.DELIVER_CODE | INTR_INFO.VALID)) >>> 0;
    this.vectoringError = hasError ? this.injectError : 0;
    this.vectoringLength = software ? this.injectLength : 0;
    this.vectoringInjected = true;
    this.injectingNow = true;
    deliverEvent(cpu, vector, kind, this.injectError, hasError);
    this.injectingNow = false;
  }

  // ------------------------------------------------------------------ EPT exits (EptExitSink)

  eptViolation(qualification: number, gpa: number, linear: number, linearValid: boolean): never {
    const x = this.exit.reset(EXIT_REASON.EPT_VIOLATION, qualification);
    x.guestPhysical = gpa;
    if (linearValid) x.guestLinear = linear >>> 0;
    throw VM_EXIT;
  }

  eptMisconfiguration(gpa: number): never {
    this.exit.reset(EXIT_REASON.EPT_MISCONFIG, 0).guestPhysical = gpa;
    throw VM_EXIT;
  }

  // ------------------------------------------------------------------ timers

  /** Arms the preemption timer (a value of 0 expires before the first instruction) and MTF. */
  armTimers(timerOn: boolean, value: number, mtf: boolean): void {
    const cpu = this.cpu;
    const now = cpu.clock.now;
    this.timerAt = Infinity;
    this.mtfAt = mtf ? now + 1 : Infinity;
    if (timerOn) {
      // The timer counts host TSC ticks (the TSC without the guest's offset).
      this.timerDeadline = preemptionDeadline(now + cpu.tscOffset, value);
      if (value === 0) {
        this.timerExpired = true;
        cpu.pending |= Pending.VMX;
      } else {
        this.timerAt = this.timerDeadline - cpu.tscOffset;
      }
    }
    cpu.vmxDeadline = this.timerAt < this.mtfAt ? this.timerAt : this.mtfAt;
  }

  /** The preemption-timer value a VM exit saves ("save VMX-preemption timer value"). */
  timerRemaining(): number {
    if (this.timerExpired) return 0;
    return preemptionRemaining(this.timerDeadline, this.cpu.clock.now + this.cpu.tscOffset);
  }

  /** Forgets everything non-root operation had pending (VM exit). */
  disarm(): void {
    this.timerAt = Infinity;
    this.mtfAt = Infinity;
    this.cpu.vmxDeadline = Infinity;
    this.timerExpired = false;
    this.mtfPending = false;
    this.injectInfo = 0;
    this.pendingDebug = 0;
    this.delivering = false;
    this.injectingNow = false;
  }

  // ------------------------------------------------------------------ INVEPT / INVVPID

  /** Drops TLB entries as INVEPT/INVVPID ask; the TLB holds combined linear -> host-physical
   *  mappings tagged by VPID, so EPT-derived and all-VPID invalidations drop everything. */
  invalidateTlb(kind: TlbInvalidation, vpid: number, address: number): void {
    const tlb = this.cpu.tlb;
    switch (kind) {
      case TlbInvalidation.VPID_INDIVIDUAL_ADDRESS:
        tlb.flushTagPage(vpid, address);
        return;
      case TlbInvalidation.VPID_SINGLE_CONTEXT:
      case TlbInvalidation.VPID_SINGLE_CONTEXT_NON_GLOBAL:
        tlb.flushTag(vpid);
        return;
      default:
        tlb.flushAll();
    }
  }

  // ------------------------------------------------------------------ MsrAccess (MSR areas)

  writeMsr(index: number, lo: number, hi: number): boolean {
    return this.cpu.msrs.write(this.cpu, index, lo, hi);
  }

  readMsr(index: number): boolean {
    const out = this.msrValue;
    if (!this.cpu.msrs.read(this.cpu, index, out)) return false;
    this.lastLo = out.lo;
    this.lastHi = out.hi;
    return true;
  }
}
