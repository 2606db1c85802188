// Two guests also run as Linux i386 programs on the host processor, which must print exactly the
// golden files recorded from QEMU: real silicon is the outside reference.
// - alu: the instruction-set tests (the masks keep every flag the SDM leaves undefined out of the
//   hashes, so two correct processors agree);
// - cwork: the C guest, with the guest library replaced by raw Linux system calls.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUESTS_DIR, REPO_ROOT, guestRun } from './catalog.js';
// @ts-expect-error -- a plain ES module without type declarations; CFLAGS is a string array
import { CFLAGS } from '../../scripts/build-guests.mjs';

const x86Host = process.arch === 'x64' || process.arch === 'ia32';
const tmp = mkdtempSync(join(tmpdir(), 'guests-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const HOST_DIR = join(REPO_ROOT, 'test', 'guests', 'host');

function tool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: GUESTS_DIR });
  if (r.error) throw new Error(`${cmd} is missing (${r.error.message}): install nasm, binutils, gcc-multilib`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}

function runHost(exe: string, golden: string): void {
  const r = spawnSync(exe, [], { encoding: 'latin1' });
  expect(r.error?.message, 'the host cannot run i386 Linux programs (no IA-32 emulation in the kernel?)').toBeUndefined();
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(readFileSync(golden, 'latin1'));
}

describe.skipIf(!x86Host)('guests on the host processor print their golden files', () => {
  it('alu', () => {
    const core = join(tmp, 'alu-core.o');
    const shim = join(tmp, 'alu-linux.o');
    const exe = join(tmp, 'alu-host');
    tool('nasm', ['-f', 'elf32', '-Ilib/', '-o', core, 'src/alu/alu-core.asm']);
    tool('nasm', ['-f', 'elf32', '-o', shim, join(HOST_DIR, 'alu-linux.asm')]);
    tool('ld', ['-m', 'elf_i386', '-o', exe, core, shim]);
    runHost(exe, guestRun('alu').goldenOut);
  });

  it('cwork', () => {
    const exe = join(tmp, 'cwork-host');
    const flags = (CFLAGS as string[]).filter((f) => f !== '-nostdlib');
    tool('gcc', [
      ...flags, '-fno-tree-loop-distribute-patterns', '-nostdlib', '-static', '-no-pie',
      '-o', exe, 'src/cwork/cwork.c', join(HOST_DIR, 'cwork-linux.c'), '-lgcc',
    ]);
    runHost(exe, guestRun('cwork').goldenOut);
  });
});
