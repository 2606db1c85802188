// VMCS field encodings (SDM Vol. 3 Appendix B, §25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS
// Fields"): every field this processor supports, its encoding computed from (access, type, width,
// index) as hvpp does, its Linux vmx.h name, width and read-only flag. Pure definitions.

/** Field width, bits 14:13 of an encoding. */
export const FieldWidth = { W16: 0, W64: 1, W32: 2, NATURAL: 3 } as const;
export type FieldWidth = (typeof FieldWidth)[keyof typeof FieldWidth];

/** Field type, bits 11:10 of an encoding. */
export const FieldType = { CONTROL: 0, EXIT_INFO: 1, GUEST: 2, HOST: 3 } as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

/** Bits that are reserved in every encoding (bit 12 and bits 31:15): such encodings name no field. */
export const ENCODING_RESERVED_MASK = 0xffff9000;

/**
 * The encoding of a field (SDM Table 25-21 "Structure of VMCS Component Encoding"): bit 0 access type
 * (1 = high 32 bits of a 64-bit field), bits 9:1 index, bits 11:10 type, bits 14:13 width.
 */
export function encodeField(width: FieldWidth, type: FieldType, index: number, high = false): number {
  return (width << 13) | (type << 10) | ((index & 0x1ff) << 1) | (high ? 1 : 0);
}

export function fieldWidthOf(encoding: number): FieldWidth {
  return ((encoding >>> 13) & 3) as FieldWidth;
}
export function fieldTypeOf(encoding: number): FieldType {
  return ((encoding >>> 10) & 3) as FieldType;
}
export function fieldIndexOf(encoding: number): number {
  return (encoding >>> 1) & 0x1ff;
}
export function isHighAccess(encoding: number): boolean {
  return (encoding & 1) === 1;
}

const { W16, W64, W32, NATURAL } = FieldWidth;
const { CONTROL, EXIT_INFO, GUEST, HOST } = FieldType;
const e = encodeField;

/**
 * The fields, by Linux vmx.h name (SDM Appendix B). Only fields of features this processor implements
 * are here (see capabilities.ts); any other encoding is "unsupported" (VM-instruction error 12), as on
 * silicon without the feature. Natural-width fields are 32 bits wide: this processor does not support
 * Intel 64. The exit-information fields are read-only: IA32_VMX_MISC bit 29 is not advertised.
 */
