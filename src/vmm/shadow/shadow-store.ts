// The shadow pages and what indexes them (the structure under the shadow MMU, shadow-mmu.ts):
// host frames handed out per shadow page, roots cached by guest page directory in LRU order, shadow
// page tables by guest frame and role, the per-frame protection counts and the reverse map, and the
// primitive operations that keep them consistent (link, unlink, fill, zap, protect, evict, free).
import type { PhysicalMemory } from '../../machine/memory.js';
import { HostBugError } from '../../common/assert.js';
import { PAGE_SHIFT, PAGE_SIZE, PTE } from '../arch-defs.js';
import { type FrameAllocator, FrameUse } from '../frames.js';
import type { GuestRam } from '../guest-memory.js';
import { ReverseMap } from './rmap.js';
import { ENTRIES, ROLE_SPAN, Role, ShadowPage } from './shadow-page.js';
import type { ShadowStats } from './stats.js';

/** What the shadow MMU needs from the vCPU it serves. */
export interface ShadowHost {
  /** Makes `hpa` the root the processor walks from the next VM entry on (GUEST_CR3). */
  loadRoot(hpa: number): void;
  /** Drops every translation the processor caches for the vCPU (INVVPID single context). */
  flushAll(): void;
  /** Drops the cached translation of one linear page (INVVPID individual address). */
  flushPage(linear: number): void;
}

export interface ShadowLimits {
  /** Shadow pages at most; each takes two host frames (the table and its guest-entry mirror). */
  readonly maxPages: number;
  /** Shadow roots (address spaces) kept at most. */
  readonly maxRoots: number;
}

export const DEFAULT_SHADOW_LIMITS: ShadowLimits = { maxPages: 512, maxRoots: 16 };
/** The fewest pages that can always make progress: a root, a table, and room to switch. */
export const MIN_SHADOW_PAGES = 4;
/** Host frames a budget of `maxPages` needs (the host memory is sized with it). */
export function shadowFrames(limits: ShadowLimits): number {
  return limits.maxPages * 2;
}

/** Key of the paging-off identity root (guest frame numbers are >= 0). */
export const IDENTITY_KEY = -1;
/** A shadow PDE: full access (the shadow PTE below carries the combined permissions); A preset so
 *  the processor never writes it. */
const SHADOW_PDE_FLAGS = PTE.P | PTE.RW | PTE.US | PTE.A;

/** One shadow page in a saved state. */
export interface ShadowPageState {
  hpa: number;
  mirror: number;
  level: number;
  gfn: number;
  role: number;
  key: number;
  parents: number[];
  /** Roots: linked PDE index and child slot, flattened pairs. */
  children: number[] | null;
  writable: number;
  flood: number;
  generation: number;
  inUse: boolean;
}

/** The store's software state (saveStore), plain JSON. */
export interface ShadowStoreState {
  pages: ShadowPageState[];
  freeSlots: number[];
  /** Root slots, least recently used first. */
  roots: number[];
  current: number;
}

function linkedChildren(ch: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < ENTRIES; i++) if (ch[i]! >= 0) out.push(i, ch[i]!);
  return out;
}

export class ShadowStore {
  /** The root in use (null only inside a switch or a reset). */
  current: ShadowPage | null = null;
  protected readonly pages: ShadowPage[] = [];
  protected readonly freeSlots: number[] = [];
  /** Roots by guest page-directory frame, least recently used first (Map insertion order). */
  protected readonly roots = new Map<number, ShadowPage>();
  /** Shadow page tables by gfn × ROLE_SPAN + role. */
  protected readonly tables = new Map<number, ShadowPage>();
  /** Per guest frame: shadow pages made from it as a guest table. Non-zero = write-protected. */
  protected readonly shadowCount: Uint16Array;
  protected readonly rmap: ReverseMap;
  protected readonly ramFrames: number;

  constructor(
    protected readonly mem: PhysicalMemory,
    private readonly frames: FrameAllocator,
    /** The VM owning the shadow frames. */
    private readonly owner: number,
    protected readonly ram: GuestRam,
    protected readonly host: ShadowHost,
    protected readonly stats: ShadowStats,
    readonly limits: ShadowLimits = DEFAULT_SHADOW_LIMITS,
  ) {
    if (limits.maxPages < MIN_SHADOW_PAGES || limits.maxRoots < 1) {
      throw new HostBugError(`shadow limits too small: ${limits.maxPages} pages, ${limits.maxRoots} roots`);
    }
    this.ramFrames = ram.size >>> PAGE_SHIFT;
    this.shadowCount = new Uint16Array(this.ramFrames);
    this.rmap = new ReverseMap(this.ramFrames, limits.maxPages * ENTRIES);
  }

