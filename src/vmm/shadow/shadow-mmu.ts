// The shadow MMU (KVM's mmu.c + paging_tmpl.h for 32-bit guests, without EPT): shadow page
// directories and tables in host frames that map guest-virtual straight to host-physical, built
// lazily from the guest's own tables on #PF exits, kept coherent by write-protecting every guest
// page that is shadowed as a page table, and cached per guest page directory (LRU, bounded).
// docs/shadow-paging.md explains the scheme and why it is correct.
import type { PhysicalMemory } from '../../machine/memory.js';
import { HostBugError } from '../../common/assert.js';
import { PAGE_SHIFT, PAGE_SIZE, PFEC, PTE } from '../arch-defs.js';
import { type FrameAllocator, FrameUse } from '../frames.js';
import type { GuestRam } from '../guest-memory.js';
import { type GuestPagingView, GuestWalk, WalkStatus, walkGuest } from './guest-walk.js';
import { ReverseMap } from './rmap.js';
import { ENTRIES, GUEST_TABLE_ROLES, ROLE_SPAN, Role, ShadowPage } from './shadow-page.js';
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

export const FaultResult = {
  /** A hidden fault: the shadow now maps the access; resume at the same instruction. */
  FILLED: 0,
  /** The guest's own page fault: `walk.errorCode` is its error code, CR2 the linear address. */
  GUEST_FAULT: 1,
  /** A write the guest's tables allow, to a guest page shadowed as a page table: emulate it. The
   *  shadow entry is in place read-only (`openWindow` can make it writable for one instruction). */
  WRITE_PROTECTED: 2,
  /** The guest's paging structures or the page itself lie outside the VM's RAM (`badGpa`). */
  OUTSIDE_RAM: 3,
  /** The frame budget ran out and the shadow was rebuilt: resume; the access faults again. */
  RETRY: 4,
} as const;
export type FaultResult = (typeof FaultResult)[keyof typeof FaultResult];

/** Key of the paging-off identity root (guest frame numbers are >= 0). */
const IDENTITY_KEY = -1;
/** Emulated writes to a shadowed guest table, with no fill through it in between, after which the
 *  table stops being shadowed (KVM's detect_write_flooding uses 3). */
const FLOOD_LIMIT = 3;
/** Leaves made writable at once for single-stepped writes (an unaligned write may span two). */
const MAX_WINDOWS = 4;
const ACCESS_FLAGS = PTE.A | PTE.D;
/** A shadow PDE: full access (the shadow PTE below carries the combined permissions); A preset so
 *  the processor never writes it. */
const SHADOW_PDE_FLAGS = PTE.P | PTE.RW | PTE.US | PTE.A;

/**
 * True when a shadow entry made from guest entry `was` must go now that the guest entry is `now`:
 * any change but the guest (or the hypervisor on its behalf) setting A or D. Clearing A or D must
 * drop it, so the next access sets them again as the processor would.
 */
function changed(was: number, now: number): boolean {
  return ((was ^ now) & ~ACCESS_FLAGS) !== 0 || (was & ~now & ACCESS_FLAGS) !== 0;
}

function roleOf(pde: number): number {
  return (pde & PTE.US ? Role.US : 0) | (pde & PTE.RW ? Role.RW : 0);
}

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

/** The shadow MMU's software state (ShadowMmu.saveState), plain JSON. */
export interface ShadowMmuState {
  pages: ShadowPageState[];
  freeSlots: number[];
  /** Root slots, least recently used first. */
  roots: number[];
  current: number;
  paging: boolean;
  cr3: number;
  windows: [number, number, number][];
}

function linkedChildren(ch: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < ENTRIES; i++) if (ch[i]! >= 0) out.push(i, ch[i]!);
  return out;
}

export class ShadowMmu {
  /** The last walk: error code of a GUEST_FAULT, guest-physical address of a WRITE_PROTECTED. */
  readonly walk = new GuestWalk();
  /** The root in use (null only inside a switch or a reset). */
  current: ShadowPage | null = null;
  /** OUTSIDE_RAM: the guest-physical address that is not RAM, and what it was. */
  badGpa = 0;
  badWhat = '';

