// Builds and runs the shadow-paging probe guests (test/vmm/shadow/fixtures/*.asm, NASM + GNU ld,
// linked at 1 MiB like the loader-test kernels) natively, under the hypervisor and on QEMU.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { runNative } from '../../../src/vmm/run-native.js';
import { type VmRunOptions, type VmRunResult, runVm } from '../../../src/vmm/run-vm.js';
import type { PagingModeName } from '../../../src/vmm/paging/mode.js';
import { type QemuResult, runQemu } from '../../guests/qemu.js';

const FIXTURES = resolve(__dirname, 'fixtures');
const LINKER_SCRIPT = resolve(__dirname, '../../fixtures/boot/mb-elf.ld');
const outDir = mkdtempSync(join(tmpdir(), 'vtx-shadow-fixture-'));

export interface Built {
  readonly image: Uint8Array;
  /** The ELF on disk (for QEMU). */
  readonly path: string;
}

/** Assembles fixtures/NAME.asm with `defines` into a Multiboot ELF. */
export function buildFixture(name: string, defines: readonly string[] = []): Built {
  const tag = [name, ...defines].join('-');
  const obj = join(outDir, `${tag}.o`);
  const path = join(outDir, `${tag}.elf`);
  execFileSync('nasm', ['-f', 'elf32', ...defines.map((d) => `-D${d}`), join(FIXTURES, `${name}.asm`), '-o', obj]);
  execFileSync('ld', ['-m', 'elf_i386', '-T', LINKER_SCRIPT, '-o', path, obj]);
  return { image: new Uint8Array(readFileSync(path)), path };
}

/** A patched copy of an image written next to it (for QEMU). */
export function writeImage(image: Uint8Array, tag: string): string {
  const path = join(outDir, `${tag}.elf`);
  writeFileSync(path, image);
  return path;
}

export interface Ran {
  readonly text: string;
  readonly outcome: { readonly kind: string };
  readonly vm?: VmRunResult;
}

export function runNativeText(image: Uint8Array): Ran {
  const out: number[] = [];
  const r = runNative(image, { name: 'fixture.elf', maxInsns: 50_000_000, onConsole: (b) => out.push(...b) });
  return { text: Buffer.from(out).toString('latin1'), outcome: r.outcome };
}

export function runVmText(image: Uint8Array, mode: PagingModeName, extra: Partial<VmRunOptions> = {}): Ran {
  const factory = hostProcessor();
  if (factory === null) throw new Error('no VT-x processor');
  const out: number[] = [];
  const r = runVm(image, { name: 'fixture.elf', mode, pv: false, maxInsns: 50_000_000, onConsole: (b) => out.push(...b), ...extra }, factory);
  return { text: Buffer.from(out).toString('latin1'), outcome: r.outcome, vm: r };
}

export function runQemuText(path: string): Promise<QemuResult> {
  return runQemu(path, '', 20_000);
}
