// How `vmm run --mode native` ends when the guest does not exit normally: each ending has its own
// documented status (src/cli/exit-codes.ts) and one clear line on stderr, stdout stays the console.
// The tiny kernels are assembled here with NASM and linked with GNU ld.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { rebuildBundle, tinyKernel, vmmRunSync } from '../cli/vmm-process.js';

let dir = '';

const kernel = (name: string, body: string): string => tinyKernel(dir, name, body);
const vmm = (...args: string[]) => vmmRunSync('--mode', 'native', ...args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmm-endings-'));
  rebuildBundle();
});

describe('vmm run endings', () => {
  it('the guest value written to port 0xF4 is the exit status; COM1 bytes are stdout', () => {
    const k = kernel('exit42', 'mov dx, 0x3f8\nmov al, 0x41\nout dx, al\nmov al, 10\nout dx, al\nmov al, 42\nout 0xf4, al\nl: jmp l');
    const r = vmm(k);
    expect([r.status, r.stdout, r.stderr]).toEqual([42, 'A\n', '']);
  });

  it('halted with IF = 0: status 123 and a message', () => {
    const r = vmm(kernel('halt', 'cli\nhlt'));
    expect(r.status).toBe(ExitCode.HaltedForever);
    expect(r.stderr).toMatch(/halted.*interrupts disabled/);
    expect(r.stdout).toBe('');
  });

  it('a triple fault: status 121 and a one-line report', () => {
    // An IDT of limit 0: INT3 -> #GP -> #DF -> shutdown.
    const r = vmm(kernel('triple', 'lidt [idtr]\nint3\nidtr: dw 0\ndd 0'));
    expect(r.status).toBe(ExitCode.TripleFault);
    expect(r.stderr).toMatch(/^vmm: triple fault.*EIP=/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--max-insns: status 122', () => {
    const r = vmm(kernel('spin', 'l: jmp l'), '--max-insns', '5000');
    expect(r.status).toBe(ExitCode.BudgetExhausted);
    expect(r.stderr).toMatch(/budget exhausted after 5000/);
  });

  it('--stats reports instructions, wall time and MIPS on stderr only', () => {
    // mov ecx + 1000 x (dec, jnz) + mov al + out: 2003 instructions (HLT never runs).
    const r = vmm(kernel('stats', 'mov ecx, 1000\nl: dec ecx\njnz l\nmov al, 0\nout 0xf4, al\nhlt'), '--stats');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/stats: 2003 instructions retired, [\d.]+ ms wall, [\d.]+ MIPS/);
  });

  it('a malformed image: status 2 with the loader message', () => {
    const bad = join(dir, 'bad.elf');
    writeFileSync(bad, 'not an elf at all');
    const r = vmm(bad);
    expect(r.status).toBe(ExitCode.BadInput);
    expect(r.stderr).toMatch(/bad\.elf: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the Multiboot command line reaches the guest (--cmdline)', () => {
    // Prints the first byte after the image name in the cmdline string (EBX -> info -> cmdline).
    const k = kernel('cmd', 'mov esi, [ebx + 16]\nl: lodsb\ncmp al, 32\njne l\nlodsb\nmov dx, 0x3f8\nout dx, al\nmov al, 0\nout 0xf4, al\nhlt');
    expect(vmm(k, '--cmdline', 'zebra').stdout).toBe('z');
  });
});
