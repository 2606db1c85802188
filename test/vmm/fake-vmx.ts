// A test double for the processor's VT-x interface (Firecracker-style: handlers are tested with
// made-up exits). It keeps a REAL VMCS region (cpu/vmx/vmcs.ts) in host memory, answers the
// capability MSRs with the processor's real values, runs the real VM-entry checks (so a VMCS the
// hypervisor builds must pass them), and instead of running a guest produces scripted VM exits by
// writing the exit-information fields, as the processor's VM-exit code would.
import { cpuidLeaf } from '../../src/cpu/cpuid.js';
import type { StopReason } from '../../src/cpu/api.js';
import { EntryCheckResult, EntryFailure, checkVmEntry } from '../../src/cpu/vmx/entry-checks.js';
import { EXIT_REASON, EXIT_REASON_FAILED_VMENTRY, INTR_INFO, VMCS, VMX_ERROR, VmxStatus } from '../../src/cpu/vmx/api.js';
import { VMX_CAPABILITIES, readVmxCapabilityMsr } from '../../src/cpu/vmx/capabilities.js';
import { INVALID_VMCS_POINTER, LaunchState, Vmcs, vmcsFieldReadOnly, vmcsFieldSupported } from '../../src/cpu/vmx/vmcs.js';
import type { PhysicalMemory } from '../../src/machine/memory.js';
import { EntryResult, type VmxOps } from '../../src/vmm/vmx-ops.js';

/** One made-up VM exit: what the "processor" writes into the VMCS, and what the guest did before. */
export interface ScriptedExit {
  readonly reason: number;
  readonly qualification?: number;
  /** VM_EXIT_INSTRUCTION_LEN (default 0: a fault-like exit or an event). */
  readonly length?: number;
  readonly intrInfo?: number;
  readonly intrError?: number;
  readonly idtVectoring?: number;
  readonly idtError?: number;
  readonly instructionInfo?: number;
  readonly guestLinear?: number;
  readonly guestPhysical?: number;
  /** Virtual cycles the guest ran before this exit (the TSC moves on by this much). */
  readonly cycles?: number;
  /** Anything else the guest "did": change registers, guest-state fields, memory. */
  readonly before?: (f: FakeVmx) => void;
}

/** What the hypervisor programmed for one VM entry (for assertions). */
export interface EntryRecord {
  readonly launch: boolean;
  readonly intrInfo: number;
  readonly errorCode: number;
  readonly instructionLength: number;
  readonly preemptionTimer: number;
  readonly gprs: readonly number[];
}

export class FakeVmx implements VmxOps {
  lastStatus: number = VmxStatus.SUCCEED;
  readonly gprs = new Int32Array(8);
  cr2 = 0;
  tsc = 0;
  pauseAt = Infinity;
  pauseReason: StopReason | null = null;
  instructionsRetired = 0;
  vmxonPtr = -1;
  readonly vmcs: Vmcs;
  readonly script: ScriptedExit[] = [];
  readonly entries: EntryRecord[] = [];
  /** Every VMWRITE: [encoding, value]. */
  readonly writes: [number, number][] = [];
  readonly invalidations: { kind: 'invept' | 'invvpid'; type: number; a: number; b: number }[] = [];
  readonly idles: number[] = [];
  private readonly check = new EntryCheckResult();
  /** Run the real VM-entry checks at each entry (on by default). */
  checkEntries = true;
  /** The rule the last failed entry check named. */
  lastEntryRule = '';

  constructor(readonly mem: PhysicalMemory) {
    this.vmcs = new Vmcs(mem, INVALID_VMCS_POINTER);
  }

  private fail(error: number): number {
    if (this.vmcs.base === INVALID_VMCS_POINTER) return VmxStatus.FAIL_INVALID;
    this.vmcs.write(VMCS.VM_INSTRUCTION_ERROR, error);
    return error;
  }

  readMsr(index: number) {
    return readVmxCapabilityMsr(index, VMX_CAPABILITIES);
  }
  cpuid(leaf: number, out: Int32Array): void {
    cpuidLeaf(leaf, out);
  }
  rdtsc(): number {
    return this.tsc;
  }
  hltUntil(cycle: number): void {
    this.idles.push(cycle);
    if (cycle > this.tsc) this.tsc = cycle;
  }

