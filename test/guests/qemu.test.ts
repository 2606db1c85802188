// Re-runs every guest on QEMU and compares with the golden files: the reference never drifts from
// what is recorded. Guests with an IDT run a second time with `pvemu`, which routes their console,
// MMU, timer, idle, EOI and exit through the PV hypercall paths (emulated inside the guest): the
// output must not change. Lines where QEMU is known to differ from the SDM (catalog `qemuQuirks`)
// are swapped for the SDM's before comparing, and must still be there.
import { describe, expect, it } from 'vitest';
import { guestRuns, readGolden } from './catalog.js';
import { applyQemuQuirks, describeEnd, qemuMissing, runQemu } from './qemu.js';

const missing = qemuMissing();

describe('guests on QEMU match their golden files', () => {
  it('has QEMU', () => {
    expect(missing, missing).toBeUndefined();
  });
  if (missing) return;

  for (const g of guestRuns) {
    const variants = g.pvemu ? ['', 'pvemu'] : [''];
    for (const extra of variants) {
      const cmdline = [g.cmdline, extra].filter((s) => s !== '').join(' ');
      it.concurrent(`${g.id}${extra ? ` (${extra})` : ''}`, async () => {
        const golden = readGolden(g);
        const r = await runQemu(g.image, cmdline, g.timeoutMs);
        expect(r.end, `${g.id}: ${describeEnd(r)}\n${r.stderr}`).toBe('exit');
        const { out, missing: quirksNotSeen } = applyQemuQuirks(r.stdout, g.qemuQuirks);
        expect(quirksNotSeen, 'known QEMU quirks no longer seen: update the catalog').toEqual([]);
        expect(out.toString('latin1')).toBe(golden.stdout.toString('latin1'));
        expect(r.status).toBe(golden.status);
        expect(golden.status).toBe(g.expectedStatus);
      });
    }
  }
});
