// Data movement: MOV (register, memory, immediate, moffs), MOVZX, MOVSX, LEA, XCHG, XADD, CMPXCHG,
// CMPXCHG8B, BSWAP, CWDE/CBW, CDQ/CWD, NOP (SDM Vol. 2, one page each). LOCK needs no extra work:
// this processor executes one instruction at a time and nothing else touches memory meanwhile.
import { ZF } from '../eflags.js';
import { materialize } from '../flags.js';
import { read16, read32, read8, write16, write32, write8 } from '../memory-access.js';
import type { Handler } from '../insn.js';
import { alu } from './alu.js';
import {
  ea,
  getReg8,
  linR,
  linW,
  readE16,
  readE8,
  setReg16,
  setReg8,
  writeE16,
  writeE8,
  writeGv,
} from './operands.js';

const mov_Ev_Gv_r32: Handler = (cpu, insn) => {
  cpu.regs[insn.rm] = cpu.regs[insn.reg]!;
};
const mov_Ev_Gv_m32: Handler = (cpu, insn) => {
  write32(cpu, linW(cpu, insn, 4), cpu.regs[insn.reg]!);
};
const mov_Ev_Gv_16: Handler = (cpu, insn) => writeE16(cpu, insn, cpu.regs[insn.reg]!);
const mov_Gv_Ev_r32: Handler = (cpu, insn) => {
  cpu.regs[insn.reg] = cpu.regs[insn.rm]!;
};
const mov_Gv_Ev_m32: Handler = (cpu, insn) => {
  cpu.regs[insn.reg] = read32(cpu, linR(cpu, insn, 4));
};
const mov_Gv_Ev_16: Handler = (cpu, insn) => setReg16(cpu, insn.reg, readE16(cpu, insn));

