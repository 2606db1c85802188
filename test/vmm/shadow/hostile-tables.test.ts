// Isolation and coherence under hostile guest page tables: the guest's tables are filled with
// random values (entries pointing past RAM, at page tables outside RAM, at the tables themselves,
// reserved bits, page directories outside RAM) and rewritten at random while random accesses run
// through the shadow. After every step the shadow may only ever map frames of the VM's RAM, only
// link its own table frames, never map a page table writable (nor keep such a translation cached),
// and never grant more than the guest's tables allow (with A and D set in them as hardware would).
import { describe, expect, it } from 'vitest';
import { FrameUse } from '../../../src/vmm/frames.js';
import { GuestWalk, WalkStatus, walkGuest } from '../../../src/vmm/shadow/guest-walk.js';
import { A, D, MiB, MmuHarness, P, PS, RW, US } from './mmu-harness.js';

const RAM_MIB = 8;
const RAM = RAM_MIB * MiB;
/** Guest frames holding page tables (and anything else): the first 256 KiB. */
const TABLE_FRAMES = 64;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileEntry(r: () => number): number {
  const x = r();
  if (x < 0.15) return (r() * 0x100000000) >>> 0; // anything at all
  if (x < 0.25) return 0;
  // A plausible entry: a frame in the table area, elsewhere in RAM, or past it; random flags.
  const where = r();
  const frame = where < 0.5 ? Math.floor(r() * TABLE_FRAMES) : where < 0.8 ? Math.floor(r() * (RAM >>> 12)) : Math.floor(r() * 0x100000);
  const flags = (r() < 0.9 ? P : 0) | (r() < 0.6 ? RW : 0) | (r() < 0.6 ? US : 0) | (r() < 0.3 ? A : 0) | (r() < 0.2 ? D : 0) | (r() < 0.3 ? PS : 0);
  return ((frame << 12) | flags) >>> 0;
}

/** Fails the test with `what` unless a === b (plain compares: expect() per leaf would be too slow). */
function same(a: unknown, b: unknown, what: string): void {
  if (a !== b) throw new Error(`invariant broken: ${what}: ${String(a)} !== ${String(b)}`);
}

function checkInvariants(h: MmuHarness): void {
  const { mem, frames, ram } = h;
  const inRam = (hpa: number): boolean => hpa >= ram.base && hpa < ram.base + ram.size;
  const tableFrames = new Set<number>();
  for (const sp of h.mmu.shadowPages()) tableFrames.add(sp.hpa);
  for (const sp of h.mmu.shadowPages()) {
    same(frames.useOf(sp.hpa), FrameUse.ShadowTable, 'frames.useOf(sp.hpa)');
    same(frames.ownerOf(sp.hpa), 1, 'frames.ownerOf(sp.hpa)');
    for (let i = 0; i < 1024; i++) {
      const e = mem.read32(sp.hpa + i * 4);
      if ((e & P) === 0) continue;
      const target = (e & ~0xfff) >>> 0;
      if (sp.level === 2) {
        same(tableFrames.has(target), true, 'tableFrames.has(target)'); // a root links only our own table frames
        continue;
      }
      same(inRam(target), true, 'inRam(target)'); // isolation: a leaf maps only the VM's RAM
      same(frames.useOf(target), FrameUse.GuestRam, 'frames.useOf(target)');
      same(frames.ownerOf(target), 1, 'frames.ownerOf(target)');
      if (e & RW) same(h.mmu.isProtected((target - ram.base) >>> 12), false, 'h.mmu.isProtected((target - ram.base) >>> 12)');
    }
  }
  for (const [, e] of h.tlb) if (e & RW) same(h.mmu.isProtected(((e & ~0xfff) - ram.base) >>> 12), false, 'h.mmu.isProtected(((e & ~0xfff) - ram.base) >>> 12)');

  // The current root never grants more than the guest's own tables (read without side effects).
  const root = h.mmu.current!;
  const w = new GuestWalk();
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = mem.read32(root.hpa + pdi * 4);
    if ((pde & P) === 0) continue;
    const pt = (pde & ~0xfff) >>> 0;
    // A 4 MiB guest page (or the identity map): its pieces follow from the one guest PDE.
    const gpde = h.view.paging ? h.ram.read32(((h.view.cr3 & ~0xfff) + pdi * 4) >>> 0) : 0;
    const large = !h.view.paging || (h.view.pse && (gpde & (P | PS)) === (P | PS));
    for (let idx = 0; idx < 1024; idx++) {
      const e = mem.read32(pt + idx * 4);
      if ((e & P) === 0) continue;
      const lin = ((pdi << 22) | (idx << 12)) >>> 0;
      const user = (e & US) !== 0;
      const write = (e & RW) !== 0;
      if (large) {
        const gpa = h.view.paging ? ((gpde & 0xffc00000) >>> 0) + idx * 4096 : lin;
        same((e & ~0xfff) >>> 0, ram.hpa(gpa), '(e & ~0xfff) >>> 0');
        if (!h.view.paging) continue;
        same(gpde & A, A, 'gpde & A');
        if (user) same(gpde & US, US, 'gpde & US');
        if (write) {
          same(gpde & D, D, 'gpde & D');
          if (h.view.wp || user) same(gpde & RW, RW, 'gpde & RW');
        }
        continue;
      }
      same(walkGuest(ram, h.view, lin, write, user, false, w), WalkStatus.OK, 'walkGuest(ram, h.view, lin, write, user, false, w)');
      same(ram.hpa(w.gpa), (e & ~0xfff) >>> 0, 'ram.hpa(w.gpa)');
      if (h.view.paging) {
        same(w.leaf & A, A, 'w.leaf & A');
        same(w.pde & A, A, 'w.pde & A');
        if (write) same(w.leaf & D, D, 'w.leaf & D');
      }
    }
  }
}

