// Segment and gate descriptor layouts (SDM Vol. 3 §3.4.5 Figure 3-8, §3.5 Table 3-2, §6.11 Figure 6-2)
// and the "access rights" word the segment caches keep. The access-rights layout is the one VMX uses
// for the guest-state AR fields (SDM Vol. 3 §25.4.1, Table 25-2), so VM entry/exit copy it unchanged.

/** Access-rights bits (descriptor bits 40-55 with the limit nibble cleared, plus "unusable"). */
export const AR = {
  TYPE_MASK: 0xf,
  /** Type bit 0: accessed. */
  ACCESSED: 1 << 0,
  /** Type bit 1: writable (data) / readable (code). */
  RW: 1 << 1,
  /** Type bit 2: expand-down (data) / conforming (code). */
  DC: 1 << 2,
  /** Type bit 3: code segment. */
  CODE: 1 << 3,
  /** Descriptor type: 1 = code or data, 0 = system. */
  S: 1 << 4,
  DPL_SHIFT: 5,
  DPL_MASK: 3 << 5,
  P: 1 << 7,
  AVL: 1 << 12,
  L: 1 << 13,
  /** Default operation size (code) / big (stack, data): 32-bit when set. */
  DB: 1 << 14,
  G: 1 << 15,
  /** Not a descriptor bit: VMX's "segment unusable" (a null selector was loaded). */
  UNUSABLE: 1 << 16,
} as const;

/** System-segment and gate types (S = 0), SDM Vol. 3 §3.5 Table 3-2. */
export const SysType = {
  TSS16_AVAIL: 0x1,
  LDT: 0x2,
  TSS16_BUSY: 0x3,
  CALL_GATE16: 0x4,
  TASK_GATE: 0x5,
  INT_GATE16: 0x6,
  TRAP_GATE16: 0x7,
  TSS32_AVAIL: 0x9,
  TSS32_BUSY: 0xb,
  CALL_GATE32: 0xc,
  INT_GATE32: 0xe,
  TRAP_GATE32: 0xf,
} as const;

/** The busy bit of a TSS descriptor's type (SDM Vol. 3 §7.2.2). */
export const TSS_BUSY_BIT = 0x2;

/** Selector fields (SDM Vol. 3 §3.4.2 Figure 3-6). */
export const SEL_RPL_MASK = 3;
export const SEL_TI = 1 << 2;
export const SEL_INDEX_MASK = 0xfff8;

/** Access rights from a descriptor's high dword. */
export function arFromHigh(high: number): number {
  return (high >>> 8) & 0xf0ff;
}

/** Segment base from a descriptor's two dwords. */
export function baseFromDesc(low: number, high: number): number {
  return ((low >>> 16) | ((high & 0xff) << 16) | (high & 0xff000000)) | 0;
}

/** Byte-granular limit from a descriptor's two dwords (G scales by 4 KiB, filling the low 12 bits). */
export function limitFromDesc(low: number, high: number): number {
  const raw = (low & 0xffff) | (high & 0x000f0000);
  return high & (1 << 23) ? ((raw << 12) | 0xfff) : raw;
}

export function dplOf(ar: number): number {
  return (ar >>> AR.DPL_SHIFT) & 3;
}

/** 32-bit TSS layout (SDM Vol. 3 §7.2.1 Figure 7-2): offsets of the fields the processor reads. */
export const Tss32 = {
  ESP0: 4,
  SS0: 8,
  /** ESPn for ring n is at ESP0 + 8n, SSn at SS0 + 8n. */
  RING_STRIDE: 8,
  IOMAP_BASE: 0x66,
  /** The minimum limit of a 32-bit TSS (SDM §7.2.2: limit at least 67H). */
  MIN_LIMIT: 0x67,
} as const;