export const MOVE_HANDLERS: Record<string, Handler> = {
  'mov_Eb_Gb': (cpu, insn) => writeE8(cpu, insn, getReg8(cpu, insn.reg)),
  'mov_Ev_Gv/r32': mov_Ev_Gv_r32,
  'mov_Ev_Gv/m32': mov_Ev_Gv_m32,
  'mov_Ev_Gv/16': mov_Ev_Gv_16,
  'mov_Gb_Eb': (cpu, insn) => setReg8(cpu, insn.reg, readE8(cpu, insn)),
  'mov_Gv_Ev/r32': mov_Gv_Ev_r32,
  'mov_Gv_Ev/m32': mov_Gv_Ev_m32,
  'mov_Gv_Ev/16': mov_Gv_Ev_16,
  'mov_AL_Ob': (cpu, insn) => setReg8(cpu, 0, read8(cpu, linR(cpu, insn, 1))),
  'mov_eAX_Ov': (cpu, insn) => {
    if (insn.opSize === 4) cpu.regs[0] = read32(cpu, linR(cpu, insn, 4));
    else setReg16(cpu, 0, read16(cpu, linR(cpu, insn, 2)));
  },
  'mov_Ob_AL': (cpu, insn) => write8(cpu, linW(cpu, insn, 1), cpu.regs[0]!),
  'mov_Ov_eAX': (cpu, insn) => {
    if (insn.opSize === 4) write32(cpu, linW(cpu, insn, 4), cpu.regs[0]!);
    else write16(cpu, linW(cpu, insn, 2), cpu.regs[0]!);
  },
  'mov_Zb_Ib': (cpu, insn) => setReg8(cpu, insn.reg, insn.imm),
  'mov_Zv_Iz/32': (cpu, insn) => {
    cpu.regs[insn.reg] = insn.imm;
  },
  'mov_Zv_Iz/16': (cpu, insn) => setReg16(cpu, insn.reg, insn.imm),
  'mov_Eb_Ib': (cpu, insn) => writeE8(cpu, insn, insn.imm),
  'mov_Ev_Iz/r32': (cpu, insn) => {
    cpu.regs[insn.rm] = insn.imm;
  },
  'mov_Ev_Iz/m32': (cpu, insn) => write32(cpu, linW(cpu, insn, 4), insn.imm),
  'mov_Ev_Iz/16': (cpu, insn) => writeE16(cpu, insn, insn.imm),
  'lea_Gv_M/32': (cpu, insn) => {
    cpu.regs[insn.reg] = ea(cpu, insn);
  },
  'lea_Gv_M/16': (cpu, insn) => setReg16(cpu, insn.reg, ea(cpu, insn)),
  'movzx_Gv_Eb': (cpu, insn) => writeGv(cpu, insn, readE8(cpu, insn)),
  'movzx_Gv_Ew': (cpu, insn) => writeGv(cpu, insn, readE16(cpu, insn)),
  'movsx_Gv_Eb': (cpu, insn) => writeGv(cpu, insn, (readE8(cpu, insn) << 24) >> 24),
  'movsx_Gv_Ew': (cpu, insn) => writeGv(cpu, insn, (readE16(cpu, insn) << 16) >> 16),
  'xchg_Eb_Gb': (cpu, insn) => {
    const g = getReg8(cpu, insn.reg);
    if (insn.mod === 3) {
      setReg8(cpu, insn.reg, getReg8(cpu, insn.rm));
      setReg8(cpu, insn.rm, g);
      return;
    }
    const lin = linW(cpu, insn, 1);
    const m = read8(cpu, lin);
    write8(cpu, lin, g);
    setReg8(cpu, insn.reg, m);
  },
  'xchg_Ev_Gv': (cpu, insn) => {
    const size = insn.opSize;
    if (insn.mod === 3) {
      const a = cpu.regs[insn.rm]!;
      const b = cpu.regs[insn.reg]!;
      if (size === 4) {
        cpu.regs[insn.rm] = b;
        cpu.regs[insn.reg] = a;
      } else {
        setReg16(cpu, insn.rm, b);
        setReg16(cpu, insn.reg, a);
      }
      return;
    }
    const lin = linW(cpu, insn, size);
    if (size === 4) {
      const m = read32(cpu, lin);
      write32(cpu, lin, cpu.regs[insn.reg]!);
      cpu.regs[insn.reg] = m;
    } else {
      const m = read16(cpu, lin);
      write16(cpu, lin, cpu.regs[insn.reg]!);
      setReg16(cpu, insn.reg, m);
    }
  },
  'nop': () => {},
  'nop_Ev': () => {},
  'xchg_Zv_eAX': (cpu, insn) => {
    const a = cpu.regs[0]!;
    const b = cpu.regs[insn.reg]!;
    if (insn.opSize === 4) {
      cpu.regs[0] = b;
      cpu.regs[insn.reg] = a;
    } else {
      setReg16(cpu, 0, b);
      setReg16(cpu, insn.reg, a);
    }
  },
  'xadd_Eb_Gb': (cpu, insn) => {
    const src = getReg8(cpu, insn.reg);
    if (insn.mod === 3) {
      const d = getReg8(cpu, insn.rm);
      setReg8(cpu, insn.reg, d);
      setReg8(cpu, insn.rm, alu(cpu, 0, d, src, 8));
      return;
    }
    const lin = linW(cpu, insn, 1);
    const d = read8(cpu, lin);
    write8(cpu, lin, alu(cpu, 0, d, src, 8));
    setReg8(cpu, insn.reg, d);
  },
  'xadd_Ev_Gv': (cpu, insn) => {
    const size = insn.opSize;
    const bits = size * 8;
    const src = size === 4 ? cpu.regs[insn.reg]! : cpu.regs[insn.reg]! & 0xffff;
    if (insn.mod === 3) {
      const d = size === 4 ? cpu.regs[insn.rm]! : cpu.regs[insn.rm]! & 0xffff;
      const r = alu(cpu, 0, d, src, bits);
      writeGv(cpu, insn, d);
      if (size === 4) cpu.regs[insn.rm] = r;
      else setReg16(cpu, insn.rm, r);
      return;
    }
    const lin = linW(cpu, insn, size);
    const d = size === 4 ? read32(cpu, lin) : read16(cpu, lin);
    const r = alu(cpu, 0, d, src, bits);
    if (size === 4) write32(cpu, lin, r);
    else write16(cpu, lin, r);
    writeGv(cpu, insn, d);
  },
  'cmpxchg_Eb_Gb': (cpu, insn) => {
    const acc = cpu.regs[0]! & 0xff;
    if (insn.mod === 3) {
      const d = getReg8(cpu, insn.rm);
      alu(cpu, 7, acc, d, 8);
      if (acc === d) setReg8(cpu, insn.rm, getReg8(cpu, insn.reg));
      else setReg8(cpu, 0, d);
      return;
    }
    // The destination is always written (with its old value on a mismatch), SDM CMPXCHG.
    const lin = linW(cpu, insn, 1);
    const d = read8(cpu, lin);
    alu(cpu, 7, acc, d, 8);
    if (acc === d) write8(cpu, lin, getReg8(cpu, insn.reg));
    else {
      write8(cpu, lin, d);
      setReg8(cpu, 0, d);
    }
  },
  'cmpxchg_Ev_Gv': (cpu, insn) => {
    const size = insn.opSize;
    const bits = size * 8;
    const acc = size === 4 ? cpu.regs[0]! : cpu.regs[0]! & 0xffff;
    const src = cpu.regs[insn.reg]!;
    if (insn.mod === 3) {
      const d = size === 4 ? cpu.regs[insn.rm]! : cpu.regs[insn.rm]! & 0xffff;
      alu(cpu, 7, acc, d, bits);
      if (acc === d) {
        if (size === 4) cpu.regs[insn.rm] = src;
        else setReg16(cpu, insn.rm, src);
      } else if (size === 4) cpu.regs[0] = d;
      else setReg16(cpu, 0, d);
      return;
    }
    const lin = linW(cpu, insn, size);
    const d = size === 4 ? read32(cpu, lin) : read16(cpu, lin);
    alu(cpu, 7, acc, d, bits);
    const out = acc === d ? src : d;
    if (size === 4) write32(cpu, lin, out);
    else write16(cpu, lin, out);
    if (acc !== d) {
      if (size === 4) cpu.regs[0] = d;
      else setReg16(cpu, 0, d);
    }
  },
  'cmpxchg8b_Mq': (cpu, insn) => {
    const lin = linW(cpu, insn, 8);
    const lo = read32(cpu, lin);
    const hi = read32(cpu, (lin + 4) | 0);
    materialize(cpu);
    if (lo === cpu.regs[0] && hi === cpu.regs[2]) {
      write32(cpu, lin, cpu.regs[3]!);
      write32(cpu, (lin + 4) | 0, cpu.regs[1]!);
      cpu.flags |= ZF;
    } else {
      write32(cpu, lin, lo);
      write32(cpu, (lin + 4) | 0, hi);
      cpu.regs[0] = lo;
      cpu.regs[2] = hi;
      cpu.flags &= ~ZF;
    }
  },
  'bswap_Zv': (cpu, insn) => {
    const v = cpu.regs[insn.reg]!;
    if (insn.opSize === 4) {
      cpu.regs[insn.reg] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    } else {
      // BSWAP with a 16-bit operand is undefined (SDM); real processors and QEMU give zero.
      setReg16(cpu, insn.reg, 0);
    }
  },
  'cwde': (cpu, insn) => {
    if (insn.opSize === 4) cpu.regs[0] = (cpu.regs[0]! << 16) >> 16;
    else setReg16(cpu, 0, (cpu.regs[0]! << 24) >> 24);
  },
  'cdq': (cpu, insn) => {
    if (insn.opSize === 4) cpu.regs[2] = cpu.regs[0]! >> 31;
    else setReg16(cpu, 2, (cpu.regs[0]! << 16) >> 31);
  },
};
