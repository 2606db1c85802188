// Specialised 32-bit forms of the hottest ALU instructions (ADD SUB CMP AND OR XOR TEST on
// register and memory operands, and immediates): one small handler per operation, so that V8 can
// inline them whole into traces (the generic forms in alu.ts switch on the operation at run time).
// Same semantics as alu.ts; dispatch.ts prefers these `/r32` `/m32` names.
import { ARITH } from '../eflags.js';
import { LzOp } from '../flags.js';
import { read32, write32 } from '../memory-access.js';
import type { Handler } from '../insn.js';
import type { Cpu } from '../state.js';
import { linR, linW } from './operands.js';

function add32(cpu: Cpu, a: number, b: number): number {
  const r = (a + b) | 0;
  cpu.lzOp = LzOp.ADD;
  cpu.lzDst = a;
  cpu.lzSrc = b;
  cpu.lzRes = r;
  cpu.lzBits = 32;
  cpu.lazy = ARITH;
  return r;
}

function sub32(cpu: Cpu, a: number, b: number): number {
  const r = (a - b) | 0;
  cpu.lzOp = LzOp.SUB;
  cpu.lzDst = a;
  cpu.lzSrc = b;
  cpu.lzRes = r;
  cpu.lzBits = 32;
  cpu.lazy = ARITH;
  return r;
}

function logic32(cpu: Cpu, r: number): number {
  cpu.lzOp = LzOp.LOGIC;
  cpu.lzRes = r;
  cpu.lzBits = 32;
  cpu.lazy = ARITH;
  return r;
}

export const ALU_FAST_HANDLERS: Record<string, Handler> = {};

// Each operation gets its own handler functions written out (no shared closures: one call target
// per call site once inlined).
const ops: Record<string, { rr: Handler; rm: Handler; mr: Handler; ri: Handler; mi: Handler; ai: Handler }> = {
  add: {
    rr: (cpu, i) => void (cpu.regs[i.rm] = add32(cpu, cpu.regs[i.rm]!, cpu.regs[i.reg]!)),
    rm: (cpu, i) => void (cpu.regs[i.reg] = add32(cpu, cpu.regs[i.reg]!, read32(cpu, linR(cpu, i, 4)))),
    mr: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, add32(cpu, read32(cpu, l), cpu.regs[i.reg]!));
    },
    ri: (cpu, i) => void (cpu.regs[i.rm] = add32(cpu, cpu.regs[i.rm]!, i.imm)),
    mi: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, add32(cpu, read32(cpu, l), i.imm));
    },
    ai: (cpu, i) => void (cpu.regs[0] = add32(cpu, cpu.regs[0]!, i.imm)),
  },
  sub: {
    rr: (cpu, i) => void (cpu.regs[i.rm] = sub32(cpu, cpu.regs[i.rm]!, cpu.regs[i.reg]!)),
    rm: (cpu, i) => void (cpu.regs[i.reg] = sub32(cpu, cpu.regs[i.reg]!, read32(cpu, linR(cpu, i, 4)))),
    mr: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, sub32(cpu, read32(cpu, l), cpu.regs[i.reg]!));
    },
    ri: (cpu, i) => void (cpu.regs[i.rm] = sub32(cpu, cpu.regs[i.rm]!, i.imm)),
    mi: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, sub32(cpu, read32(cpu, l), i.imm));
    },
    ai: (cpu, i) => void (cpu.regs[0] = sub32(cpu, cpu.regs[0]!, i.imm)),
  },
  cmp: {
    rr: (cpu, i) => void sub32(cpu, cpu.regs[i.rm]!, cpu.regs[i.reg]!),
    rm: (cpu, i) => void sub32(cpu, cpu.regs[i.reg]!, read32(cpu, linR(cpu, i, 4))),
    mr: (cpu, i) => void sub32(cpu, read32(cpu, linR(cpu, i, 4)), cpu.regs[i.reg]!),
    ri: (cpu, i) => void sub32(cpu, cpu.regs[i.rm]!, i.imm),
    mi: (cpu, i) => void sub32(cpu, read32(cpu, linR(cpu, i, 4)), i.imm),
    ai: (cpu, i) => void sub32(cpu, cpu.regs[0]!, i.imm),
  },
  and: {
    rr: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! & cpu.regs[i.reg]!)),
    rm: (cpu, i) => void (cpu.regs[i.reg] = logic32(cpu, cpu.regs[i.reg]! & read32(cpu, linR(cpu, i, 4)))),
    mr: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) & cpu.regs[i.reg]!));
    },
    ri: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! & i.imm)),
    mi: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) & i.imm));
    },
    ai: (cpu, i) => void (cpu.regs[0] = logic32(cpu, cpu.regs[0]! & i.imm)),
  },
  or: {
    rr: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! | cpu.regs[i.reg]!)),
    rm: (cpu, i) => void (cpu.regs[i.reg] = logic32(cpu, cpu.regs[i.reg]! | read32(cpu, linR(cpu, i, 4)))),
    mr: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) | cpu.regs[i.reg]!));
    },
    ri: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! | i.imm)),
    mi: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) | i.imm));
    },
    ai: (cpu, i) => void (cpu.regs[0] = logic32(cpu, cpu.regs[0]! | i.imm)),
  },
  xor: {
    rr: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! ^ cpu.regs[i.reg]!)),
    rm: (cpu, i) => void (cpu.regs[i.reg] = logic32(cpu, cpu.regs[i.reg]! ^ read32(cpu, linR(cpu, i, 4)))),
    mr: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) ^ cpu.regs[i.reg]!));
    },
    ri: (cpu, i) => void (cpu.regs[i.rm] = logic32(cpu, cpu.regs[i.rm]! ^ i.imm)),
    mi: (cpu, i) => {
      const l = linW(cpu, i, 4);
      write32(cpu, l, logic32(cpu, read32(cpu, l) ^ i.imm));
    },
    ai: (cpu, i) => void (cpu.regs[0] = logic32(cpu, cpu.regs[0]! ^ i.imm)),
  },
};

for (const [mn, h] of Object.entries(ops)) {
  ALU_FAST_HANDLERS[`${mn}_Ev_Gv/r32`] = h.rr;
  ALU_FAST_HANDLERS[`${mn}_Ev_Gv/m32`] = h.mr;
  // Gv,Ev with a register source is the same operation with the roles swapped: reg <- reg op rm.
  ALU_FAST_HANDLERS[`${mn}_Gv_Ev/m32`] = h.rm;
  ALU_FAST_HANDLERS[`${mn}_Ev_Iz/r32`] = h.ri;
  ALU_FAST_HANDLERS[`${mn}_Ev_Ibs/r32`] = h.ri;
  ALU_FAST_HANDLERS[`${mn}_Ev_Iz/m32`] = h.mi;
  ALU_FAST_HANDLERS[`${mn}_Ev_Ibs/m32`] = h.mi;
  ALU_FAST_HANDLERS[`${mn}_eAX_Iz/32`] = h.ai;
}

ALU_FAST_HANDLERS['test_Ev_Gv/r32'] = (cpu, i) => void logic32(cpu, cpu.regs[i.rm]! & cpu.regs[i.reg]!);
ALU_FAST_HANDLERS['test_Ev_Gv/m32'] = (cpu, i) => void logic32(cpu, read32(cpu, linR(cpu, i, 4)) & cpu.regs[i.reg]!);