export const VMCS = {
  // 16-bit control (B.1.1)
  VIRTUAL_PROCESSOR_ID: e(W16, CONTROL, 0),
  // 16-bit guest state (B.1.2): ES, CS, SS, DS, FS, GS, LDTR, TR
  GUEST_ES_SELECTOR: e(W16, GUEST, 0),
  GUEST_CS_SELECTOR: e(W16, GUEST, 1),
  GUEST_SS_SELECTOR: e(W16, GUEST, 2),
  GUEST_DS_SELECTOR: e(W16, GUEST, 3),
  GUEST_FS_SELECTOR: e(W16, GUEST, 4),
  GUEST_GS_SELECTOR: e(W16, GUEST, 5),
  GUEST_LDTR_SELECTOR: e(W16, GUEST, 6),
  GUEST_TR_SELECTOR: e(W16, GUEST, 7),
  // 16-bit host state (B.1.3): ES, CS, SS, DS, FS, GS, TR (no LDTR: a VM exit makes it unusable)
  HOST_ES_SELECTOR: e(W16, HOST, 0),
  HOST_CS_SELECTOR: e(W16, HOST, 1),
  HOST_SS_SELECTOR: e(W16, HOST, 2),
  HOST_DS_SELECTOR: e(W16, HOST, 3),
  HOST_FS_SELECTOR: e(W16, HOST, 4),
  HOST_GS_SELECTOR: e(W16, HOST, 5),
  HOST_TR_SELECTOR: e(W16, HOST, 6),

  // 64-bit control (B.2.1)
  IO_BITMAP_A: e(W64, CONTROL, 0),
  IO_BITMAP_B: e(W64, CONTROL, 1),
  MSR_BITMAP: e(W64, CONTROL, 2),
  VM_EXIT_MSR_STORE_ADDR: e(W64, CONTROL, 3),
  VM_EXIT_MSR_LOAD_ADDR: e(W64, CONTROL, 4),
  VM_ENTRY_MSR_LOAD_ADDR: e(W64, CONTROL, 5),
  TSC_OFFSET: e(W64, CONTROL, 8),
  EPT_POINTER: e(W64, CONTROL, 13),
  // 64-bit read-only data (B.2.2)
  GUEST_PHYSICAL_ADDRESS: e(W64, EXIT_INFO, 0),
  // 64-bit guest state (B.2.3)
  VMCS_LINK_POINTER: e(W64, GUEST, 0),
  GUEST_IA32_DEBUGCTL: e(W64, GUEST, 1),
  GUEST_PDPTR0: e(W64, GUEST, 5),
  GUEST_PDPTR1: e(W64, GUEST, 6),
  GUEST_PDPTR2: e(W64, GUEST, 7),
  GUEST_PDPTR3: e(W64, GUEST, 8),

  // 32-bit control (B.3.1)
  PIN_BASED_VM_EXEC_CONTROL: e(W32, CONTROL, 0),
  CPU_BASED_VM_EXEC_CONTROL: e(W32, CONTROL, 1),
  EXCEPTION_BITMAP: e(W32, CONTROL, 2),
  PAGE_FAULT_ERROR_CODE_MASK: e(W32, CONTROL, 3),
  PAGE_FAULT_ERROR_CODE_MATCH: e(W32, CONTROL, 4),
  CR3_TARGET_COUNT: e(W32, CONTROL, 5),
  VM_EXIT_CONTROLS: e(W32, CONTROL, 6),
  VM_EXIT_MSR_STORE_COUNT: e(W32, CONTROL, 7),
  VM_EXIT_MSR_LOAD_COUNT: e(W32, CONTROL, 8),
  VM_ENTRY_CONTROLS: e(W32, CONTROL, 9),
  VM_ENTRY_MSR_LOAD_COUNT: e(W32, CONTROL, 10),
  VM_ENTRY_INTR_INFO_FIELD: e(W32, CONTROL, 11),
  VM_ENTRY_EXCEPTION_ERROR_CODE: e(W32, CONTROL, 12),
  VM_ENTRY_INSTRUCTION_LEN: e(W32, CONTROL, 13),
  SECONDARY_VM_EXEC_CONTROL: e(W32, CONTROL, 15),
  // 32-bit read-only data (B.3.2)
  VM_INSTRUCTION_ERROR: e(W32, EXIT_INFO, 0),
  VM_EXIT_REASON: e(W32, EXIT_INFO, 1),
  VM_EXIT_INTR_INFO: e(W32, EXIT_INFO, 2),
  VM_EXIT_INTR_ERROR_CODE: e(W32, EXIT_INFO, 3),
  IDT_VECTORING_INFO_FIELD: e(W32, EXIT_INFO, 4),
  IDT_VECTORING_ERROR_CODE: e(W32, EXIT_INFO, 5),
  VM_EXIT_INSTRUCTION_LEN: e(W32, EXIT_INFO, 6),
  VMX_INSTRUCTION_INFO: e(W32, EXIT_INFO, 7),
  // 32-bit guest state (B.3.3)
  GUEST_ES_LIMIT: e(W32, GUEST, 0),
  GUEST_CS_LIMIT: e(W32, GUEST, 1),
  GUEST_SS_LIMIT: e(W32, GUEST, 2),
  GUEST_DS_LIMIT: e(W32, GUEST, 3),
  GUEST_FS_LIMIT: e(W32, GUEST, 4),
  GUEST_GS_LIMIT: e(W32, GUEST, 5),
  GUEST_LDTR_LIMIT: e(W32, GUEST, 6),
  GUEST_TR_LIMIT: e(W32, GUEST, 7),
  GUEST_GDTR_LIMIT: e(W32, GUEST, 8),
  GUEST_IDTR_LIMIT: e(W32, GUEST, 9),
  GUEST_ES_AR_BYTES: e(W32, GUEST, 10),
  GUEST_CS_AR_BYTES: e(W32, GUEST, 11),
  GUEST_SS_AR_BYTES: e(W32, GUEST, 12),
  GUEST_DS_AR_BYTES: e(W32, GUEST, 13),
  GUEST_FS_AR_BYTES: e(W32, GUEST, 14),
  GUEST_GS_AR_BYTES: e(W32, GUEST, 15),
  GUEST_LDTR_AR_BYTES: e(W32, GUEST, 16),
  GUEST_TR_AR_BYTES: e(W32, GUEST, 17),
  GUEST_INTERRUPTIBILITY_INFO: e(W32, GUEST, 18),
  GUEST_ACTIVITY_STATE: e(W32, GUEST, 19),
  GUEST_SYSENTER_CS: e(W32, GUEST, 21),
  VMX_PREEMPTION_TIMER_VALUE: e(W32, GUEST, 23),
  // 32-bit host state (B.3.4)
  HOST_IA32_SYSENTER_CS: e(W32, HOST, 0),

  // Natural-width control (B.4.1)
  CR0_GUEST_HOST_MASK: e(NATURAL, CONTROL, 0),
  CR4_GUEST_HOST_MASK: e(NATURAL, CONTROL, 1),
  CR0_READ_SHADOW: e(NATURAL, CONTROL, 2),
  CR4_READ_SHADOW: e(NATURAL, CONTROL, 3),
  CR3_TARGET_VALUE0: e(NATURAL, CONTROL, 4),
  CR3_TARGET_VALUE1: e(NATURAL, CONTROL, 5),
  CR3_TARGET_VALUE2: e(NATURAL, CONTROL, 6),
  CR3_TARGET_VALUE3: e(NATURAL, CONTROL, 7),
  // Natural-width read-only data (B.4.2); I/O RCX/RSI/RDI/RIP (indexes 1-4) are written only by SMI
  // exits, which this processor has not.
  EXIT_QUALIFICATION: e(NATURAL, EXIT_INFO, 0),
  GUEST_LINEAR_ADDRESS: e(NATURAL, EXIT_INFO, 5),
  // Natural-width guest state (B.4.3)
  GUEST_CR0: e(NATURAL, GUEST, 0),
  GUEST_CR3: e(NATURAL, GUEST, 1),
  GUEST_CR4: e(NATURAL, GUEST, 2),
  GUEST_ES_BASE: e(NATURAL, GUEST, 3),
  GUEST_CS_BASE: e(NATURAL, GUEST, 4),
  GUEST_SS_BASE: e(NATURAL, GUEST, 5),
  GUEST_DS_BASE: e(NATURAL, GUEST, 6),
  GUEST_FS_BASE: e(NATURAL, GUEST, 7),
  GUEST_GS_BASE: e(NATURAL, GUEST, 8),
  GUEST_LDTR_BASE: e(NATURAL, GUEST, 9),
  GUEST_TR_BASE: e(NATURAL, GUEST, 10),
  GUEST_GDTR_BASE: e(NATURAL, GUEST, 11),
  GUEST_IDTR_BASE: e(NATURAL, GUEST, 12),
  GUEST_DR7: e(NATURAL, GUEST, 13),
  GUEST_RSP: e(NATURAL, GUEST, 14),
  GUEST_RIP: e(NATURAL, GUEST, 15),
  GUEST_RFLAGS: e(NATURAL, GUEST, 16),
  GUEST_PENDING_DBG_EXCEPTIONS: e(NATURAL, GUEST, 17),
  GUEST_SYSENTER_ESP: e(NATURAL, GUEST, 18),
  GUEST_SYSENTER_EIP: e(NATURAL, GUEST, 19),
  // Natural-width host state (B.4.4)
  HOST_CR0: e(NATURAL, HOST, 0),
  HOST_CR3: e(NATURAL, HOST, 1),
  HOST_CR4: e(NATURAL, HOST, 2),
  HOST_FS_BASE: e(NATURAL, HOST, 3),
  HOST_GS_BASE: e(NATURAL, HOST, 4),
  HOST_TR_BASE: e(NATURAL, HOST, 5),
  HOST_GDTR_BASE: e(NATURAL, HOST, 6),
  HOST_IDTR_BASE: e(NATURAL, HOST, 7),
  HOST_IA32_SYSENTER_ESP: e(NATURAL, HOST, 8),
  HOST_IA32_SYSENTER_EIP: e(NATURAL, HOST, 9),
  HOST_RSP: e(NATURAL, HOST, 10),
  HOST_RIP: e(NATURAL, HOST, 11),
} as const;