  /** True when guest frame `gfn` is shadowed as a page table (and so write-protected). */
  isProtected(gfn: number): boolean {
    return gfn < this.ramFrames && this.shadowCount[gfn]! > 0;
  }

  /** Guest frame `gfn` becomes a shadowed page table: make every mapping of it read-only. */
  protected protect(gfn: number): void {
    if (gfn >= this.ramFrames) return;
    if (this.shadowCount[gfn]!++ !== 0) return;
    for (let id = this.rmap.first(gfn); id !== -1; id = this.rmap.after(id)) {
      const sp = this.pages[id >>> 10]!;
      const idx = id & (ENTRIES - 1);
      const at = sp.hpa + idx * 4;
      const e = this.mem.read32(at);
      if (e & PTE.RW) {
        this.mem.write32(at, e & ~(PTE.RW | PTE.D));
        sp.writable--;
        this.flushLeaf(sp, idx);
      }
    }
  }

  protected unprotect(gfn: number): void {
    if (gfn < this.ramFrames) this.shadowCount[gfn]!--;
  }

  /** The shadow page table for (base, role) linked at PDE `pdi` of `root`; null: out of pages. */
  protected linkChild(root: ShadowPage, pdi: number, base: number, role: number, guestPde: number): ShadowPage | null {
    const key = base * ROLE_SPAN + role;
    const ch = root.children!;
    const cur = ch[pdi]!;
    if (cur >= 0) {
      const c = this.pages[cur]!;
      if (c.key === key) return c;
      this.unlinkChild(root, pdi, true);
    }
    let child = this.tables.get(key);
    if (child === undefined) {
      const made = this.allocPage(1, base, role, key);
      if (made === null) return null;
      child = made;
      this.tables.set(key, child);
      if ((role & Role.DIRECT) === 0) this.protect(base);
      else this.prefetchDirect(child);
    }
    ch[pdi] = child.slot;
    child.parents.push(root.slot * ENTRIES + pdi);
    this.mem.write32(root.hpa + pdi * 4, child.hpa | SHADOW_PDE_FLAGS);
    this.mem.write32(root.mirror + pdi * 4, guestPde);
    return child;
  }

  /**
   * Fills a new direct table at once (KVM's direct_pte_prefetch): a 4 MiB guest page's accessed
   * flag is already set in its PDE and the identity map has none, so mapping every frame now shows
   * the guest nothing the hardware would not, and saves a hidden fault per 4 KiB piece. Frames
   * past RAM stay unmapped (an access there stops the VM); page tables and a clean (D = 0) page are
   * read-only.
   */
  private prefetchDirect(sp: ShadowPage): void {
    const us = sp.role & Role.US ? PTE.US : 0;
    const rw = (sp.role & (Role.RW | Role.DIRTY)) === (Role.RW | Role.DIRTY);
    const n = Math.min(ENTRIES, this.ramFrames - sp.gfn);
    for (let i = 0; i < n; i++) {
      const gfn = sp.gfn + i;
      const writable = rw && this.shadowCount[gfn] === 0;
      this.mem.write32(sp.hpa + i * 4, (this.ram.base + gfn * PAGE_SIZE) | PTE.P | PTE.A | us | (writable ? PTE.RW | PTE.D : 0));
      this.rmap.add(gfn, sp.slot * ENTRIES + i);
      if (writable) sp.writable++;
    }
    if (n > 0) this.stats.prefetched += n;
  }

  /** Clears PDE `pdi` of `root`; the table below is freed once nothing links it. */
  protected unlinkChild(root: ShadowPage, pdi: number, flush: boolean): void {
    const ch = root.children!;
    const slot = ch[pdi]!;
    ch[pdi] = -1;
    this.mem.write32(root.hpa + pdi * 4, 0);
    const child = this.pages[slot]!;
    const ref = root.slot * ENTRIES + pdi;
    const at = child.parents.indexOf(ref);
    if (at < 0) throw new HostBugError('shadow page table without the parent link being removed');
    child.parents[at] = child.parents[child.parents.length - 1]!;
    child.parents.pop();
    // Up to 1024 translations (and writable ones) through that PDE may be cached: drop them.
    if (flush && root === this.current) this.host.flushAll();
    if (child.parents.length === 0) this.freePage(child);
  }

