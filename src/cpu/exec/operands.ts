// Operand access shared by the instruction families: ModRM effective addresses, segment checks,
// 8/16-bit register views, and the r/m read/write helpers. All allocation-free and small enough for
// V8 to inline into the handlers.
import { raiseGP, raiseSS } from '../fault.js';
import { read16, read32, read8, write16, write32, write8 } from '../memory-access.js';
import type { Insn } from '../insn.js';
import { checkSegAccess } from '../segmentation.js';
import { type Cpu, SegSlot } from '../state.js';

/** The effective address (offset within the segment) of the ModRM / moffs memory operand. */
export function ea(cpu: Cpu, insn: Insn): number {
  const r = cpu.regs;
  const a = (insn.disp + r[insn.eaBase]! + (r[insn.eaIndex]! << insn.scale)) | 0;
  return insn.addrSize === 4 ? a : a & 0xffff;
}

/** Linear address of the memory operand for a read of `size` bytes (segment checks included). */
export function linR(cpu: Cpu, insn: Insn, size: number): number {
  const off = ea(cpu, insn);
  const s = insn.seg;
  if ((cpu.segCheckR >>> s) & 1) checkSegAccess(cpu, s, off, size, false);
  return (cpu.segBase[s]! + off) | 0;
}

/** Linear address of the memory operand for a write (or read-modify-write) of `size` bytes. */
export function linW(cpu: Cpu, insn: Insn, size: number): number {
  const off = ea(cpu, insn);
  const s = insn.seg;
  if ((cpu.segCheckW >>> s) & 1) checkSegAccess(cpu, s, off, size, true);
  return (cpu.segBase[s]! + off) | 0;
}

/** Linear address of `off` in segment `s` (string instructions, stack). */
export function segLin(cpu: Cpu, s: number, off: number, size: number, write: boolean): number {
  if (((write ? cpu.segCheckW : cpu.segCheckR) >>> s) & 1) checkSegAccess(cpu, s, off, size, write);
  return (cpu.segBase[s]! + off) | 0;
}

// ---------------------------------------------------------------- registers

export function getReg8(cpu: Cpu, r: number): number {
  return r < 4 ? cpu.regs[r]! & 0xff : (cpu.regs[r - 4]! >>> 8) & 0xff;
}

export function setReg8(cpu: Cpu, r: number, v: number): void {
  if (r < 4) cpu.regs[r] = (cpu.regs[r]! & ~0xff) | (v & 0xff);
  else cpu.regs[r - 4] = (cpu.regs[r - 4]! & ~0xff00) | ((v & 0xff) << 8);
}

export function getReg16(cpu: Cpu, r: number): number {
  return cpu.regs[r]! & 0xffff;
}

export function setReg16(cpu: Cpu, r: number, v: number): void {
  cpu.regs[r] = (cpu.regs[r]! & ~0xffff) | (v & 0xffff);
}

/** Reads a register of `size` bytes (1: 8-bit numbering AL..BH). */
export function getRegSized(cpu: Cpu, r: number, size: number): number {
  return size === 4 ? cpu.regs[r]! : size === 2 ? cpu.regs[r]! & 0xffff : getReg8(cpu, r);
}

export function setRegSized(cpu: Cpu, r: number, size: number, v: number): void {
  if (size === 4) cpu.regs[r] = v;
  else if (size === 2) setReg16(cpu, r, v);
  else setReg8(cpu, r, v);
}

// ---------------------------------------------------------------- r/m operands

export function readE8(cpu: Cpu, insn: Insn): number {
  return insn.mod === 3 ? getReg8(cpu, insn.rm) : read8(cpu, linR(cpu, insn, 1));
}

export function readE16(cpu: Cpu, insn: Insn): number {
  return insn.mod === 3 ? cpu.regs[insn.rm]! & 0xffff : read16(cpu, linR(cpu, insn, 2));
}

export function readE32(cpu: Cpu, insn: Insn): number {
  return insn.mod === 3 ? cpu.regs[insn.rm]! : read32(cpu, linR(cpu, insn, 4));
}

/** Reads the v-sized r/m operand (16-bit values zero-extended). */
export function readEv(cpu: Cpu, insn: Insn): number {
  return insn.opSize === 4 ? readE32(cpu, insn) : readE16(cpu, insn);
}

export function writeE8(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.mod === 3) setReg8(cpu, insn.rm, v);
  else write8(cpu, linW(cpu, insn, 1), v);
}

export function writeE16(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.mod === 3) setReg16(cpu, insn.rm, v);
  else write16(cpu, linW(cpu, insn, 2), v);
}

