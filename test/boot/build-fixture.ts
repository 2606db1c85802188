// Builds the loader-test kernels under test/fixtures/boot/ with NASM and GNU ld into a temp dir,
// once per test run, so the tests parse real toolchain output rather than bytes we wrote ourselves.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(__dirname, '../fixtures/boot');

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when nasm, ld and readelf are on PATH (CI installs them; tests skip with a reason otherwise). */
export const HAVE_TOOLCHAIN = has('nasm') && has('ld') && has('readelf');

const outDir = mkdtempSync(join(tmpdir(), 'vtx-boot-'));
const cache = new Map<string, string>();

/** Assembles `NAME.asm` (elf32) and links it with `script` (a .ld in the fixtures); returns the path. */
export function buildElf(name: string, script = 'mb-elf.ld', extraLd: string[] = []): string {
  const key = `${name}|${script}|${extraLd.join(' ')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const obj = join(outDir, `${name}.o`);
  const out = join(outDir, `${name}-${cache.size}.elf`);
  execFileSync('nasm', ['-f', 'elf32', join(FIXTURES, `${name}.asm`), '-o', obj]);
  execFileSync('ld', ['-m', 'elf_i386', '-T', join(FIXTURES, script), ...extraLd, '-o', out, obj]);
  cache.set(key, out);
  return out;
}

/** Assembles `NAME.asm` as a flat binary (nasm -f bin), for a.out-kludge images. */
export function buildBin(name: string): string {
  const out = join(outDir, `${name}.bin`);
  execFileSync('nasm', ['-f', 'bin', join(FIXTURES, `${name}.asm`), '-o', out]);
  return out;
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export function readelf(args: string[], path: string): string {
  return execFileSync('readelf', ['-W', ...args, path], { encoding: 'utf8' });
}
