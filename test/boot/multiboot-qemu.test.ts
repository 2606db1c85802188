// Our Multiboot loader against QEMU's: the info block, memory map, command line and entry state
// that test/fixtures/boot/mbinfo-dump.asm prints on QEMU (golden files; re-checked against QEMU
// itself when qemu-system-i386 is installed) must match what our loader writes, except for the
// registers the Multiboot spec leaves undefined, which QEMU fills with BIOS leftovers.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMultiboot } from '../../src/boot/multiboot.js';
import { physWriterFor } from '../../src/boot/phys-writer.js';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { FIXTURES, HAVE_TOOLCHAIN, buildElf, readBytes } from './build-fixture.js';
import { mbinfoDump } from './mbinfo-format.js';

const MIB = 1024 * 1024;
const APPEND = 'console=ttyS0 x=1';
/** Lines whose QEMU values are BIOS/option-ROM scratch, not loader state (docs/machine.md). */
const UNDEFINED_BY_SPEC = ['edx', 'edi', 'esp', 'eflags', 'gdtr'];

function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const keyed = (text: string): Map<string, string> =>
  new Map(text.trimEnd().split('\n').map((l, i) => [l.startsWith('mmap ') ? `mmap#${i}` : l.split(/ [0-9a-f|]/)[0]!, l]));

function ours(memMiB: number): string {
  const image = readBytes(buildElf('mbinfo-dump'));
  const mem = new PhysicalMemory(memMiB * MIB);
  const k = loadMultiboot(image, physWriterFor(mem), { name: 'mbinfo-dump.elf', cmdline: APPEND, bootLoaderName: 'qemu' });
  return mbinfoDump(mem, k);
}

function compare(qemu: string, mine: string): void {
  const q = keyed(qemu);
  const m = keyed(mine);
  expect([...m.keys()]).toEqual([...q.keys()]);
  for (const [key, line] of q) {
    if (UNDEFINED_BY_SPEC.includes(key)) continue;
    expect(m.get(key), key).toBe(line);
  }
}

describe.skipIf(!HAVE_TOOLCHAIN).each([2, 128, 3072])('Multiboot state with -m %i vs QEMU', (memMiB) => {
  it('matches the recorded QEMU output', () => {
    compare(readFileSync(join(FIXTURES, `qemu-mbinfo-m${memMiB}.txt`), 'utf8'), ours(memMiB));
  });

  it.skipIf(!hasQemu())('matches QEMU itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtx-qemu-'));
    copyFileSync(buildElf('mbinfo-dump'), join(dir, 'mbinfo-dump.elf'));
    let out = '';
    try {
      out = execFileSync(
        'qemu-system-i386',
        ['-kernel', 'mbinfo-dump.elf', '-serial', 'stdio', '-display', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-m', String(memMiB), '-append', APPEND],
        { cwd: dir, encoding: 'utf8', timeout: 30_000 },
      );
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      expect(err.status).toBe(1); // isa-debug-exit: (0 << 1) | 1
      out = err.stdout ?? '';
    }
    compare(out, ours(memMiB));
  });
});
