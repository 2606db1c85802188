// The shadow MMU on hand-built guest page tables: accessed/dirty flags set exactly when the
// processor would set them, write protection of guest page tables and resync of changed entries,
// INVLPG, and the cache of shadow roots across CR3 switches with its LRU bounds.
import { describe, expect, it } from 'vitest';
import { A, D, MmuHarness, P, PS, RW, US } from './mmu-harness.js';

const PD = 0x1000;
const PT = 0x2000;
const DATA = 0x300000;
const DATA2 = 0x301000;

/** PD at 0x1000: PDE 0 -> PT (user, writable), PDE 1 -> a 4 MiB page at 4 MiB; PT maps linear
 *  0-1 MiB onto itself (so the tables are reachable) and 0x5000 -> DATA, all user writable. */
function kernel(h: MmuHarness, ptFlags = P | RW | US): void {
  h.ram.write32(PD, PT | ptFlags);
  h.ram.write32(PD + 4, 0x400000 | P | RW | US | PS);
  for (let i = 0; i < 256; i++) if (i !== 5) h.ram.write32(PT + i * 4, (i << 12) | P | RW);
  h.ram.write32(PT + 5 * 4, DATA | P | RW | US);
}

describe('accessed and dirty flags', () => {
  it('a read sets A only and maps read-only; the first write sets D through a hidden fault', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    expect(h.read(0x5004)).toEqual({ kind: 'ok', hpa: h.hpa(DATA + 4) });
    expect(h.pte(PT + 20) & (A | D)).toBe(A);
    expect(h.shadowWalk(0x5004, true, false).hpa).toBe(-1); // read-only until the first write
    expect(h.write(0x5004)).toEqual({ kind: 'ok', hpa: h.hpa(DATA + 4) });
    expect(h.lastHidden).toBe(1);
    expect(h.pte(PT + 20) & (A | D)).toBe(A | D);
    expect(h.write(0x5008, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA + 8) });
    expect(h.lastHidden).toBe(0);
  });

  it('an entry the guest already marked dirty is mapped writable at once', () => {
    const h = new MmuHarness();
    kernel(h);
    h.ram.write32(PT + 20, DATA | P | RW | US | A | D);
    h.load(PD);
    h.read(0x5000);
    expect(h.shadowWalk(0x5000, true, true).hpa).toBe(h.hpa(DATA));
  });

  it('when the guest clears A and D the shadow entry goes, and the next accesses set them again', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.write(0x5000);
    h.guestStore(PT + 20, h.pte(PT + 20) & ~(A | D)); // the PT is write-protected: this is the emulated write
    expect(h.stats.zaps).toBe(1);
    h.mmu.invlpg(h.view, 0x5000);
    expect(h.read(0x5000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.lastHidden).toBe(1);
    expect(h.pte(PT + 20) & (A | D)).toBe(A);
    h.write(0x5000);
    expect(h.pte(PT + 20) & (A | D)).toBe(A | D);
  });

  it('the guest setting A or D itself keeps the shadow entry', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.read(0x5000);
    h.guestStore(PT + 20, h.pte(PT + 20) | D);
    expect(h.stats.zaps).toBe(0);
  });

  it('a 4 MiB page keeps A and D in its PDE; its 4 KiB pieces become writable once D is set', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    expect(h.read(0x400010)).toEqual({ kind: 'ok', hpa: h.hpa(0x400010) });
    expect(h.pte(PD + 4) & (A | D)).toBe(A);
    expect(h.write(0x400010)).toEqual({ kind: 'ok', hpa: h.hpa(0x400010) });
    expect(h.pte(PD + 4) & (A | D)).toBe(A | D);
    expect(h.write(0x7ff000)).toEqual({ kind: 'ok', hpa: h.hpa(0x7ff000) });
    expect(h.lastHidden).toBe(0); // the dirty direct table was filled whole when linked
  });

  it('with paging off the identity root maps guest-physical = linear, inside RAM only', () => {
    const h = new MmuHarness();
    h.load(0, false);
    expect(h.write(0x123456)).toEqual({ kind: 'ok', hpa: h.hpa(0x123456) });
    expect(h.read(8 * 1024 * 1024)).toEqual({ kind: 'outside', gpa: 8 * 1024 * 1024 });
  });
});

