// The VT-x interface a hypervisor programs against, as on silicon: VMCS field encodings, exit reasons,
// control bits and bitmap layouts, capability MSR numbers, VM-instruction errors, qualification and
// state formats, the EPT entry format, and the contract of the VMX instructions the hypervisor runs.
// Definitions only: nothing here reaches into the processor (test/architecture.test.ts).

export {
  VMCS,
  FIELDS,
  FieldType,
  FieldWidth,
  GuestSeg,
  GUEST_SEG_NAMES,
  encodeField,
  fieldName,
  fieldByName,
  isSupportedEncoding,
  guestSelectorField,
  guestLimitField,
  guestArField,
  guestBaseField,
  hostSelectorField,
  cr3TargetField,
  type FieldInfo,
  type VmcsFieldName,
} from './fields.js';
export {
  EXIT_REASON,
  EXIT_REASON_FAILED_VMENTRY,
  EXIT_REASON_BASIC_MASK,
  exitReasonName,
  exitReasonByName,
  describeExitReason,
  allExitReasons,
  type ExitReasonName,
} from './exit-reasons.js';
export {
  PIN_BASED,
  CPU_BASED,
  SECONDARY_EXEC,
  VM_EXIT,
  VM_ENTRY,
  ControlKind,
  controlBitNames,
  describeControls,
  IO_BITMAP_PORTS_PER_PAGE,
  MSR_BITMAP,
  msrBitmapBit,
} from './controls.js';
export {
  MSR,
  FEATURE_CONTROL,
  CR0,
  CR4,
  MEMTYPE,
  EPT_CAP,
  VPID_CAP,
  MISC,
  VMCS_REGION_SIZE,
  adjustControls,
  controlsAllowed,
  fixedBitsOk,
  type Msr64,
} from './capabilities.js';
export { VMX_ERROR, VMX_ABORT, describeVmxError, vmxErrorName } from './errors.js';
export {
  CR_ACCESS_TYPE,
  CR_QUAL,
  DR_QUAL,
  IO_QUAL,
  EPT_VIOLATION,
  DEBUG_QUAL,
  TASK_SWITCH_SOURCE,
  ENTRY_FAIL,
  INTR_INFO,
  INTR_TYPE,
  INSN_INFO,
  ADDR_SIZE,
  DT_IDENTITY,
  LDTR_TR_IDENTITY,
  intrInfo,
  decodeCrAccess,
  decodeDrAccess,
  decodeIo,
  decodeIntrInfo,
  describeIntrInfo,
  decodeInstructionInfo,
  describeOperand,
  describeQualification,
  exceptionHasErrorCode,
  type CrAccess,
  type IoAccess,
  type IntrInfo,
  type InstructionInfo,
} from './qualification.js';
export {
  SEG_AR,
  SEG_TYPE,
  AR_CODE32_RING0,
  AR_DATA32_RING0,
  AR_TSS32_BUSY,
  AR_LDT,
  arDpl,
  INTERRUPTIBILITY,
  ACTIVITY,
  PENDING_DBG,
  RFLAGS,
  VMCS_LINK_POINTER_NONE,
} from './state-formats.js';
export { EPTP, EPTE, makeEptp } from './ept-format.js';

/** A VMX instruction's result as the hypervisor sees it (SDM §31.2). */
export const VmxStatus = {
  /** VMsucceed: CF = ZF = 0. */
  SUCCEED: 0,
  /** VMfailInvalid: CF = 1 (there was no current VMCS to hold an error number). */
  FAIL_INVALID: -1,
  /** VMLAUNCH/VMRESUME only: the entry failed on guest state or MSR loading, which is a VM exit
   *  (VM_EXIT_REASON has bit 31 set) rather than a VMfail; the processor is back in root operation. */
  ENTRY_FAILED: -2,
} as const;
/** VmxStatus.SUCCEED, VmxStatus.FAIL_INVALID, or a VM-instruction error number (VMfailValid, ZF = 1). */
export type VmxStatus = number;

/** Invalidation types: INVEPT (SDM §31.3 INVEPT) and INVVPID (INVVPID). */
export const INVEPT_TYPE = { SINGLE_CONTEXT: 1, ALL_CONTEXT: 2 } as const;
export const INVVPID_TYPE = { INDIVIDUAL_ADDRESS: 0, SINGLE_CONTEXT: 1, ALL_CONTEXT: 2, SINGLE_CONTEXT_RETAINING_GLOBALS: 3 } as const;

/**
 * The VMX instructions as a TypeScript hypervisor executes them on the processor: in VMX root
 * operation at CPL 0, with the processor's own CR0/CR4/IA32_FEATURE_CONTROL (so VMXON needs CR4.VMXE,
 * CR0.PE|NE|PG, as on silicon). The processor implements this (cpu/api.ts); every method has the
 * semantics of src/cpu/vmx/instructions.ts. Addresses are host-physical.
 */
export interface VmxInstructions {
  vmxon(region: number): VmxStatus;
  vmxoff(): VmxStatus;
  vmclear(vmcs: number): VmxStatus;
  vmptrld(vmcs: number): VmxStatus;
  /** The current-VMCS pointer, 0xFFFFFFFF when there is none. */
  vmptrst(): number;
  /** The field's value; on failure returns 0 and lastStatus says why. */
  vmread(encoding: number): number;
  vmwrite(encoding: number, value: number): VmxStatus;
  /** The status of the last vmread (VMREAD has no other way to report failure here). */
  readonly lastStatus: VmxStatus;
  /**
   * VM entry. SUCCEED: the processor is now in VMX non-root operation; running the processor runs the
   * guest until its next VM exit, after which the exit-information fields are in the VMCS.
   * ENTRY_FAILED: a VM-entry failure exit happened at once. Otherwise the VMfail status (errors 4, 5,
   * 7, 8, 26).
   */
  vmlaunch(): VmxStatus;
  vmresume(): VmxStatus;
  invept(type: number, eptp: number): VmxStatus;
  invvpid(type: number, vpid: number, linear: number): VmxStatus;
  /** RDMSR of a VMX capability MSR (or IA32_FEATURE_CONTROL); undefined where RDMSR would #GP. */
  readMsr(index: number): Msr64Like | undefined;
}

/** Same shape as capabilities.ts Msr64 (repeated so this interface stands alone). */
export interface Msr64Like {
  readonly lo: number;
  readonly hi: number;
}
