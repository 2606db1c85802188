// `vmm disasm` end to end (the real command line, run from the sources with tsx): an ELF guest,
// a flat binary with --base, and the bad-input cases (one line on stderr, exit status 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'disasm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vmm(...args: string[]): { out: string; err: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'disasm', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

describe('vmm disasm', () => {
  it('lists a guest ELF\'s executable sections', () => {
    const r = vmm('guests/bin/hello.elf');
    expect(r.status).toBe(ExitCode.Ok);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^; section \.text at 0x00100000, \d+ bytes$/);
    for (const l of lines.slice(1)) expect(l).toMatch(/^[0-9a-f]{8} {2}[0-9a-f]+ {2}\S/);
  }, 30_000);
  it('lists a flat binary at --base, with db for invalid bytes and a marker for unsupported ones', () => {
    const f = join(dir, 'flat.bin');
    writeFileSync(f, Uint8Array.from([0x8b, 0x45, 0x08, 0xd9, 0xc0, 0x90, 0x0f, 0x04]));
    const r = vmm('--raw', f, '--base', '0x100010');
    expect([r.status, r.err]).toEqual([ExitCode.Ok, '']);
    expect(r.out).toBe([
      '00100010  8b4508  mov eax, [ebp+0x8]',
      '00100013  d9c0  fld ; unsupported',
      '00100015  90  nop',
      '00100016  0f  db 0x0f',
      '00100017  04  db 0x04', // an instruction cut off by the end of the file
      '',
    ].join('\n'));
  }, 30_000);
  it('bad input: one line on stderr and exit status 2', () => {
    const notElf = join(dir, 'text.txt');
    writeFileSync(notElf, 'hello\n');
    for (const args of [[notElf], [join(dir, 'missing.elf')], ['--raw', notElf, '--base', 'nope'], ['--base', '0x1000', 'guests/bin/hello.elf']]) {
      const r = vmm(...args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), ExitCode.BadInput]);
      expect(r.out).toBe('');
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 60_000);
});
