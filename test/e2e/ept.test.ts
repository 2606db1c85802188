// Every guest, booted with `vmm run --mode ept` (the real command, from the esbuild bundle) and with
// `--mode ept --pv`, prints exactly its golden output (recorded on QEMU; the native run matches the
// same files) and exits with the golden status. Guests with an IDT also run with `pvemu` without
// --pv: VMCALL is then #UD, as natively, and the guest emulates its hypercalls itself.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { rebuildBundle, vmmRun } from '../cli/vmm-process.js';
import { guestRuns, readGolden } from '../guests/catalog.js';

describe.skipIf(hostProcessor() === null)('vmm run --mode ept matches the golden files', () => {
  beforeAll(() => {
    rebuildBundle();
  });

  for (const g of guestRuns) {
    const variants: { label: string; flags: string[]; extra: string }[] = [
      { label: 'ept', flags: [], extra: '' },
      { label: 'ept --pv', flags: ['--pv'], extra: '' },
    ];
    if (g.pvemu) variants.push({ label: 'ept, pvemu', flags: [], extra: 'pvemu' });
    for (const v of variants) {
      const cmdline = [g.cmdline, v.extra].filter((s) => s !== '').join(' ');
      it.concurrent(`${g.id} (${v.label})`, async () => {
        if (!existsSync(g.image)) throw new Error(`${g.image} is missing: run npm run build:guests`);
        const golden = readGolden(g);
        const args = [g.image, '--mode', 'ept', ...v.flags];
        if (cmdline) args.push('--cmdline', cmdline);
        const r = await vmmRun(args, 120_000);
        expect(r.stdout.toString('latin1'), r.stderr).toBe(golden.stdout.toString('latin1'));
        expect(r.status, r.stderr).toBe(golden.status);
      });
    }
  }
});