  private readonly pages: ShadowPage[] = [];
  private readonly freeSlots: number[] = [];
  /** Roots by guest page-directory frame, least recently used first (Map insertion order). */
  private readonly roots = new Map<number, ShadowPage>();
  /** Shadow page tables by gfn × ROLE_SPAN + role. */
  private readonly tables = new Map<number, ShadowPage>();
  /** Per guest frame: shadow pages made from it as a guest table. Non-zero = write-protected. */
  private readonly shadowCount: Uint16Array;
  private readonly rmap: ReverseMap;
  private readonly ramFrames: number;
  /** The address space last switched to (rebuilt after a reset). */
  private paging = false;
  private cr3 = 0;
  /** Single-step windows: slot, generation and index of leaves temporarily writable. */
  private readonly windowSlot = new Int32Array(MAX_WINDOWS);
  private readonly windowGen = new Int32Array(MAX_WINDOWS);
  private readonly windowIdx = new Int32Array(MAX_WINDOWS);
  windows = 0;

  constructor(
    private readonly mem: PhysicalMemory,
    private readonly frames: FrameAllocator,
    /** The VM owning the shadow frames. */
    private readonly owner: number,
    private readonly ram: GuestRam,
    private readonly host: ShadowHost,
    private readonly stats: ShadowStats,
    readonly limits: ShadowLimits = DEFAULT_SHADOW_LIMITS,
  ) {
    if (limits.maxPages < MIN_SHADOW_PAGES || limits.maxRoots < 1) {
      throw new HostBugError(`shadow limits too small: ${limits.maxPages} pages, ${limits.maxRoots} roots`);
    }
    this.ramFrames = ram.size >>> PAGE_SHIFT;
    this.shadowCount = new Uint16Array(this.ramFrames);
    this.rmap = new ReverseMap(this.ramFrames, limits.maxPages * ENTRIES);
  }

  // ------------------------------------------------------------------ address spaces

  /**
   * Makes the shadow of the guest's address space current: the root of guest page directory `cr3`
   * (paging on) or the identity root (paging off), from the cache when it is there. Loads it and
   * flushes the vCPU's translations, as the MOV to CR3 / CR0 that asked for it does natively.
   */
  switchRoot(paging: boolean, cr3: number): void {
    this.stats.cr3Switches++;
    this.paging = paging;
    this.cr3 = cr3 >>> 0;
    const key = paging ? this.cr3 >>> PAGE_SHIFT : IDENTITY_KEY;
    let root = this.roots.get(key);
    if (root !== undefined) {
      this.stats.rootHits++;
      this.roots.delete(key);
      this.roots.set(key, root);
      if (paging) this.revalidate(root);
    } else {
      this.stats.rootMisses++;
      this.current = null;
      while (this.roots.size >= this.limits.maxRoots) this.evictLru();
      const made = this.allocPage(2, paging ? key : -1, 0, key);
      if (made === null) throw new HostBugError('no shadow page for a root with every root evicted');
      root = made;
      this.roots.set(key, root);
      if (paging) this.protect(key);
    }
    this.current = root;
    root.flood = 0;
    this.host.loadRoot(root.hpa);
    this.host.flushAll();
  }

  /** Drops every shadow page (a change of CR0.WP or CR4.PSE changes what every entry means). */
  reset(): void {
    this.stats.resets++;
    this.closeWindows();
    this.current = null;
    for (const r of [...this.roots.values()]) this.freePage(r);
    if (this.stats.pagesInUse !== 0) throw new HostBugError(`${this.stats.pagesInUse} shadow pages left after a reset`);
    this.host.flushAll();
  }

  /** reset() and back into the address space in use. */
  rebuild(): void {
    this.reset();
    this.switchRoot(this.paging, this.cr3);
    this.stats.cr3Switches--;
  }

  // ------------------------------------------------------------------ page faults

