// Instruction classes (bits in OpcodeRow.cls): what kind of instruction a row is, for the CPU's
// privilege/intercept logic, the debugger and the benchmarks. A row may carry several bits;
// 0 means ordinary.

export const InsnClass = {
  /** Needs CPL 0 (#GP(0) otherwise): LGDT, MOV CR, HLT, RDMSR, INVLPG, VMXON... (SDM Vol. 3A §5.9). */
  Privileged: 1 << 0,
  /** Sensitive but not privileged: reads or depends on privileged state without trapping at CPL 3
   *  (the 17 instructions of Robin & Irvine, USENIX Security 2000: SGDT, SIDT, SLDT, SMSW, STR,
   *  PUSHF, POPF, LAR, LSL, VERR, VERW, PUSH/POP/MOV Sreg, far CALL/JMP/RET, INT n, IRET), plus
   *  CLI/STI (IOPL-sensitive). These are why x86 was not classically virtualizable. */
  Sensitive: 1 << 1,
  /** Port I/O: IN, OUT, INS, OUTS (IOPL and I/O-bitmap checks, SDM Vol. 1 §19.5). */
  Io: 1 << 2,
  /** A VMX instruction (SDM Vol. 3C chapter 31 / Vol. 2 "VMX instructions"). */
  Vmx: 1 << 3,
  /** Changes EIP other than by falling through: jumps, calls, returns, loops, INT, IRET. */
  Branch: 1 << 4,
  /** Uses the string-operation machinery (ESI/EDI/ECX, REP prefixes). */
  String: 1 << 5,
} as const;
export type InsnClass = (typeof InsnClass)[keyof typeof InsnClass];

const LETTER: Readonly<Record<string, number>> = {
  P: InsnClass.Privileged,
  S: InsnClass.Sensitive,
  I: InsnClass.Io,
  V: InsnClass.Vmx,
  B: InsnClass.Branch,
  R: InsnClass.String,
};

/** Parses a class-letter spec (`'PV'`, `'B'`) into InsnClass bits. */
export function classMask(spec: string): number {
  let m = 0;
  for (const ch of spec) {
    const bit = LETTER[ch];
    if (bit === undefined) throw new Error(`unknown class letter '${ch}' in '${spec}'`);
    m |= bit;
  }
  return m;
}