  protected installLeaf(sp: ShadowPage, idx: number, gfn: number, flags: number, guestEntry: number): void {
    const id = sp.slot * ENTRIES + idx;
    const at = sp.hpa + idx * 4;
    const old = this.mem.read32(at);
    const entry = (this.ram.base + gfn * PAGE_SIZE) | flags;
    if (old & PTE.P) {
      const oldGfn = this.gfnOf(old);
      if (oldGfn !== gfn) {
        this.rmap.remove(oldGfn, id);
        this.rmap.add(gfn, id);
      }
      if (old & PTE.RW) {
        sp.writable--;
        if ((entry & PTE.RW) === 0 || oldGfn !== gfn) this.flushLeaf(sp, idx);
      }
    } else {
      this.rmap.add(gfn, id);
    }
    if (entry & PTE.RW) sp.writable++;
    this.mem.write32(at, entry);
    this.mem.write32(sp.mirror + idx * 4, guestEntry);
    this.stats.fills++;
  }

  protected zapLeaf(sp: ShadowPage, idx: number): void {
    const at = sp.hpa + idx * 4;
    const old = this.mem.read32(at);
    if ((old & PTE.P) === 0) return;
    this.stats.zaps++;
    this.mem.write32(at, 0);
    this.rmap.remove(this.gfnOf(old), sp.slot * ENTRIES + idx);
    if (old & PTE.RW) {
      sp.writable--;
      // A writable translation may be cached: it must not outlive the entry, or a write through
      // it could reach a page that becomes a page table without trapping.
      this.flushLeaf(sp, idx);
    }
  }

  /** Drops the cached translations of leaf `idx` of `sp` wherever the current root links it. */
  protected flushLeaf(sp: ShadowPage, idx: number): void {
    const cur = this.current;
    if (cur === null) return;
    for (const p of sp.parents) {
      if (p >>> 10 === cur.slot) this.host.flushPage((((p & (ENTRIES - 1)) << 22) | (idx << PAGE_SHIFT)) >>> 0);
    }
  }

  protected gfnOf(entry: number): number {
    return (((entry & PTE.FRAME) >>> 0) - this.ram.base) >>> PAGE_SHIFT;
  }

