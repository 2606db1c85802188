// The hypervisor's host-frame allocator: which 4 KiB frames of host-physical memory hold what
// (VMXON region, VMCS regions, guest RAM, shadow page tables, EPT tables). Every structure the
// processor walks is a frame handed out here, so "the VM's frames" is a precise, testable set.
import { PAGE_SHIFT, PAGE_SIZE } from '../machine/memory.js';

/** What a frame is used for; kept per frame so the debugger and the isolation tests can ask. */
export const FrameUse = {
  Free: 0,
  Reserved: 1,
  VmxOn: 2,
  Vmcs: 3,
  GuestRam: 4,
  EptTable: 5,
  ShadowTable: 6,
  Bitmap: 7,
  /** The host's own structures: page directory, GDT, IDT, TSS, stack, the exit-entry stub. */
  HostState: 8,
  /** A VM's EPT identity-map page directory (used while its CR0.PG = 0). */
  IdentityMap: 9,
} as const;
export type FrameUse = (typeof FrameUse)[keyof typeof FrameUse];

export class OutOfHostMemory extends Error {
  override name = 'OutOfHostMemory';
}

export class FrameAllocator {
  private readonly use: Uint8Array;
  /** Owner id per frame (0 = the hypervisor itself, n = VM n). */
  private readonly owner: Uint16Array;
  private hint = 0;
  private freeCount: number;

  /** Manages frames [firstFrame, frameCount); frames below firstFrame stay Reserved. */
  constructor(
    readonly frameCount: number,
    firstFrame = 0,
  ) {
    this.use = new Uint8Array(frameCount);
    this.owner = new Uint16Array(frameCount);
    this.use.fill(FrameUse.Reserved, 0, firstFrame);
    this.freeCount = frameCount - firstFrame;
    this.hint = firstFrame;
  }

  get free(): number {
    return this.freeCount;
  }

  /** Allocates `count` contiguous frames aligned to `alignFrames`; returns the host-physical address. */
  alloc(count: number, use: FrameUse, owner = 0, alignFrames = 1): number {
    const start = this.find(count, alignFrames, this.hint) ?? this.find(count, alignFrames, 0);
    if (start === undefined) {
      throw new OutOfHostMemory(`no ${count} contiguous free host frames (${this.freeCount} free)`);
    }
    this.use.fill(use, start, start + count);
    this.owner.fill(owner, start, start + count);
    this.freeCount -= count;
    this.hint = start + count;
    return start << PAGE_SHIFT;
  }

  /** Returns frames to the pool. Freeing a frame that is not allocated is a host bug. */
  release(hpa: number, count: number): void {
    const start = hpa >>> PAGE_SHIFT;
    for (let f = start; f < start + count; f++) {
      const u = this.use[f];
      if (u === undefined || u === FrameUse.Free || u === FrameUse.Reserved) {
        throw new Error(`release of frame 0x${f.toString(16)} that is not allocated`);
      }
      this.use[f] = FrameUse.Free;
      this.owner[f] = 0;
    }
    this.freeCount += count;
    if (start < this.hint) this.hint = start;
  }

  useOf(hpa: number): FrameUse {
    return (this.use[hpa >>> PAGE_SHIFT] ?? FrameUse.Reserved) as FrameUse;
  }

  ownerOf(hpa: number): number {
    return this.owner[hpa >>> PAGE_SHIFT] ?? 0;
  }

  private find(count: number, align: number, from: number): number | undefined {
    let f = Math.ceil(from / align) * align;
    while (f + count <= this.frameCount) {
      let run = 0;
      while (run < count && this.use[f + run] === FrameUse.Free) run++;
      if (run === count) return f;
      f = Math.ceil((f + run + 1) / align) * align;
    }
    return undefined;
  }
}

export { PAGE_SIZE };
