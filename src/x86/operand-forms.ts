// The vocabulary of operand forms the opcode table uses: the SDM's opcode-map notation (Vol. 2D
// Appendix A.2: addressing method letter + operand type letter), plus fixed registers and a few
// forms the SDM writes in prose (sign-extended Ib, moffs, +r registers).

/**
 * Addressing methods (SDM A.2.1): E = ModRM r/m (register or memory); G = ModRM.reg general register;
 * M = ModRM memory only; R = ModRM r/m general register only (CR/DR moves ignore mod);
 * S = ModRM.reg segment register; C = ModRM.reg control register; D = ModRM.reg debug register;
 * I = immediate; J = relative branch offset; O = moffs (no ModRM, address-size offset);
 * A = direct far address ptr16:16/32; X = DS:[eSI]; Y = ES:[eDI]; Z = register in the opcode's low
 * 3 bits ("+r"). Types (A.2.2): b byte, w word, d dword, v word/dword by operand size, z word for
 * 16-bit operand size else dword, p far pointer (16:16 or 16:32), s 6-byte pseudo-descriptor,
 * q qword, dq 16 bytes. `Ibs` is an imm8 sign-extended to the operand size (83, 6A, 6B).
 */
export const OPERAND_FORMS = [
  'Eb', 'Ew', 'Ed', 'Ev',
  'Gb', 'Gw', 'Gd', 'Gv',
  'M', 'Mw', 'Md', 'Mq', 'Mp', 'Ms', 'Mdq',
  'Rd', 'Sw', 'Cd', 'Dd',
  'Ib', 'Ibs', 'Iw', 'Iz',
  'Jb', 'Jz', 'Ap', 'Ob', 'Ov',
  'Xb', 'Xv', 'Yb', 'Yv', 'Zb', 'Zv',
  'AL', 'eAX', 'CL', 'DX', '1',
  'ES', 'CS', 'SS', 'DS', 'FS', 'GS',
] as const;
export type OperandForm = (typeof OPERAND_FORMS)[number];

const FORM_SET: ReadonlySet<string> = new Set(OPERAND_FORMS);
export function isOperandForm(s: string): s is OperandForm {
  return FORM_SET.has(s);
}

/** Forms read from the ModRM byte (their presence implies the encoding has ModRM). */
export function usesModrm(f: OperandForm): boolean {
  const c = f[0];
  return (c === 'E' || c === 'G' || c === 'M' || c === 'R' || c === 'S' || c === 'C' || c === 'D') &&
    f !== 'DX' && f !== 'DS' && f !== 'SS' && f !== 'CS' && f !== 'ES' && f !== 'GS';
}

/** Forms that denote a memory operand when present (r/m with mod != 3, moffs, M*). */
export function isMemoryCapable(f: OperandForm): boolean {
  return f[0] === 'E' || f[0] === 'M' || f === 'Ob' || f === 'Ov';
}

/**
 * Immediate kinds (how many bytes follow the ModRM/SIB/displacement and how DecodedInsn.imm holds
 * them). Derived from a row's forms; the decoder reads them from a per-row typed array.
 */
export const ImmKind = {
  None: 0,
  /** imm8, zero-extended. */
  Ib: 1,
  /** imm8, sign-extended to 32 bits (the CPU truncates to the operand size). */
  Ibs: 2,
  /** imm16, zero-extended. */
  Iw: 3,
  /** imm16 (operand size 2, zero-extended) or imm32 (operand size 4). */
  Iz: 4,
  /** rel8, sign-extended. */
  Jb: 5,
  /** rel16 (operand size 2) or rel32, sign-extended. */
  Jz: 6,
  /** ptr16:16 / ptr16:32: imm = offset, imm2 = selector. */
  Ap: 7,
  /** ENTER: imm = Iw (frame size), imm2 = Ib (nesting level). */
  IwIb: 8,
  /** moffs: an address-size offset, stored as the memory operand's disp (base = index = NO_REG). */
  Moffs: 9,
  /** Two imm8 (SSE4a EXTRQ/INSERTQ): imm, imm2. */
  IbIb: 10,
} as const;
export type ImmKind = (typeof ImmKind)[keyof typeof ImmKind];

/** The immediate kind a list of forms implies (at most one immediate-bearing form per row, except
 *  ENTER's `Iw Ib` and EXTRQ's `Ib Ib`). */
export function immKindOf(forms: readonly OperandForm[]): ImmKind {
  const imms = forms.filter((f) => f[0] === 'I' || f[0] === 'J' || f === 'Ap' || f === 'Ob' || f === 'Ov');
  if (imms.length === 0) return ImmKind.None;
  if (imms.length === 2) {
    if (imms[0] === 'Iw' && imms[1] === 'Ib') return ImmKind.IwIb;
    if (imms[0] === 'Ib' && imms[1] === 'Ib') return ImmKind.IbIb;
    throw new Error(`unsupported immediate pair ${imms.join(',')}`);
  }
  switch (imms[0]) {
    case 'Ib': return ImmKind.Ib;
    case 'Ibs': return ImmKind.Ibs;
    case 'Iw': return ImmKind.Iw;
    case 'Iz': return ImmKind.Iz;
    case 'Jb': return ImmKind.Jb;
    case 'Jz': return ImmKind.Jz;
    case 'Ap': return ImmKind.Ap;
    case 'Ob': case 'Ov': return ImmKind.Moffs;
    default: throw new Error(`not an immediate form: ${String(imms[0])}`);
  }
}
