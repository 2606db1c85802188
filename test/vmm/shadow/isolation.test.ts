// Isolation under shadow paging (real processor): a guest whose page tables point outside its RAM
// -- a 4 KiB page, a page table, its page directory, a 4 MiB page straddling the end of RAM -- is
// stopped with a report before any such frame is mapped; no host memory but its RAM (and the
// hypervisor's own VMCS and shadow tables) changes, and every shadow entry maps the VM's RAM only.
import { describe, expect, it } from 'vitest';
import { FrameUse } from '../../../src/vmm/frames.js';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { ShadowPagingMode } from '../../../src/vmm/paging/shadow-mode.js';
import { prepareVm } from '../../../src/vmm/run-vm.js';
import { patchAfterMarker } from '../build-fixture.js';
import { buildFixture } from './fixture.js';

const factory = hostProcessor();
const MiB = 1024 * 1024;
const RAM_MIB = 6;

describe.skipIf(factory === null)('isolation under shadow paging (real processor)', () => {
  const probe = buildFixture('hostile').image;

  function attempt(kind: number, target: number) {
    const image = patchAfterMarker(patchAfterMarker(probe, 'TGT!', target), 'CAS!', kind);
    const out: number[] = [];
    const m = prepareVm(image, { name: 'hostile', memMiB: RAM_MIB, mode: 'shadow', pv: false, maxInsns: 1_000_000, onConsole: (b) => out.push(...b) }, factory!);
    const { mem, frames } = m.vm.host;
    const watched: number[] = [];
    for (let f = 0; f < mem.size / 4096; f++) {
      const use = frames.useOf(f * 4096);
      if (use !== FrameUse.GuestRam && use !== FrameUse.Vmcs && use !== FrameUse.ShadowTable) watched.push(f);
    }
    const before = watched.map((f) => Buffer.from(mem.u8.subarray(f * 4096, (f + 1) * 4096)));
    const r = m.run();
    // Shadow pages are allocated as the guest runs: a frame that became one is the hypervisor's.
    const changed = watched.filter((f, i) => frames.useOf(f * 4096) !== FrameUse.ShadowTable && !before[i]!.equals(mem.u8.subarray(f * 4096, (f + 1) * 4096)));
    // Every leaf of every shadow page table maps a frame of this VM's RAM.
    const mmu = (m.vm.vcpu.paging as ShadowPagingMode).mmu;
    const ram = m.vm.ram;
    let leaves = 0;
    for (const sp of mmu.shadowPages()) {
      if (sp.level !== 1) continue;
      for (let i = 0; i < 1024; i++) {
        const e = mem.read32(sp.hpa + i * 4);
        if ((e & 1) === 0) continue;
        leaves++;
        const hpa = (e & ~0xfff) >>> 0;
        expect(hpa >= ram.base && hpa < ram.base + ram.size).toBe(true);
        expect(frames.ownerOf(hpa)).toBe(1);
      }
    }
    return { r, changed, text: Buffer.from(out).toString(), leaves };
  }

  const inside = 2 * MiB + 0x345c;
  const outside: [string, number][] = [
    ['the first byte past RAM', RAM_MIB * MiB],
    ['a host frame past RAM', RAM_MIB * MiB + 0x5000],
    ['far above', 0xfec00000],
  ];

  it.each([0, 1, 3])('case %i onto the guest\'s own RAM works', (kind) => {
    const { r, changed, text, leaves } = attempt(kind, kind === 1 ? 2 * MiB : inside);
    if (kind === 1) {
      // A page table at 2 MiB full of zeros: the access is the guest's own #PF (no IDT: triple fault).
      expect(r.outcome.kind).toBe('triple-fault');
    } else {
      expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
      expect(text).toBe('ok\n');
    }
    expect(changed).toEqual([]);
    expect(leaves).toBeGreaterThan(0);
  });

  for (const kind of [0, 1, 2, 3]) {
    it.each(outside)(`case ${kind}, %s: the VM stops with a report, host memory untouched`, (_what, target) => {
      const { r, changed, text } = attempt(kind, target);
      expect(r.outcome.kind).toBe('vm-stopped');
      const report = r.outcome.kind === 'vm-stopped' ? r.outcome.report : '';
      expect(report).toContain(`outside the VM's ${RAM_MIB} MiB of RAM`);
      expect(text).toBe('');
      expect(changed).toEqual([]);
    });
  }

  it('a 4 MiB page straddling the end of RAM maps its part inside RAM and stops at the rest', () => {
    const base = 4 * MiB; // RAM ends at 6 MiB: [4, 6) MiB is RAM, [6, 8) is not
    expect(attempt(3, base + 0x1000).r.outcome).toEqual({ kind: 'exit', value: 0 });
    expect(attempt(3, base + 2 * MiB + 0x1000).r.outcome.kind).toBe('vm-stopped');
  });
});
