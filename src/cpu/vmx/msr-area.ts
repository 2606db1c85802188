// The VM-entry MSR-load, VM-exit MSR-store and VM-exit MSR-load areas (SDM Vol. 3 §25.7.2, §25.8.2):
// arrays of 16-byte entries {index, reserved, value lo, value hi} processed by VM entry (§27.4) and
// VM exit (§28.4, §28.6). Pure over memory and an MSR interface the CPU implements.

import type { PhysicalMemory } from '../../machine/memory.js';

/** The CPU's MSR file as the MSR areas use it (WRMSR/RDMSR at CPL 0, without the VMX intercepts). */
export interface MsrAccess {
  /** Writes an MSR; false where WRMSR would raise #GP. */
  writeMsr(index: number, lo: number, hi: number): boolean;
  /** Reads an MSR into lastLo/lastHi; false where RDMSR would raise #GP. */
  readMsr(index: number): boolean;
  readonly lastLo: number;
  readonly lastHi: number;
}

export const MSR_ENTRY_SIZE = 16;

/** MSRs an MSR area may never name (SDM §27.4, §28.4): the 64-bit FS/GS bases, IA32_SMBASE, x2APIC. */
function forbidden(index: number): boolean {
  index >>>= 0;
  return index === 0xc0000100 || index === 0xc0000101 || index === 0x9e || index >>> 8 === 0x8;
}

/**
 * Loads `count` MSRs from the area at `addr` in order. Returns 0, or the 1-based number of the entry
 * that failed: the VM-entry failure qualification (exit 34), or a VMX abort on VM exit.
 */
export function loadMsrArea(mem: PhysicalMemory, addr: number, count: number, msrs: MsrAccess): number {
  for (let i = 0; i < count; i++) {
    const e = addr + i * MSR_ENTRY_SIZE;
    const index = mem.read32(e);
    if (mem.read32(e + 4) !== 0 || forbidden(index)) return i + 1;
    if (!msrs.writeMsr(index >>> 0, mem.read32(e + 8), mem.read32(e + 12))) return i + 1;
  }
  return 0;
}

/** Stores `count` MSRs into the value halves of the area at `addr`. Returns 0 or the failing entry (1-based). */
export function storeMsrArea(mem: PhysicalMemory, addr: number, count: number, msrs: MsrAccess): number {
  for (let i = 0; i < count; i++) {
    const e = addr + i * MSR_ENTRY_SIZE;
    const index = mem.read32(e);
    if (mem.read32(e + 4) !== 0 || index === 0x9e || (index >>> 8) === 0x8) return i + 1;
    if (!msrs.readMsr(index >>> 0)) return i + 1;
    mem.write32(e + 8, msrs.lastLo);
    mem.write32(e + 12, msrs.lastHi);
  }
  return 0;
}
