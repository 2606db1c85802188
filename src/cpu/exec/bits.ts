// BT BTS BTR BTC (register and imm8 bit offsets; a register offset addresses beyond the memory
// operand, SDM BT "Operation"), BSF/BSR (also reached through F3 0F BC/BD), SETcc, CMOVcc.
// BT*: CF = the bit, other flags unchanged (undefined). BSF/BSR: ZF only; a zero source leaves
// the destination unchanged (as Intel hardware and QEMU do).
import { CF, ZF } from '../eflags.js';
import { materialize, testCond } from '../flags.js';
import { read16, read32, write16, write32 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import type { Cpu } from '../state.js';
import { linR, linW, readE16, readE32, setReg16, writeE8 } from './operands.js';

/** op: 0 BT, 1 BTS, 2 BTR, 3 BTC. `offset` is the signed bit offset. */
function bitOp(cpu: Cpu, insn: Insn, op: number, offset: number, fromReg: boolean): void {
  const size = insn.opSize;
  const bits = size * 8;
  let bit: number;
  let v: number;
  let lin = 0;
  if (insn.mod === 3) {
    bit = offset & (bits - 1);
    v = size === 4 ? cpu.regs[insn.rm]! : cpu.regs[insn.rm]! & 0xffff;
  } else {
    bit = offset & (bits - 1);
    // A register offset selects the operand-sized unit at ea + (offset >> log2(bits)) * size.
    const unit = fromReg ? (size === 4 ? offset >> 5 : (offset << 16) >> 20) * size : 0;
    const base = op === 0 ? linR(cpu, insn, size) : linW(cpu, insn, size);
    lin = (base + unit) | 0;
    v = size === 4 ? read32(cpu, lin) : read16(cpu, lin);
  }
  const cf = (v >>> bit) & 1;
  materialize(cpu);
  cpu.flags = (cpu.flags & ~CF) | cf;
  if (op === 0) return;
  const mask = 1 << bit;
  const r = op === 1 ? v | mask : op === 2 ? v & ~mask : v ^ mask;
  if (insn.mod === 3) {
    if (size === 4) cpu.regs[insn.rm] = r;
    else setReg16(cpu, insn.rm, r);
  } else if (size === 4) write32(cpu, lin, r);
  else write16(cpu, lin, r);
}

function bitScan(cpu: Cpu, insn: Insn, reverse: boolean): void {
  const v = insn.opSize === 4 ? readE32(cpu, insn) : readE16(cpu, insn);
  materialize(cpu);
  if (v === 0) {
    cpu.flags |= ZF;
    return;
  }
  cpu.flags &= ~ZF;
  const idx = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
  if (insn.opSize === 4) cpu.regs[insn.reg] = idx;
  else setReg16(cpu, insn.reg, idx);
}

export const BITS_HANDLERS: Record<string, Handler> = {
  bsf_Gv_Ev: (cpu, insn) => bitScan(cpu, insn, false),
  bsr_Gv_Ev: (cpu, insn) => bitScan(cpu, insn, true),
};

['bt', 'bts', 'btr', 'btc'].forEach((mn, op) => {
  BITS_HANDLERS[`${mn}_Ev_Gv`] = (cpu, insn) =>
    bitOp(cpu, insn, op, insn.opSize === 4 ? cpu.regs[insn.reg]! : (cpu.regs[insn.reg]! << 16) >> 16, true);
  BITS_HANDLERS[`${mn}_Ev_Ib`] = (cpu, insn) => bitOp(cpu, insn, op, insn.imm, false);
});

const setcc: Handler = (cpu, insn) => writeE8(cpu, insn, testCond(cpu, insn.cc) ? 1 : 0);

const cmovcc_r32: Handler = (cpu, insn) => {
  if (testCond(cpu, insn.cc)) cpu.regs[insn.reg] = cpu.regs[insn.rm]!;
};
const cmovcc: Handler = (cpu, insn) => {
  // The source is read (and may fault) whether or not the condition holds (SDM CMOVcc).
  if (insn.opSize === 4) {
    const v = insn.mod === 3 ? cpu.regs[insn.rm]! : read32(cpu, linR(cpu, insn, 4));
    if (testCond(cpu, insn.cc)) cpu.regs[insn.reg] = v;
  } else {
    const v = readE16(cpu, insn);
    if (testCond(cpu, insn.cc)) setReg16(cpu, insn.reg, v);
  }
};

for (const c of ['o', 'no', 'b', 'ae', 'z', 'nz', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g']) {
  BITS_HANDLERS[`set${c}_Eb`] = setcc;
  BITS_HANDLERS[`cmov${c}_Gv_Ev/r32`] = cmovcc_r32;
  BITS_HANDLERS[`cmov${c}_Gv_Ev`] = cmovcc;
}