/** Linear pages the current shadow root maps onto guest frames that are shadowed page tables. */
function mappedTables(h: MmuHarness): number[] {
  const out: number[] = [];
  const root = h.mmu.current!;
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = h.mem.read32(root.hpa + pdi * 4);
    if ((pde & P) === 0) continue;
    for (let idx = 0; idx < 1024; idx++) {
      const e = h.mem.read32(((pde & ~0xfff) >>> 0) + idx * 4);
      if (e & P && h.mmu.isProtected((((e & ~0xfff) >>> 0) - h.ram.base) >>> 12)) out.push(((pdi << 22) | (idx << 12)) >>> 0);
    }
  }
  return out;
}

function fuzz(seed: number, steps: number): { ok: number; pf: number; outside: number; emulated: number; zaps: number } {
  const r = rng(seed);
  const h = new MmuHarness(RAM_MIB, { maxPages: 24, maxRoots: 4 });
  for (let a = 0; a < TABLE_FRAMES * 4096; a += 4) h.ram.write32(a, hostileEntry(r));
  const cr3s = [0x1000, 0x2000, 0x3000, 0x8000, RAM, 0xfffff000];
  h.view.pse = true;
  h.load(0x1000);
  const tally = { ok: 0, pf: 0, outside: 0, emulated: 0, zaps: 0 };
  const ref = new GuestWalk();
  for (let step = 0; step < steps; step++) {
    const x = r();
    if (x < 0.55) {
      // An access, mostly through a present PDE of the current directory so that some succeed.
      let lin = (r() * 0x100000000) >>> 0;
      const pdGpa = h.view.cr3 & ~0xfff;
      if (h.view.paging && r() < 0.8 && h.ram.contains(pdGpa, 4096)) {
        const pdi = Math.floor(r() * 1024);
        lin = ((pdi << 22) | (Math.floor(r() * 1024) << 12) | Math.floor(r() * 4096)) >>> 0;
      } else if (!h.view.paging) {
        lin = Math.floor(r() * RAM * 1.1);
      }
      let write = r() < 0.5;
      let aimedNow = false;
      if (r() < 0.1) {
        // Aim at a page table through a mapping the shadow already has (a write must be trapped).
        const aims = mappedTables(h);
        if (aims.length > 0) {
          lin = aims[Math.floor(r() * aims.length)]! + Math.floor(r() * 1024) * 4;
          write = true;
          aimedNow = true;
        }
      }
      const user = !aimedNow && r() < 0.5;
      const s = walkGuest(h.ram, h.view, lin, write, user, false, ref);
      const got = h.access(lin, write, user);
      if (s === WalkStatus.PAGE_FAULT) {
        expect(got).toEqual({ kind: 'pf', code: ref.errorCode });
        tally.pf++;
      } else if (s === WalkStatus.OUTSIDE_RAM || !h.ram.contains(ref.gpa, 1)) {
        expect(got.kind).toBe('outside');
        tally.outside++;
      } else if (got.kind === 'protected') {
        expect(got.gpa).toBe(ref.gpa);
        expect(h.mmu.isProtected(ref.gpa >>> 12)).toBe(true);
        h.guestStore(ref.gpa & ~3, hostileEntry(r)); // the emulated write lands
        tally.emulated++;
      } else {
        expect(got).toEqual({ kind: 'ok', hpa: h.ram.hpa(ref.gpa) });
        tally.ok++;
      }
    } else if (x < 0.85) {
      // The guest rewrites an entry: trapped (emulated) where the frame is shadowed, native elsewhere.
      let gpa = Math.floor(r() * TABLE_FRAMES * 1024) * 4;
      if (r() < 0.5) {
        // Aim at an entry the shadow was made from.
        const sources = [...h.mmu.shadowPages()].filter((sp) => sp.gfn >= 0 && sp.gfn < TABLE_FRAMES && !sp.direct);
        const sp = sources[Math.floor(r() * sources.length)];
        if (sp !== undefined) {
          const present: number[] = [];
          for (let i = 0; i < 1024; i++) if (h.mem.read32(sp.hpa + i * 4) & P) present.push(i);
          if (present.length > 0) gpa = sp.gfn * 4096 + present[Math.floor(r() * present.length)]! * 4;
        }
      }
      if (h.mmu.isProtected(gpa >>> 12)) h.guestStore(gpa, hostileEntry(r));
      else h.ram.write32(gpa, hostileEntry(r));
      checkInvariants(h);
      h.tlb.clear(); // the guest follows its write with INVLPG or a CR3 reload
    } else if (x < 0.96) {
      h.load(cr3s[Math.floor(r() * cr3s.length)]!, h.view.paging);
    } else if (x < 0.965) {
      h.view.wp = !h.view.wp;
      h.mmu.reset();
      h.load(h.view.cr3, h.view.paging);
    } else {
      h.load(h.view.cr3, !h.view.paging);
    }
    if (step % 8 === 0) checkInvariants(h);
  }
  checkInvariants(h);
  tally.zaps = h.stats.zaps;
  return tally;
}