export function writeE32(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.mod === 3) cpu.regs[insn.rm] = v;
  else write32(cpu, linW(cpu, insn, 4), v);
}

export function writeEv(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.opSize === 4) writeE32(cpu, insn, v);
  else writeE16(cpu, insn, v);
}

/** Writes the v-sized G register. */
export function writeGv(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.opSize === 4) cpu.regs[insn.reg] = v;
  else setReg16(cpu, insn.reg, v);
}

export function readGv(cpu: Cpu, insn: Insn): number {
  return insn.opSize === 4 ? cpu.regs[insn.reg]! : cpu.regs[insn.reg]! & 0xffff;
}

/** Sized memory read/write at a linear address (size 1, 2, 4). */
export function readSized(cpu: Cpu, lin: number, size: number): number {
  return size === 4 ? read32(cpu, lin) : size === 2 ? read16(cpu, lin) : read8(cpu, lin);
}

export function writeSized(cpu: Cpu, lin: number, size: number, v: number): void {
  if (size === 4) write32(cpu, lin, v);
  else if (size === 2) write16(cpu, lin, v);
  else write8(cpu, lin, v);
}

// ---------------------------------------------------------------- stack

/** True when SS is a 32-bit stack (SS.B): ESP is used, else SP (SDM Vol. 1 §6.2.3). */
export function stack32(cpu: Cpu): boolean {
  return (cpu.segAr[SegSlot.SS]! & (1 << 14)) !== 0;
}

export function push32(cpu: Cpu, v: number): void {
  const esp = cpu.regs[4]!;
  if (cpu.stackFlat) {
    const n = (esp - 4) | 0;
    write32(cpu, (cpu.segBase[SegSlot.SS]! + n) | 0, v);
    cpu.regs[4] = n;
    return;
  }
  if (stack32(cpu)) {
    const n = (esp - 4) | 0;
    write32(cpu, segLin(cpu, SegSlot.SS, n, 4, true), v);
    cpu.regs[4] = n;
  } else {
    const n = (esp - 4) & 0xffff;
    write32(cpu, segLin(cpu, SegSlot.SS, n, 4, true), v);
    cpu.regs[4] = (esp & ~0xffff) | n;
  }
}

export function push16(cpu: Cpu, v: number): void {
  const esp = cpu.regs[4]!;
  const n = stack32(cpu) ? (esp - 2) | 0 : (esp - 2) & 0xffff;
  write16(cpu, segLin(cpu, SegSlot.SS, n, 2, true), v);
  cpu.regs[4] = stack32(cpu) ? n : (esp & ~0xffff) | n;
}

export function pushV(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.opSize === 4) push32(cpu, v);
  else push16(cpu, v);
}

/** Reads the value at the top of the stack + `offset` without popping. */
export function peek(cpu: Cpu, size: number, offset: number): number {
  const esp = cpu.regs[4]!;
  const off = stack32(cpu) ? (esp + offset) | 0 : (esp + offset) & 0xffff;
  return size === 4 ? read32(cpu, segLin(cpu, SegSlot.SS, off, 4, false)) : read16(cpu, segLin(cpu, SegSlot.SS, off, 2, false));
}

/** Adds `n` to ESP (or SP for a 16-bit stack). */
export function adjustEsp(cpu: Cpu, n: number): void {
  const esp = cpu.regs[4]!;
  cpu.regs[4] = stack32(cpu) ? (esp + n) | 0 : (esp & ~0xffff) | ((esp + n) & 0xffff);
}

export function pop32(cpu: Cpu): number {
  if (cpu.stackFlat) {
    const esp = cpu.regs[4]!;
    const v = read32(cpu, (cpu.segBase[SegSlot.SS]! + esp) | 0);
    cpu.regs[4] = (esp + 4) | 0;
    return v;
  }
  const v = peek(cpu, 4, 0);
  adjustEsp(cpu, 4);
  return v;
}

export function pop16(cpu: Cpu): number {
  const v = peek(cpu, 2, 0);
  adjustEsp(cpu, 2);
  return v;
}

export function popV(cpu: Cpu, insn: Insn): number {
  return insn.opSize === 4 ? pop32(cpu) : pop16(cpu);
}

/** #GP(0) if CPL is not 0 (privileged instructions, SDM Vol. 3 §5.9). */
export function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) raiseGP(0);
}

/** #SS(0) helper for stack-limit faults raised outside segLin. */
export function stackFault(): never {
  return raiseSS(0);
}
