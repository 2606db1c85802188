// Control-register bits (SDM Vol. 3 §2.5, Figure 2-7) and the bits this processor implements.

export const CR0 = {
  PE: 1 << 0,
  MP: 1 << 1,
  EM: 1 << 2,
  TS: 1 << 3,
  /** Extension type: hardwired to 1 on every processor since the i486 (SDM §2.5). */
  ET: 1 << 4,
  NE: 1 << 5,
  WP: 1 << 16,
  AM: 1 << 18,
  NW: 1 << 29,
  CD: 1 << 30,
  PG: 1 << 31,
} as const;

/** CR0 bits that hold state here. Bits 6-15, 17, 19-28 are reserved: setting them is #GP(0). */
export const CR0_VALID = CR0.PE | CR0.MP | CR0.EM | CR0.TS | CR0.ET | CR0.NE | CR0.WP | CR0.AM | CR0.NW | CR0.CD | CR0.PG;

export const CR4 = {
  VME: 1 << 0,
  PVI: 1 << 1,
  TSD: 1 << 2,
  DE: 1 << 3,
  PSE: 1 << 4,
  PAE: 1 << 5,
  MCE: 1 << 6,
  PGE: 1 << 7,
  PCE: 1 << 8,
  OSFXSR: 1 << 9,
  VMXE: 1 << 13,
} as const;

/** CR4 bits implemented (and advertised through CPUID, see cpuid.ts). Any other bit set by MOV CR4 is
 *  #GP(0) (SDM Vol. 3 §2.5: "setting a reserved bit in CR4 ... #GP"). PAE is not implemented. */
export const CR4_VALID = CR4.TSD | CR4.DE | CR4.PSE | CR4.PGE | CR4.VMXE;

/** CR3 bits: page-directory base and the PWT/PCD cache bits (SDM Vol. 3 §4.3, Table 4-3). */
export const CR3_PD_MASK = 0xfffff000 | 0;
