// The 32-bit two-level page walk (SDM Vol. 3 §4.3) with 4 MiB pages under CR4.PSE, run on a TLB
// miss. It checks permissions (U/S, R/W with CR0.WP), sets accessed and dirty bits the way hardware
// (and QEMU, our reference machine) does, and installs the combined translation in the TLB. Faults
// raise #PF with CR2 and the SDM §4.7 error code.
import { CR0, CR4 } from '../control-regs.js';
import { raisePF } from '../fault.js';
import type { Cpu } from '../state.js';
import { PDE_4M_FRAME, PDE_4M_RESERVED, PTE_FRAME, PfErr, Pte } from './paging-defs.js';
import { PhysAccess, guestToHost, hostRead32, hostWrite32 } from './phys.js';
import { TlbBit } from './tlb.js';

/** Direction of the access being translated. */
export const Access = { READ: 0, WRITE: 1, FETCH: 2 } as const;
export type Access = (typeof Access)[keyof typeof Access];

function finalEntry(cpu: Cpu, gpa: number, access: Access, lin: number, perm: number): number {
  const pa = access === Access.WRITE ? PhysAccess.WRITE : access === Access.FETCH ? PhysAccess.FETCH : PhysAccess.READ;
  const hpa = guestToHost(cpu, gpa, pa, lin, true);
  let e = (hpa & PTE_FRAME) | TlbBit.VALID | perm;
  if (cpu.secondStage !== null && cpu.secondStage.restricted) e |= TlbBit.RESTRICTED;
  if ((hpa >>> 0) >= cpu.memSize) e |= TlbBit.SLOW;
  return e;
}

function pageFault(cpu: Cpu, lin: number, code: number, access: Access, user: boolean): never {
  if (access === Access.WRITE) code |= PfErr.W;
  if (user) code |= PfErr.U;
  cpu.cr2BeforeFault = cpu.cr2;
  cpu.cr2 = lin;
  return raisePF(code);
}

/**
 * Translates linear address `lin` for one access, installs the translation in the TLB and returns the
 * entry. `user` is true for accesses made at CPL 3 (not for implicit supervisor accesses such as
 * descriptor-table or TSS reads, SDM §4.6.1).
 */
export function tlbFill(cpu: Cpu, lin: number, access: Access, user: boolean): number {
  const page = lin >>> 12;
  if ((cpu.cr0 & CR0.PG) === 0) {
    const e = finalEntry(cpu, lin & PTE_FRAME, access, lin, 0);
    cpu.tlb.insert(page, e);
    return e;
  }
  const write = access === Access.WRITE;
  const wp = (cpu.cr0 & CR0.WP) !== 0;

  const pdeGpa = (cpu.cr3 & PTE_FRAME) | ((lin >>> 22) << 2);
  const pdeHpa = guestToHost(cpu, pdeGpa, PhysAccess.WALK_READ, lin, true);
  let pde = hostRead32(cpu, pdeHpa);
  if ((pde & Pte.P) === 0) return pageFault(cpu, lin, 0, access, user);

  if ((pde & Pte.PS) !== 0 && (cpu.cr4 & CR4.PSE) !== 0) {
    if ((pde & PDE_4M_RESERVED) !== 0) return pageFault(cpu, lin, PfErr.P | PfErr.RSVD, access, user);
    const us = (pde & Pte.US) !== 0;
    const rw = (pde & Pte.RW) !== 0;
    checkProtection(cpu, lin, access, user, us, rw, wp);
    const set = Pte.A | (write ? Pte.D : 0);
    if ((pde & set) !== set) {
      pde |= set;
      hostWrite32(cpu, guestToHost(cpu, pdeGpa, PhysAccess.WALK_WRITE, lin, true), pde);
    }
    const perm = permBits(us, rw, wp, (pde & Pte.D) !== 0, (pde & Pte.G) !== 0 && (cpu.cr4 & CR4.PGE) !== 0);
    const e = finalEntry(cpu, (pde & PDE_4M_FRAME) | (lin & 0x003ff000), access, lin, perm);
    cpu.tlb.insert(page, e);
    return e;
  }

  // The PDE references a page table: its accessed bit is set as soon as it is used, before the PTE
  // is even read (QEMU mmu_translate does the same; SDM §4.8 allows it).
  if ((pde & Pte.A) === 0) {
    pde |= Pte.A;
    hostWrite32(cpu, guestToHost(cpu, pdeGpa, PhysAccess.WALK_WRITE, lin, true), pde);
  }
  const pteGpa = (pde & PTE_FRAME) | (((lin >>> 12) & 0x3ff) << 2);
  const pteHpa = guestToHost(cpu, pteGpa, PhysAccess.WALK_READ, lin, true);
  let pte = hostRead32(cpu, pteHpa);
  if ((pte & Pte.P) === 0) return pageFault(cpu, lin, 0, access, user);
  const us = (pde & pte & Pte.US) !== 0;
  const rw = (pde & pte & Pte.RW) !== 0;
  checkProtection(cpu, lin, access, user, us, rw, wp);
  const set = Pte.A | (write ? Pte.D : 0);
  if ((pte & set) !== set) {
    pte |= set;
    hostWrite32(cpu, guestToHost(cpu, pteGpa, PhysAccess.WALK_WRITE, lin, true), pte);
  }
  const perm = permBits(us, rw, wp, (pte & Pte.D) !== 0, (pte & Pte.G) !== 0 && (cpu.cr4 & CR4.PGE) !== 0);
  const e = finalEntry(cpu, pte & PTE_FRAME, access, lin, perm);
  cpu.tlb.insert(page, e);
  return e;
}

function checkProtection(cpu: Cpu, lin: number, access: Access, user: boolean, us: boolean, rw: boolean, wp: boolean): void {
  if (user && !us) pageFault(cpu, lin, PfErr.P, access, user);
  if (access === Access.WRITE && !rw && (user || wp)) pageFault(cpu, lin, PfErr.P, access, user);
}

/** TLB permission bits: writes miss until the dirty bit is set, so the first write walks and sets it. */
function permBits(us: boolean, rw: boolean, wp: boolean, dirty: boolean, global: boolean): number {
  let b = global ? TlbBit.GLOBAL : 0;
  if (!us) b |= TlbBit.NO_USER | TlbBit.NO_WRITE_USER;
  if (!rw || !dirty) b |= TlbBit.NO_WRITE_USER;
  if ((!rw && wp) || !dirty) b |= TlbBit.NO_WRITE_SUP;
  return b;
}
