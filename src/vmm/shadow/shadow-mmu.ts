// The shadow MMU (KVM's mmu.c + paging_tmpl.h for 32-bit guests, without EPT): shadow page
// directories and tables in host frames that map guest-virtual straight to host-physical, built
// lazily from the guest's own tables on #PF exits, kept coherent by write-protecting every guest
// page that is shadowed as a page table, and cached per guest page directory (LRU, bounded). The
// pages and their indexes are shadow-store.ts; docs/shadow-paging.md explains the scheme.
import { HostBugError } from '../../common/assert.js';
import { PAGE_SHIFT, PAGE_SIZE, PFEC, PTE } from '../arch-defs.js';
import { type GuestPagingView, GuestWalk, WalkStatus, walkGuest } from './guest-walk.js';
import { ENTRIES, GUEST_TABLE_ROLES, ROLE_SPAN, Role, type ShadowPage } from './shadow-page.js';
import { IDENTITY_KEY, ShadowStore, type ShadowStoreState } from './shadow-store.js';

export { DEFAULT_SHADOW_LIMITS, MIN_SHADOW_PAGES, type ShadowHost, type ShadowLimits, shadowFrames } from './shadow-store.js';

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

/** The shadow MMU's software state (ShadowMmu.saveState), plain JSON. */
export interface ShadowMmuState extends ShadowStoreState {
  paging: boolean;
  cr3: number;
  windows: [number, number, number][];
}

/** Emulated writes to a shadowed guest table, with no fill through it in between, after which the
 *  table stops being shadowed (KVM's detect_write_flooding uses 3). */
const FLOOD_LIMIT = 3;
/** Leaves made writable at once for single-stepped writes (an unaligned write may span two). */
const MAX_WINDOWS = 4;
const ACCESS_FLAGS = PTE.A | PTE.D;

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

export class ShadowMmu extends ShadowStore {
  /** The last walk: error code of a GUEST_FAULT, guest-physical address of a WRITE_PROTECTED. */
  readonly walk = new GuestWalk();
  /** OUTSIDE_RAM: the guest-physical address that is not RAM, and what it was. */
  badGpa = 0;
  badWhat = '';
  /** The address space last switched to (rebuilt after a reset). */
  private paging = false;
  private cr3 = 0;
  /** Single-step windows: slot, generation and index of leaves temporarily writable. */
  private readonly windowSlot = new Int32Array(MAX_WINDOWS);
  private readonly windowGen = new Int32Array(MAX_WINDOWS);
  private readonly windowIdx = new Int32Array(MAX_WINDOWS);
  windows = 0;

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

  // ------------------------------------------------------------------ state (debugger history)

  /** The MMU's software state as plain JSON; the frames' contents are in host memory, saved apart. */
  saveState(): ShadowMmuState {
    return {
      ...this.saveStore(),
      paging: this.paging,
      cr3: this.cr3,
      windows: Array.from({ length: this.windows }, (_, k): [number, number, number] => [this.windowSlot[k]!, this.windowGen[k]!, this.windowIdx[k]!]),
    };
  }

  /** Restores saveState's result, after host memory has been restored. */
  loadState(s: ShadowMmuState): void {
    this.loadStore(s);
    this.paging = s.paging;
    this.cr3 = s.cr3;
    this.windows = s.windows.length;
    s.windows.forEach(([slot, gen, idx], k) => {
      this.windowSlot[k] = slot;
      this.windowGen[k] = gen;
      this.windowIdx[k] = idx;
    });
  }
}