  vmxon(region: number): number {
    this.vmxonPtr = region;
    return VmxStatus.SUCCEED;
  }
  vmxoff(): number {
    this.vmxonPtr = -1;
    return VmxStatus.SUCCEED;
  }
  vmclear(addr: number): number {
    this.mem.write32(addr + 8, LaunchState.CLEAR);
    if (this.vmcs.base === addr) this.vmcs.base = INVALID_VMCS_POINTER;
    return VmxStatus.SUCCEED;
  }
  vmptrld(addr: number): number {
    this.vmcs.base = addr;
    return VmxStatus.SUCCEED;
  }
  vmread(encoding: number): number {
    if (this.vmcs.base === INVALID_VMCS_POINTER) {
      this.lastStatus = VmxStatus.FAIL_INVALID;
      return 0;
    }
    if (!vmcsFieldSupported(encoding)) {
      this.lastStatus = this.fail(VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT);
      return 0;
    }
    this.lastStatus = VmxStatus.SUCCEED;
    return this.vmcs.read(encoding);
  }
  vmwrite(encoding: number, value: number): number {
    if (this.vmcs.base === INVALID_VMCS_POINTER) return VmxStatus.FAIL_INVALID;
    if (!vmcsFieldSupported(encoding)) return this.fail(VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT);
    if (vmcsFieldReadOnly(encoding)) return this.fail(VMX_ERROR.VMWRITE_READ_ONLY_VMCS_COMPONENT);
    this.writes.push([encoding, value >>> 0]);
    this.vmcs.write(encoding, value);
    return VmxStatus.SUCCEED;
  }
  invept(type: number, eptp: number): number {
    this.invalidations.push({ kind: 'invept', type, a: eptp, b: 0 });
    return VmxStatus.SUCCEED;
  }
  invvpid(type: number, vpid: number, linear: number): number {
    this.invalidations.push({ kind: 'invvpid', type, a: vpid, b: linear });
    return VmxStatus.SUCCEED;
  }

  vmlaunch(): number {
    if (this.vmcs.base === INVALID_VMCS_POINTER) return VmxStatus.FAIL_INVALID;
    if (this.vmcs.launchState !== LaunchState.CLEAR) return this.fail(VMX_ERROR.VMLAUNCH_NONCLEAR_VMCS);
    return this.enter(true);
  }
  vmresume(): number {
    if (this.vmcs.base === INVALID_VMCS_POINTER) return VmxStatus.FAIL_INVALID;
    if (this.vmcs.launchState !== LaunchState.LAUNCHED) return this.fail(VMX_ERROR.VMRESUME_NONLAUNCHED_VMCS);
    return this.enter(false);
  }
  continueGuest(): number {
    return this.runScript();
  }

  /** The value of a VMCS field as the hypervisor left it (no VMREAD status side effects). */
  field(encoding: number): number {
    return this.vmcs.read(encoding);
  }

  /** Sets a guest-state field as the guest's execution would have (not a VMWRITE: not logged). */
  setGuest(encoding: number, value: number): void {
    this.vmcs.write(encoding, value);
  }

  private enter(launch: boolean): number {
    const v = this.vmcs;
    if (this.checkEntries) {
      const ctx = { vmcsPtr: v.base, vmxonPtr: this.vmxonPtr };
      const f = checkVmEntry(v, VMX_CAPABILITIES, ctx, this.check);
      this.lastEntryRule = this.check.rule;
      if (f === EntryFailure.CONTROL || f === EntryFailure.HOST) return this.fail(this.check.error);
      if (f === EntryFailure.GUEST) {
        v.write(VMCS.VM_EXIT_REASON, (EXIT_REASON.INVALID_STATE | EXIT_REASON_FAILED_VMENTRY) >>> 0);
        v.write(VMCS.EXIT_QUALIFICATION, this.check.qualification);
        return VmxStatus.ENTRY_FAILED;
      }
    }
    const info = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
    this.entries.push({
      launch,
      intrInfo: info,
      errorCode: info & INTR_INFO.DELIVER_CODE ? v.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE) : 0,
      instructionLength: v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN),
      preemptionTimer: v.read(VMCS.VMX_PREEMPTION_TIMER_VALUE),
      gprs: [...this.gprs],
    });
    v.launchState = LaunchState.LAUNCHED;
    // SDM §28.2.3 (and §27.6): the valid bit of the VM-entry interruption information is cleared.
    v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO.VALID);
    return this.runScript();
  }

  private runScript(): number {
    const e = this.script.shift();
    if (!e) {
      // The guest "runs" until the budget (if there is one) and the emulator pauses it.
      if (this.pauseAt !== Infinity && this.pauseAt > this.instructionsRetired) {
        this.tsc += this.pauseAt - this.instructionsRetired;
        this.instructionsRetired = this.pauseAt;
      }
      this.pauseReason = { kind: 'budget' };
      return EntryResult.PAUSED;
    }
    this.pauseReason = null;
    this.tsc += e.cycles ?? 0;
    this.instructionsRetired += e.cycles ?? 0;
    e.before?.(this);
    const v = this.vmcs;
    v.write(VMCS.VM_EXIT_REASON, e.reason);
    v.write(VMCS.EXIT_QUALIFICATION, e.qualification ?? 0);
    v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, e.length ?? 0);
    v.write(VMCS.VM_EXIT_INTR_INFO, e.intrInfo ?? 0);
    v.write(VMCS.VM_EXIT_INTR_ERROR_CODE, e.intrError ?? 0);
    v.write(VMCS.IDT_VECTORING_INFO_FIELD, e.idtVectoring ?? 0);
    v.write(VMCS.IDT_VECTORING_ERROR_CODE, e.idtError ?? 0);
    v.write(VMCS.VMX_INSTRUCTION_INFO, e.instructionInfo ?? 0);
    v.write(VMCS.GUEST_LINEAR_ADDRESS, e.guestLinear ?? 0);
    v.write(VMCS.GUEST_PHYSICAL_ADDRESS, e.guestPhysical ?? 0);
    return EntryResult.VM_EXIT;
  }
}
