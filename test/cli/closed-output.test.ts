// A reader that goes away early (`vmm run ... | head`) must end the tool quietly with status 0, not
// with a Node stack trace: the guest keeps printing after the pipe is closed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../guests/catalog.js';
import { VMM, rebuildBundle } from './vmm-process.js';

beforeAll(() => {
  rebuildBundle();
});

it.each(['native', 'ept'])('vmm run --mode %s | head ends quietly with status 0', async (mode) => {
  const child = spawn(
    process.execPath,
    [VMM, 'run', join(REPO_ROOT, 'guests/bin/wl-console.elf'), '--mode', mode, '--cmdline', 'iters=2000000'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Read the first chunk of console output, then close our end, as `head -c` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  expect(stderr).not.toMatch(/EPIPE|at .*\(/);
  expect(status).toBe(0);
});
