// The alu guest's tests also run as a Linux i386 program on the host processor: real silicon must
// print exactly the golden file QEMU recorded (the masks keep every flag the SDM leaves undefined
// out of the hashes, so two correct processors agree). This is the outside reference for the
// instruction-set golden file that our emulator is compared with.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUESTS_DIR, REPO_ROOT, guestRun } from './catalog.js';

const x86Host = process.arch === 'x64' || process.arch === 'ia32';
const tmp = mkdtempSync(join(tmpdir(), 'alu-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is missing (${r.error.message}): install nasm and binutils`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}

describe('alu tests on the host processor', () => {
  it.skipIf(!x86Host)('match the golden file recorded from QEMU', () => {
    const core = join(tmp, 'alu-core.o');
    const shim = join(tmp, 'alu-linux.o');
    const exe = join(tmp, 'alu-host');
    tool('nasm', ['-f', 'elf32', `-I${join(GUESTS_DIR, 'lib')}/`, '-o', core, join(GUESTS_DIR, 'src', 'alu', 'alu-core.asm')]);
    tool('nasm', ['-f', 'elf32', '-o', shim, join(REPO_ROOT, 'test', 'guests', 'host', 'alu-linux.asm')]);
    tool('ld', ['-m', 'elf_i386', '-o', exe, core, shim]);
    const r = spawnSync(exe, [], { encoding: 'latin1' });
    expect(r.error?.message, 'the host cannot run i386 Linux programs (no IA-32 emulation in the kernel?)').toBeUndefined();
    expect(r.status).toBe(0);
    const golden = readFileSync(guestRun('alu').goldenOut, 'latin1');
    expect(r.stdout).toBe(golden);
  });
});
