// A software walk of the guest's own 32-bit page tables (SDM Vol. 3 §4.3, 4 KiB pages and, with
// CR4.PSE, 4 MiB pages), the way a real hypervisor's instruction emulator walks them: to emulate a
// string I/O instruction, to read a hypercall's buffer, and (issue 5) to fill shadow page tables.
// The guest's tables are guest-physical; a paging structure outside the VM's RAM is reported, never
// followed. Allocation-free: results go into a GuestWalk record the caller keeps.
import { PFEC, PTE } from '../arch-defs.js';

/** Guest-physical memory as the walker reads it. */
export interface GuestPhysAccess {
  /** True when [gpa, gpa + len) is inside the VM's RAM. */
  contains(gpa: number, len: number): boolean;
  read32(gpa: number): number;
  write32(gpa: number, value: number): void;
}

export const WalkStatus = {
  OK: 0,
  /** A page fault: `errorCode` holds the #PF error code to inject (CR2 = the linear address). */
  PAGE_FAULT: 1,
  /** A page directory or page table outside the VM's RAM: on hardware an EPT violation. */
  OUTSIDE_RAM: 2,
} as const;
export type WalkStatus = (typeof WalkStatus)[keyof typeof WalkStatus];

/** Bits 21:13 of a 4 MiB PDE: reserved without PSE-36 (SDM Vol. 3 Table 4-4); set → #PF with RSVD. */
const PDE_4M_RESERVED = 0x003fe000;

export class GuestWalk {
  status: WalkStatus = WalkStatus.OK;
  /** The guest-physical address (OK). */
  gpa = 0;
  /** The #PF error code (PAGE_FAULT). */
  errorCode = 0;
  /** Guest-physical address of the leaf entry (PTE, or PDE of a 4 MiB page); -1 with paging off. */
  leafGpa = -1;
  /** The leaf entry's value. */
  leaf = 0;
  /** 22 for a 4 MiB page, 12 for a 4 KiB one. */
  pageShift = 12;
  /** Guest-physical address and value (accessed flag included once set) of the PDE the walk used;
   *  -1 / 0 with paging off. For a 4 MiB page the PDE is also the leaf. */
  pdeGpa = -1;
  pde = 0;
}

/** The parts of the guest's control registers a walk depends on (the guest's view, not the VMCS's). */
export interface GuestPagingView {
  /** CR0.PG as the guest set it. */
  readonly paging: boolean;
  /** CR3 as the guest set it (guest-physical page-directory base in bits 31:12). */
  readonly cr3: number;
  /** CR4.PSE as the guest set it. */
  readonly pse: boolean;
  /** CR0.WP: supervisor writes honour read-only pages. */
  readonly wp: boolean;
}

/**
 * Translates `linear` for an access of the given kind. With `setAccessed`, sets the accessed flags
 * (and the dirty flag of the leaf on a write) as the processor would for the same access; without
 * it the walk only reads. Returns out.status.
 */
export function walkGuest(
  phys: GuestPhysAccess,
  view: GuestPagingView,
  linear: number,
  write: boolean,
  user: boolean,
  setAccessed: boolean,
  out: GuestWalk,
): WalkStatus {
  linear >>>= 0;
  out.errorCode = 0;
  if (!view.paging) {
    out.gpa = linear;
    out.leafGpa = -1;
    out.leaf = 0;
    out.pageShift = 12;
    out.pdeGpa = -1;
    out.pde = 0;
    return (out.status = WalkStatus.OK);
  }
  const access = (write ? PFEC.W : 0) | (user ? PFEC.U : 0);
  const pdeGpa = ((view.cr3 & PTE.FRAME) + ((linear >>> 22) << 2)) >>> 0;
  if (!phys.contains(pdeGpa, 4)) return outside(out, pdeGpa);
  let pde = phys.read32(pdeGpa);
  out.pdeGpa = pdeGpa;
  out.pde = pde;
  if ((pde & PTE.P) === 0) return fault(out, access);
  if (view.pse && (pde & PTE.PS) !== 0) {
    if ((pde & PDE_4M_RESERVED) !== 0) return fault(out, access | PFEC.P | PFEC.RSVD);
    if (!allowed(pde, pde, write, user, view.wp)) return fault(out, access | PFEC.P);
    if (setAccessed) pde = setFlags(phys, pdeGpa, pde, write);
    out.gpa = ((pde & PTE.FRAME_4M) | (linear & 0x3fffff)) >>> 0;
    out.leafGpa = pdeGpa;
    out.leaf = pde;
    out.pde = pde;
    out.pageShift = 22;
    return (out.status = WalkStatus.OK);
  }
  const pteGpa = ((pde & PTE.FRAME) + (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
  if (!phys.contains(pteGpa, 4)) return outside(out, pteGpa);
  // The processor sets a PDE's accessed flag as soon as it uses it to reach a page table, before it
  // reads the PTE, so also on a walk that then faults (cpu/mmu/walk.ts; QEMU does the same).
  if (setAccessed && (pde & PTE.A) === 0) {
    pde |= PTE.A;
    phys.write32(pdeGpa, pde);
    out.pde = pde;
  }
  let pte = phys.read32(pteGpa);
  if ((pte & PTE.P) === 0) return fault(out, access);
  if (!allowed(pde, pte, write, user, view.wp)) return fault(out, access | PFEC.P);
  if (setAccessed) pte = setFlags(phys, pteGpa, pte, write);
  out.gpa = ((pte & PTE.FRAME) | (linear & 0xfff)) >>> 0;
  out.leafGpa = pteGpa;
  out.leaf = pte;
  out.pageShift = 12;
  return (out.status = WalkStatus.OK);
}

/** SDM Vol. 3 §4.6: user accesses need U/S at both levels; writes need R/W at both levels, except
 *  supervisor writes with CR0.WP = 0. */
function allowed(pde: number, leaf: number, write: boolean, user: boolean, wp: boolean): boolean {
  if (user && ((pde & leaf & PTE.US) === 0)) return false;
  if (write && (user || wp) && (pde & leaf & PTE.RW) === 0) return false;
  return true;
}

/** Sets A (and D for a write) in a leaf entry; returns the entry as it now is. */
function setFlags(phys: GuestPhysAccess, gpa: number, entry: number, write: boolean): number {
  const want = entry | PTE.A | (write ? PTE.D : 0);
  if (want !== entry) phys.write32(gpa, want);
  return want;
}

function fault(out: GuestWalk, errorCode: number): WalkStatus {
  out.errorCode = errorCode;
  return (out.status = WalkStatus.PAGE_FAULT);
}

function outside(out: GuestWalk, gpa: number): WalkStatus {
  out.gpa = gpa;
  return (out.status = WalkStatus.OUTSIDE_RAM);
}
