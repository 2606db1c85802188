// Linear-address memory access through the TLB: the hot path is one TLB load, one mask compare and a
// typed-array access; misses, page-crossing accesses, #AC checks, open bus and writes to frames that
// hold decoded code take the slow path. Two flavours: accesses at the current privilege level
// (instruction data) and implicit supervisor accesses (descriptor tables, TSS, IDT: SDM Vol. 3 §4.6.1).
import { raiseWithCode } from './fault.js';
import { Access, tlbFill } from './mmu/walk.js';
import { TlbBit, TlbMask } from './mmu/tlb.js';
import type { Cpu } from './state.js';
import { Vec } from './vectors.js';

const FRAME = ~0xfff;

// ---------------------------------------------------------------- current privilege level

export function read8(cpu: Cpu, lin: number): number {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.rMask) === 1) return cpu.u8[((e & FRAME) | (lin & 0xfff)) >>> 0]!;
  return slowRead(cpu, lin, 1, cpu.cpl === 3);
}

export function read16(cpu: Cpu, lin: number): number {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.rMask) === 1 && (lin & 1) === 0) return cpu.u16[((e & FRAME) | (lin & 0xfff)) >>> 1]!;
  return slowRead(cpu, lin, 2, cpu.cpl === 3);
}

export function read32(cpu: Cpu, lin: number): number {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.rMask) === 1 && (lin & 3) === 0) return cpu.i32[((e & FRAME) | (lin & 0xfff)) >>> 2]!;
  return slowRead(cpu, lin, 4, cpu.cpl === 3);
}

export function write8(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.wMask) === 1) {
    const p = ((e & FRAME) | (lin & 0xfff)) >>> 0;
    if (cpu.codeFrames[p >>> 12] === 0) {
      cpu.u8[p] = v;
      return;
    }
  }
  slowWrite(cpu, lin, 1, v, cpu.cpl === 3);
}

export function write16(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.wMask) === 1 && (lin & 1) === 0) {
    const p = ((e & FRAME) | (lin & 0xfff)) >>> 0;
    if (cpu.codeFrames[p >>> 12] === 0) {
      cpu.u16[p >>> 1] = v;
      return;
    }
  }
  slowWrite(cpu, lin, 2, v, cpu.cpl === 3);
}

export function write32(cpu: Cpu, lin: number, v: number): void {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & cpu.wMask) === 1 && (lin & 3) === 0) {
    const p = ((e & FRAME) | (lin & 0xfff)) >>> 0;
    if (cpu.codeFrames[p >>> 12] === 0) {
      cpu.i32[p >>> 2] = v;
      return;
    }
  }
  slowWrite(cpu, lin, 4, v, cpu.cpl === 3);
}

/** Checks that a write of `size` bytes at `lin` would succeed (translating, setting dirty bits)
 *  without writing: for instructions that must not fault after a partial update. */
export function probeWrite(cpu: Cpu, lin: number, size: number): void {
  const user = cpu.cpl === 3;
  translate(cpu, lin, Access.WRITE, user);
  if (((lin & 0xfff) + size) > 0x1000) translate(cpu, (lin + size - 1) | 0, Access.WRITE, user);
}

// ---------------------------------------------------------------- implicit supervisor accesses

export function sysRead8(cpu: Cpu, lin: number): number {
  return slowRead(cpu, lin, 1, false);
}

export function sysRead16(cpu: Cpu, lin: number): number {
  return slowRead(cpu, lin, 2, false);
}

export function sysRead32(cpu: Cpu, lin: number): number {
  const e = cpu.tlbData[lin >>> 12]!;
  if ((e & TlbMask.READ_SUP) === 1 && (lin & 3) === 0) return cpu.i32[((e & FRAME) | (lin & 0xfff)) >>> 2]!;
  return slowRead(cpu, lin, 4, false);
}

export function sysWrite8(cpu: Cpu, lin: number, v: number): void {
  slowWrite(cpu, lin, 1, v, false);
}

export function sysWrite16(cpu: Cpu, lin: number, v: number): void {
  slowWrite(cpu, lin, 2, v, false);
}

export function sysWrite32(cpu: Cpu, lin: number, v: number): void {
  slowWrite(cpu, lin, 4, v, false);
}

// ---------------------------------------------------------------- slow paths

/** Host-physical address for one byte-range inside a page, filling the TLB on a miss. */
function translate(cpu: Cpu, lin: number, access: Access, user: boolean): number {
  let e = cpu.tlbData[lin >>> 12]!;
  const mask = access === Access.WRITE ? (user ? TlbMask.WRITE_USER : TlbMask.WRITE_SUP) : user ? TlbMask.READ_USER : TlbMask.READ_SUP;
  if ((e & mask & ~TlbBit.SLOW) !== 1) e = tlbFill(cpu, lin, access, user);
  return ((e & FRAME) | (lin & 0xfff)) >>> 0;
}

function alignmentCheck(cpu: Cpu, lin: number, size: number, user: boolean): void {
  if (user && cpu.acEnabled && (lin & (size - 1)) !== 0) raiseWithCode(Vec.AC, 0);
}

function slowRead(cpu: Cpu, lin: number, size: number, user: boolean): number {
  if (size > 1) alignmentCheck(cpu, lin, size, user);
  const mem = cpu.mem;
  const p0 = translate(cpu, lin, Access.READ, user);
  if ((lin & 0xfff) + size <= 0x1000) {
    if (size === 1) return mem.read8(p0);
    if (size === 2) return mem.read16(p0);
    return mem.read32(p0);
  }
  const lin1 = (lin + size - 1) & FRAME;
  const p1 = translate(cpu, lin1, Access.READ, user);
  let v = 0;
  for (let i = 0; i < size; i++) {
    const a = ((lin + i) & FRAME) === (lin & FRAME) ? p0 + i : p1 + (((lin + i) & 0xfff) >>> 0);
    v |= mem.read8(a) << (8 * i);
  }
  return size === 4 ? v : v & 0xffff;
}

function slowWrite(cpu: Cpu, lin: number, size: number, v: number, user: boolean): void {
  if (size > 1) alignmentCheck(cpu, lin, size, user);
  const mem = cpu.mem;
  const p0 = translate(cpu, lin, Access.WRITE, user);
  if ((lin & 0xfff) + size <= 0x1000) {
    if (size === 1) mem.write8(p0, v);
    else if (size === 2) mem.write16(p0, v);
    else mem.write32(p0, v);
    return;
  }
  // Both pages are translated (and may fault) before any byte is written.
  const lin1 = (lin + size - 1) & FRAME;
  const p1 = translate(cpu, lin1, Access.WRITE, user);
  for (let i = 0; i < size; i++) {
    const a = ((lin + i) & FRAME) === (lin & FRAME) ? p0 + i : p1 + (((lin + i) & 0xfff) >>> 0);
    mem.write8(a, v >>> (8 * i));
  }
}

/** A write with an explicit privilege (event delivery pushes at the handler's privilege level). */
export function writeAs(cpu: Cpu, lin: number, size: number, v: number, user: boolean): void {
  slowWrite(cpu, lin, size, v, user);
}

/** Host-physical address of an instruction fetch at linear `lin` (fills the TLB; may raise #PF). */
export function translateFetch(cpu: Cpu, lin: number): number {
  return translate(cpu, lin, Access.FETCH, cpu.cpl === 3);
}
