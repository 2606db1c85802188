// Side-effect-free page walks for the debugger (`pt`, `x`, gdb memory reads): the 32-bit two-level
// walk with 4 MiB pages (SDM Vol. 3 §4.3) over the guest's tables or the hypervisor's shadow tables,
// and the 4-level EPT walk (SDM Vol. 3 §29.3.2). Unlike the MMU they set no accessed/dirty bits, fill
// no TLB and raise nothing: they report each level and where the walk ended.
import { EPTE } from '../cpu/vmx/ept-format.js';
import { Pte } from '../cpu/mmu/paging-defs.js';
import { hex } from '../common/hex.js';
import type { Walk, WalkStep } from './target.js';

/** Reads a dword of physical memory (of the walk's own address space); null outside it. */
export type PhysRead32 = (addr: number) => number | null;

const PDE_4M_FRAME = 0xffc00000;
const PTE_FRAME = 0xfffff000;

function pteFlags(e: number, pde: boolean): string {
  const f: string[] = [];
  f.push((e & Pte.P) !== 0 ? 'P' : 'not-present');
  if ((e & Pte.P) === 0) return f.join(' ');
  f.push((e & Pte.RW) !== 0 ? 'RW' : 'RO');
  f.push((e & Pte.US) !== 0 ? 'US' : 'S');
  if ((e & Pte.PWT) !== 0) f.push('PWT');
  if ((e & Pte.PCD) !== 0) f.push('PCD');
  if ((e & Pte.A) !== 0) f.push('A');
  if ((e & Pte.D) !== 0) f.push('D');
  if (pde && (e & Pte.PS) !== 0) f.push('PS');
  if ((e & Pte.G) !== 0) f.push('G');
  return f.join(' ');
}

/**
 * The 32-bit walk of `linear` from the page directory at `cr3` (PSE: 4 MiB pages when `pse`).
 * `paging` false means paging is off: linear is physical.
 */
export function walk32(title: string, linear: number, cr3: number, paging: boolean, pse: boolean, read: PhysRead32, prefix = ''): Walk {
  linear >>>= 0;
  if (!paging) return { title, steps: [], result: linear, fault: undefined };
  const steps: WalkStep[] = [];
  const pdIndex = linear >>> 22;
  const pdeAddr = ((cr3 & PTE_FRAME) + pdIndex * 4) >>> 0;
  const pde = read(pdeAddr);
  if (pde === null) return { title, steps, result: null, fault: `page directory entry at ${hex(pdeAddr)} is outside memory` };
  steps.push({ level: `${prefix}PDE`, index: pdIndex, entryAddress: pdeAddr, entry: pde >>> 0, note: pteFlags(pde, true) });
  if ((pde & Pte.P) === 0) return { title, steps, result: null, fault: 'not present (PDE)' };
  if (pse && (pde & Pte.PS) !== 0) {
    return { title, steps, result: (((pde & PDE_4M_FRAME) >>> 0) + (linear & 0x3fffff)) >>> 0 };
  }
  const ptIndex = (linear >>> 12) & 0x3ff;
  const pteAddr = ((pde & PTE_FRAME) + ptIndex * 4) >>> 0;
  const pte = read(pteAddr);
  if (pte === null) return { title, steps, result: null, fault: `page table entry at ${hex(pteAddr)} is outside memory` };
  steps.push({ level: `${prefix}PTE`, index: ptIndex, entryAddress: pteAddr, entry: pte >>> 0, note: pteFlags(pte, false) });
  if ((pte & Pte.P) === 0) return { title, steps, result: null, fault: 'not present (PTE)' };
  return { title, steps, result: (((pte & PTE_FRAME) >>> 0) + (linear & 0xfff)) >>> 0 };
}

const EPT_LEVELS = ['PTE', 'PDE', 'PDPTE', 'PML4E'] as const;

function eptFlags(lo: number, leaf: boolean): string {
  const rwx = `${(lo & EPTE.R) !== 0 ? 'r' : '-'}${(lo & EPTE.W) !== 0 ? 'w' : '-'}${(lo & EPTE.X) !== 0 ? 'x' : '-'}`;
  const f = [rwx];
  if (leaf) f.push(`memtype ${(lo & EPTE.MEMTYPE_MASK) >>> EPTE.MEMTYPE_SHIFT}`);
  if ((lo & EPTE.PS) !== 0) f.push('PS');
  if ((lo & EPTE.ACCESSED) !== 0) f.push('A');
  if ((lo & EPTE.DIRTY) !== 0) f.push('D');
  return f.join(' ');
}

/** The EPT walk of guest-physical `gpa` from the PML4 table at `pml4` (host-physical). */
export function walkEpt(gpa: number, pml4: number, read: PhysRead32): Walk {
  const title = 'EPT';
  gpa >>>= 0;
  const steps: WalkStep[] = [];
  let table = (pml4 & PTE_FRAME) >>> 0;
  // Index per level (1 = PT ... 4 = PML4): bits 20:12, 29:21, 38:30, 47:39 (always 0 with 32 bits).
  const indexes = [(gpa >>> 12) & 0x1ff, (gpa >>> 21) & 0x1ff, (gpa >>> 30) & 0x1ff, 0];
  for (let level = 4; level >= 1; level--) {
    const index = indexes[level - 1]!;
    const addr = (table + index * 8) >>> 0;
    const lo = read(addr);
    const hi = read(addr + 4);
    if (lo === null || hi === null) return { title, steps, result: null, fault: `EPT entry at ${hex(addr)} is outside memory` };
    const leaf = level === 1 || (level === 2 && (lo & EPTE.PS) !== 0);
    const name = `EPT ${EPT_LEVELS[level - 1]!}`;
    steps.push({ level: name, index, entryAddress: addr, entry: lo >>> 0, note: (lo & EPTE.RWX) === 0 ? 'not-present' : eptFlags(lo, leaf) });
    if ((lo & EPTE.RWX) === 0) return { title, steps, result: null, fault: `not present (${name}): an access is an EPT violation` };
    if (hi !== 0) return { title, steps, result: null, fault: `reserved bits set in ${name}: EPT misconfiguration` };
    if (leaf) {
      const mask = level === 2 ? 0x1fffff : 0xfff;
      const base = level === 2 ? (lo & EPTE.FRAME_2M_MASK) >>> 0 : (lo & EPTE.FRAME_MASK) >>> 0;
      return { title, steps, result: (base + (gpa & mask)) >>> 0 };
    }
    table = (lo & EPTE.FRAME_MASK) >>> 0;
  }
  return { title, steps, result: null, fault: 'walk ended without a leaf' };
}
