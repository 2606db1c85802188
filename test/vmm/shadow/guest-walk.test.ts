// The software walk of a guest's 32-bit page tables, against the SDM's rules (Vol. 3 §4.3, §4.6).
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { GuestRam } from '../../../src/vmm/guest-memory.js';
import { GuestWalk, WalkStatus, walkGuest } from '../../../src/vmm/shadow/guest-walk.js';

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;

function guest() {
  const mem = new PhysicalMemory(8 * 1024 * 1024);
  const ram = new GuestRam(mem, 0x100000, 4 * 1024 * 1024); // GPA 0 = HPA 1 MiB
  const pd = 0x1000;
  const pt = 0x2000;
  ram.write32(pd + 0 * 4, pt | P | RW | US); // 0-4 MiB through a page table
  ram.write32(pd + 1 * 4, 0x000000 | P | PS); // 4-8 MiB: a 4 MiB page onto GPA 0, supervisor read-only
  ram.write32(pd + 2 * 4, 0x7ff000 | P | RW); // page table outside the 4 MiB of RAM
  ram.write32(pd + 3 * 4, 0x402000 | P | PS); // 4 MiB page with reserved bits 21:13 set
  ram.write32(pt + 5 * 4, 0x345000 | P | RW | US);
  ram.write32(pt + 6 * 4, 0x346000 | P); // supervisor read-only
  return { mem, ram, view: { paging: true, cr3: pd, pse: true, wp: false } };
}

describe('guest page-table walk', () => {
  it('translates 4 KiB and 4 MiB pages and sets A and D as the processor would', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    expect(walkGuest(ram, view, 0x5abc, true, true, true, w)).toBe(WalkStatus.OK);
    expect(w.gpa).toBe(0x345abc);
    expect(ram.read32(0x2000 + 5 * 4) & (A | D)).toBe(A | D);
    expect(ram.read32(0x1000) & A).toBe(A);
    expect(walkGuest(ram, view, 0x412345, false, false, true, w)).toBe(WalkStatus.OK);
    expect(w.gpa).toBe(0x012345);
    expect(w.pageShift).toBe(22);
  });

  it('without setAccessed it only reads', () => {
    const { ram, view } = guest();
    walkGuest(ram, view, 0x5abc, true, false, false, new GuestWalk());
    expect(ram.read32(0x2000 + 5 * 4) & (A | D)).toBe(0);
  });

  it('gives the #PF error code of each refusal', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    const pf = (lin: number, write: boolean, user: boolean, wp = false) => {
      expect(walkGuest(ram, { ...view, wp }, lin, write, user, false, w)).toBe(WalkStatus.PAGE_FAULT);
      return w.errorCode;
    };
    expect(pf(0x7000, false, false)).toBe(0); // PTE not present
    expect(pf(0x7000, true, true)).toBe(6); // ... by a user write
    expect(pf(0x6000, false, true)).toBe(5); // user read of a supervisor page: P|U
    expect(pf(0x6000, true, false, true)).toBe(3); // supervisor write, CR0.WP = 1: P|W
    expect(walkGuest(ram, view, 0x6000, true, false, false, w)).toBe(WalkStatus.OK); // WP = 0: allowed
    expect(pf(0x400000, true, true)).toBe(7);
    expect(pf(0xc00000, false, false)).toBe(1 | 8); // reserved bits in a 4 MiB PDE: P|RSVD
    expect(pf(0x1000000, false, false)).toBe(0); // PDE 4 not present
  });

  it('reports a page table outside the VM\'s RAM instead of following it', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    expect(walkGuest(ram, view, 0x800000, false, false, true, w)).toBe(WalkStatus.OUTSIDE_RAM);
    expect(w.gpa).toBe(0x7ff000);
    expect(walkGuest(ram, { ...view, cr3: 0xfffff000 }, 0, false, false, true, w)).toBe(WalkStatus.OUTSIDE_RAM);
  });

  it('with paging off, linear is guest-physical; without PSE a PS PDE points at a page table', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    expect(walkGuest(ram, { ...view, paging: false }, 0xdeadbeef, true, true, true, w)).toBe(WalkStatus.OK);
    expect(w.gpa).toBe(0xdeadbeef);
    expect(walkGuest(ram, { ...view, pse: false }, 0x400000, false, false, false, w)).toBe(WalkStatus.PAGE_FAULT); // PTE 0 of "table" at GPA 0 is 0
  });
});

describe('accessed flags on the way to a fault (as cpu/mmu/walk.ts and QEMU set them)', () => {
  it('a PDE that leads to a page table gets A even when the PTE then refuses the access', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    expect(walkGuest(ram, view, 0x7000, false, false, true, w)).toBe(WalkStatus.PAGE_FAULT); // PTE not present
    expect(ram.read32(0x1000) & A).toBe(A);
    expect(w.pde & A).toBe(A);
    expect(w.pdeGpa).toBe(0x1000);
    ram.write32(0x1000, ram.read32(0x1000) & ~A);
    expect(walkGuest(ram, view, 0x6000, true, true, true, w)).toBe(WalkStatus.PAGE_FAULT); // refused by U/S
    expect(ram.read32(0x1000) & A).toBe(A);
    expect(ram.read32(0x2000 + 6 * 4) & (A | D)).toBe(0); // the refused leaf stays untouched
  });

  it('a refused 4 MiB page gets neither A nor D; an allowed one gets them on its PDE', () => {
    const { ram, view } = guest();
    const w = new GuestWalk();
    expect(walkGuest(ram, view, 0x400000, true, true, true, w)).toBe(WalkStatus.PAGE_FAULT);
    expect(ram.read32(0x1000 + 4) & (A | D)).toBe(0);
    expect(walkGuest(ram, view, 0x400000, true, false, true, w)).toBe(WalkStatus.OK); // WP = 0
    expect(ram.read32(0x1000 + 4) & (A | D)).toBe(A | D);
    expect(w.leaf).toBe(w.pde);
    expect(w.pde & (A | D)).toBe(A | D);
  });
});
