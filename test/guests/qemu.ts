// Runs a guest image on QEMU (the reference machine) the way the golden files were recorded:
// COM1 on standard output, the isa-debug-exit device on port 0xF4, no reboot on triple fault.
import { spawn, spawnSync } from 'node:child_process';
import type { QemuQuirk } from './catalog.js';

export const QEMU = 'qemu-system-i386';

export type QemuEnd = 'exit' | 'shutdown' | 'timeout' | 'error';

export interface QemuResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  /** 'exit': the guest wrote `status` to port 0xF4; 'shutdown': QEMU stopped otherwise (triple fault). */
  readonly end: QemuEnd;
  /** The value the guest wrote to port 0xF4 (QEMU's own status is value*2+1). */
  readonly status: number | undefined;
}

/** undefined when QEMU is usable, else why not. */
export function qemuMissing(): string | undefined {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return `${QEMU} not found: install the Debian package qemu-system-x86 (.ci/run does it on CI)`;
  }
  return undefined;
}

export function qemuArgs(image: string, cmdline: string): string[] {
  const args = [
    '-kernel', image,
    '-serial', 'stdio',
    '-display', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-m', '128',
    '-no-reboot',
  ];
  if (cmdline !== '') args.push('-append', cmdline);
  return args;
}

export function runQemu(image: string, cmdline: string, timeoutMs: number): Promise<QemuResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(QEMU, qemuArgs(image, cmdline), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ stdout: Buffer.concat(out), stderr: e.message, end: 'error', status: undefined });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      if (timedOut) return resolvePromise({ stdout, stderr: err, end: 'timeout', status: undefined });
      if (code !== null && code % 2 === 1) {
        return resolvePromise({ stdout, stderr: err, end: 'exit', status: (code - 1) / 2 });
      }
      resolvePromise({ stdout, stderr: err, end: 'shutdown', status: code ?? undefined });
    });
  });
}

/** One line saying how a run ended, for failure messages. */
export function describeEnd(r: QemuResult): string {
  switch (r.end) {
    case 'exit':
      return `exited with value ${r.status}`;
    case 'shutdown':
      return `QEMU stopped without the debug-exit port (status ${r.status}: triple fault?)`;
    case 'timeout':
      return 'timed out';
    case 'error':
      return `could not run: ${r.stderr}`;
  }
}

/**
 * QEMU's output with each known QEMU quirk line replaced by the SDM's line (what the golden file
 * holds). `missing` lists quirk lines QEMU did not print exactly once: QEMU changed, look again.
 */
export function applyQemuQuirks(stdout: Buffer, quirks: readonly QemuQuirk[]): { out: Buffer; missing: string[] } {
  const lines = stdout.toString('latin1').split('\n');
  const missing: string[] = [];
  for (const q of quirks) {
    const at = lines.flatMap((l, i) => (l === q.qemu ? [i] : []));
    if (at.length !== 1) {
      missing.push(q.qemu);
      continue;
    }
    lines[at[0]!] = q.sdm;
  }
  return { out: Buffer.from(lines.join('\n'), 'latin1'), missing };
}
