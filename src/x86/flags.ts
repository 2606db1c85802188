// EFLAGS bit definitions (SDM Vol. 1 §3.4.3, Figure 3-8) and the letter notation the opcode table
// uses for an instruction's flags read / written / left undefined.

/** EFLAGS bits, at their architectural positions. */
export const Flag = {
  CF: 1 << 0,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** The six arithmetic status flags. */
export const STATUS_FLAGS = Flag.OF | Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF;

/** Every flag POPF / IRET may change (the CPU masks by CPL, IOPL and mode). */
export const ALL_FLAGS =
  STATUS_FLAGS | Flag.TF | Flag.IF | Flag.DF | Flag.IOPL | Flag.NT | Flag.RF | Flag.VM | Flag.AC |
  Flag.VIF | Flag.VIP | Flag.ID;

/** Letters used in opcode-table flag specs: `'OSZAPC'`; `*` means ALL_FLAGS. */
const LETTER: Readonly<Record<string, number>> = {
  O: Flag.OF, S: Flag.SF, Z: Flag.ZF, A: Flag.AF, P: Flag.PF, C: Flag.CF,
  D: Flag.DF, I: Flag.IF, T: Flag.TF, N: Flag.NT, R: Flag.RF, V: Flag.VM, K: Flag.AC, L: Flag.IOPL,
  '*': ALL_FLAGS,
};

/** Parses a flag-letter spec (`'OSZAPC'`, `'C'`, `'*'`) into a bit mask; unknown letters throw. */
export function flagMask(spec: string): number {
  let m = 0;
  for (const ch of spec) {
    const bit = LETTER[ch];
    if (bit === undefined) throw new Error(`unknown flag letter '${ch}' in '${spec}'`);
    m |= bit;
  }
  return m;
}
