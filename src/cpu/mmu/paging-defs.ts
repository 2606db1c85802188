// 32-bit paging structure bits and #PF error-code bits (SDM Vol. 3 §4.3 Tables 4-4..4-6, §4.7).

export const Pte = {
  P: 1 << 0,
  RW: 1 << 1,
  US: 1 << 2,
  PWT: 1 << 3,
  PCD: 1 << 4,
  A: 1 << 5,
  D: 1 << 6,
  /** In a PDE: page size (4 MiB page when CR4.PSE = 1). */
  PS: 1 << 7,
  G: 1 << 8,
} as const;

/** Frame address of a 4 KiB page or page table. */
export const PTE_FRAME = 0xfffff000 | 0;
/** Frame address of a 4 MiB page (bits 31:22). */
export const PDE_4M_FRAME = 0xffc00000 | 0;
/** Bits 21:13 of a 4 MiB PDE: reserved without PSE-36 (not advertised; SDM Table 4-4, note). */
export const PDE_4M_RESERVED = 0x003fe000;

export const PfErr = {
  /** 0: not present; 1: protection violation (or reserved bit). */
  P: 1 << 0,
  W: 1 << 1,
  /** The access was a user-mode access (CPL 3, not an implicit supervisor access). */
  U: 1 << 2,
  RSVD: 1 << 3,
  /** Instruction fetch: reported only with NX or SMEP enabled (SDM §4.7), neither of which exists
   *  on this processor, so it is never set (QEMU behaves the same). */
  ID: 1 << 4,
} as const;
