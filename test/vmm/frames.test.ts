import { describe, expect, it } from 'vitest';
import { FrameAllocator, FrameUse, OutOfHostMemory } from '../../src/vmm/frames.js';

describe('FrameAllocator', () => {
  it('hands out distinct, aligned frames and tracks their use and owner', () => {
    const a = new FrameAllocator(64, 1);
    const vmcs = a.alloc(1, FrameUse.Vmcs, 1);
    const ram = a.alloc(8, FrameUse.GuestRam, 1, 8);
    expect(vmcs).toBe(0x1000); // frame 0 reserved
    expect(ram % (8 * 0x1000)).toBe(0);
    expect(ram).toBeGreaterThanOrEqual(0x2000);
    expect(a.useOf(ram + 0x7fff)).toBe(FrameUse.GuestRam);
    expect(a.ownerOf(ram)).toBe(1);
    expect(a.useOf(0)).toBe(FrameUse.Reserved);
    expect(a.free).toBe(63 - 9);
  });

  it('reuses released frames and refuses double release', () => {
    const a = new FrameAllocator(4);
    const x = a.alloc(4, FrameUse.EptTable);
    expect(() => a.alloc(1, FrameUse.EptTable)).toThrow(OutOfHostMemory);
    a.release(x + 0x1000, 1);
    expect(a.alloc(1, FrameUse.ShadowTable)).toBe(x + 0x1000);
    a.release(x, 1);
    expect(() => a.release(x, 1)).toThrow(/not allocated/);
  });

  it('is next-fit: skips allocated runs, then wraps to the start for a hole', () => {
    const a = new FrameAllocator(16);
    a.alloc(3, FrameUse.Vmcs);
    const mid = a.alloc(1, FrameUse.Vmcs);
    a.release(0, 3);
    expect(a.alloc(4, FrameUse.GuestRam)).toBe(mid + 0x1000);
    expect(a.alloc(3, FrameUse.GuestRam)).toBe(0x8000);
    expect(a.alloc(4, FrameUse.GuestRam)).toBe(0xb000);
    expect(a.alloc(3, FrameUse.GuestRam)).toBe(0); // only the released hole at the start is left
  });
});
