// The PFEC filter on the real processor: in the paging guest, ring 3 reads of supervisor pages the
// kernel has already touched fault with error code P|U straight into the guest, without a VM exit,
// so the hypervisor injects fewer page faults than the guest reports handling; the output is still
// exactly the golden one (error codes and CR2 included).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { runVm } from '../../../src/vmm/run-vm.js';
import { guestRun, readGolden } from '../../guests/catalog.js';

const factory = hostProcessor();

describe.skipIf(factory === null)('#PF filter (real processor)', () => {
  it('P|U faults reach the guest without an exit', () => {
    const g = guestRun('paging');
    const golden = readGolden(g).stdout.toString('latin1');
    const out: number[] = [];
    const r = runVm(new Uint8Array(readFileSync(g.image)), { name: 'paging.elf', mode: 'shadow', pv: false, onConsole: (b) => out.push(...b) }, factory!);
    expect(Buffer.from(out).toString('latin1')).toBe(golden);
    const guestFaults = golden.split('\n').filter((l) => l.includes('#PF')).length;
    const userOnSupervisor = golden.split('\n').filter((l) => l.includes('#PF err=00000005')).length;
    expect(userOnSupervisor).toBeGreaterThan(0);
    expect(r.stats.shadow!.injectedFaults).toBeLessThan(guestFaults);
  });
});
