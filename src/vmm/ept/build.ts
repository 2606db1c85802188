// EPT tables for one VM (SDM Vol. 3 §29.3): 4-level structures in host frames mapping guest-physical
// ranges to host-physical ones with R/W/X and write-back memory type. Nothing else is mapped, so any
// other guest-physical address is an EPT violation: that is what isolates a VM (DESIGN.md inv. 2).
import { EPTE, MEMTYPE, makeEptp } from '../../cpu/vmx/api.js';
import type { PhysicalMemory } from '../../machine/memory.js';
import { HostBugError } from '../../common/assert.js';
import { PAGE_SIZE } from '../arch-defs.js';
import { type FrameAllocator, FrameUse } from '../frames.js';

/** Bits of a guest-physical address that index each level: PML4 47:39, PDPT 38:30, PD 29:21, PT 20:12. */
const LEVEL_SHIFT = [0, 12, 21, 30, 39] as const;
const ENTRY_INDEX_MASK = 0x1ff;
const ENTRY_SIZE = 8;
const LARGE_PAGE = 1 << 21;

export interface EptOptions {
  /** Map 2 MiB-aligned runs with 2 MiB pages (IA32_VMX_EPT_VPID_CAP bit 16). */
  readonly largePages: boolean;
  /** Enable EPT accessed/dirty flags in the EPTP (capability bit 21). */
  readonly accessedDirty: boolean;
}

/** One VM's EPT structures: the PML4 and every table below it, all frames owned by the VM. */
export class EptTables {
  readonly pml4: number;
  readonly eptp: number;
  /** Host-physical addresses of every table frame (PML4 included), for release and the debugger. */
  readonly tables: number[] = [];
  /** Leaf pages mapped, by size. */
  pages4k = 0;
  pages2m = 0;

  constructor(
    private readonly mem: PhysicalMemory,
    private readonly frames: FrameAllocator,
    private readonly owner: number,
    private readonly opts: EptOptions,
  ) {
    this.pml4 = this.newTable();
    this.eptp = makeEptp(this.pml4, MEMTYPE.WB, opts.accessedDirty);
  }

  /** Maps [gpa, gpa + size) to [hpa, hpa + size), write-back, with `perms` (EPTE R/W/X bits). */
  map(gpa: number, hpa: number, size: number, perms: number = EPTE.RWX): void {
    if ((gpa | hpa | size) % PAGE_SIZE !== 0) throw new HostBugError(`EPT map of unaligned range gpa ${gpa} hpa ${hpa} size ${size}`);
    let off = 0;
    while (off < size) {
      const g = gpa + off;
      const h = hpa + off;
      if (this.opts.largePages && g % LARGE_PAGE === 0 && h % LARGE_PAGE === 0 && size - off >= LARGE_PAGE) {
        this.setLeaf(g, h, 2, perms);
        this.pages2m++;
        off += LARGE_PAGE;
      } else {
        this.setLeaf(g, h, 1, perms);
        this.pages4k++;
        off += PAGE_SIZE;
      }
    }
  }

  /** Returns every table frame to the allocator. */
  release(): void {
    for (const t of this.tables) this.frames.release(t, 1);
    this.tables.length = 0;
  }

  private newTable(): number {
    const t = this.frames.alloc(1, FrameUse.EptTable, this.owner);
    this.mem.u8.fill(0, t, t + PAGE_SIZE);
    this.tables.push(t);
    return t;
  }

  /** Writes the leaf at `level` (1: PTE, 4 KiB; 2: PDE, 2 MiB), creating the tables above it. */
  private setLeaf(gpa: number, hpa: number, level: 1 | 2, perms: number): void {
    let table = this.pml4;
    for (let l = 4; l > level; l--) {
      const slot = table + index(gpa, l) * ENTRY_SIZE;
      const e = this.mem.read32(slot);
      if ((e & EPTE.RWX) === 0) {
        const next = this.newTable();
        // Non-leaf entries grant everything; the leaf decides (permissions AND over the walk).
        this.mem.write32(slot, next | EPTE.RWX);
        this.mem.write32(slot + 4, 0);
        table = next;
      } else {
        if (e & EPTE.PS) throw new HostBugError(`EPT map over a large page at gpa 0x${gpa.toString(16)}`);
        table = e & EPTE.FRAME_MASK;
      }
    }
    const slot = table + index(gpa, level) * ENTRY_SIZE;
    const leaf = hpa | (perms & EPTE.RWX) | (MEMTYPE.WB << EPTE.MEMTYPE_SHIFT) | (level === 2 ? EPTE.PS : 0);
    this.mem.write32(slot, leaf);
    this.mem.write32(slot + 4, 0);
  }
}

function index(gpa: number, level: number): number {
  // A 32-bit guest-physical address has bits 47:32 clear: the PML4 index is always 0.
  return level === 4 ? 0 : (gpa >>> LEVEL_SHIFT[level]!) & ENTRY_INDEX_MASK;
}