  /** A #PF exit at `linear` with the processor's error code (about the shadow tables). */
  fault(view: GuestPagingView, linear: number, pfec: number): FaultResult {
    linear >>>= 0;
    const root = this.current;
    if (root === null) throw new HostBugError('shadow page fault without a root');
    const write = (pfec & PFEC.W) !== 0;
    const user = (pfec & PFEC.U) !== 0;
    const w = this.walk;
    const s = walkGuest(this.ram, view, linear, write, user, true, w);
    if (s === WalkStatus.PAGE_FAULT) return FaultResult.GUEST_FAULT;
    if (s === WalkStatus.OUTSIDE_RAM) return this.outside(w.gpa, 'a paging structure');
    const gfn = w.gpa >>> PAGE_SHIFT;
    if (gfn >= this.ramFrames) return this.outside(w.gpa, 'the page');

    const pdi = linear >>> 22;
    let base: number;
    let role: number;
    let us: boolean;
    let rw: boolean;
    let dirty: boolean;
    let guestEntry: number;
    if (!view.paging) {
      base = pdi << 10;
      role = Role.US | Role.RW | Role.DIRECT | Role.DIRTY;
      us = rw = dirty = true;
      guestEntry = 0;
    } else if (w.pageShift === 22) {
      const pde = w.pde;
      base = (pde & PTE.FRAME_4M) >>> PAGE_SHIFT;
      dirty = (pde & PTE.D) !== 0;
      role = roleOf(pde) | Role.DIRECT | (dirty ? Role.DIRTY : 0);
      us = (pde & PTE.US) !== 0;
      rw = (pde & PTE.RW) !== 0;
      guestEntry = pde;
    } else {
      const pde = w.pde;
      const pte = w.leaf;
      base = (pde & PTE.FRAME) >>> PAGE_SHIFT;
      role = roleOf(pde);
      us = (pde & pte & PTE.US) !== 0;
      rw = (pde & pte & PTE.RW) !== 0;
      dirty = (pte & PTE.D) !== 0;
      guestEntry = pte;
    }
    const sp = this.linkChild(root, pdi, base, role, view.paging ? w.pde : 0);
    if (sp === null) {
      this.rebuild();
      return FaultResult.RETRY;
    }
    sp.flood = 0;

    const prot = this.shadowCount[gfn]! > 0;
    let sUs = us;
    let sRw = rw && dirty;
    if (!view.wp && write && !user && !rw) {
      // CR0.WP = 0: a supervisor write to a read-only page succeeds natively. The shadow maps it
      // writable but supervisor-only (the processor runs with WP = 1); a later user access faults
      // here and gets the user, read-only mapping back (KVM's set_spte does the same).
      sUs = false;
      sRw = dirty;
    }
    if (prot) sRw = false;
    const flags = PTE.P | PTE.A | (sUs ? PTE.US : 0) | (sRw ? PTE.RW | PTE.D : 0);
    this.installLeaf(sp, (linear >>> PAGE_SHIFT) & (ENTRIES - 1), gfn, flags, guestEntry);
    return write && prot ? FaultResult.WRITE_PROTECTED : FaultResult.FILLED;
  }

  private outside(gpa: number, what: string): FaultResult {
    this.badGpa = gpa >>> 0;
    this.badWhat = what;
    return FaultResult.OUTSIDE_RAM;
  }

  /** INVLPG: the guest says its entry for `linear` may have changed. Write protection has already
   *  kept the shadow in step, so this re-checks the one entry (cheap) and drops the translation. */
  invlpg(view: GuestPagingView, linear: number): void {
    this.stats.invlpgs++;
    linear >>>= 0;
    const root = this.current;
    if (root === null || !view.paging || root.children === null) {
      this.host.flushPage(linear);
      return;
    }
    const pdi = linear >>> 22;
    const slot = root.children[pdi]!;
    let large = false;
    const pdeGpa = ((view.cr3 & PTE.FRAME) + pdi * 4) >>> 0;
    if (this.ram.contains(pdeGpa, 4)) {
      const pde = this.ram.read32(pdeGpa);
      large = view.pse && (pde & (PTE.P | PTE.PS)) === (PTE.P | PTE.PS);
      if (slot >= 0 && changed(this.mem.read32(root.mirror + pdi * 4), pde)) {
        this.stats.zaps++;
        this.unlinkChild(root, pdi, true);
      }
    }
    const sp = slot >= 0 ? this.pages[slot]! : null;
    if (sp !== null && sp.inUse && !sp.direct && root.children[pdi] === slot) {
      const idx = (linear >>> PAGE_SHIFT) & (ENTRIES - 1);
      const gpa = (sp.gfn << PAGE_SHIFT) + idx * 4;
      const e = this.mem.read32(sp.hpa + idx * 4);
      if (e & PTE.P && changed(this.mem.read32(sp.mirror + idx * 4), this.ram.read32(gpa))) this.zapLeaf(sp, idx);
    }
    // A 4 MiB page is shadowed by 1024 small ones: INVLPG of any address in it drops them all.
    if (large || (sp !== null && sp.direct)) this.host.flushAll();
    else this.host.flushPage(linear);
  }

