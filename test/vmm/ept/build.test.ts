// The EPT builder's tables, walked by the processor's own EPT walker (cpu/mmu/ept.ts).
import { describe, expect, it } from 'vitest';
import { EPTE, EPT_VIOLATION } from '../../../src/cpu/vmx/api.js';
import { EptAccess, EptStatus, EptWalkResult, eptTranslate, eptpValid } from '../../../src/cpu/mmu/ept.js';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { EptTables } from '../../../src/vmm/ept/build.js';
import { FrameAllocator, FrameUse } from '../../../src/vmm/frames.js';

const MiB = 1024 * 1024;

function setup(largePages: boolean) {
  const mem = new PhysicalMemory(32 * MiB);
  const frames = new FrameAllocator(mem.size / 4096, 1);
  const ramBase = frames.alloc((6 * MiB) / 4096, FrameUse.GuestRam, 1, 1024);
  const extra = frames.alloc(1, FrameUse.IdentityMap, 1);
  const ept = new EptTables(mem, frames, 1, { largePages, accessedDirty: false });
  // 6 MiB of RAM: with 2 MiB pages, three of them; plus one read-only 4 KiB page right after RAM.
  ept.map(0, ramBase, 6 * MiB);
  ept.map(6 * MiB, extra, 4096, EPTE.R);
  return { mem, frames, ramBase, extra, ept };
}

describe('EPT tables', () => {
  for (const largePages of [false, true]) {
    it(`map RAM 1:1 onto its host frames, RWX, and nothing else (${largePages ? '2 MiB' : '4 KiB'} pages)`, () => {
      const { mem, ramBase, extra, ept } = setup(largePages);
      expect(eptpValid(ept.eptp, 0)).toBe(true);
      const out = new EptWalkResult();
      for (const gpa of [0, 0x1234, 0x1fffff, 0x200000, 0x5ffffc]) {
        for (const a of [EptAccess.READ, EptAccess.WRITE, EptAccess.FETCH]) {
          expect(eptTranslate(mem, ept.eptp, gpa, a, true, out)).toBe(EptStatus.OK);
          expect(out.hpa).toBe(ramBase + gpa);
        }
      }
      expect(eptTranslate(mem, ept.eptp, 6 * MiB + 8, EptAccess.WALK_READ, true, out)).toBe(EptStatus.OK);
      expect(out.hpa).toBe(extra + 8);
      expect(out.pageShift).toBe(12);
      expect(eptTranslate(mem, ept.eptp, 6 * MiB + 8, EptAccess.WRITE, true, out)).toBe(EptStatus.VIOLATION);
      expect(out.qualification & (EPT_VIOLATION.ACC_WRITE | EPT_VIOLATION.READABLE | EPT_VIOLATION.WRITABLE)).toBe(EPT_VIOLATION.ACC_WRITE | EPT_VIOLATION.READABLE);
      for (const gpa of [6 * MiB + 4096, 8 * MiB, 0xfee00000, 0xffffffff]) {
        expect(eptTranslate(mem, ept.eptp, gpa, EptAccess.READ, true, out)).toBe(EptStatus.VIOLATION);
        expect(out.qualification & (EPT_VIOLATION.READABLE | EPT_VIOLATION.WRITABLE | EPT_VIOLATION.EXECUTABLE)).toBe(0);
      }
      expect(largePages ? ept.pages2m : ept.pages4k).toBe(largePages ? 3 : 6 * 256 + 1);
    });
  }

  it('every leaf points into the VM\'s own frames (the isolation property, table by table)', () => {
    const { mem, frames, ept } = setup(true);
    const leaves: number[] = [];
    const walk = (table: number, level: number) => {
      for (let i = 0; i < 512; i++) {
        const e = mem.read32(table + 8 * i);
        if ((e & EPTE.RWX) === 0) continue;
        expect(mem.read32(table + 8 * i + 4)).toBe(0);
        if (level === 1 || (level === 2 && e & EPTE.PS)) leaves.push(e & EPTE.FRAME_MASK);
        else walk(e & EPTE.FRAME_MASK, level - 1);
      }
    };
    walk(ept.pml4, 4);
    expect(leaves.length).toBe(4);
    for (const hpa of leaves) {
      expect(frames.ownerOf(hpa)).toBe(1);
      expect([FrameUse.GuestRam, FrameUse.IdentityMap]).toContain(frames.useOf(hpa));
    }
    for (const t of ept.tables) expect(frames.useOf(t)).toBe(FrameUse.EptTable);
  });
});
