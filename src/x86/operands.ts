// A decoded instruction's operands as plain objects, derived from its opcode-table row: what the
// disassembler prints and what the differential tests compare with iced-x86. Not the hot path
// (allocates); the CPU reads DecodedInsn fields directly.
import { type DecodedInsn, Prefix } from './decoded.js';
import { OPCODES } from './opcodes.js';
import type { OperandForm } from './operand-forms.js';
import { REG16_NAMES, REG32_NAMES, REG8_NAMES, Reg, SEG_NAMES, Seg } from './registers.js';

export interface MemOperand {
  kind: 'mem';
  /** Access size in bytes; 0 when the instruction does not access memory through it (LEA). */
  size: number;
  /** Effective segment (Seg.*), and whether a prefix named it. */
  seg: number;
  /** A prefix names a segment other than the default (NASM must spell it). */
  segExplicit: boolean;
  /** Register numbers or NO_REG; 16-bit addressing uses the 16-bit names of the same numbers. */
  base: number;
  index: number;
  scale: number;
  disp: number;
  addrSize: number;
  /** A far pointer in memory (m16:16 / m16:32) for CALL/JMP FAR. */
  far: boolean;
  /** A moffs operand (A0-A3): an address-size offset with no ModRM. */
  moffs: boolean;
}
export type Operand =
  | { kind: 'reg'; name: string; size: number }
  | MemOperand
  | { kind: 'imm'; value: number; size: number }
  | { kind: 'rel'; target: number }
  | { kind: 'far'; sel: number; off: number }
  /** String-instruction memory: X = seg:[eSI] (overridable), Y = ES:[eDI]. */
  | { kind: 'str'; which: 'X' | 'Y'; size: number; seg: number; addrSize: number };

/** Rows whose Ev memory operand is always 16 bits (they store a selector or the MSW). */
/** Rows whose Ew register form is the full operand-size register (SDM "LAR r32, r32/m16",
 *  "MOV Sreg, r32/m16" as NASM writes it), the memory form staying 16 bits. */
const REGV_ROWS: ReadonlySet<string> = new Set(['mov_Sw_Ew', 'lar_Gv_Ew', 'lsl_Gv_Ew']);
export const MEM16_ROWS: ReadonlySet<string> = new Set(['sldt_Ev', 'str_Ev', 'smsw_Ev', 'mov_Ev_Sw']);

export function regName(n: number, size: number): string {
  const names = size === 1 ? REG8_NAMES : size === 2 ? REG16_NAMES : REG32_NAMES;
  return names[n & 7] ?? '?';
}

/** Operands of a decoded Ok or Unsupported instruction at address `ip` (for branch targets). */
export function operandsOf(insn: DecodedInsn, ip: number): Operand[] {
  const row = OPCODES[insn.entry];
  if (!row) return [];
  let nImm = 0;
  return row.operands.map((f) => {
    const second = f[0] === 'I' && nImm++ > 0; // ENTER Iw, Ib: the Ib is imm2
    return operand(insn, ip, f, row.name, second);
  });
}

/** The segment a memory operand uses without a prefix: SS for EBP/ESP (BP in 16-bit) bases. */
function defaultSeg(insn: DecodedInsn, moffs: boolean): number {
  if (moffs) return Seg.DS;
  return insn.base === Reg.EBP || (insn.base === Reg.ESP && insn.addrSize === 4) ? Seg.SS : Seg.DS;
}

function mem(insn: DecodedInsn, size: number, far = false, moffs = false): MemOperand {
  return {
    kind: 'mem', size, seg: insn.seg, segExplicit: (insn.prefixes & Prefix.SEG) !== 0 && insn.seg !== defaultSeg(insn, moffs),
    base: insn.base, index: insn.index, scale: insn.scale, disp: insn.disp, addrSize: insn.addrSize, far, moffs,
  };
}

function operand(insn: DecodedInsn, ip: number, f: OperandForm, rowName: string, second: boolean): Operand {
  const v = insn.opSize;
  const rm = (size: number): Operand =>
    insn.mod === 3 ? { kind: 'reg', name: regName(insn.rm, size), size } : mem(insn, MEM16_ROWS.has(rowName) ? 2 : size);
  const reg = (n: number, size: number): Operand => ({ kind: 'reg', name: regName(n, size), size });
  const seg = (n: number): Operand => ({ kind: 'reg', name: SEG_NAMES[n] ?? `seg${n}`, size: 2 });
  switch (f) {
    case 'Eb': return rm(1);
    case 'Ew': return REGV_ROWS.has(rowName) ? rm(insn.mod === 3 ? v : 2) : rm(2);
    case 'Ed': return rm(4);
    case 'Ev': return rm(v);
    case 'Gb': return reg(insn.reg, 1);
    case 'Gw': return reg(insn.reg, 2);
    case 'Gd': return reg(insn.reg, 4);
    case 'Gv': return reg(insn.reg, v);
    case 'Zb': return reg(insn.reg, 1);
    case 'Zv': return reg(insn.reg, v);
    case 'M': return mem(insn, 0);
    case 'Mw': return mem(insn, 2);
    case 'Md': return mem(insn, 4);
    case 'Mq': return mem(insn, 8);
    case 'Mdq': return mem(insn, 16);
    case 'Ms': return mem(insn, 6);
    case 'Mp': return mem(insn, v + 2, rowName === 'call_Mp' || rowName === 'jmp_Mp');
    case 'Ob': return mem(insn, 1, false, true);
    case 'Ov': return mem(insn, v, false, true);
    case 'Rd': return reg(insn.rm, 4);
    case 'Cd': return { kind: 'reg', name: `cr${insn.reg}`, size: 4 };
    case 'Dd': return { kind: 'reg', name: `dr${insn.reg}`, size: 4 };
    case 'Sw': return seg(insn.reg);
    case 'Ib': return { kind: 'imm', value: (second ? insn.imm2 : insn.imm) & 0xff, size: 1 };
    case 'Ibs': return { kind: 'imm', value: v === 2 ? insn.imm & 0xffff : insn.imm >>> 0, size: v };
    case 'Iw': return { kind: 'imm', value: insn.imm & 0xffff, size: 2 };
    case 'Iz': return { kind: 'imm', value: insn.imm >>> 0, size: v };
    case 'Jb':
    case 'Jz': {
      const t = ip + insn.len + insn.imm;
      return { kind: 'rel', target: v === 2 ? t & 0xffff : t >>> 0 };
    }
    case 'Ap': return { kind: 'far', sel: insn.imm2 & 0xffff, off: insn.imm >>> 0 };
    case 'Xb': return { kind: 'str', which: 'X', size: 1, seg: insn.seg, addrSize: insn.addrSize };
    case 'Xv': return { kind: 'str', which: 'X', size: v, seg: insn.seg, addrSize: insn.addrSize };
    case 'Yb': return { kind: 'str', which: 'Y', size: 1, seg: 0, addrSize: insn.addrSize };
    case 'Yv': return { kind: 'str', which: 'Y', size: v, seg: 0, addrSize: insn.addrSize };
    case 'AL': return reg(0, 1);
    case 'eAX': return reg(0, v);
    case 'CL': return reg(1, 1);
    case 'DX': return reg(2, 2);
    case '1': return { kind: 'imm', value: 1, size: 1 };
    case 'ES': return seg(0);
    case 'CS': return seg(1);
    case 'SS': return seg(2);
    case 'DS': return seg(3);
    case 'FS': return seg(4);
    case 'GS': return seg(5);
  }
}

