// ADD OR ADC SBB AND SUB XOR CMP (one handler per operand form; the operation comes from the opcode:
// bits 5:3 of 00-3F, ModRM.reg of the 80-83 group, SDM Vol. 2 opcode map Table A-2), TEST, NOT,
// NEG, INC, DEC. Flags per each instruction's "Flags Affected" (recorded lazily, flags.ts).
import { CF } from '../eflags.js';
import { LzOp, getCF, setArith, setIncDec, setLogic } from '../flags.js';
import { read16, read32, read8, write16, write32, write8 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import type { Cpu } from '../state.js';
import { getReg8, linR, linW, setReg16, setReg8 } from './operands.js';

const OP_CMP = 7;

/** Applies ALU operation `op` (0 add .. 7 cmp) to a and b at `bits` width; returns the truncated
 *  result and records the flags. */
export function alu(cpu: Cpu, op: number, a: number, b: number, bits: number): number {
  const m = bits === 32 ? -1 : (1 << bits) - 1;
  let r: number;
  switch (op) {
    case 0:
      r = (a + b) & m;
      setArith(cpu, LzOp.ADD, a, b, r, bits);
      return r;
    case 1:
      r = (a | b) & m;
      setLogic(cpu, r, bits);
      return r;
    case 2: {
      const c = getCF(cpu);
      r = (a + b + c) & m;
      setArith(cpu, c ? LzOp.ADC1 : LzOp.ADD, a, b, r, bits);
      return r;
    }
    case 3: {
      const c = getCF(cpu);
      r = (a - b - c) & m;
      setArith(cpu, c ? LzOp.SBB1 : LzOp.SUB, a, b, r, bits);
      return r;
    }
    case 4:
      r = a & b & m;
      setLogic(cpu, r, bits);
      return r;
    case 6:
      r = (a ^ b) & m;
      setLogic(cpu, r, bits);
      return r;
    default:
      r = (a - b) & m;
      setArith(cpu, LzOp.SUB, a, b, r, bits);
      return r;
  }
}

// ---- 00-3F forms: the operation is opcode bits 5:3

const Eb_Gb: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const src = getReg8(cpu, insn.reg);
  if (insn.mod === 3) {
    const r = alu(cpu, op, getReg8(cpu, insn.rm), src, 8);
    if (op !== OP_CMP) setReg8(cpu, insn.rm, r);
  } else if (op === OP_CMP) {
    alu(cpu, op, read8(cpu, linR(cpu, insn, 1)), src, 8);
  } else {
    const lin = linW(cpu, insn, 1);
    write8(cpu, lin, alu(cpu, op, read8(cpu, lin), src, 8));
  }
};

const Ev_Gv_r32: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const r = alu(cpu, op, cpu.regs[insn.rm]!, cpu.regs[insn.reg]!, 32);
  if (op !== OP_CMP) cpu.regs[insn.rm] = r;
};

const Ev_Gv_m32: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  if (op === OP_CMP) {
    alu(cpu, op, read32(cpu, linR(cpu, insn, 4)), cpu.regs[insn.reg]!, 32);
  } else {
    const lin = linW(cpu, insn, 4);
    write32(cpu, lin, alu(cpu, op, read32(cpu, lin), cpu.regs[insn.reg]!, 32));
  }
};

/** Shared body of the v-sized r/m-destination forms at 16 bits. */
function rmw16(cpu: Cpu, insn: Insn, op: number, src: number): void {
  if (insn.mod === 3) {
    const r = alu(cpu, op, cpu.regs[insn.rm]! & 0xffff, src & 0xffff, 16);
    if (op !== OP_CMP) setReg16(cpu, insn.rm, r);
  } else if (op === OP_CMP) {
    alu(cpu, op, read16(cpu, linR(cpu, insn, 2)), src & 0xffff, 16);
  } else {
    const lin = linW(cpu, insn, 2);
    write16(cpu, lin, alu(cpu, op, read16(cpu, lin), src & 0xffff, 16));
  }
}

