// What a guest sees through the shadow tables, for every combination of U/S and R/W in the PDE and
// PTE (and in a 4 MiB PDE), CR0.WP 0 and 1, CPL 0 and 3, reads and writes: the outcome, #PF error
// code and accessed/dirty flags must be those of SDM Vol. 3 §4.6 (access rights), §4.7 (error code)
// and §4.8 (A/D), written out independently here.
import { describe, expect, it } from 'vitest';
import { A, D, MmuHarness, P, PF_P, PF_U, PF_W, PS, RW, US } from './mmu-harness.js';

const PD = 0x1000;
const PT = 0x2000;
const DATA = 0x300000;
const LIN_4K = 0x5000;
const LIN_4M = 0x400000 + 0x1234c;

/** SDM §4.6: user accesses need U/S at both levels and, to write, R/W at both levels; supervisor
 *  writes need R/W at both levels only with CR0.WP = 1. */
function sdmAllows(us: boolean, rw: boolean, wp: boolean, user: boolean, write: boolean): boolean {
  if (user) return us && (!write || rw);
  return !write || rw || !wp;
}

function sdmErrorCode(user: boolean, write: boolean): number {
  return PF_P | (write ? PF_W : 0) | (user ? PF_U : 0);
}

const bools = [false, true] as const;

describe('access rights through shadow tables (4 KiB pages)', () => {
  const h = new MmuHarness();
  const cases: [boolean, boolean, boolean, boolean, boolean, boolean, boolean][] = [];
  for (const pdeUs of bools) for (const pdeRw of bools) for (const pteUs of bools) for (const pteRw of bools) {
    for (const wp of bools) for (const user of bools) for (const write of bools) cases.push([pdeUs, pdeRw, pteUs, pteRw, wp, user, write]);
  }

  it.each(cases)('PDE us=%s rw=%s, PTE us=%s rw=%s, WP=%s, user=%s, write=%s', (pdeUs, pdeRw, pteUs, pteRw, wp, user, write) => {
    h.ram.write32(PD, PT | P | (pdeUs ? US : 0) | (pdeRw ? RW : 0));
    h.ram.write32(PT + 5 * 4, DATA | P | (pteUs ? US : 0) | (pteRw ? RW : 0));
    h.view.wp = wp;
    h.mmu.reset();
    h.load(PD);
    const r = h.access(LIN_4K + 0x10, write, user);
    if (sdmAllows(pdeUs && pteUs, pdeRw && pteRw, wp, user, write)) {
      expect(r).toEqual({ kind: 'ok', hpa: h.hpa(DATA + 0x10) });
      expect(h.pte(PT + 5 * 4) & (A | D)).toBe(write ? A | D : A);
    } else {
      expect(r).toEqual({ kind: 'pf', code: sdmErrorCode(user, write) });
      expect(h.pte(PT + 5 * 4) & (A | D)).toBe(0);
    }
    // The PDE is used to reach the page table either way (the processor sets its A then).
    expect(h.pte(PD) & A).toBe(A);
  });
});

describe('access rights through shadow tables (4 MiB pages, shadowed by 4 KiB ones)', () => {
  const h = new MmuHarness();
  const cases: [boolean, boolean, boolean, boolean, boolean][] = [];
  for (const us of bools) for (const rw of bools) for (const wp of bools) for (const user of bools) for (const write of bools) cases.push([us, rw, wp, user, write]);

  it.each(cases)('PDE us=%s rw=%s, WP=%s, user=%s, write=%s', (us, rw, wp, user, write) => {
    h.ram.write32(PD + 4, 0x400000 | P | PS | (us ? US : 0) | (rw ? RW : 0));
    h.view.wp = wp;
    h.mmu.reset();
    h.load(PD);
    const r = h.access(LIN_4M, write, user);
    if (sdmAllows(us, rw, wp, user, write)) {
      expect(r).toEqual({ kind: 'ok', hpa: h.hpa(LIN_4M) });
      expect(h.pte(PD + 4) & (A | D)).toBe(write ? A | D : A);
    } else {
      expect(r).toEqual({ kind: 'pf', code: sdmErrorCode(user, write) });
      expect(h.pte(PD + 4) & (A | D)).toBe(0);
    }
  });
});

