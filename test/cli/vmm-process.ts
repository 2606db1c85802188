// The `vmm` command as users run it (bin/vmm.mjs → the esbuild bundle), for the tests that check the
// command end to end: rebuild the bundle from the current sources, run it, build tiny kernels.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../guests/catalog.js';

export const VMM = join(REPO_ROOT, 'bin', 'vmm.mjs');

/** The command under test is the bundle `npx vmm` runs: rebuild it (call from beforeAll). */
export function rebuildBundle(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs')], { cwd: REPO_ROOT });
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  status: number | null;
}

/** `vmm run ARGS`, asynchronously (tests run several at once); killed after `timeoutMs`. */
export function vmmRun(args: string[], timeoutMs: number): Promise<RunResult> {
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

/** `vmm run ARGS` to completion, output as latin1 text (guests print bytes, not UTF-8). */
export function vmmRunSync(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [VMM, 'run', ...args], { encoding: 'latin1', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A Multiboot v1 kernel in `dir` whose entry runs `body` (flat 32-bit, loaded at 1 MiB), via NASM + ld. */
export function tinyKernel(dir: string, name: string, body: string): string {
  const src = `bits 32\nsection .text\nalign 4\ndd 0x1BADB002, 0, -0x1BADB002\nglobal _start\n_start:\n${body}\n`;
  writeFileSync(join(dir, `${name}.asm`), src);
  execFileSync('nasm', ['-f', 'elf32', '-o', join(dir, `${name}.o`), join(dir, `${name}.asm`)]);
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '--build-id=none', '-o', join(dir, `${name}.elf`), join(dir, `${name}.o`)]);
  return join(dir, `${name}.elf`);
}
