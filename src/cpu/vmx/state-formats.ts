// Formats of VMCS guest-state values (SDM Vol. 3 §25.4): segment access rights, interruptibility,
// activity state, pending debug exceptions, and the RFLAGS bits VM entry checks. Pure definitions a
// hypervisor needs to build a guest state; the processor's segment caches use the same AR layout.

/** Segment access-rights format (SDM Table 25-2): descriptor bits 40-55 minus the limit nibble. */
export const SEG_AR = {
  TYPE_MASK: 0xf,
  TYPE_ACCESSED: 1 << 0,
  /** Data: writable. Code: readable. */
  TYPE_RW: 1 << 1,
  /** Data: expand-down. Code: conforming. */
  TYPE_DC: 1 << 2,
  TYPE_CODE: 1 << 3,
  /** 1 = code or data segment, 0 = system segment. */
  S: 1 << 4,
  DPL_SHIFT: 5,
  DPL_MASK: 3 << 5,
  P: 1 << 7,
  AVL: 1 << 12,
  L: 1 << 13,
  DB: 1 << 14,
  G: 1 << 15,
  UNUSABLE: 1 << 16,
  /** Bits 11:8 and 31:17 must be 0 in a usable segment's AR (SDM §27.3.1.2). */
  RESERVED: 0xfffe0f00,
} as const;

/** System-segment types the entry checks name (SDM Vol. 3 Table 3-2). */
export const SEG_TYPE = {
  LDT: 0x2,
  TSS16_BUSY: 0x3,
  TSS32_BUSY: 0xb,
  /** Data read/write, accessed: the usual flat data/stack segment. */
  DATA_RW_ACCESSED: 0x3,
  /** Code execute/read, accessed: the usual flat code segment. */
  CODE_XR_ACCESSED: 0xb,
} as const;

/** A flat 32-bit ring-0 code segment's AR (type 0xB, S, DPL 0, P, D/B, G) = 0xC09B. */
export const AR_CODE32_RING0 = SEG_TYPE.CODE_XR_ACCESSED | SEG_AR.S | SEG_AR.P | SEG_AR.DB | SEG_AR.G;
/** A flat 32-bit ring-0 data segment's AR (type 3) = 0xC093. */
export const AR_DATA32_RING0 = SEG_TYPE.DATA_RW_ACCESSED | SEG_AR.S | SEG_AR.P | SEG_AR.DB | SEG_AR.G;
/** A busy 32-bit TSS's AR (type 0xB, P) = 0x8B. */
export const AR_TSS32_BUSY = SEG_TYPE.TSS32_BUSY | SEG_AR.P;
/** An LDT's AR (type 2, P) = 0x82. */
export const AR_LDT = SEG_TYPE.LDT | SEG_AR.P;

export function arDpl(ar: number): number {
  return (ar >>> SEG_AR.DPL_SHIFT) & 3;
}

/** Guest interruptibility state (SDM Table 25-3). */
export const INTERRUPTIBILITY = {
  STI: 1 << 0,
  MOV_SS: 1 << 1,
  SMI: 1 << 2,
  NMI: 1 << 3,
  ENCLAVE: 1 << 4,
  /** Bits 31:5 are reserved (must be 0 on VM entry). */
  RESERVED: 0xffffffe0,
} as const;

/** Guest activity states (SDM §25.4.2); IA32_VMX_MISC says HLT is the only one besides active here. */
export const ACTIVITY = { ACTIVE: 0, HLT: 1, SHUTDOWN: 2, WAIT_SIPI: 3 } as const;

/** Pending debug exceptions (SDM Table 25-4): B3:B0, enabled breakpoint (12), BS (14), RTM (16). */
export const PENDING_DBG = {
  B0_B3: 0xf,
  ENABLED_BREAKPOINT: 1 << 12,
  BS: 1 << 14,
  RTM: 1 << 16,
  /** Every other bit (11:4, 13, 15, 31:17) must be 0 on VM entry. */
  RESERVED: 0xfffeaff0,
} as const;

/** RFLAGS bits the guest-state checks use (SDM §27.3.1.4). */
export const RFLAGS = {
  FIXED1: 1 << 1,
  TF: 1 << 8,
  IF: 1 << 9,
  VM: 1 << 17,
  /** Bits 3, 5, 15 and 31:22 must be 0. */
  RESERVED: 0xffc08028,
} as const;

/** The VMCS-link pointer value that means "no shadow VMCS" (SDM §25.4.2). */
export const VMCS_LINK_POINTER_NONE = 0xffffffff;