  protected allocPage(level: number, gfn: number, role: number, key: number): ShadowPage | null {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.pages.length < this.limits.maxPages) {
        const sp = new ShadowPage(this.pages.length);
        sp.hpa = this.frames.alloc(1, FrameUse.ShadowTable, this.owner);
        sp.mirror = this.frames.alloc(1, FrameUse.ShadowTable, this.owner);
        this.pages.push(sp);
        slot = sp.slot;
      } else {
        while (this.freeSlots.length === 0) if (!this.evictLru()) return null;
        slot = this.freeSlots.pop()!;
      }
    }
    const sp = this.pages[slot]!;
    this.mem.fill(sp.hpa, PAGE_SIZE, 0);
    sp.level = level;
    sp.gfn = gfn;
    sp.role = role;
    sp.key = key;
    sp.parents.length = 0;
    sp.writable = 0;
    sp.flood = 0;
    sp.inUse = true;
    if (level === 2) (sp.children ??= new Int32Array(ENTRIES)).fill(-1);
    const s = this.stats;
    if (++s.pagesInUse > s.peakPages) s.peakPages = s.pagesInUse;
    return sp;
  }

  /** Frees the least recently used root other than the current one; false when there is none. */
  protected evictLru(): boolean {
    for (const r of this.roots.values()) {
      if (r === this.current) continue;
      this.stats.rootEvictions++;
      this.freePage(r);
      return true;
    }
    return false;
  }

  protected freePage(sp: ShadowPage): void {
    if (sp.level === 2) {
      const ch = sp.children!;
      for (let i = 0; i < ENTRIES; i++) if (ch[i]! >= 0) this.unlinkChild(sp, i, false);
      this.roots.delete(sp.key);
      if (sp.key !== IDENTITY_KEY) this.unprotect(sp.gfn);
      if (sp === this.current) this.current = null;
    } else {
      for (let i = 0; i < ENTRIES; i++) {
        const e = this.mem.read32(sp.hpa + i * 4);
        if (e & PTE.P) this.rmap.remove(this.gfnOf(e), sp.slot * ENTRIES + i);
      }
      this.tables.delete(sp.key);
      if (!sp.direct) this.unprotect(sp.gfn);
    }
    sp.inUse = false;
    sp.generation++;
    this.freeSlots.push(sp.slot);
    this.stats.pagesInUse--;
  }

  // ------------------------------------------------------------------ state (debugger history)

  /** The pages, caches and current root as plain JSON; the frames' contents are in host memory. */
  saveStore(): ShadowStoreState {
    return {
      pages: this.pages.map((sp) => ({
        hpa: sp.hpa,
        mirror: sp.mirror,
        level: sp.level,
        gfn: sp.gfn,
        role: sp.role,
        key: sp.key,
        parents: [...sp.parents],
        children: sp.children && sp.inUse && sp.level === 2 ? linkedChildren(sp.children) : null,
        writable: sp.writable,
        flood: sp.flood,
        generation: sp.generation,
        inUse: sp.inUse,
      })),
      freeSlots: [...this.freeSlots],
      roots: [...this.roots.values()].map((r) => r.slot),
      current: this.current?.slot ?? -1,
    };
  }

  /**
   * Restores saveStore's result, after host memory (the shadow frames) has been restored. The
   * reverse map and the protection counts are rebuilt from the shadow pages themselves.
   */
  loadStore(s: ShadowStoreState): void {
    if (s.pages.length > this.pages.length) throw new HostBugError('shadow state from another VM (more shadow pages than exist)');
    this.roots.clear();
    this.tables.clear();
    this.shadowCount.fill(0);
    this.rmap.clear();
    this.freeSlots.length = 0;
    for (let slot = 0; slot < this.pages.length; slot++) {
      const sp = this.pages[slot]!;
      const p = s.pages[slot];
      if (p === undefined) {
        // A page made after the state was saved: as if not yet made (its frames stay allocated).
        sp.inUse = false;
        sp.generation = 0;
        continue;
      }
      if (p.hpa !== sp.hpa || p.mirror !== sp.mirror) throw new HostBugError('shadow state from another VM (frames differ)');
      sp.level = p.level;
      sp.gfn = p.gfn;
      sp.role = p.role;
      sp.key = p.key;
      sp.parents.length = 0;
      sp.parents.push(...p.parents);
      sp.writable = p.writable;
      sp.flood = p.flood;
      sp.generation = p.generation;
      sp.inUse = p.inUse;
      if (p.level === 2 && p.inUse) {
        const ch = (sp.children ??= new Int32Array(ENTRIES)).fill(-1);
        const linked = p.children ?? [];
        for (let i = 0; i + 1 < linked.length; i += 2) ch[linked[i]!] = linked[i + 1]!;
      }
      if (!p.inUse) continue;
      if (p.level === 1) {
        this.tables.set(p.key, sp);
        if (!sp.direct) this.shadowCount[p.gfn]!++;
        for (let i = 0; i < ENTRIES; i++) {
          const e = this.mem.read32(sp.hpa + i * 4);
          if (e & PTE.P) this.rmap.add(this.gfnOf(e), slot * ENTRIES + i);
        }
      } else if (p.key !== IDENTITY_KEY && p.gfn < this.ramFrames) {
        this.shadowCount[p.gfn]!++;
      }
    }
    // Pages made after the save come out after the saved free slots, lowest first, as new ones would.
    for (let slot = this.pages.length - 1; slot >= s.pages.length; slot--) this.freeSlots.push(slot);
    this.freeSlots.push(...s.freeSlots);
    for (const slot of s.roots) {
      const r = this.pages[slot]!;
      this.roots.set(r.key, r);
    }
    this.current = s.current >= 0 ? this.pages[s.current]! : null;
    let inUse = 0;
    for (const sp of this.pages) if (sp.inUse) inUse++;
    this.stats.pagesInUse = inUse;
  }

  // ------------------------------------------------------------------ inspection (tests, debugger)

  /** Every shadow page in use. */
  *shadowPages(): IterableIterator<ShadowPage> {
    for (const sp of this.pages) if (sp.inUse) yield sp;
  }

  /** Cached roots, least recently used first. */
  cachedRoots(): ShadowPage[] {
    return [...this.roots.values()];
  }
}
