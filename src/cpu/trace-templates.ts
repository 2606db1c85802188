// Inline code for the hottest instruction forms inside traces (trace.ts): the same semantics as
// their handlers in exec/, written as JS source with the decoded operands (registers, displacement,
// immediates, next EIP) as constants, so a trace needs no operand loads and no form branches.
// Only 32-bit operand and address size forms; anything else (and any form not here) is emitted as a
// call of its handler. test/cpu/trace-templates.test.ts runs random programs of these forms through
// both and compares the whole machine state.
import { OPCODES } from '../x86/opcodes.js';
import { ARITH } from './eflags.js';
import { LzOp } from './flags.js';
import type { Insn } from './insn.js';

/** Names the generated code can use (bound by trace.ts from the real functions). */
export const TEMPLATE_RUNTIME = ['read32', 'write32', 'checkSegAccess', 'getCF', 'getZF', 'testCond', 'raiseGP'] as const;

/** Effective address of the ModRM memory operand as an expression over R (the register file). */
function eaExpr(i: Insn): string {
  const parts: string[] = [];
  if (i.eaBase !== 8) parts.push(`R[${i.eaBase}]`);
  if (i.eaIndex !== 8) parts.push(i.scale ? `(R[${i.eaIndex}] << ${i.scale})` : `R[${i.eaIndex}]`);
  if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp | 0));
  return parts.length === 1 && parts[0]!.startsWith('R[') ? parts[0]! : `(${parts.join(' + ')}) | 0`;
}

/** Statements computing linear address `l` of a `size`-byte access (segment checks as linR/linW). */
function linStmt(i: Insn, size: number, write: boolean): string {
  const bit = 1 << i.seg;
  return (
    `const ea = ${eaExpr(i)}; ` +
    `if ((cpu.${write ? 'segCheckW' : 'segCheckR'} & ${bit}) !== 0) checkSegAccess(cpu, ${i.seg}, ea, ${size}, ${write}); ` +
    `const l = (cpu.segBase[${i.seg}] + ea) | 0; `
  );
}

const ADD = `cpu.lzOp = ${LzOp.ADD}; `;
const SUB = `cpu.lzOp = ${LzOp.SUB}; `;
/** Records an ADD/SUB result r of a, b (flags.ts setArith at 32 bits). */
const arith = (op: string): string => `${op}cpu.lzDst = a; cpu.lzSrc = b; cpu.lzRes = r; cpu.lzBits = 32; cpu.lazy = ${ARITH}; `;
const logic = `cpu.lzOp = ${LzOp.LOGIC}; cpu.lzRes = r; cpu.lzBits = 32; cpu.lazy = ${ARITH}; `;

/** `r = a OP b` plus flags, for the ALU operation `mn`. */
function aluBody(mn: string): string | null {
  switch (mn) {
    case 'add':
      return `const r = (a + b) | 0; ${arith(ADD)}`;
    case 'sub':
    case 'cmp':
      return `const r = (a - b) | 0; ${arith(SUB)}`;
    case 'and':
      return `const r = a & b; ${logic}`;
    case 'or':
      return `const r = a | b; ${logic}`;
    case 'xor':
      return `const r = a ^ b; ${logic}`;
    default:
      return null;
  }
}

const ALU_RE = /^(add|sub|cmp|and|or|xor)_(Ev_Gv|Gv_Ev|Ev_Ibs|Ev_Iz|eAX_Iz)$/;
const JCC_RE = /^j(o|no|b|ae|z|nz|be|a|s|ns|p|np|l|ge|le|g)_J[bz]$/;

/** Condition expression for Jcc (flags.ts getZF / testCond). */
function condExpr(cc: number): string {
  if (cc === 4) return 'getZF(cpu) !== 0';
  if (cc === 5) return 'getZF(cpu) === 0';
  return `testCond(cpu, ${cc})`;
}

/**
 * Inline source for `insn` (inside a trace whose CS was flat when compiled: the trace is dropped if
 * CS changes, Cpu.codeGen), or null to call its handler. `cpu.eip` is set before this code runs.
 */