function rmw32(cpu: Cpu, insn: Insn, op: number, src: number): void {
  if (insn.mod === 3) {
    const r = alu(cpu, op, cpu.regs[insn.rm]!, src, 32);
    if (op !== OP_CMP) cpu.regs[insn.rm] = r;
  } else if (op === OP_CMP) {
    alu(cpu, op, read32(cpu, linR(cpu, insn, 4)), src, 32);
  } else {
    const lin = linW(cpu, insn, 4);
    write32(cpu, lin, alu(cpu, op, read32(cpu, lin), src, 32));
  }
}

function rmw8(cpu: Cpu, insn: Insn, op: number, src: number): void {
  if (insn.mod === 3) {
    const r = alu(cpu, op, getReg8(cpu, insn.rm), src & 0xff, 8);
    if (op !== OP_CMP) setReg8(cpu, insn.rm, r);
  } else if (op === OP_CMP) {
    alu(cpu, op, read8(cpu, linR(cpu, insn, 1)), src & 0xff, 8);
  } else {
    const lin = linW(cpu, insn, 1);
    write8(cpu, lin, alu(cpu, op, read8(cpu, lin), src & 0xff, 8));
  }
}

const Ev_Gv_16: Handler = (cpu, insn) => rmw16(cpu, insn, insn.opcode >>> 3, cpu.regs[insn.reg]!);

const Gb_Eb: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const src = insn.mod === 3 ? getReg8(cpu, insn.rm) : read8(cpu, linR(cpu, insn, 1));
  const r = alu(cpu, op, getReg8(cpu, insn.reg), src, 8);
  if (op !== OP_CMP) setReg8(cpu, insn.reg, r);
};

const Gv_Ev_r32: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const r = alu(cpu, op, cpu.regs[insn.reg]!, cpu.regs[insn.rm]!, 32);
  if (op !== OP_CMP) cpu.regs[insn.reg] = r;
};

const Gv_Ev_m32: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const r = alu(cpu, op, cpu.regs[insn.reg]!, read32(cpu, linR(cpu, insn, 4)), 32);
  if (op !== OP_CMP) cpu.regs[insn.reg] = r;
};

const Gv_Ev_16: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const src = insn.mod === 3 ? cpu.regs[insn.rm]! & 0xffff : read16(cpu, linR(cpu, insn, 2));
  const r = alu(cpu, op, cpu.regs[insn.reg]! & 0xffff, src, 16);
  if (op !== OP_CMP) setReg16(cpu, insn.reg, r);
};

const AL_Ib: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  const r = alu(cpu, op, cpu.regs[0]! & 0xff, insn.imm & 0xff, 8);
  if (op !== OP_CMP) setReg8(cpu, 0, r);
};

const eAX_Iz: Handler = (cpu, insn) => {
  const op = insn.opcode >>> 3;
  if (insn.opSize === 4) {
    const r = alu(cpu, op, cpu.regs[0]!, insn.imm, 32);
    if (op !== OP_CMP) cpu.regs[0] = r;
  } else {
    const r = alu(cpu, op, cpu.regs[0]! & 0xffff, insn.imm & 0xffff, 16);
    if (op !== OP_CMP) setReg16(cpu, 0, r);
  }
};

// ---- 80-83 group forms: the operation is ModRM.reg

const Eb_Ib: Handler = (cpu, insn) => rmw8(cpu, insn, insn.reg, insn.imm);
const Ev_I_r32: Handler = (cpu, insn) => {
  const op = insn.reg;
  const r = alu(cpu, op, cpu.regs[insn.rm]!, insn.imm, 32);
  if (op !== OP_CMP) cpu.regs[insn.rm] = r;
};
const Ev_I_m32: Handler = (cpu, insn) => rmw32(cpu, insn, insn.reg, insn.imm);
const Ev_I_16: Handler = (cpu, insn) => rmw16(cpu, insn, insn.reg, insn.imm);

// ---- TEST (logic AND without writing), NOT, NEG, INC, DEC

function testOp(cpu: Cpu, a: number, b: number, bits: number): void {
  setLogic(cpu, bits === 32 ? a & b : a & b & ((1 << bits) - 1), bits);
}

