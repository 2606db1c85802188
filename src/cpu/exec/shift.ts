// Shifts and rotates: ROL ROR RCL RCR SHL SHR SAR (group 2, operation = ModRM.reg, /6 = SHL) by 1,
// CL or imm8, and SHLD/SHRD (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"). The
// count is masked to 5 bits; a masked count of 0 changes nothing. Undefined flags get QEMU's values
// (AF = 0; OF from the same formula as for a count of 1).
import { CF, OF } from '../eflags.js';
import { getCF, materialize, setResultWithCfOf } from '../flags.js';
import { read16, read32, read8, write16, write32, write8 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import type { Cpu } from '../state.js';
import { getReg8, linR, linW, setReg16, setReg8 } from './operands.js';

/** Shifts/rotates `v` (bits wide, zero-extended) by `count` (1..31) per `op`; returns the result and
 *  updates the flags. */
function shiftOp(cpu: Cpu, op: number, v: number, count: number, bits: number): number {
  const m = bits === 32 ? -1 : (1 << bits) - 1;
  const sign = bits - 1;
  let r: number;
  let cf: number;
  switch (op) {
    case 0: {
      // ROL
      const n = count & (bits - 1);
      r = n === 0 ? v : ((v << n) | ((v & m) >>> (bits - n))) & m;
      cf = r & 1;
      rotFlags(cpu, cf, ((r >>> sign) & 1) ^ cf);
      return r;
    }
    case 1: {
      // ROR
      const n = count & (bits - 1);
      r = n === 0 ? v : (((v & m) >>> n) | (v << (bits - n))) & m;
      cf = (r >>> sign) & 1;
      rotFlags(cpu, cf, cf ^ ((r >>> (sign - 1)) & 1));
      return r;
    }
    case 2: {
      // RCL: rotate through CF, a bits+1 wide rotation
      const n = count % (bits + 1);
      if (n === 0) return v;
      let c = getCF(cpu);
      r = v & m;
      for (let i = 0; i < n; i++) {
        const out = (r >>> sign) & 1;
        r = ((r << 1) | c) & m;
        c = out;
      }
      rotFlags(cpu, c, ((r >>> sign) & 1) ^ c);
      return r;
    }
    case 3: {
      // RCR
      const n = count % (bits + 1);
      if (n === 0) return v;
      let c = getCF(cpu);
      r = v & m;
      for (let i = 0; i < n; i++) {
        const out = r & 1;
        r = ((r >>> 1) | (c << sign)) & m;
        c = out;
      }
      rotFlags(cpu, c, ((r >>> sign) ^ (r >>> (sign - 1))) & 1);
      return r;
    }
    case 4:
    case 6: {
      // SHL/SAL
      r = count >= bits && bits < 32 ? 0 : (v << count) & m;
      cf = count > bits ? 0 : ((v & m) >>> (bits - count)) & 1;
      setResultWithCfOf(cpu, r, bits, (cf ? CF : 0) | ((((r >>> sign) & 1) ^ cf) ? OF : 0));
      return r;
    }
    case 5: {
      // SHR
      const u = v & m;
      r = count >= bits ? 0 : u >>> count;
      cf = count > bits ? 0 : (u >>> (count - 1)) & 1;
      const of = count === 1 ? (u >>> sign) & 1 : 0;
      setResultWithCfOf(cpu, r, bits, (cf ? CF : 0) | (of ? OF : 0));
      return bits === 32 ? r | 0 : r;
    }
    default: {
      // SAR
      const s = bits === 32 ? v | 0 : bits === 16 ? (v << 16) >> 16 : (v << 24) >> 24;
      const c = count >= bits ? bits - 1 : count;
      r = (s >> c) & m;
      cf = (s >> (count >= bits ? bits - 1 : count - 1)) & 1;
      setResultWithCfOf(cpu, r, bits, cf ? CF : 0);
      return r;
    }
  }
}

/** Rotates change only CF and OF. */
function rotFlags(cpu: Cpu, cf: number, of: number): void {
  materialize(cpu);
  cpu.flags = (cpu.flags & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
}

function shiftE(cpu: Cpu, insn: Insn, size: number, rawCount: number): void {
  const count = rawCount & 0x1f;
  const op = insn.reg;
  if (insn.mod === 3) {
    if (count === 0) return;
    if (size === 4) cpu.regs[insn.rm] = shiftOp(cpu, op, cpu.regs[insn.rm]!, count, 32);
    else if (size === 2) setReg16(cpu, insn.rm, shiftOp(cpu, op, cpu.regs[insn.rm]! & 0xffff, count, 16));
    else setReg8(cpu, insn.rm, shiftOp(cpu, op, getReg8(cpu, insn.rm), count, 8));
    return;
  }
  if (count === 0) {
    const lin = linR(cpu, insn, size);
    if (size === 4) read32(cpu, lin);
    else if (size === 2) read16(cpu, lin);
    else read8(cpu, lin);
    return;
  }
  const lin = linW(cpu, insn, size);
  if (size === 4) write32(cpu, lin, shiftOp(cpu, op, read32(cpu, lin), count, 32));
  else if (size === 2) write16(cpu, lin, shiftOp(cpu, op, read16(cpu, lin), count, 16));
  else write8(cpu, lin, shiftOp(cpu, op, read8(cpu, lin), count, 8));
}

/** SHLD (left = true) / SHRD of `dst` with bits from `src` by `count` (1..31). */
function doubleShift(cpu: Cpu, left: boolean, dst: number, src: number, count: number, bits: number): number {
  let r: number;
  let cf: number;
  if (bits === 32) {
    if (left) {
      r = (dst << count) | (src >>> (32 - count));
      cf = (dst >>> (32 - count)) & 1;
    } else {
      r = (dst >>> count) | (src << (32 - count));
      cf = (dst >>> (count - 1)) & 1;
    }
  } else {
    // 16-bit: shift the 32-bit concatenation (counts above 16 are undefined; this is deterministic).
    if (left) {
      const cat = ((dst & 0xffff) << 16) | (src & 0xffff);
      const wide = count <= 16 ? cat : (cat << 16) | (dst & 0xffff);
      const c = count <= 16 ? count : count - 16;
      r = ((wide << c) | (count > 16 ? 0 : 0)) >>> 16;
      cf = (wide >>> (32 - c)) & 1;
      r &= 0xffff;
    } else {
      const cat = ((src & 0xffff) << 16) | (dst & 0xffff);
      r = (cat >>> count) & 0xffff;
      cf = (cat >>> (count - 1)) & 1;
    }
  }
  const sign = bits - 1;
  const of = ((r ^ dst) >>> sign) & 1;
  setResultWithCfOf(cpu, bits === 32 ? r | 0 : r, bits, (cf ? CF : 0) | (of ? OF : 0));
  return r;
}

function shxd(cpu: Cpu, insn: Insn, left: boolean, rawCount: number): void {
  const count = rawCount & 0x1f;
  const bits = insn.opSize * 8;
  const src = cpu.regs[insn.reg]!;
  if (insn.mod === 3) {
    if (count === 0) return;
    if (bits === 32) cpu.regs[insn.rm] = doubleShift(cpu, left, cpu.regs[insn.rm]!, src, count, 32);
    else setReg16(cpu, insn.rm, doubleShift(cpu, left, cpu.regs[insn.rm]! & 0xffff, src, count, 16));
    return;
  }
  if (count === 0) {
    if (bits === 32) read32(cpu, linR(cpu, insn, 4));
    else read16(cpu, linR(cpu, insn, 2));
    return;
  }
  const lin = linW(cpu, insn, insn.opSize);
  if (bits === 32) write32(cpu, lin, doubleShift(cpu, left, read32(cpu, lin), src, count, 32));
  else write16(cpu, lin, doubleShift(cpu, left, read16(cpu, lin), src, count, 16));
}

const cl = (cpu: Cpu): number => cpu.regs[1]!;

export const SHIFT_HANDLERS: Record<string, Handler> = {
  shld_Ev_Gv_Ib: (cpu, insn) => shxd(cpu, insn, true, insn.imm),
  shld_Ev_Gv_CL: (cpu, insn) => shxd(cpu, insn, true, cl(cpu)),
  shrd_Ev_Gv_Ib: (cpu, insn) => shxd(cpu, insn, false, insn.imm),
  shrd_Ev_Gv_CL: (cpu, insn) => shxd(cpu, insn, false, cl(cpu)),
};

const Eb_1: Handler = (cpu, insn) => shiftE(cpu, insn, 1, 1);
const Ev_1: Handler = (cpu, insn) => shiftE(cpu, insn, insn.opSize, 1);
const Eb_CL: Handler = (cpu, insn) => shiftE(cpu, insn, 1, cl(cpu));
const Ev_CL: Handler = (cpu, insn) => shiftE(cpu, insn, insn.opSize, cl(cpu));
const Eb_Ib: Handler = (cpu, insn) => shiftE(cpu, insn, 1, insn.imm);
const Ev_Ib: Handler = (cpu, insn) => shiftE(cpu, insn, insn.opSize, insn.imm);

for (const mn of ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar']) {
  SHIFT_HANDLERS[`${mn}_Eb_1`] = Eb_1;
  SHIFT_HANDLERS[`${mn}_Ev_1`] = Ev_1;
  SHIFT_HANDLERS[`${mn}_Eb_CL`] = Eb_CL;
  SHIFT_HANDLERS[`${mn}_Ev_CL`] = Ev_CL;
  SHIFT_HANDLERS[`${mn}_Eb_Ib`] = Eb_Ib;
  SHIFT_HANDLERS[`${mn}_Ev_Ib`] = Ev_Ib;
}