export function inlineTemplate(i: Insn): string | null {
  if (i.opSize !== 4 || i.addrSize !== 4) return null;
  const name = OPCODES[i.entry]?.name ?? '';
  const reg = i.mod === 3;
  const next = i.nextEip | 0;

  const alu = ALU_RE.exec(name);
  if (alu) {
    const mn = alu[1]!;
    const form = alu[2]!;
    const body = aluBody(mn)!;
    const store = mn !== 'cmp';
    switch (form) {
      case 'Ev_Gv':
        if (reg) return `{ const a = R[${i.rm}]; const b = R[${i.reg}]; ${body}${store ? `R[${i.rm}] = r; ` : ''}}`;
        return store
          ? `{ ${linStmt(i, 4, true)}const a = read32(cpu, l); const b = R[${i.reg}]; ${body}write32(cpu, l, r); }`
          : `{ ${linStmt(i, 4, false)}const a = read32(cpu, l); const b = R[${i.reg}]; ${body}}`;
      case 'Gv_Ev':
        if (reg) return `{ const a = R[${i.reg}]; const b = R[${i.rm}]; ${body}${store ? `R[${i.reg}] = r; ` : ''}}`;
        return `{ ${linStmt(i, 4, false)}const a = R[${i.reg}]; const b = read32(cpu, l); ${body}${store ? `R[${i.reg}] = r; ` : ''}}`;
      case 'Ev_Ibs':
      case 'Ev_Iz':
        if (reg) return `{ const a = R[${i.rm}]; const b = ${i.imm | 0}; ${body}${store ? `R[${i.rm}] = r; ` : ''}}`;
        return store
          ? `{ ${linStmt(i, 4, true)}const a = read32(cpu, l); const b = ${i.imm | 0}; ${body}write32(cpu, l, r); }`
          : `{ ${linStmt(i, 4, false)}const a = read32(cpu, l); const b = ${i.imm | 0}; ${body}}`;
      case 'eAX_Iz':
        return `{ const a = R[0]; const b = ${i.imm | 0}; ${body}${store ? 'R[0] = r; ' : ''}}`;
    }
  }

  const jcc = JCC_RE.exec(name);
  if (jcc) return `if (${condExpr(i.cc)}) cpu.eip = ${(next + i.imm) | 0};`;

  switch (name) {
    case 'mov_Ev_Gv':
      return reg ? `R[${i.rm}] = R[${i.reg}];` : `{ ${linStmt(i, 4, true)}write32(cpu, l, R[${i.reg}]); }`;
    case 'mov_Gv_Ev':
      return reg ? `R[${i.reg}] = R[${i.rm}];` : `{ ${linStmt(i, 4, false)}R[${i.reg}] = read32(cpu, l); }`;
    case 'mov_Zv_Iz':
      return `R[${i.reg}] = ${i.imm | 0};`;
    case 'mov_Ev_Iz':
      return reg ? `R[${i.rm}] = ${i.imm | 0};` : `{ ${linStmt(i, 4, true)}write32(cpu, l, ${i.imm | 0}); }`;
    case 'lea_Gv_M':
      return `R[${i.reg}] = ${eaExpr(i)};`;
    case 'test_Ev_Gv':
      return reg ? `{ const r = R[${i.rm}] & R[${i.reg}]; ${logic}}` : null;
    case 'inc_Zv':
    case 'dec_Zv': {
      const inc = name === 'inc_Zv';
      return (
        `{ const a = R[${i.reg}]; const r = (a ${inc ? '+' : '-'} 1) | 0; R[${i.reg}] = r; ` +
        `if ((cpu.lazy & 1) !== 0) cpu.flags = (cpu.flags & -2) | getCF(cpu); ` +
        `cpu.lzOp = ${inc ? LzOp.ADD : LzOp.SUB}; cpu.lzDst = a; cpu.lzSrc = 1; cpu.lzRes = r; cpu.lzBits = 32; cpu.lazy = ${ARITH & ~1}; }`
      );
    }
    case 'jmp_Jb':
    case 'jmp_Jz':
      return `cpu.eip = ${(next + i.imm) | 0};`;
    // Stack forms: the inline path assumes a flat 32-bit stack and falls back to the handler.
    case 'push_Zv':
      return `if (cpu.stackFlat) { const n = (R[4] - 4) | 0; write32(cpu, (cpu.segBase[2] + n) | 0, R[${i.reg}]); R[4] = n; } else HANDLER;`;
    case 'push_Iz':
    case 'push_Ibs':
      return `if (cpu.stackFlat) { const n = (R[4] - 4) | 0; write32(cpu, (cpu.segBase[2] + n) | 0, ${i.imm | 0}); R[4] = n; } else HANDLER;`;
    case 'pop_Zv':
      return `if (cpu.stackFlat) { const e = R[4]; const v = read32(cpu, (cpu.segBase[2] + e) | 0); R[4] = (e + 4) | 0; R[${i.reg}] = v; } else HANDLER;`;
    case 'call_Jz':
      return `if (cpu.stackFlat) { const n = (R[4] - 4) | 0; write32(cpu, (cpu.segBase[2] + n) | 0, ${next}); R[4] = n; cpu.eip = ${(next + i.imm) | 0}; } else HANDLER;`;
    case 'ret':
      return `if (cpu.stackFlat) { const e = R[4]; const t = read32(cpu, (cpu.segBase[2] + e) | 0); R[4] = (e + 4) | 0; cpu.eip = t; } else HANDLER;`;
    default:
      return null;
  }
}