describe('hostile guest page tables', () => {
  it('four seeds: isolation, coherence and exact guest-visible behaviour hold at every step', () => {
    const sum = { ok: 0, pf: 0, outside: 0, emulated: 0, zaps: 0 };
    for (const seed of [1, 2, 3, 4]) {
      const t = fuzz(seed, 2000);
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t[k];
    }
    // The runs must have exercised every outcome, or they prove little.
    expect(sum.ok).toBeGreaterThan(500);
    expect(sum.pf).toBeGreaterThan(500);
    expect(sum.outside).toBeGreaterThan(500);
    expect(sum.emulated).toBeGreaterThan(0);
    expect(sum.zaps).toBeGreaterThan(50);
  });

  it('a guest PTE naming host-physical addresses of the shadow tables only reaches guest RAM', () => {
    const h = new MmuHarness();
    h.load(0x1000);
    const shadowRoot = h.root; // host-physical; as a guest-physical address it is the guest's own RAM or nothing
    h.ram.write32(0x1000, 0x2000 | P | RW | US);
    h.ram.write32(0x2000 + 4, (shadowRoot & ~0xfff) | P | RW | US);
    const r = h.access(0x1000, true, true);
    if (shadowRoot < RAM) expect(r).toEqual({ kind: 'ok', hpa: h.ram.hpa(shadowRoot & ~0xfff) });
    else expect(r).toEqual({ kind: 'outside', gpa: shadowRoot & ~0xfff });
    expect(h.mem.read32(h.root)).not.toBe(0x12345678);
    checkInvariants(h);
  });
});