  // ------------------------------------------------------------------ coherence

  /**
   * Guest memory [gpa, gpa + len) was written (an emulated guest write, a single-stepped one, a
   * hypercall or the hypervisor's own string I/O): every shadow entry made from a guest entry
   * there that changed is dropped. `byGuest` counts towards write flooding.
   */
  guestWrote(gpa: number, len: number, byGuest: boolean): void {
    let a = gpa >>> 0;
    const end = a + len;
    while (a < end) {
      const gfn = a >>> PAGE_SHIFT;
      const pageEnd = Math.min(end, (gfn + 1) * PAGE_SIZE);
      if (gfn < this.ramFrames && this.shadowCount[gfn]! > 0) {
        this.resync(gfn, (a & (PAGE_SIZE - 1)) >>> 2, ((pageEnd - 1) & (PAGE_SIZE - 1)) >>> 2, byGuest);
      }
      a = pageEnd;
    }
  }

  /** True when guest frame `gfn` is shadowed as a page table (and so write-protected). */
  isProtected(gfn: number): boolean {
    return gfn < this.ramFrames && this.shadowCount[gfn]! > 0;
  }

  private resync(gfn: number, first: number, last: number, byGuest: boolean): void {
    const base = gfn << PAGE_SHIFT;
    const root = this.roots.get(gfn);
    if (root !== undefined) {
      const ch = root.children!;
      let unlinked = false;
      for (let i = first; i <= last; i++) {
        if (ch[i]! >= 0 && changed(this.mem.read32(root.mirror + i * 4), this.ram.read32(base + i * 4))) {
          this.stats.zaps++;
          this.unlinkChild(root, i, false);
          unlinked = true;
        }
      }
      // One flush for the whole write (a REP STOS over a directory may drop many PDEs).
      if (unlinked && root === this.current) this.host.flushAll();
      if (byGuest) this.noteWrite(root);
    }
    for (let r = 0; r < GUEST_TABLE_ROLES; r++) {
      const sp = this.tables.get(gfn * ROLE_SPAN + r);
      if (sp === undefined) continue;
      for (let i = first; i <= last; i++) {
        const e = this.mem.read32(sp.hpa + i * 4);
        if (e & PTE.P && changed(this.mem.read32(sp.mirror + i * 4), this.ram.read32(base + i * 4))) this.zapLeaf(sp, i);
      }
      if (byGuest) this.noteWrite(sp);
    }
  }

  /** Write-flooding: a shadowed table written again and again but not walked is most likely no
   *  longer a page table (freed, reused as data); stop shadowing it so its writes run natively. */
  private noteWrite(sp: ShadowPage): void {
    if (!sp.inUse || sp === this.current || ++sp.flood < FLOOD_LIMIT) return;
    this.stats.unshadowed++;
    if (sp.level === 2) {
      this.freePage(sp);
      return;
    }
    while (sp.parents.length > 0) {
      const p = sp.parents[sp.parents.length - 1]!;
      this.unlinkChild(this.pages[p >>> 10]!, p & (ENTRIES - 1), true);
    }
  }

  /** A cached root is about to be used again: its linked entries must still match the guest's
   *  page directory. Write protection guarantees it; this is the cheap check that says so. */
  private revalidate(root: ShadowPage): void {
    if (root.gfn >= this.ramFrames) return;
    const base = root.gfn << PAGE_SHIFT;
    const ch = root.children!;
    for (let i = 0; i < ENTRIES; i++) {
      if (ch[i]! >= 0 && changed(this.mem.read32(root.mirror + i * 4), this.ram.read32(base + i * 4))) {
        this.stats.staleOnReuse++;
        this.unlinkChild(root, i, false);
      }
    }
  }