const test_Eb_Gb: Handler = (cpu, insn) => {
  const a = insn.mod === 3 ? getReg8(cpu, insn.rm) : read8(cpu, linR(cpu, insn, 1));
  testOp(cpu, a, getReg8(cpu, insn.reg), 8);
};
const test_Ev_Gv: Handler = (cpu, insn) => {
  if (insn.opSize === 4) {
    const a = insn.mod === 3 ? cpu.regs[insn.rm]! : read32(cpu, linR(cpu, insn, 4));
    testOp(cpu, a, cpu.regs[insn.reg]!, 32);
  } else {
    const a = insn.mod === 3 ? cpu.regs[insn.rm]! : read16(cpu, linR(cpu, insn, 2));
    testOp(cpu, a, cpu.regs[insn.reg]!, 16);
  }
};
const test_AL_Ib: Handler = (cpu, insn) => testOp(cpu, cpu.regs[0]!, insn.imm, 8);
const test_eAX_Iz: Handler = (cpu, insn) => testOp(cpu, cpu.regs[0]!, insn.imm, insn.opSize === 4 ? 32 : 16);
const test_Eb_Ib: Handler = (cpu, insn) => {
  const a = insn.mod === 3 ? getReg8(cpu, insn.rm) : read8(cpu, linR(cpu, insn, 1));
  testOp(cpu, a, insn.imm, 8);
};
const test_Ev_Iz: Handler = (cpu, insn) => {
  if (insn.opSize === 4) {
    const a = insn.mod === 3 ? cpu.regs[insn.rm]! : read32(cpu, linR(cpu, insn, 4));
    testOp(cpu, a, insn.imm, 32);
  } else {
    const a = insn.mod === 3 ? cpu.regs[insn.rm]! : read16(cpu, linR(cpu, insn, 2));
    testOp(cpu, a, insn.imm, 16);
  }
};

/** Read-modify-write of the r/m operand at the row's width (size 1, 2, 4) through `f`. */
function unary(cpu: Cpu, insn: Insn, size: number, f: (cpu: Cpu, v: number, bits: number) => number): void {
  if (insn.mod === 3) {
    if (size === 1) setReg8(cpu, insn.rm, f(cpu, getReg8(cpu, insn.rm), 8));
    else if (size === 2) setReg16(cpu, insn.rm, f(cpu, cpu.regs[insn.rm]! & 0xffff, 16));
    else cpu.regs[insn.rm] = f(cpu, cpu.regs[insn.rm]!, 32);
    return;
  }
  const lin = linW(cpu, insn, size);
  if (size === 1) write8(cpu, lin, f(cpu, read8(cpu, lin), 8));
  else if (size === 2) write16(cpu, lin, f(cpu, read16(cpu, lin), 16));
  else write32(cpu, lin, f(cpu, read32(cpu, lin), 32));
}

function notF(_cpu: Cpu, v: number, bits: number): number {
  return bits === 32 ? ~v : ~v & ((1 << bits) - 1);
}
function negF(cpu: Cpu, v: number, bits: number): number {
  const m = bits === 32 ? -1 : (1 << bits) - 1;
  const r = -v & m;
  setArith(cpu, LzOp.SUB, 0, v, r, bits);
  return r;
}
function incF(cpu: Cpu, v: number, bits: number): number {
  const r = bits === 32 ? (v + 1) | 0 : (v + 1) & ((1 << bits) - 1);
  setIncDec(cpu, LzOp.ADD, v, r, bits);
  return r;
}
function decF(cpu: Cpu, v: number, bits: number): number {
  const r = bits === 32 ? (v - 1) | 0 : (v - 1) & ((1 << bits) - 1);
  setIncDec(cpu, LzOp.SUB, v, r, bits);
  return r;
}

