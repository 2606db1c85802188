// Builds the hypervisor's test guests under test/fixtures/vmm/ with NASM and GNU ld into a temp dir
// (the loader tests' linker script places them at 1 MiB, as QEMU -kernel expects).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const VMM_FIXTURES = resolve(__dirname, '../fixtures/vmm');
const LINKER_SCRIPT = resolve(__dirname, '../fixtures/boot/mb-elf.ld');
const outDir = mkdtempSync(join(tmpdir(), 'vtx-vmm-'));

/** Assembles test/fixtures/vmm/NAME.asm with `defines` (e.g. ['VMCALL']) into a Multiboot ELF. */
export function buildGuest(name: string, defines: readonly string[] = []): Uint8Array {
  const tag = [name, ...defines].join('-');
  const obj = join(outDir, `${tag}.o`);
  const elf = join(outDir, `${tag}.elf`);
  execFileSync('nasm', ['-f', 'elf32', ...defines.map((d) => `-D${d}`), join(VMM_FIXTURES, `${name}.asm`), '-o', obj]);
  execFileSync('ld', ['-m', 'elf_i386', '-T', LINKER_SCRIPT, '-o', elf, obj]);
  return new Uint8Array(readFileSync(elf));
}

/** Replaces the dword after the 4-byte `marker` in an image (a value the guest reads at run time). */
export function patchAfterMarker(image: Uint8Array, marker: string, value: number): Uint8Array {
  const bytes = Uint8Array.from(image);
  const m = [...marker].map((c) => c.charCodeAt(0));
  for (let i = 0; i + m.length + 4 <= bytes.length; i++) {
    if (m.every((b, k) => bytes[i + k] === b)) {
      new DataView(bytes.buffer).setUint32(i + m.length, value >>> 0, true);
      return bytes;
    }
  }
  throw new Error(`marker ${marker} not found in the image`);
}