  /** Guest frame `gfn` becomes a shadowed page table: make every mapping of it read-only. */
  private protect(gfn: number): void {
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

  private unprotect(gfn: number): void {
    if (gfn < this.ramFrames) this.shadowCount[gfn]!--;
  }

  // ------------------------------------------------------------------ single-step windows

  /** Makes the leaf just filled for `linear` writable until closeWindows (the write is then run
   *  by the processor under the monitor trap flag). False when no more windows can be opened. */
  openWindow(linear: number): boolean {
    const root = this.current;
    if (root === null || this.windows >= MAX_WINDOWS) return false;
    const slot = root.children![linear >>> 22]!;
    if (slot < 0) return false;
    const sp = this.pages[slot]!;
    const idx = (linear >>> PAGE_SHIFT) & (ENTRIES - 1);
    const at = sp.hpa + idx * 4;
    const e = this.mem.read32(at);
    if ((e & PTE.P) === 0) return false;
    if ((e & PTE.RW) === 0) {
      this.mem.write32(at, e | PTE.RW | PTE.D);
      sp.writable++;
    }
    const n = this.windows++;
    this.windowSlot[n] = slot;
    this.windowGen[n] = sp.generation;
    this.windowIdx[n] = idx;
    return true;
  }

  /** The single-stepped instruction is done: protect the leaves again and resync their pages. */
  closeWindows(): void {
    const n = this.windows;
    this.windows = 0;
    for (let k = 0; k < n; k++) {
      const sp = this.pages[this.windowSlot[k]!]!;
      if (!sp.inUse || sp.generation !== this.windowGen[k]) continue;
      const idx = this.windowIdx[k]!;
      const at = sp.hpa + idx * 4;
      const e = this.mem.read32(at);
      if ((e & PTE.P) === 0) continue;
      const gfn = this.gfnOf(e);
      if (e & PTE.RW && this.shadowCount[gfn]! > 0) {
        this.mem.write32(at, e & ~(PTE.RW | PTE.D));
        sp.writable--;
        this.flushLeaf(sp, idx);
      }
      this.guestWrote(gfn << PAGE_SHIFT, PAGE_SIZE, true);
    }
  }

  // ------------------------------------------------------------------ shadow pages

  /** The shadow page table for (base, role) linked at PDE `pdi` of `root`; null: out of pages. */
  private linkChild(root: ShadowPage, pdi: number, base: number, role: number, guestPde: number): ShadowPage | null {
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
    }
    ch[pdi] = child.slot;
    child.parents.push(root.slot * ENTRIES + pdi);
    this.mem.write32(root.hpa + pdi * 4, child.hpa | SHADOW_PDE_FLAGS);
    this.mem.write32(root.mirror + pdi * 4, guestPde);
    return child;
  }

  /** Clears PDE `pdi` of `root`; the table below is freed once nothing links it. */
  private unlinkChild(root: ShadowPage, pdi: number, flush: boolean): void {
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

  private installLeaf(sp: ShadowPage, idx: number, gfn: number, flags: number, guestEntry: number): void {
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

  private zapLeaf(sp: ShadowPage, idx: number): void {
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
  private flushLeaf(sp: ShadowPage, idx: number): void {
    const cur = this.current;
    if (cur === null) return;
    for (const p of sp.parents) {
      if (p >>> 10 === cur.slot) this.host.flushPage((((p & (ENTRIES - 1)) << 22) | (idx << PAGE_SHIFT)) >>> 0);
    }
  }

  private gfnOf(entry: number): number {
    return (((entry & PTE.FRAME) >>> 0) - this.ram.base) >>> PAGE_SHIFT;
  }

  private allocPage(level: number, gfn: number, role: number, key: number): ShadowPage | null {
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
  private evictLru(): boolean {
    for (const r of this.roots.values()) {
      if (r === this.current) continue;
      this.stats.rootEvictions++;
      this.freePage(r);
      return true;
    }
    return false;
  }

  private freePage(sp: ShadowPage): void {
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

  /** The MMU's software state as plain JSON; the frames' contents are in host memory, saved apart. */
  saveState(): ShadowMmuState {
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
      paging: this.paging,
      cr3: this.cr3,
      windows: Array.from({ length: this.windows }, (_, k) => [this.windowSlot[k]!, this.windowGen[k]!, this.windowIdx[k]!]),
    };
  }

  /**
   * Restores a state saved from this MMU, after host memory (the shadow frames) has been restored.
   * The reverse map and the protection counts are rebuilt from the shadow pages themselves.
   */
  loadState(s: ShadowMmuState): void {
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
    this.paging = s.paging;
    this.cr3 = s.cr3;
    this.windows = s.windows.length;
    s.windows.forEach(([slot, gen, idx], k) => {
      this.windowSlot[k] = slot;
      this.windowGen[k] = gen;
      this.windowIdx[k] = idx;
    });
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