describe('write protection of guest page tables', () => {
  it('a shadowed page table is read-only in the shadow: writes to it come back for emulation', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    expect(h.read(0x5000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) }); // shadows PD and PT
    expect(h.read(PT + 20)).toEqual({ kind: 'ok', hpa: h.hpa(PT + 20) });
    expect(h.write(PT + 20)).toEqual({ kind: 'protected', gpa: PT + 20 });
    expect(h.write(PD)).toEqual({ kind: 'protected', gpa: PD });
    expect(h.pte(PT + 2 * 4) & D).toBe(D); // the write counts as one for the page's dirty flag
  });

  it('a frame that becomes a page table loses its writable mappings, and their cached translations', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    expect(h.write(0x9000)).toEqual({ kind: 'ok', hpa: h.hpa(0x9000) }); // a data page, writable
    h.clearFlushes();
    h.guestStore(PD + 8, 0x9000 | P | RW); // ... now the page table of 8-12 MiB
    h.ram.write32(0x9000 + 4, DATA2 | P | RW);
    expect(h.read(0x801000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA2) });
    expect(h.flushedPages).toContain(0x9000);
    expect(h.write(0x9004)).toEqual({ kind: 'protected', gpa: 0x9004 });
  });

  it('a changed entry is dropped at once: the next access sees the new mapping', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.write(0x5000);
    h.guestStore(PT + 20, DATA2 | P | RW | US);
    h.mmu.invlpg(h.view, 0x5000);
    expect(h.read(0x5000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA2) });
    h.guestStore(PT + 20, 0);
    h.mmu.invlpg(h.view, 0x5000);
    expect(h.read(0x5000)).toEqual({ kind: 'pf', code: 0 });
  });

  it('a changed PDE drops the whole page table below it and flushes', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.read(0x5000);
    h.ram.write32(0x7000 + 20, DATA2 | P | RW | US);
    h.clearFlushes();
    h.guestStore(PD, 0x7000 | P | RW | US);
    expect(h.fullFlushes).toBe(1);
    expect(h.read(0x5000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA2) });
  });

  it('INVLPG re-reads the entry even if a write got past the protection', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.read(0x5000);
    h.ram.write32(PT + 20, DATA2 | P | RW | US); // e.g. a DMA-like write the MMU was not told about
    h.clearFlushes();
    h.mmu.invlpg(h.view, 0x5000);
    expect(h.flushedPages).toEqual([0x5000]);
    expect(h.read(0x5000)).toEqual({ kind: 'ok', hpa: h.hpa(DATA2) });
  });

  it('INVLPG of an address in a 4 MiB page drops all its 4 KiB pieces', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.read(0x400000);
    h.clearFlushes();
    h.mmu.invlpg(h.view, 0x512345);
    expect(h.fullFlushes).toBe(1);
  });

  it('a page table written again and again without being used stops being shadowed (flooding)', () => {
    const h = new MmuHarness();
    kernel(h);
    h.ram.write32(PD + 8, 0x9000 | P | RW);
    h.ram.write32(0x9000, DATA | P | RW);
    h.load(PD);
    h.read(0x800000); // shadows 0x9000 as a page table
    expect(h.mmu.isProtected(9)).toBe(true);
    for (let i = 0; i < 3; i++) h.guestStore(0x9000 + 0x800 + i * 4, 0x12345678);
    expect(h.stats.unshadowed).toBe(1);
    expect(h.mmu.isProtected(9)).toBe(false);
    expect(h.write(0x9800)).toEqual({ kind: 'ok', hpa: h.hpa(0x9800) });
  });

  it('the page directory in use is never unshadowed, however often it is written', () => {
    const h = new MmuHarness();
    kernel(h);
    h.load(PD);
    h.read(0x5000);
    for (let i = 0; i < 10; i++) h.guestStore(PD + 0x800 + i * 4, 0);
    expect(h.mmu.isProtected(1)).toBe(true);
    expect(h.write(PD)).toEqual({ kind: 'protected', gpa: PD });
  });
});