export type VmcsFieldName = keyof typeof VMCS;

/** One supported field. The high half of a 64-bit field is a separate encoding (`encoding | 1`). */
export interface FieldInfo {
  readonly name: VmcsFieldName;
  readonly encoding: number;
  readonly width: FieldWidth;
  readonly type: FieldType;
  readonly readOnly: boolean;
}

/** Every supported field in encoding order (the order the VMCS layout and dumps use). */
export const FIELDS: readonly FieldInfo[] = (Object.keys(VMCS) as VmcsFieldName[])
  .map((name) => {
    const encoding = VMCS[name];
    const type = fieldTypeOf(encoding);
    return { name, encoding, width: fieldWidthOf(encoding), type, readOnly: type === EXIT_INFO };
  })
  .sort((a, b) => a.encoding - b.encoding);

const BY_ENCODING = new Map<number, FieldInfo>(FIELDS.map((f) => [f.encoding, f]));

/** The field an encoding names (the full encoding; use `encoding & ~1` for a high access). */
export function fieldByEncoding(encoding: number): FieldInfo | undefined {
  return BY_ENCODING.get(encoding);
}

/** True if VMREAD/VMWRITE accept this encoding: a supported field, or the high half of a 64-bit one. */
export function isSupportedEncoding(encoding: number): boolean {
  if ((encoding & ENCODING_RESERVED_MASK) !== 0) return false;
  const f = BY_ENCODING.get(encoding & ~1);
  return f !== undefined && (!isHighAccess(encoding) || f.width === W64);
}

