// x87 FPU rows (D8-DF; SDM Vol. 2D §A.5 "Escape opcode instructions", Tables ). The
// emulated CPU has no FPU (CPUID.1:EDX.FPU = 0, CR0.EM = 1 semantics): every row is unsupported and
// only decodes to its length (ModRM + displacement) and its mnemonic.
import { type OpcodeRow, makeRow } from './opcode-row.js';

const rows: OpcodeRow[] = [];
const u = (enc: string, asm: string): void => {
  rows.push(makeRow(enc, asm, { unsupported: true }));
};
const hx = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** Memory forms: one mnemonic per ModRM.reg ('' = invalid). */
const MEM: Readonly<Record<string, readonly string[]>> = {
  D8: ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'],
  D9: ['fld', '', 'fst', 'fstp', 'fldenv', 'fldcw', 'fnstenv', 'fnstcw'],
  DA: ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'],
  DB: ['fild', 'fisttp', 'fist', 'fistp', '', 'fld', '', 'fstp'],
  DC: ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'],
  DD: ['fld', 'fisttp', 'fst', 'fstp', 'frstor', '', 'fnsave', 'fnstsw'],
  DE: ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'],
  DF: ['fild', 'fisttp', 'fist', 'fistp', 'fbld', 'fild', 'fbstp', 'fistp'],
};
/** Register forms by ModRM.reg: a mnemonic for all eight ST(i), or per-rm lists. */
const REG: Readonly<Record<string, ReadonlyArray<string | readonly string[]>>> = {
  D8: ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'],
  D9: ['fld', 'fxch', ['fnop', '', '', '', '', '', '', ''], 'fstpnce',
    ['fchs', 'fabs', '', '', 'ftst', 'fxam', '', ''],
    ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz', ''],
    ['f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'],
    ['fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos']],
  DA: ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', '', ['', 'fucompp', '', '', '', '', '', ''], '', ''],
  DB: ['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu',
    ['fneni', 'fndisi', 'fnclex', 'fninit', 'fnsetpm', '', '', ''], 'fucomi', 'fcomi', ''],
  DC: ['fadd', 'fmul', 'fcom', 'fcomp', 'fsubr', 'fsub', 'fdivr', 'fdiv'],
  DD: ['ffree', 'fxch', 'fst', 'fstp', 'fucom', 'fucomp', '', ''],
  DE: ['faddp', 'fmulp', 'fcomp', ['', 'fcompp', '', '', '', '', '', ''], 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'],
  DF: ['ffreep', 'fxch', 'fstp', 'fstp', ['fnstsw', '', '', '', '', '', '', ''], 'fucomip', 'fcomip', ''],
};

for (const op of Object.keys(MEM)) {
  (MEM[op] ?? []).forEach((mn, reg) => {
    if (mn) u(`${op} /${reg} mem`, `${mn} M`);
  });
  (REG[op] ?? []).forEach((spec, reg) => {
    if (typeof spec === 'string') {
      if (spec) u(`${op} /${reg} reg`, spec);
      return;
    }
    spec.forEach((mn, rm) => {
      if (mn) u(`${op} ${hx(0xc0 | (reg << 3) | rm)}`, mn);
    });
  });
}

export const X87_ROWS: readonly OpcodeRow[] = rows;