const inc_Zv_32: Handler = (cpu, insn) => {
  const v = cpu.regs[insn.reg]!;
  const r = (v + 1) | 0;
  cpu.regs[insn.reg] = r;
  if (cpu.lazy & CF) cpu.flags = (cpu.flags & ~CF) | getCF(cpu);
  cpu.lzOp = LzOp.ADD;
  cpu.lzDst = v;
  cpu.lzSrc = 1;
  cpu.lzRes = r;
  cpu.lzBits = 32;
  cpu.lazy = 0x8d4; // OF SF ZF AF PF (all but CF)
};
const dec_Zv_32: Handler = (cpu, insn) => {
  const v = cpu.regs[insn.reg]!;
  const r = (v - 1) | 0;
  cpu.regs[insn.reg] = r;
  if (cpu.lazy & CF) cpu.flags = (cpu.flags & ~CF) | getCF(cpu);
  cpu.lzOp = LzOp.SUB;
  cpu.lzDst = v;
  cpu.lzSrc = 1;
  cpu.lzRes = r;
  cpu.lzBits = 32;
  cpu.lazy = 0x8d4;
};
const inc_Zv_16: Handler = (cpu, insn) => setReg16(cpu, insn.reg, incF(cpu, cpu.regs[insn.reg]! & 0xffff, 16));
const dec_Zv_16: Handler = (cpu, insn) => setReg16(cpu, insn.reg, decF(cpu, cpu.regs[insn.reg]! & 0xffff, 16));

const vsize = (insn: Insn): number => insn.opSize;

export const ALU_HANDLERS: Record<string, Handler> = {
  'test_Eb_Gb': test_Eb_Gb,
  'test_Ev_Gv/16': test_Ev_Gv,
  'test_AL_Ib': test_AL_Ib,
  'test_eAX_Iz': test_eAX_Iz,
  'test_Eb_Ib': test_Eb_Ib,
  'test_Ev_Iz': test_Ev_Iz,
  'not_Eb': (cpu, insn) => unary(cpu, insn, 1, notF),
  'not_Ev': (cpu, insn) => unary(cpu, insn, vsize(insn), notF),
  'neg_Eb': (cpu, insn) => unary(cpu, insn, 1, negF),
  'neg_Ev': (cpu, insn) => unary(cpu, insn, vsize(insn), negF),
  'inc_Eb': (cpu, insn) => unary(cpu, insn, 1, incF),
  'dec_Eb': (cpu, insn) => unary(cpu, insn, 1, decF),
  'inc_Ev': (cpu, insn) => unary(cpu, insn, vsize(insn), incF),
  'dec_Ev': (cpu, insn) => unary(cpu, insn, vsize(insn), decF),
  'inc_Zv/32': inc_Zv_32,
  'inc_Zv/16': inc_Zv_16,
  'dec_Zv/32': dec_Zv_32,
  'dec_Zv/16': dec_Zv_16,
};

/** Operations with specialised 32-bit forms in alu-fast.ts (the generic ones serve the rest). */
const FAST = new Set(['add', 'or', 'and', 'sub', 'xor', 'cmp']);

for (const mn of ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']) {
  const fast = FAST.has(mn);
  ALU_HANDLERS[`${mn}_Eb_Gb`] = Eb_Gb;
  if (!fast) {
    ALU_HANDLERS[`${mn}_Ev_Gv/r32`] = Ev_Gv_r32;
    ALU_HANDLERS[`${mn}_Ev_Gv/m32`] = Ev_Gv_m32;
    ALU_HANDLERS[`${mn}_Gv_Ev/m32`] = Gv_Ev_m32;
    ALU_HANDLERS[`${mn}_eAX_Iz/32`] = eAX_Iz;
  }
  ALU_HANDLERS[`${mn}_Ev_Gv/16`] = Ev_Gv_16;
  ALU_HANDLERS[`${mn}_Gb_Eb`] = Gb_Eb;
  ALU_HANDLERS[`${mn}_Gv_Ev/r32`] = Gv_Ev_r32;
  ALU_HANDLERS[`${mn}_Gv_Ev/16`] = Gv_Ev_16;
  ALU_HANDLERS[`${mn}_AL_Ib`] = AL_Ib;
  ALU_HANDLERS[`${mn}_eAX_Iz/16`] = eAX_Iz;
  ALU_HANDLERS[`${mn}_Eb_Ib`] = Eb_Ib;
  for (const form of ['Ev_Iz', 'Ev_Ibs']) {
    if (!fast) {
      ALU_HANDLERS[`${mn}_${form}/r32`] = Ev_I_r32;
      ALU_HANDLERS[`${mn}_${form}/m32`] = Ev_I_m32;
    }
    ALU_HANDLERS[`${mn}_${form}/16`] = Ev_I_16;
  }
}
