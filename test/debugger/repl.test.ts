// Scripted REPL sessions (standard input not a terminal: commands line by line, results without a
// prompt) on the sample guests natively: the commands of issue 7, their aliases, and bad input
// answered with a short message and the session going on.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runRepl } from '../../src/debugger/repl.js';
import { REPO_ROOT } from '../guests/catalog.js';
import { VMM, rebuildBundle } from '../cli/vmm-process.js';
import { elfEntry, golden, guestImage, nativeSession } from './helpers.js';

/** Runs a script through the REPL in-process; returns everything printed (console included). */
async function session(name: string, script: string[]): Promise<string> {
  const s = nativeSession(name);
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString('latin1')));
  input.end(script.join('\n') + '\n');
  await runRepl(s.dbg, { input, output, terminal: false });
  return text + '\n--- console ---\n' + s.console();
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

describe('REPL, scripted (native mode)', () => {
  const entry = elfEntry(guestImage('hello'));

  it('prints one line for the initial stop and for each step, with the instruction', async () => {
    const out = await session('hello', ['step', 's', 'step 2']);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`0x${hex8(entry)}: cli`);
    expect(lines[1]).toBe(`0x${hex8(entry + 1)}: cld`);
    expect(lines[2]).toMatch(new RegExp(`^0x${hex8(entry + 2)}: mov esp, 0x[0-9a-f]+$`));
    expect(lines[3]).toMatch(/^0x[0-9a-f]{8}: /);
    expect(lines[4]).toBe('');
  });

  it('regs shows general registers, decoded EFLAGS, segments and control registers', async () => {
    const out = await session('hello', ['regs']);
    expect(out).toContain('eax=2badb002');
    expect(out).toContain(`eip=${hex8(entry)}`);
    expect(out).toMatch(/eflags=00000002 \[IOPL=0\]/);
    expect(out).toMatch(/cs +0008 +base=00000000 limit=ffffffff .*code/);
    expect(out).toContain('cr0=00000011 [PE ET]');
  });

  it('break, continue, info breakpoints, delete, and the guest runs to its end with its console output', async () => {
    const out = await session('hello', [
      `break 0x${(entry + 2).toString(16)}`,
      'b *$eip+7',
      'continue',
      'info breakpoints',
      'c',
      'delete 1',
      'info b',
      'delete',
      'c',
      'c',
    ]);
    expect(out).toContain(`Breakpoint 1: breakpoint at 0x${hex8(entry + 2)}`);
    expect(out).toContain(`Breakpoint 1 at 0x${hex8(entry + 2)}: mov esp,`);
    expect(out).toMatch(/1 +1 +breakpoint at/);
    expect(out).toContain(`Breakpoint 2 at 0x${hex8(entry + 7)}:`);
    expect(out).toContain('The guest exited with status 0');
    expect(out.endsWith(golden('hello'))).toBe(true);
    expect(out.split(golden('hello')).length).toBe(2); // printed once
  });

  it('x/NF and xp/NF read guest-virtual and guest-physical memory in gdb formats', async () => {
    const out = await session('hello', [`x/4xb 0x${entry.toString(16)}`, `xp/2xh 0x${entry.toString(16)}`, 'x/2i $eip', 'x/1dw $eax', 'x/s 0x0']);
    const code = guestImage('hello');
    expect(out).toMatch(new RegExp(`0x${hex8(entry)}:\\t0xfa\\t0xfc\\t0xbc\\t0x[0-9a-f]{2}`)); // cli; cld; mov esp, imm32
    expect(out).toContain(`0x${hex8(entry)}:\t0xfcfa\t0x`);
    expect(out).toContain(`0x${hex8(entry)}:\tcli\n0x${hex8(entry + 1)}:\tcld`);
    expect(code.length).toBeGreaterThan(0);
  });

  it('disas marks the current instruction; pt walks the translation natively', async () => {
    const out = await session('hello', ['disas', 'u $eip 2', `pt 0x${entry.toString(16)}`]);
    expect(out).toContain(`=> 0x${hex8(entry)}  fa               cli`);
    expect(out).toContain('(no paging: the address is used as is)');
    expect(out).toContain(`host-physical 0x${hex8(entry)}`);
  });

  it('pt on the paging guest walks PDE and PTE, and reports an unmapped address', async () => {
    // Run the paging guest until paging is on, then translate its code and an unmapped address.
    const s = nativeSession('paging');
    for (let i = 0; i < 200000 && (s.dbg.registers().cr0 & 0x80000000) === 0; i++) s.dbg.step();
    expect(s.dbg.registers().cr0 >>> 31).toBe(1);
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    input.end(`pt $eip\npt 0xdeadb000\n`);
    await runRepl(s.dbg, { input, output, terminal: false });
    expect(text).toMatch(/PDE +\[ *\d+\] at 0x[0-9a-f]{8} = 0x[0-9a-f]{8} +P /);
    expect(text).toMatch(/-> 0x[0-9a-f]{8}\nhost-physical/);
    expect(text).toMatch(/-> no translation: not present/);
    expect(text).toContain('no host frame: the address is not mapped all the way');
  });

  it('answers bad commands and bad addresses with a short message, and goes on', async () => {
    const out = await session('hello', [
      'frobnicate',
      'break 0xzz',
      'break exit NOT_A_REASON',
      'break io 0x10000',
      'x/4q 0',
      'x/4xw 0xfffffff0',
      'xp/4xw 0x7ffffff0',
      'step -3',
      'delete 99',
      'vmcs',
      'info exit',
      'history',
      'watch 0xfffff000',
      'disas 0xfffffff0 2',
      'regs extra',
      '%%%',
      '',
      'step',
    ]);
    expect(out).toContain('Unknown command "frobnicate". Try "help".');
    expect(out).toContain('bad address "0xzz"');
    expect(out).toContain('unknown VM exit reason "NOT_A_REASON"');
    expect(out).toContain('bad port "0x10000"');
    expect(out).toContain('bad format "/4q"');
    expect(out).toContain('Cannot access memory at address 0x00fffff0'.slice(0, 10));
    expect(out).toContain('outside guest RAM');
    expect(out).toContain('bad count "-3"');
    expect(out).toContain('No breakpoint number 99.');
    expect(out).toContain('No VMCS: the guest runs natively');
    expect(out).toContain('No VM exits: the guest runs natively.');
    expect(out).toContain(`0x${hex8(entry + 1)}: cld`); // the last command still ran
  });

  it('help lists every command, help CMD explains one; quit ends the session early', async () => {
    const out = await session('hello', ['help', 'help break', 'help nosuch', 'quit', 'step']);
    for (const c of ['step [N]', 'continue', 'break ADDR', 'watch ADDR', 'info breakpoints', 'delete', 'regs', 'vmcs [guest|host|controls|exit]', 'x/NFU', 'xp/NFU', 'disas', 'pt ADDR', 'stats', 'history [N]', 'reverse-step', 'reverse-continue', 'trace on|exits|off', 'quit']) {
      expect(out).toContain(c);
    }
    expect(out).toContain('CPUID (10)');
    expect(out).toContain('No command "nosuch"');
    expect(out).not.toContain(`0x${hex8(entry + 1)}: cld`); // after quit, nothing runs
  });

  it('reverse-step and reverse-continue from the REPL', async () => {
    const out = await session('hello', ['break io 0x3f8', 'c', 'c', 'rc', 'rs', 'reverse-step', 'step', 'stats']);
    const io = out.split('\n').filter((l) => l.startsWith('I/O breakpoint 1'));
    expect(io.length).toBe(3);
    expect(io[2]).toBe(io[0]); // rc lands back on the first hit
    expect(out).toMatch(/history: \d+ snapshots/);
  });

  it('trace on prints each instruction as the guest runs', async () => {
    const out = await session('hello', ['trace on', `break 0x${(entry + 7).toString(16)}`, 'c', 'trace off']);
    expect(out).toContain(`0x${hex8(entry)}: cli\n0x${hex8(entry + 1)}: cld\n0x${hex8(entry + 2)}: mov esp,`);
    expect(out).toContain(`Breakpoint 1 at 0x${hex8(entry + 7)}`);
  });
});

describe('vmm debug (the command, stdin not a terminal)', () => {
  beforeAll(() => {
    rebuildBundle();
  });

  it('runs a script from standard input and exits 0', () => {
    const r = spawnSync(process.execPath, [VMM, 'debug', join(REPO_ROOT, 'guests', 'bin', 'hello.elf')], {
      input: 'step\nregs\nc\nquit\n',
      encoding: 'latin1',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('(vmm)');
    expect(r.stdout).toContain('eax=');
    expect(r.stdout).toContain(golden('hello'));
    expect(r.stdout).toContain('The guest exited with status 0');
  });

  it('a malformed image is refused with status 2', () => {
    const r = spawnSync(process.execPath, [VMM, 'debug', join(REPO_ROOT, 'package.json')], { input: '', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/vmm: /);
  });
});
