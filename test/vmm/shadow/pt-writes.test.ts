// A kernel rewriting its page tables with every instruction form (fixtures/pt-writes.asm), run on
// the real processor natively, under shadow paging and under EPT, and on QEMU when installed: the
// output (data read through each new mapping, the PTEs with their A/D flags, CR0/CR3/CR4 as read,
// page faults with error code and CR2, #DF after a fault during #PF delivery, a triple fault) must
// be identical. The shadow statistics show which writes were emulated and which single-stepped.
import { describe, expect, it } from 'vitest';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { qemuMissing } from '../../guests/qemu.js';
import { buildFixture, runNativeText, runQemuText, runVmText } from './fixture.js';

const noQemu = qemuMissing();

describe.skipIf(hostProcessor() === null)('page-table writes under shadow paging (real processor)', () => {
  const plain = buildFixture('pt-writes');
  const double = buildFixture('pt-writes', ['DOUBLE']);
  const triple = buildFixture('pt-writes', ['DOUBLE', 'TRIPLE']);

  it('every write form gives the output of the bare processor', () => {
    const native = runNativeText(plain.image);
    const shadow = runVmText(plain.image, 'shadow');
    expect(native.outcome).toEqual({ kind: 'exit', value: 0 });
    expect(shadow.text).toBe(native.text);
    expect(shadow.outcome).toEqual(native.outcome);
    expect(runVmText(plain.image, 'ept').text).toBe(native.text);
    const s = shadow.vm!.stats.shadow!;
    // MOV (5 forms), XCHG, STOS (3), MOVS and the recursive MOV are emulated; OR, AND, ADD, BTR,
    // CMPXCHG, INC are not: each is single-stepped under the monitor trap flag.
    expect(s.emulatedWrites).toBeGreaterThanOrEqual(11);
    expect(s.singleSteps).toBeGreaterThanOrEqual(6);
    expect(s.zaps).toBeGreaterThan(0);
    expect(native.text).toContain('cr0 80010011 cr3 00102000 cr4 00000000');
  });

  it('a #PF whose delivery faults becomes #DF (CR2 from the second fault), as natively', () => {
    const native = runNativeText(double.image);
    const shadow = runVmText(double.image, 'shadow');
    expect(native.outcome).toEqual({ kind: 'exit', value: 0x21 });
    expect(shadow.outcome).toEqual(native.outcome);
    expect(shadow.text).toBe(native.text);
  });

  it('with the #DF gate missing too, the VM shuts down on a triple fault, as the machine does', () => {
    const native = runNativeText(triple.image);
    const shadow = runVmText(triple.image, 'shadow');
    expect(native.outcome.kind).toBe('triple-fault');
    expect(shadow.outcome.kind).toBe('triple-fault');
    expect(shadow.text).toBe(native.text);
    const cr2 = (r: { outcome: unknown }) => /CR2=([0-9a-f]+)/.exec(JSON.stringify(r.outcome))?.[1];
    expect(cr2(shadow)).toBe(cr2(native));
  });

  it.skipIf(noQemu !== undefined)('QEMU prints the same for all three', async () => {
    for (const b of [plain, double, triple]) {
      const q = await runQemuText(b.path);
      expect(q.stdout.toString('latin1')).toBe(runVmText(b.image, 'shadow').text);
    }
  });
});