describe('CR0.WP = 0: supervisor writes to read-only pages', () => {
  it('succeed, while user mode still sees the page read-only (the supervisor-only writable trick)', () => {
    const h = new MmuHarness();
    h.ram.write32(PD, PT | P | RW | US);
    h.ram.write32(PT + 5 * 4, DATA | P | US); // user, read-only
    h.view.wp = false;
    h.load(PD);
    expect(h.write(LIN_4K)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.pte(PT + 5 * 4) & D).toBe(D);
    expect(h.read(LIN_4K, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.lastHidden).toBe(1); // the supervisor-writable entry was supervisor-only
    expect(h.write(LIN_4K, true)).toEqual({ kind: 'pf', code: PF_P | PF_W | PF_U });
    expect(h.write(LIN_4K)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.lastHidden).toBe(1);
    expect(h.read(LIN_4K)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.lastHidden).toBe(0);
  });

  it('with WP = 1 the same supervisor write faults with P|W', () => {
    const h = new MmuHarness();
    h.ram.write32(PD, PT | P | RW | US);
    h.ram.write32(PT + 5 * 4, DATA | P | US);
    h.load(PD);
    expect(h.write(LIN_4K)).toEqual({ kind: 'pf', code: PF_P | PF_W });
  });
});

describe('not-present and reserved entries', () => {
  it('give P=0 faults, and a 4 MiB PDE with bits 21:13 set a reserved-bit fault', () => {
    const h = new MmuHarness();
    h.ram.write32(PD, PT | P | RW | US);
    h.ram.write32(PD + 8, 0x802000 | P | PS | RW); // reserved bit 13
    h.load(PD);
    expect(h.read(0x9000, true)).toEqual({ kind: 'pf', code: PF_U });
    expect(h.write(0x9000)).toEqual({ kind: 'pf', code: PF_W });
    expect(h.read(0xc00000)).toEqual({ kind: 'pf', code: 0 });
    expect(h.read(0x800000)).toEqual({ kind: 'pf', code: PF_P | 8 });
  });

  it('without CR4.PSE a PS PDE points at a page table', () => {
    const h = new MmuHarness();
    h.ram.write32(PD + 4, PT | P | PS | RW);
    h.ram.write32(PT + 1 * 4, DATA | P | RW);
    h.view.pse = false;
    h.load(PD);
    expect(h.read(0x401000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
  });
});

describe('the #PF filter (PFEC mask/match) of shadow mode', () => {
  it('with WP = 1 a P|U fault from the shadow is always the guest\'s own, with the same code', () => {
    // The shadow mode lets #PF with error code P|U go to the guest without an exit. Check the
    // claim: whenever the shadow walk refuses a user read with P|U, the guest's tables do too.
    const h = new MmuHarness();
    let seen = 0;
    for (const pdeUs of bools) for (const pteUs of bools) for (const rw of bools) for (const kernelWrite of bools) {
      h.ram.write32(PD, PT | P | RW | (pdeUs ? US : 0));
      h.ram.write32(PT + 5 * 4, DATA | P | (pteUs ? US : 0) | (rw ? RW : 0));
      h.mmu.reset();
      h.load(PD);
      h.access(LIN_4K, kernelWrite, false); // the kernel touches the page first
      const w = h.shadowWalk(LIN_4K, false, true);
      if (w.hpa < 0 && w.pfec === (PF_P | PF_U)) {
        seen++;
        expect(pdeUs && pteUs).toBe(false);
        expect(h.read(LIN_4K, true)).toEqual({ kind: 'pf', code: PF_P | PF_U });
      }
    }
    // Every supervisor-only combination (3 × R/W × read-or-write first), except the 3 where the
    // kernel's write to a read-only page faulted and left nothing in the shadow (a P=0 fault).
    expect(seen).toBe(9);
  });
});
