// A shadow MMU over hand-built guest page tables, with a stand-in for the processor: `access` walks
// the SHADOW tables from the loaded root exactly as the hardware walk does (32-bit paging, CR0.WP = 1
// as the shadow mode runs the processor), and on a fault hands the #PF to the MMU the way the #PF
// exit does, retrying after a hidden fault. What the guest would see comes out as the result. A
// TLB caches what the walks found (combined permissions), dropped only by the MMU's flushes, so
// tests can check that no stale writable translation survives where it must not.
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { FrameAllocator, FrameUse } from '../../../src/vmm/frames.js';
import { GuestRam } from '../../../src/vmm/guest-memory.js';
import { FaultResult, type ShadowLimits, ShadowMmu } from '../../../src/vmm/shadow/shadow-mmu.js';
import { ShadowStats } from '../../../src/vmm/shadow/stats.js';

export const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
export const PF_P = 1, PF_W = 2, PF_U = 4;
export const MiB = 1024 * 1024;

/** Outcome of one access as the guest experiences it. */
export type Access =
  | { kind: 'ok'; hpa: number }
  | { kind: 'pf'; code: number }
  /** A write the guest may make into one of its page tables: the MMU asked for emulation. */
  | { kind: 'protected'; gpa: number }
  | { kind: 'outside'; gpa: number };

export interface View {
  paging: boolean;
  cr3: number;
  pse: boolean;
  wp: boolean;
}

export class MmuHarness {
  readonly mem: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly ram: GuestRam;
  readonly stats = new ShadowStats();
  readonly mmu: ShadowMmu;
  readonly view: View = { paging: true, cr3: 0x1000, pse: true, wp: true };
  root = -1;
  /** Linear pages flushed one by one, and whole flushes, since the last clearFlushes(). */
  flushedPages: number[] = [];
  fullFlushes = 0;
  /** Hidden faults taken by the last access. */
  lastHidden = 0;
  /** Linear page -> combined shadow entry (frame | P | RW | US of PDE & PTE) the walk found. */
  readonly tlb = new Map<number, number>();

  constructor(ramMiB = 8, limits?: ShadowLimits) {
    this.mem = new PhysicalMemory((ramMiB + 24) * MiB);
    this.frames = new FrameAllocator(this.mem.size / 4096, 1);
    this.frames.alloc(3, FrameUse.HostState); // something below RAM, so host and guest addresses differ
    const base = this.frames.alloc((ramMiB * MiB) / 4096, FrameUse.GuestRam, 1, 1024);
    this.ram = new GuestRam(this.mem, base, ramMiB * MiB);
    this.mmu = new ShadowMmu(
      this.mem,
      this.frames,
      1,
      this.ram,
      {
        loadRoot: (hpa) => (this.root = hpa),
        flushAll: () => {
          this.fullFlushes++;
          this.tlb.clear();
        },
        flushPage: (lin) => {
          this.flushedPages.push(lin >>> 0);
          this.tlb.delete(lin >>> 12);
        },
      },
      this.stats,
      limits,
    );
  }

  clearFlushes(): void {
    this.flushedPages = [];
    this.fullFlushes = 0;
  }

  /** MOV to CR3 (or paging turned on/off): the MMU switches roots. */
  load(cr3: number, paging = true): void {
    this.view.cr3 = cr3;
    this.view.paging = paging;
    this.mmu.switchRoot(paging, cr3);
  }

  /** The processor's walk of the shadow tables (SDM §4.3 with CR0.WP = 1); null = allowed. */
  shadowWalk(linear: number, write: boolean, user: boolean): { hpa: number; pfec: number } {
    const acc = (write ? PF_W : 0) | (user ? PF_U : 0);
    const pde = this.mem.read32(this.root + (linear >>> 22) * 4);
    if ((pde & P) === 0) return { hpa: -1, pfec: acc };
    if (pde & PS) throw new Error('the shadow never uses 4 MiB pages');
    const pte = this.mem.read32((pde & ~0xfff) + ((linear >>> 12) & 0x3ff) * 4);
    if ((pte & P) === 0) return { hpa: -1, pfec: acc };
    if (user && (pde & pte & US) === 0) return { hpa: -1, pfec: acc | PF_P };
    if (write && (pde & pte & RW) === 0) return { hpa: -1, pfec: acc | PF_P };
    this.tlb.set(linear >>> 12, ((pte & ~0xfff) | (pde & pte & (P | RW | US))) >>> 0);
    return { hpa: ((pte & ~0xfff) >>> 0) + (linear & 0xfff), pfec: 0 };
  }

  /** A TLB hit for the access, or -1 (a miss or a permission the entry does not give: walk). */
  private tlbHit(linear: number, write: boolean, user: boolean): number {
    const e = this.tlb.get(linear >>> 12);
    if (e === undefined || (user && (e & US) === 0) || (write && (e & RW) === 0)) return -1;
    return ((e & ~0xfff) >>> 0) + (linear & 0xfff);
  }

  /** One guest access: hidden faults are handled and retried; what is left is what the guest sees. */
  access(linear: number, write: boolean, user: boolean): Access {
    this.lastHidden = 0;
    const hit = this.tlbHit(linear >>> 0, write, user);
    if (hit >= 0) return { kind: 'ok', hpa: hit };
    for (let tries = 0; tries < 8; tries++) {
      const w = this.shadowWalk(linear >>> 0, write, user);
      if (w.hpa >= 0) return { kind: 'ok', hpa: w.hpa };
      const r = this.mmu.fault(this.view, linear, w.pfec);
      switch (r) {
        case FaultResult.FILLED:
        case FaultResult.RETRY:
          this.lastHidden++;
          continue;
        case FaultResult.GUEST_FAULT:
          return { kind: 'pf', code: this.mmu.walk.errorCode };
        case FaultResult.WRITE_PROTECTED:
          return { kind: 'protected', gpa: this.mmu.walk.gpa };
        case FaultResult.OUTSIDE_RAM:
          return { kind: 'outside', gpa: this.mmu.badGpa };
      }
    }
    throw new Error(`access to 0x${linear.toString(16)} keeps faulting`);
  }

  read(linear: number, user = false): Access {
    return this.access(linear, false, user);
  }

  write(linear: number, user = false): Access {
    return this.access(linear, true, user);
  }

  /** A guest write of a dword to guest-physical `gpa` through a write-protection fault, as the
   *  write emulator does it: the write lands, then the MMU is told. */
  guestStore(gpa: number, value: number): void {
    this.ram.write32(gpa, value);
    this.mmu.guestWrote(gpa, 4, true);
  }

  /** The host-physical address a guest-physical one is at. */
  hpa(gpa: number): number {
    return this.ram.hpa(gpa);
  }

  pte(gpa: number): number {
    return this.ram.read32(gpa) >>> 0;
  }
}
