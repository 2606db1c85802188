// EPT formats (SDM Vol. 3 §29.3.2, Tables 25-9 and 29-1..29-6): the EPT pointer and the EPT
// paging-structure entries. Definitions only: the hypervisor builds EPT tables with them and the
// processor's walker (mmu/ept.ts) reads them.

/** EPTP fields (SDM Table 25-9). */
export const EPTP = {
  /** Memory type of the paging structures (MEMTYPE.UC or MEMTYPE.WB here). */
  MEMTYPE_MASK: 0x7,
  /** Bits 5:3: page-walk length minus 1. */
  WALK_LENGTH_SHIFT: 3,
  WALK_LENGTH_MASK: 0x38,
  /** Bit 6: enable accessed and dirty flags. */
  AD_ENABLE: 1 << 6,
  /** Bits 11:7 are reserved (bit 7 is supervisor shadow-stack control, not supported). */
  RESERVED_LOW: 0xf80,
  FRAME_MASK: 0xfffff000,
} as const;

/** EPT paging-structure entry bits (SDM Tables 29-1..29-6), low dword. */
export const EPTE = {
  R: 1 << 0,
  W: 1 << 1,
  X: 1 << 2,
  RWX: 7,
  /** Leaf entries: memory type in bits 5:3, ignore-PAT in bit 6. */
  MEMTYPE_SHIFT: 3,
  MEMTYPE_MASK: 7 << 3,
  IPAT: 1 << 6,
  /** Bit 7: maps a page (PDPTE: 1 GiB, PDE: 2 MiB). */
  PS: 1 << 7,
  ACCESSED: 1 << 8,
  DIRTY: 1 << 9,
  FRAME_MASK: 0xfffff000,
  FRAME_2M_MASK: 0xffe00000,
  /** Non-leaf PDPTE/PDE: bits 6:3 reserved; PML4E: bits 7:3. */
  RESERVED_NONLEAF: 0x78,
  RESERVED_PML4E: 0xf8,
  /** 2 MiB leaf: bits 20:12 reserved. */
  RESERVED_2M: 0x001ff000,
} as const;

/** An EPTP for a 4-level walk at `pml4` with memory type `memtype`, A/D flags optional. */
export function makeEptp(pml4: number, memtype: number, accessedDirty = false): number {
  return ((pml4 & EPTP.FRAME_MASK) | (3 << EPTP.WALK_LENGTH_SHIFT) | (memtype & EPTP.MEMTYPE_MASK) | (accessedDirty ? EPTP.AD_ENABLE : 0)) >>> 0;
}
