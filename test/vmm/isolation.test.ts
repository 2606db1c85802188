// Isolation (DESIGN.md invariant 2): a guest whose page tables point anywhere it likes can never
// read or write host memory outside its own RAM frames. The probe guest maps a 4 MiB page onto an
// arbitrary physical address and writes a marker there; a target outside the VM's RAM must end the
// VM with an EPT violation, and no host frame that is not the VM's RAM may change.
import { describe, expect, it } from 'vitest';
import { FrameUse } from '../../src/vmm/frames.js';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { prepareVm } from '../../src/vmm/run-vm.js';
import { hostMemoryBytes } from '../../src/vmm/host.js';
import { buildGuest, patchAfterMarker } from './build-fixture.js';

const factory = hostProcessor();
const MiB = 1024 * 1024;

describe.skipIf(factory === null)('isolation under EPT (real processor)', () => {
  const probe = buildGuest('isolation');

  /** Runs the probe against `target`; returns the outcome and whether non-RAM host memory changed. */
  function attempt(target: number, memMiB = 8) {
    const out: number[] = [];
    const m = prepareVm(patchAfterMarker(probe, 'TGT!', target), { name: 'isolation', memMiB, mode: 'ept', pv: false, onConsole: (b) => out.push(...b) }, factory!);
    const mem = m.vm.host.mem;
    const frames = m.vm.host.frames;
    // Everything that is neither the VM's RAM nor a structure the processor itself updates.
    const watched: number[] = [];
    for (let f = 0; f < mem.size / 4096; f++) {
      const use = frames.useOf(f * 4096);
      if (use !== FrameUse.GuestRam && use !== FrameUse.Vmcs) watched.push(f);
    }
    const before = watched.map((f) => Buffer.from(mem.u8.subarray(f * 4096, (f + 1) * 4096)));
    const r = m.run();
    const changed = watched.filter((f, i) => !before[i]!.equals(mem.u8.subarray(f * 4096, (f + 1) * 4096)));
    return { r, changed, text: Buffer.from(out).toString() };
  }

  it('a target inside RAM is the guest\'s own memory: it works', () => {
    const { r, changed, text } = attempt(0x200000);
    expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
    expect(text).toBe('ok\n');
    expect(changed).toEqual([]);
  });

  it.each([
    ['the first byte past RAM (the read-only identity-map page)', 8 * MiB],
    ['the page after it', 8 * MiB + 4096],
    ['the last dword of host memory', hostMemoryBytes(8 * MiB) - 4],
    ['far above', 0xfec00000],
  ])('%s: EPT violation, the VM stops, host memory untouched', (_what, target) => {
    const { r, changed, text } = attempt(target);
    expect(r.outcome.kind).toBe('vm-stopped');
    expect(r.outcome.kind === 'vm-stopped' ? r.outcome.report : '').toContain('EPT violation');
    expect(text).toBe('');
    expect(changed).toEqual([]);
  });

  it('host structures\' addresses, as guest-physical ones, are only the guest\'s own RAM', () => {
    const { r } = attempt(0x7000); // a low frame that holds host structures in host-physical space
    expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
  });
});
