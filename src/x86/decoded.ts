// The decoded-instruction record: one fixed-shape object, reused for every decode (no allocation
// per instruction). The decoder fills it; the disassembler and the CPU read it. Every field is a
// small integer so V8 keeps the object in one hidden class with unboxed fields.

/** Result of a decode (DecodedInsn.status). */
export const DecodeStatus = {
  /** A supported instruction: `entry` names its opcode-table row. */
  Ok: 0,
  /** A real instruction outside the supported subset (x87, SSE...): `len` is exact, `entry` is its row. */
  Unsupported: 1,
  /** Not an instruction (undefined opcode, bad ModRM form, LOCK where not allowed): the CPU raises #UD.
   *  `len` is the number of bytes examined; len > 15 means the instruction would exceed the 15-byte
   *  limit, for which the CPU raises #GP(0) instead (SDM Vol. 2A §2.3.11). */
  Invalid: 2,
  /** The bytes ran out before the instruction ended (or it would exceed 15 bytes: then Invalid). */
  Truncated: 3,
} as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

/** Prefix bits (DecodedInsn.prefixes). SDM Vol. 2A §2.1.1. */
export const Prefix = {
  LOCK: 1 << 0, // F0
  REPNE: 1 << 1, // F2
  REP: 1 << 2, // F3 (REP / REPE)
  OPSIZE: 1 << 3, // 66
  ADSIZE: 1 << 4, // 67
  SEG: 1 << 5, // an explicit segment override is present (see `seg`)
} as const;

/** "No register" for `base` / `index`. */
export const NO_REG = -1;

export class DecodedInsn {
  /** Opcode-table row (dense index into OPCODES). The CPU's handler array is indexed by it. */
  entry = 0;
  status: DecodeStatus = DecodeStatus.Invalid;
  /** Length in bytes, prefixes included (1..15). */
  len = 0;
  /** Prefix bits (Prefix.*). */
  prefixes = 0;
  /** Operand size in bytes for v-sized operands: 2 or 4 (byte operands are fixed by the row's form). */
  opSize = 4;
  /** Address size in bytes: 2 or 4. With 2, effective addresses wrap at 64 KiB. */
  addrSize = 4;
  /** ModRM fields (0 when the row has no ModRM). `mod === 3` means the r/m operand is a register. */
  mod = 0;
  reg = 0;
  rm = 0;
  /** Memory operand, valid when the row has one and mod !== 3 (or for moffs / string forms). */
  base: number = NO_REG;
  index: number = NO_REG;
  /** log2 of the SIB scale (0..3). */
  scale = 0;
  /** Signed displacement (already sign-extended to 32 bits). */
  disp = 0;
  /** Segment register (Seg.*) for the memory operand: the override if present, else the default
   *  (SS for EBP/ESP-based forms, DS otherwise). */
  seg = 3;
  /** First immediate, sign- or zero-extended per the operand form, as a signed 32-bit number. For
   *  relative branches: the signed displacement. For far pointers (ptr16:32): the offset.
   *  Precisely (operand-forms.ts ImmKind): Ib, Iw zero-extended; Ibs (83, 6A, 6B) sign-extended;
   *  Iz = imm16 zero-extended when opSize is 2, else the imm32 (as int32); Jb/Jz sign-extended.
   *  moffs (A0-A3) is not an immediate: it is the memory operand's `disp` (base/index NO_REG). */
  imm = 0;
  /** Second immediate: ENTER's Ib (nesting level), a far pointer's selector. */
  imm2 = 0;
  /** Condition code 0..15 for Jcc/SETcc/CMOVcc/LOOPcc rows (same as the row's `cc`), else 0. */
  cc = 0;
  /** The opcode byte within its map (after any 0F / 0F 38 / 0F 3A escape). For `+r` forms (Zb/Zv,
   *  e.g. 50+r PUSH) the register number is in `reg`; `mod`/`rm` stay 0. */
  opcode = 0;
}