/** Linux-style display name of an encoding, with `_HIGH` for the upper half of a 64-bit field. */
export function fieldName(encoding: number): string {
  const f = BY_ENCODING.get(encoding & ~1);
  if (!f || (isHighAccess(encoding) && f.width !== W64)) return `field ${'0x' + (encoding >>> 0).toString(16)}`;
  return isHighAccess(encoding) ? `${f.name}_HIGH` : f.name;
}

/** Looks a field up by name, case-insensitively (debugger `vmread GUEST_RIP`); `_HIGH` suffix allowed. */
export function fieldByName(name: string): number | undefined {
  const upper = name.trim().toUpperCase();
  const high = upper.endsWith('_HIGH');
  const base = high ? upper.slice(0, -5) : upper;
  if (!Object.hasOwn(VMCS, base)) return undefined;
  const enc = VMCS[base as VmcsFieldName];
  if (high && fieldWidthOf(enc) !== W64) return undefined;
  return high ? enc | 1 : enc;
}

/**
 * The highest index used by any supported encoding: IA32_VMX_VMCS_ENUM bits 9:1 report it
 * (SDM Appendix A.9).
 */
export const MAX_FIELD_INDEX = FIELDS.reduce((m, f) => Math.max(m, fieldIndexOf(f.encoding)), 0);

/** The eight guest segment-like registers in VMCS index order (selectors, limits, AR bytes, bases). */
export const GuestSeg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;
export const GUEST_SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;

/** Encodings of guest segment register `seg` (GuestSeg), which step by 2 per register. */
export function guestSelectorField(seg: number): number {
  return VMCS.GUEST_ES_SELECTOR + 2 * seg;
}
export function guestLimitField(seg: number): number {
  return VMCS.GUEST_ES_LIMIT + 2 * seg;
}
export function guestArField(seg: number): number {
  return VMCS.GUEST_ES_AR_BYTES + 2 * seg;
}
export function guestBaseField(seg: number): number {
  return VMCS.GUEST_ES_BASE + 2 * seg;
}
/** Host selector field for ES..GS (0-5; TR is HOST_TR_SELECTOR). */
export function hostSelectorField(seg: number): number {
  return VMCS.HOST_ES_SELECTOR + 2 * seg;
}
/** CR3-target value n (0-3). */
export function cr3TargetField(n: number): number {
  return VMCS.CR3_TARGET_VALUE0 + 2 * n;
}
