// The hypervisor's view of the processor: the VT-x instructions and the few other root-mode
// operations a real hypervisor executes (KVM's vmx_ops.h wrappers), as a TypeScript interface.
// Statuses follow cpu/vmx/api.ts (VmxStatus: 0 VMsucceed, -1 VMfailInvalid, n > 0 VMfailValid(n)).
// The processor implements it in phase 2 (cpu/api.ts); tests use test/vmm/fake-vmx.ts.
import type { StopReason } from '../cpu/api.js';
import { type Msr64Like, VmxStatus, describeVmxError, fieldName } from '../cpu/vmx/api.js';
import { HostBugError } from '../common/assert.js';

export { VmxStatus, INVEPT_TYPE, INVVPID_TYPE } from '../cpu/vmx/api.js';

/**
 * How VMLAUNCH / VMRESUME / continueGuest came back to the hypervisor. Besides these, a positive
 * value is VMfailValid with that VM-instruction error (7 bad controls, 8 bad host state, 4/5 launch
 * state): the guest never ran.
 * - VM_EXIT: the guest ran until a VM exit; the processor loaded the host state and "returned to
 *   HOST_RIP", which in this emulator is the TypeScript statement after the call. The exit
 *   information is in the current VMCS, the guest's general registers in `gprs`.
 * - ENTRY_FAILED: VM entry failed on guest state (or MSR loading): also a VM exit, with bit 31 of
 *   VM_EXIT_REASON set (SDM Vol. 3 §27.8).
 * - FAIL_INVALID: VMfailInvalid (no current VMCS).
 * - PAUSED: the emulator was stopped from outside the architecture (instruction budget, a debugger
 *   stop) while the guest was in VMX non-root operation. The guest is STILL in non-root operation;
 *   `continueGuest()` carries on without a VM entry. `pauseReason` says why.
 */
export const EntryResult = {
  VM_EXIT: VmxStatus.SUCCEED,
  FAIL_INVALID: VmxStatus.FAIL_INVALID,
  ENTRY_FAILED: VmxStatus.ENTRY_FAILED,
  PAUSED: -3,
} as const;
/** An EntryResult value or a VMfailValid error number. */
export type EntryResult = number;

/**
 * The processor as root-mode software sees it. Addresses are host-physical. VMX instructions have
 * the semantics of src/cpu/vmx/instructions.ts (cpu/vmx/api.ts VmxInstructions); the difference is
 * that vmlaunch/vmresume here also RUN the guest until its next VM exit (or a pause), as the
 * instruction does on silicon from the point of view of the software that executes it.
 */
export interface VmxOps {
  vmxon(region: number): VmxStatus;
  vmxoff(): VmxStatus;
  vmclear(vmcs: number): VmxStatus;
  vmptrld(vmcs: number): VmxStatus;
  /** The field's value (unsigned; the low half of a 64-bit field's full encoding); 0 on failure. */
  vmread(encoding: number): number;
  vmwrite(encoding: number, value: number): VmxStatus;
  /** The status of the last vmread. */
  readonly lastStatus: VmxStatus;
  vmlaunch(): EntryResult;
  vmresume(): EntryResult;
  invept(type: number, eptp: number): VmxStatus;
  invvpid(type: number, vpid: number, linear: number): VmxStatus;
  /** RDMSR in root mode (the capability MSRs); undefined where RDMSR would raise #GP. */
  readMsr(index: number): Msr64Like | undefined;
  /** CPUID in root mode: EAX, EBX, ECX, EDX of `leaf` into `out` (a virtual CPUID starts from it). */
  cpuid(leaf: number, out: Int32Array): void;
  /** RDTSC in root mode: the host's time-stamp counter (virtual cycles; DESIGN.md invariant 4). */
  rdtsc(): number;

  /**
   * The general registers EAX..EDI in encoding order, as root-mode code sees them. VM exits do not
   * touch them (SDM Vol. 3 §28.5: only RSP, RIP and RFLAGS come from the host-state area), so after
   * a VM exit they hold the guest's values (ESP excepted: GUEST_RSP has it); VM entry takes them as
   * they are. KVM's __vmx_vcpu_run saves and restores exactly these around VMLAUNCH.
   */
  readonly gprs: Int32Array;

  /**
   * CR2 as root-mode code sees it (MOV to/from CR2). VM entries and exits do not switch CR2 (it is
   * not in the VMCS), so it holds the guest's value; a hypervisor injecting #PF sets it first, as
   * KVM does from vcpu->arch.cr2.
   */
  cr2: number;

  /**
   * HLT in root mode with the host's timer armed for `cycle`: the host sleeps and virtual time jumps
   * to `cycle` (the hypervisor's idle loop while its only vCPU sleeps in HLT).
   */
  hltUntil(cycle: number): void;

  // ---- emulator controls, outside the architecture (the runner and the debugger use them)

  /** The guest is paused in non-root operation: carry on without a VM entry. */
  continueGuest(): EntryResult;
  /** Instructions the processor has retired (the guest's: the host runs TypeScript). */
  readonly instructionsRetired: number;
  /** Pause (PAUSED) once `instructionsRetired` reaches this value; Infinity for no budget. */
  pauseAt: number;
  /** Why the last entry call returned PAUSED (null otherwise). */
  readonly pauseReason: StopReason | null;

  // ---- cost model (docs/cost-model.md); a test double may leave them out
  /** The processor's modelled cycles (the guest's instructions, events and page walks). */
  readonly modelCycles?: number;
  /** Page-walk memory references the processor made on TLB misses. */
  readonly walkRefs?: number;
  /** VMREAD, VMWRITE and INVEPT/INVVPID executed so far. */
  readonly vmxCounts?: { readonly vmread: number; readonly vmwrite: number; readonly invalidate: number };
}

/** Words for a failed VMX instruction's status. */
export function describeVmxStatus(status: VmxStatus): string {
  if (status === VmxStatus.FAIL_INVALID) return 'VMfailInvalid (no current VMCS)';
  if (status === VmxStatus.ENTRY_FAILED) return 'VM-entry failure';
  if (status === EntryResult.PAUSED) return 'paused';
  return `VMfailValid: ${describeVmxError(status)}`;
}

/** VMWRITE that must succeed (KVM's vmcs_writel: a failure is a hypervisor bug). */
export function vmwriteChecked(ops: VmxOps, encoding: number, value: number): void {
  const s = ops.vmwrite(encoding, value);
  if (s !== VmxStatus.SUCCEED) throw new HostBugError(`VMWRITE ${fieldName(encoding)}: ${describeVmxStatus(s)}`);
}

/** VMREAD that must succeed. */
export function vmreadChecked(ops: VmxOps, encoding: number): number {
  const v = ops.vmread(encoding);
  if (ops.lastStatus !== VmxStatus.SUCCEED) throw new HostBugError(`VMREAD ${fieldName(encoding)}: ${describeVmxStatus(ops.lastStatus)}`);
  return v;
}

/** Any other VMX instruction that must succeed. */
export function vmxChecked(what: string, status: VmxStatus): void {
  if (status !== VmxStatus.SUCCEED) throw new HostBugError(`${what}: ${describeVmxStatus(status)}`);
}

