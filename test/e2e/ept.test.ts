// Every guest, booted with `vmm run --mode ept` (the real command, from the esbuild bundle) and with
// `--mode ept --pv`, prints exactly its golden output (recorded on QEMU; the native run matches the
// same files) and exits with the golden status. Guests with an IDT also run with `pvemu` without
// --pv: VMCALL is then #UD, as natively, and the guest emulates its hypercalls itself.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { REPO_ROOT, guestRuns, readGolden } from '../guests/catalog.js';

const VMM = join(REPO_ROOT, 'bin', 'vmm.mjs');

interface RunResult {
  stdout: Buffer;
  stderr: string;
  status: number | null;
}

function vmmRun(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [VMM, 'run', ...args], { cwd: REPO_ROOT });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: err, status });
    });
  });
}

describe.skipIf(hostProcessor() === null)('vmm run --mode ept matches the golden files', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], { cwd: REPO_ROOT });
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
