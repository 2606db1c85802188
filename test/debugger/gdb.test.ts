// The GDB stub against the real Debian gdb in batch mode (`gdb -batch -ex 'set architecture i386'
// -ex 'target remote :PORT' ...`): registers, memory read and write, software breakpoints, single
// steps, continue to the end, reverse-stepi and monitor commands, on the hello guest natively.
// Expected values come from the ELF file and the SDM, not from the stub.
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Debugger } from '../../src/debugger/core.js';
import { serveGdb } from '../../src/debugger/gdb/server.js';
import { createNativeTarget } from '../../src/debugger/targets/native.js';
import { elfEntry, golden, guestImage } from './helpers.js';

function haveGdb(): boolean {
  try {
    execFileSync('gdb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Bytes of the image at virtual address `va` (through its program headers). */
function imageBytesAt(image: Uint8Array, va: number, len: number): number[] {
  const dv = new DataView(image.buffer, image.byteOffset);
  const phoff = dv.getUint32(28, true);
  const phnum = dv.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * 32;
    const off = dv.getUint32(ph + 4, true);
    const vaddr = dv.getUint32(ph + 8, true);
    const filesz = dv.getUint32(ph + 16, true);
    if (va >= vaddr && va + len <= vaddr + filesz) return Array.from(image.subarray(off + va - vaddr, off + va - vaddr + len));
  }
  throw new Error(`0x${va.toString(16)} is not in the image`);
}

interface GdbRun {
  readonly stdout: string;
  readonly console: string;
  readonly end: string;
}

async function runGdb(name: string, commands: (port: number) => string[]): Promise<GdbRun> {
  let out = '';
  let dbg: Debugger | null = null;
  const target = createNativeTarget(guestImage(name), { name, memMiB: 16, onConsole: (b) => dbg!.console.write(b) });
  dbg = new Debugger(target, { console: (b) => (out += Buffer.from(b).toString('latin1')) });
  let gdbOut = '';
  let port = 0;
  const listening = new Promise<void>((r) => {
    void serveGdb(dbg!, { port: 0, onListening: (p) => ((port = p), r()) }).then((how) => (endHow = how));
  });
  let endHow = '';
  await listening;
  const args = ['-batch', '-nx', '-ex', 'set architecture i386', '-ex', `target remote :${port}`];
  for (const c of commands(port)) args.push('-ex', c);
  await new Promise<void>((resolve, reject) => {
    const g = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => g.kill('SIGKILL'), 60_000);
    g.stdout.on('data', (d: Buffer) => (gdbOut += d.toString()));
    g.stderr.on('data', (d: Buffer) => (gdbOut += d.toString()));
    g.on('error', reject);
    g.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  return { stdout: gdbOut, console: out, end: endHow };
}

const hex = (n: number): string => '0x' + n.toString(16);

describe.skipIf(!haveGdb())('GDB stub with the real gdb', () => {
  const image = guestImage('hello');
  const entry = elfEntry(image);

  it('reads registers and memory, single-steps, writes a register, breaks and continues to the end', async () => {
    const code = imageBytesAt(image, entry, 8);
    const r = await runGdb('hello', () => [
      'p/x $eip',
      'p/x $eax',
      'p/x $cs',
      `x/8xb ${hex(entry)}`,
      'stepi',
      'p/x $pc',
      'set $edi = 0x5a5a5a5a',
      'p/x $edi',
      `break *${hex(entry + 2)}`,
      'continue',
      'p/x $pc',
      'delete',
      'continue',
    ]);
    const o = r.stdout;
    expect(o).toContain(`$1 = ${hex(entry)}`);
    expect(o).toContain('$2 = 0x2badb002'); // Multiboot magic (Multiboot spec §3.2)
    expect(o).toContain('$3 = 0x8'); // our Multiboot loader's flat code selector
    expect(o).toContain(`${hex(entry)}:\t` + code.map((b) => '0x' + b.toString(16).padStart(2, '0')).join('\t'));
    // The first instruction is CLI (one byte): stepi moves EIP by one.
    expect(code[0]).toBe(0xfa);
    expect(o).toContain(`$4 = ${hex(entry + 1)}`);
    expect(o).toContain('$5 = 0x5a5a5a5a');
    expect(o).toMatch(new RegExp(`Breakpoint 1, ${hex(entry + 2).replace('0x', '0x0*')} in`));
    expect(o).toContain(`$6 = ${hex(entry + 2)}`);
    expect(o).toContain('[Inferior 1 (Remote target) exited normally]');
    expect(r.console).toBe(golden('hello'));
  });

  it('writes memory, goes back with reverse-stepi, and runs monitor commands', async () => {
    const r = await runGdb('hello', () => [
      'stepi 3',
      'p/x $pc',
      'set {int}0x200000 = 0x11223344',
      'x/1xw 0x200000',
      'x/4xb 0x200000',
      'reverse-stepi',
      'p/x $pc',
      'monitor regs',
      'monitor info exit',
      'monitor continue',
      'kill',
    ]);
    const o = r.stdout;
    if (process.env['SHOW_GDB']) console.log(o);
    const pc3 = /\$1 = (0x[0-9a-f]+)/.exec(o)?.[1];
    expect(pc3).toBeDefined();
    expect(o).toContain('0x200000:\t0x11223344');
    expect(o).toContain('0x200000:\t0x44\t0x33\t0x22\t0x11'); // little-endian
    expect(o).toMatch(/\$2 = 0x[0-9a-f]+/);
    expect(/\$2 = (0x[0-9a-f]+)/.exec(o)?.[1]).not.toBe(pc3);
    expect(o).toMatch(/eip=[0-9a-f]{8}\s+eflags=[0-9a-f]{8} \[/);
    expect(o).toContain('No VM exits: the guest runs natively.');
    expect(o).toContain('moves the guest');
  });
});
