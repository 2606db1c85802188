// Port I/O: IN and OUT (imm8 and DX forms) and the I/O permission check shared with INS/OUTS:
// CPL <= IOPL, or every bit for the accessed ports clear in the TSS I/O bitmap (SDM Vol. 1 §19.5).
// The board's devices see the access through the IoBus; the virtual clock is exact here because
// I/O instructions run as blocks of their own (decode-cache.ts).
import { AR, SysType, Tss32 } from '../descriptor.js';
import { IOPL, IOPL_SHIFT } from '../eflags.js';
import { raiseGP } from '../fault.js';
import { Intercept } from '../hooks.js';
import { sysRead16 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { setReg16, setReg8 } from './operands.js';

/** #GP(0) unless the current privilege may access ports [port, port+size). */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if (cpu.cpl <= (cpu.flags & IOPL) >>> IOPL_SHIFT) return;
  const trAr = cpu.segAr[SegSlot.TR]!;
  const type = trAr & (AR.S | AR.TYPE_MASK);
  const limit = cpu.segLimit[SegSlot.TR]! >>> 0;
  if ((trAr & AR.UNUSABLE) !== 0 || (type !== SysType.TSS32_BUSY && type !== SysType.TSS32_AVAIL) || limit < Tss32.MIN_LIMIT) {
    raiseGP(0);
  }
  const base = cpu.segBase[SegSlot.TR]!;
  const mapOff = sysRead16(cpu, (base + Tss32.IOMAP_BASE) | 0);
  const byte = mapOff + (port >>> 3);
  // Two bytes are read so an access that straddles a byte boundary is covered (SDM §19.5.2).
  if (byte + 1 > limit) raiseGP(0);
  const bits = sysRead16(cpu, (base + byte) | 0);
  if ((bits >>> (port & 7)) & ((1 << size) - 1)) raiseGP(0);
}

/** Intercept qualification bits for an I/O instruction (hooks.ts Intercept.IO; SDM Vol. 3 Table 28-5). */
export function ioQualBits(size: number, isIn: boolean, isString: boolean, rep: boolean, immediate = false): number {
  return (size - 1) | (isIn ? 8 : 0) | (isString ? 16 : 0) | (rep ? 32 : 0) | (immediate ? 64 : 0);
}

/** IN after the permission check and the VMX intercept (which the caller made). */
function portIn(cpu: Cpu, port: number, size: number): number {
  const v = cpu.io.read(port, size as 1 | 2 | 4);
  cpu.pending |= Pending.CHECK_IRQ;
  return v;
}

function portOut(cpu: Cpu, insn: Insn, port: number, size: number, v: number, immediate: boolean): void {
  checkIoPermission(cpu, port, size);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.IO, insn, port, ioQualBits(size, false, false, false, immediate))) return;
  cpu.io.write(port, size as 1 | 2 | 4, size === 4 ? v : v & ((1 << (size * 8)) - 1));
  cpu.pending |= Pending.CHECK_IRQ;
}

function inAcc(cpu: Cpu, insn: Insn, port: number, size: number, immediate: boolean): void {
  checkIoPermission(cpu, port, size);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.IO, insn, port, ioQualBits(size, true, false, false, immediate))) return;
  const v = portIn(cpu, port, size);
  if (size === 1) setReg8(cpu, 0, v);
  else if (size === 2) setReg16(cpu, 0, v);
  else cpu.regs[0] = v;
}

export const IO_HANDLERS: Record<string, Handler> = {
  in_AL_Ib: (cpu, insn) => inAcc(cpu, insn, insn.imm & 0xff, 1, true),
  in_eAX_Ib: (cpu, insn) => inAcc(cpu, insn, insn.imm & 0xff, insn.opSize, true),
  in_AL_DX: (cpu, insn) => inAcc(cpu, insn, cpu.regs[2]! & 0xffff, 1, false),
  in_eAX_DX: (cpu, insn) => inAcc(cpu, insn, cpu.regs[2]! & 0xffff, insn.opSize, false),
  out_Ib_AL: (cpu, insn) => portOut(cpu, insn, insn.imm & 0xff, 1, cpu.regs[0]!, true),
  out_Ib_eAX: (cpu, insn) => portOut(cpu, insn, insn.imm & 0xff, insn.opSize, cpu.regs[0]!, true),
  out_DX_AL: (cpu, insn) => portOut(cpu, insn, cpu.regs[2]! & 0xffff, 1, cpu.regs[0]!, false),
  out_DX_eAX: (cpu, insn) => portOut(cpu, insn, cpu.regs[2]! & 0xffff, insn.opSize, cpu.regs[0]!, false),
};