describe('the cache of shadow roots', () => {
  /** A second address space: a page directory at `pd` sharing the kernel's page table, with its
   *  own page table at `pt` mapping 0x40000000 onto `frame`. */
  function space(h: MmuHarness, pd: number, pt: number, frame: number): void {
    h.ram.write32(pd, PT | P | RW | US);
    h.ram.write32(pd + (0x40000000 >>> 22) * 4, pt | P | RW | US);
    h.ram.write32(pt, frame | P | RW | US);
  }

  it('switching back to an address space reuses its shadow: no hidden faults', () => {
    const h = new MmuHarness();
    kernel(h);
    space(h, 0x10000, 0x11000, DATA);
    space(h, 0x20000, 0x21000, DATA2);
    h.load(0x10000);
    expect(h.write(0x40000000, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    h.load(0x20000);
    expect(h.write(0x40000000, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA2) });
    h.load(0x10000);
    expect(h.write(0x40000000, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) });
    expect(h.lastHidden).toBe(0);
    expect(h.write(0x5000, true)).toEqual({ kind: 'ok', hpa: h.hpa(DATA) }); // the shared kernel table
    expect(h.stats.rootHits).toBe(1);
    expect(h.stats.rootMisses).toBe(2);
    expect(h.stats.staleOnReuse).toBe(0);
  });

  it('a cached root follows changes the guest made while another address space was current', () => {
    const h = new MmuHarness();
    kernel(h);
    space(h, 0x10000, 0x11000, DATA);
    space(h, 0x20000, 0x21000, DATA2);
    h.load(0x10000);
    h.read(0x40000000);
    h.load(0x20000);
    h.guestStore(0x11000, 0x302000 | P | RW | US); // remap in the other address space's table
    h.guestStore(0x10000 + 4 * 0x101, 0x11000 | P | RW | US); // and add a PDE there
    h.load(0x10000);
    expect(h.read(0x40000000)).toEqual({ kind: 'ok', hpa: h.hpa(0x302000) });
    expect(h.read(0x40400000)).toEqual({ kind: 'ok', hpa: h.hpa(0x302000) });
    expect(h.stats.staleOnReuse).toBe(0);
  });

  it('is bounded in roots: the least recently used one is evicted', () => {
    const h = new MmuHarness(8, { maxPages: 64, maxRoots: 2 });
    kernel(h);
    space(h, 0x10000, 0x11000, DATA);
    space(h, 0x20000, 0x21000, DATA2);
    space(h, 0x30000, 0x31000, DATA);
    h.load(0x10000);
    h.load(0x20000);
    h.load(0x10000); // now 0x20000 is the least recently used
    h.load(0x30000);
    expect(h.stats.rootEvictions).toBe(1);
    expect(h.mmu.cachedRoots().map((r) => r.gfn)).toEqual([0x10, 0x30]);
    h.load(0x20000);
    expect(h.stats.rootMisses).toBe(4);
    expect(h.mmu.isProtected(0x10)).toBe(false); // evicted: no longer shadowed, no longer protected
  });

  it('is bounded in pages: past the budget roots go, and then everything is rebuilt, still correct', () => {
    const h = new MmuHarness(64, { maxPages: 6, maxRoots: 4 });
    kernel(h);
    // 12 page tables under one page directory: more than the budget holds at once.
    for (let i = 0; i < 12; i++) {
      const pt = 0x100000 + i * 0x1000;
      h.ram.write32(PD + (8 + i) * 4, pt | P | RW | US);
      h.ram.write32(pt + 4 * i, (0x800000 + i * 0x1000) | P | RW | US);
    }
    space(h, 0x10000, 0x11000, DATA);
    h.load(0x10000);
    h.read(0x40000000);
    h.load(PD);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 12; i++) {
        const lin = ((8 + i) << 22) + i * 0x1000 + 8;
        expect(h.write(lin)).toEqual({ kind: 'ok', hpa: h.hpa(0x800000 + i * 0x1000 + 8) });
      }
    }
    expect(h.stats.rootEvictions).toBe(1);
    expect(h.stats.resets).toBeGreaterThan(0);
    expect(h.stats.peakPages).toBeLessThanOrEqual(6);
    expect(h.frames.free).toBeGreaterThan(0);
  });
});

describe('saved state', () => {
  it('restoring host memory and the JSON state brings back the same shadows: a replay gives the same results', () => {
    const h = new MmuHarness(8, { maxPages: 8, maxRoots: 3 });
    kernel(h);
    for (const [pd, pt] of [[0x10000, 0x11000], [0x20000, 0x21000], [0x30000, 0x31000]] as const) {
      h.ram.write32(pd, PT | P | RW | US);
      h.ram.write32(pd + (0x40000000 >>> 22) * 4, pt | P | RW | US);
      h.ram.write32(pt, DATA | P | RW | US);
    }
    h.load(0x10000);
    h.write(0x40000000, true);
    h.load(0x20000);
    h.read(0x5000);
    const memory = h.mem.u8.slice();
    const state = JSON.parse(JSON.stringify(h.mmu.saveState()));
    const replay = (): string[] => {
      const log: string[] = [];
      const step = (what: string, r: unknown): void => {
        log.push(`${what} ${JSON.stringify(r)} hidden=${h.lastHidden} root=${h.root}`);
      };
      step('w', h.write(0x5000));
      h.guestStore(0x21000, DATA2 | P | RW | US);
      step('r', h.read(0x40000000, true));
      h.load(0x30000);
      step('w', h.write(0x40000000, true));
      h.load(0x10000);
      step('r', h.read(0x40000000, true));
      step('w', h.write(PT + 20));
      log.push(JSON.stringify(h.mmu.saveState()));
      return log;
    };
    const first = replay();
    h.mem.u8.set(memory);
    h.tlb.clear();
    h.mmu.loadState(state);
    h.root = h.mmu.current!.hpa;
    h.view.cr3 = 0x20000; // the guest's CR3 at the snapshot (the vCPU's state, restored apart)
    expect(replay()).toEqual(first);
  });
});
