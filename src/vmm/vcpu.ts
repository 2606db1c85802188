// One virtual CPU: its VMCS, the guest's general registers while the hypervisor runs (saved at each
// VM exit, as KVM's vcpu->arch.regs), the guest's own view of CR0/CR3/CR4 where the VMCS holds
// something else, the event to inject at the next entry, and cached VM-execution controls.
import { CPU_BASED, INVVPID_TYPE, VMCS } from '../cpu/vmx/api.js';
import type { PagingMode } from './paging/mode.js';
import type { GuestPagingView } from './shadow/guest-walk.js';
import type { Vm } from './vm.js';
import { type VmxOps, vmwriteChecked } from './vmx-ops.js';

/** A mutable GuestPagingView the paging mode refreshes in place (no allocation per walk). */
export class PagingView implements GuestPagingView {
  paging = false;
  cr3 = 0;
  pse = false;
  wp = false;
}

export class Vcpu {
  /**
   * EAX..EDI of the guest (ESP lives in GUEST_RSP). This is the processor's own register file
   * (`ops.gprs`): VM exits leave the guest's values there and VM entries take them as they are, and
   * the hypervisor, which runs no instructions of its own, never needs them for anything else. So
   * unlike KVM's __vmx_vcpu_run there is nothing to save or restore around an entry. (A scheduler
   * running several vCPUs on one processor would switch them here.)
   */
  readonly regs: Int32Array;
  /** The VMCS has been launched: the next entry is VMRESUME. */
  launched = false;
  /** The emulator paused the guest in non-root operation: the next run continues it, no entry. */
  paused = false;

  // ---- the guest's control registers where the VMCS holds something else (paging/*.ts)
  /** CR0 as the guest last wrote it through an exit (the read shadow of the masked bits). */
  cr0Shadow = 0;
  /** CR3 as the guest set it while the VMCS's GUEST_CR3 holds the identity map (its CR0.PG = 0). */
  cr3Virtual = 0;
  /** CR4 as the guest set it (every bit is host-owned: the read shadow is all of it). */
  cr4Shadow = 0;
  readonly pagingView = new PagingView();

  // ---- event injection (inject.ts)
  /** VM-entry interruption information of an event to inject at the next entry (0 = none). */
  eventInfo = 0;
  eventErrorCode = 0;
  eventLength = 0;
  /** Consecutive HLT wake-ups without an interrupt reaching the guest (hlt.ts). */
  fruitlessWakeups = 0;

  /**
   * Called at every VM exit (exit information in the VMCS, registers saved, clock synced) before it
   * is handled; returning true leaves the exit pending and makes runVcpu return EXIT_BREAK. The
   * debugger's "break on VM exit" and exit history hang here.
   */
  exitHook: ((vcpu: Vcpu, reason: number) => boolean) | null = null;
  /** The full exit reason of an exit the hook stopped at, not yet handled (-1: none). */
  pendingExit = -1;

  /** CPU_BASED_VM_EXEC_CONTROL as last written. */
  procControls = 0;
  /** The VMX-preemption timer counts once per 2^timerRate TSC ticks (IA32_VMX_MISC 4:0). */
  readonly timerRate: number;

  constructor(
    readonly vm: Vm,
    readonly ops: VmxOps,
    /** Host-physical address of this vCPU's VMCS region. */
    readonly vmcs: number,
    readonly paging: PagingMode,
    /** The VPID tagging this vCPU's TLB entries (never 0: that is the host's). */
    readonly vpid: number,
  ) {
    this.timerRate = vm.host.caps.preemptionTimerRate;
    this.regs = ops.gprs;
  }

  /** Sets and clears primary processor-based controls, writing the VMCS only on a change. */
  setProcControls(set: number, clear: number): void {
    const v = ((this.procControls | set) & ~clear) >>> 0;
    if (v === this.procControls) return;
    this.procControls = v;
    vmwriteChecked(this.ops, VMCS.CPU_BASED_VM_EXEC_CONTROL, v);
  }

  get interruptWindowExiting(): boolean {
    return (this.procControls & CPU_BASED.INTR_WINDOW_EXITING) !== 0;
  }

  /** Drops this vCPU's cached linear translations (a MOV CR3/CR0/CR4 the hypervisor carried out). */
  flushTlb(keepGlobals: boolean): void {
    this.ops.invvpid(keepGlobals ? INVVPID_TYPE.SINGLE_CONTEXT_RETAINING_GLOBALS : INVVPID_TYPE.SINGLE_CONTEXT, this.vpid, 0);
  }

  /** Drops the cached translation of one linear address (INVLPG). */
  flushPage(linear: number): void {
    this.ops.invvpid(INVVPID_TYPE.INDIVIDUAL_ADDRESS, this.vpid, linear >>> 0);
  }

  /** The hypervisor's software state of this vCPU (the VMCS and registers live in memory/CPU). */
  saveState() {
    return {
      regs: [...this.regs],
      launched: this.launched,
      paused: this.paused,
      cr0Shadow: this.cr0Shadow,
      cr3Virtual: this.cr3Virtual,
      cr4Shadow: this.cr4Shadow,
      eventInfo: this.eventInfo,
      eventErrorCode: this.eventErrorCode,
      eventLength: this.eventLength,
      fruitlessWakeups: this.fruitlessWakeups,
      pendingExit: this.pendingExit,
      procControls: this.procControls,
    };
  }

  loadState(s: ReturnType<Vcpu['saveState']>): void {
    this.regs.set(s.regs);
    this.launched = s.launched;
    this.paused = s.paused;
    this.cr0Shadow = s.cr0Shadow;
    this.cr3Virtual = s.cr3Virtual;
    this.cr4Shadow = s.cr4Shadow;
    this.eventInfo = s.eventInfo;
    this.eventErrorCode = s.eventErrorCode;
    this.eventLength = s.eventLength;
    this.fruitlessWakeups = s.fruitlessWakeups;
    this.pendingExit = s.pendingExit;
    this.procControls = s.procControls;
  }

  /** CPL: the DPL of SS (SDM Vol. 3 §27.3.1.2: VMX defines CPL that way). */
  get cpl(): number {
    return (this.ops.vmread(VMCS.GUEST_SS_AR_BYTES) >>> 5) & 3;
  }
}
