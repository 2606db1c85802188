// The one place where a guest-physical address becomes a host-physical one. Every guest-physical
// access goes through guestToHost(): data and fetch translations installed in the TLB, and the page
// walk's own PDE/PTE reads and accessed/dirty writes. Outside VMX non-root (or without EPT) it is
// the identity; the VMX layer installs a second stage (EPT, src/cpu/mmu/ept.ts) in Cpu.secondStage.
import type { Cpu } from '../state.js';

/** Why a guest-physical address is being accessed (the EPT violation qualification needs it). */
export const PhysAccess = {
  READ: 0,
  WRITE: 1,
  FETCH: 2,
  /** Reading a paging-structure entry during a linear-address walk. */
  WALK_READ: 3,
  /** Setting accessed/dirty bits in a paging-structure entry. */
  WALK_WRITE: 4,
} as const;
export type PhysAccess = (typeof PhysAccess)[keyof typeof PhysAccess];

/** A second translation stage (EPT). `translate` returns the host-physical address or ends the
 *  instruction (it records a VM exit and throws the run loop's VM_EXIT sentinel). When the final
 *  translation is installed in the TLB, `restricted` (set by the last translate) says the second
 *  stage does not allow every kind of access to the page (read, write and execute): the entry is
 *  then marked so that every access walks again and the second stage checks it. */
export interface SecondStage {
  translate(cpu: Cpu, gpa: number, access: PhysAccess, linear: number, linearValid: boolean): number;
  readonly restricted: boolean;
}

export function guestToHost(cpu: Cpu, gpa: number, access: PhysAccess, linear: number, linearValid: boolean): number {
  const s = cpu.secondStage;
  return s === null ? gpa : s.translate(cpu, gpa, access, linear, linearValid);
}

/** Reads a host-physical dword of a paging structure (descriptor tables go through the TLB instead);
 *  each call is one page-walk memory reference for the cost model (Cpu.walkRefs). */
export function hostRead32(cpu: Cpu, hpa: number): number {
  cpu.walkRefs++;
  return cpu.mem.read32(hpa);
}

/** Writes a host-physical dword (an accessed/dirty update) through PhysicalMemory so decode-cache
 *  invalidation sees it; one page-walk memory reference. */
export function hostWrite32(cpu: Cpu, hpa: number, value: number): void {
  cpu.walkRefs++;
  cpu.mem.write32(hpa, value);
}
