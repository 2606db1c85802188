// The debugger's side-effect-free page walk against the processor's own MMU (cpu/mmu/walk.ts) on
// the paging guest's real tables (4 KiB and 4 MiB pages, not-present entries), and the EPT walk
// against the processor's EPT walker on tables built by the hypervisor's EPT builder.
import { describe, expect, it } from 'vitest';
import { processorInternals } from '../../src/cpu/debug-access.js';
import { FAULT } from '../../src/cpu/fault.js';
import { Access, tlbFill } from '../../src/cpu/mmu/walk.js';
import type { NativeTarget } from '../../src/debugger/targets/native.js';
import { EptAccess, EptStatus, EptWalkResult, eptTranslate } from '../../src/cpu/mmu/ept.js';
import { walkEpt } from '../../src/debugger/walks.js';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { EptTables } from '../../src/vmm/ept/build.js';
import { FrameAllocator } from '../../src/vmm/frames.js';
import { nativeSession } from './helpers.js';

describe('debugger page walks', () => {
  it('translate() agrees with the MMU on every page the paging guest maps, at several points of its run', () => {
    const s = nativeSession('paging');
    const target = s.dbg.target as NativeTarget;
    const core = processorInternals((target as unknown as { machine: { processor: object } }).machine.processor)!;
    let checked = 0;
    let unmapped = 0;
    for (let round = 0; round < 6; round++) {
      // Run on to a point with paging on (and then a bit further each round).
      for (let i = 0; i < 400_000 && (s.dbg.registers().cr0 >>> 31) === 0; i++) s.dbg.step();
      s.dbg.step(round * 20_000 + 1);
      if (s.dbg.target.ended) break;
      if ((s.dbg.registers().cr0 >>> 31) === 0) continue;
      const addrs: number[] = [];
      for (let pde = 0; pde < 1024; pde += 3) addrs.push((pde << 22) >>> 0, ((pde << 22) + 0x1234) >>> 0);
      for (let a = 0; a < 0x00800000; a += 0x1000) addrs.push(a + 0x10);
      for (const lin of addrs) {
        const mine = s.dbg.target.translate(lin);
        let mmu: number | null;
        try {
          mmu = (((tlbFill(core.cpu, lin, Access.READ, false) & ~0xfff) | (lin & 0xfff)) >>> 0);
        } catch (e) {
          if (e !== FAULT) throw e;
          mmu = null;
        }
        expect(mine, `linear 0x${lin.toString(16)}`).toBe(mmu);
        checked++;
        if (mmu === null) unmapped++;
      }
      core.cpu.tlb.flushAll();
    }
    expect(checked).toBeGreaterThan(1000);
    expect(unmapped).toBeGreaterThan(0);
  });
});

describe('debugger EPT walk', () => {
  it('agrees with the processor EPT walker on tables from the hypervisor EPT builder', () => {
    const mem = new PhysicalMemory(64 * 1024 * 1024);
    const frames = new FrameAllocator(mem.size / 4096, 1);
    for (const largePages of [false, true]) {
      const ept = new EptTables(mem, frames, 1, { largePages, accessedDirty: false });
      ept.map(0, 16 * 1024 * 1024, 8 * 1024 * 1024); // guest RAM 0..8 MiB at host 16 MiB
      ept.map(0x00a00000, 0x02000000, 0x1000); // one stray page
      const read = (a: number): number | null => (a + 4 <= mem.size ? mem.read32(a) >>> 0 : null);
      const out = new EptWalkResult();
      for (let gpa = 0; gpa < 0x01000000; gpa += 0x3f01) {
        const mine = walkEpt(gpa, ept.eptp, read);
        const st = eptTranslate(mem, ept.eptp, gpa, EptAccess.READ, true, out);
        expect(mine.result, `gpa 0x${gpa.toString(16)}`).toBe(st === EptStatus.OK ? out.hpa >>> 0 : null);
        if (mine.result !== null) expect(mine.steps[mine.steps.length - 1]!.level).toBe(largePages && gpa < 0x800000 ? 'EPT PDE' : 'EPT PTE');
      }
    }
  });
});
