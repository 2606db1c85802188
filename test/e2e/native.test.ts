// Every guest, booted with `vmm run --mode native` (the real command, from the esbuild bundle),
// prints exactly its golden output (recorded on QEMU, SDM outcomes where QEMU is known to differ)
// and exits with the golden status. Guests with an IDT also run with `pvemu` (their PV paths,
// emulated inside the guest): the output must not change.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rebuildBundle, vmmRun } from '../cli/vmm-process.js';
import { GUESTS_DIR, guestRuns, readGolden } from '../guests/catalog.js';

beforeAll(() => {
  rebuildBundle();
});

describe('vmm run --mode native matches the golden files', () => {
  it('covers every image in guests/bin', () => {
    const images = readdirSync(join(GUESTS_DIR, 'bin')).filter((f) => f.endsWith('.elf')).map((f) => f.slice(0, -4));
    const listed = new Set(guestRuns.map((g) => g.name));
    expect(images.filter((n) => !listed.has(n))).toEqual([]);
  });

  for (const g of guestRuns) {
    const variants = g.pvemu ? ['', 'pvemu'] : [''];
    for (const extra of variants) {
      const cmdline = [g.cmdline, extra].filter((s) => s !== '').join(' ');
      it.concurrent(`${g.id}${extra ? ` (${extra})` : ''}`, async () => {
        if (!existsSync(g.image)) throw new Error(`${g.image} is missing: run npm run build:guests`);
        const golden = readGolden(g);
        const args = [g.image, '--mode', 'native'];
        if (cmdline) args.push('--cmdline', cmdline);
        const r = await vmmRun(args, 60_000);
        expect(r.stdout.toString('latin1'), r.stderr).toBe(golden.stdout.toString('latin1'));
        expect(r.status, r.stderr).toBe(golden.status);
      });
    }
  }
});
