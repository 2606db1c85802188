// Every guest, booted with `vmm run --mode shadow` (the real command, from the esbuild bundle), with
// `--mode shadow --pv` and, for guests with an IDT, with `pvemu`, prints exactly its golden output
// (recorded on QEMU; native and ept runs match the same files) and exits with the golden status.
// `--stats-json` shows the run really went through the shadow MMU, and that no cached root was ever
// found stale when reused (the evidence that write protection kept every shadow coherent).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import type { RunStatsJson } from '../../src/cli/run-report.js';
import { rebuildBundle, vmmRun } from '../cli/vmm-process.js';
import { guestRuns, readGolden } from '../guests/catalog.js';

const statsDir = mkdtempSync(join(tmpdir(), 'vtx-shadow-'));

describe.skipIf(hostProcessor() === null)('vmm run --mode shadow matches the golden files', () => {
  beforeAll(() => {
    rebuildBundle();
  });

  let n = 0;
  for (const g of guestRuns) {
    const variants: { label: string; flags: string[]; extra: string }[] = [
      { label: 'shadow', flags: [], extra: '' },
      { label: 'shadow --pv', flags: ['--pv'], extra: '' },
    ];
    if (g.pvemu) variants.push({ label: 'shadow, pvemu', flags: [], extra: 'pvemu' });
    for (const v of variants) {
      const cmdline = [g.cmdline, v.extra].filter((s) => s !== '').join(' ');
      const statsFile = join(statsDir, `${n++}.json`);
      it.concurrent(`${g.id} (${v.label})`, async () => {
        if (!existsSync(g.image)) throw new Error(`${g.image} is missing: run npm run build:guests`);
        const golden = readGolden(g);
        const args = [g.image, '--mode', 'shadow', ...v.flags, '--stats-json', statsFile];
        if (cmdline) args.push('--cmdline', cmdline);
        const r = await vmmRun(args, 120_000);
        expect(r.stdout.toString('latin1'), r.stderr).toBe(golden.stdout.toString('latin1'));
        expect(r.status, r.stderr).toBe(golden.status);
        const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as RunStatsJson;
        expect(stats.mode).toBe('shadow');
        const shadow = stats.vmExits?.shadow;
        expect(shadow?.hiddenFaults).toBeGreaterThan(0);
        expect(shadow?.staleOnReuse).toBe(0);
      });
    }
  }
});
