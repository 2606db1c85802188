// How `vmm run --mode ept` ends: the same statuses and one-line messages as a native run for the
// endings both share (test/e2e/native-endings.test.ts), plus the VM's own: an access outside the
// VM's RAM (EPT violation, 124), real mode (70), --pv without a VM. Tiny kernels built with NASM + ld.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { rebuildBundle, tinyKernel, vmmRunSync } from '../cli/vmm-process.js';

let dir = '';

const kernel = (name: string, body: string): string => tinyKernel(dir, name, body);
const vmm = (...args: string[]) => vmmRunSync(...args);

describe.skipIf(hostProcessor() === null)('vmm run --mode ept endings', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vmm-ept-endings-'));
    rebuildBundle();
  });

  it('is the default mode', () => {
    const k = kernel('cpuid', 'cpuid\nmov al, 7\nout 0xf4, al\nhlt');
    const r = vmm(k, '--stats');
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/stats: VM exits: \d+\n(.|\n)*CPUID +1\n/);
  });

  it('exit value, halted forever, triple fault, budget: as natively', () => {
    const exit = vmm(kernel('exit42', 'mov dx, 0x3f8\nmov al, 0x41\nout dx, al\nmov al, 42\nout 0xf4, al\nl: jmp l'), '--mode', 'ept');
    expect([exit.status, exit.stdout, exit.stderr]).toEqual([42, 'A', '']);
    const halt = vmm(kernel('halt', 'cli\nhlt'), '--mode', 'ept');
    expect(halt.status).toBe(ExitCode.HaltedForever);
    expect(halt.stderr).toBe('vmm: guest halted with interrupts disabled (IF=0); it can never wake up\n');
    const triple = vmm(kernel('triple', 'lidt [idtr]\nint3\nidtr: dw 0\ndd 0'), '--mode', 'ept');
    expect(triple.status).toBe(ExitCode.TripleFault);
    expect(triple.stderr).toMatch(/^vmm: triple fault, VM shut down: .*EIP=[0-9a-f]{8}.*\n$/);
    const spin = vmm(kernel('spin', 'l: jmp l'), '--mode', 'ept', '--max-insns', '5000');
    expect(spin.status).toBe(ExitCode.BudgetExhausted);
    expect(spin.stderr).toMatch(/budget exhausted after 5000/);
  });

  it('an access outside the VM\'s RAM stops the VM (124) with the EPT violation', () => {
    const r = vmm(kernel('wild', 'mov dword [0xf0000000], 1\nmov al, 0\nout 0xf4, al\nhlt'), '--mode', 'ept', '--mem', '16');
    expect(r.status).toBe(ExitCode.VmStopped);
    expect(r.stderr).toMatch(/^vmm: the hypervisor stopped the VM: EPT violation at guest-physical 0xf0000000, guest-linear 0xf0000000 \(write denied/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('leaving protected mode cannot be virtualized without unrestricted guest', () => {
    const r = vmm(kernel('real', 'mov eax, cr0\nand eax, ~1\nmov cr0, eax\nhlt'), '--mode', 'ept');
    expect(r.status).toBe(ExitCode.Internal);
    expect(r.stderr).toMatch(/clearing CR0.PE \(real mode\)/);
  });

  it('--stats-json writes instructions, wall time and exits by reason with sub-keys', () => {
    const file = join(dir, 'stats.json');
    const r = vmm(kernel('json', 'mov dx, 0x3f8\nmov al, 0x41\nout dx, al\nout dx, al\nmov al, 0\nout 0xf4, al\nhlt'), '--mode', 'ept', '--stats-json', file);
    expect(r.status).toBe(0);
    const j = JSON.parse(readFileSync(file, 'utf8')) as { mode: string; instructions: number; wallMs: number; vmExits: { exits: Record<string, { count: number; by?: Record<string, number> }> } };
    expect(j.mode).toBe('ept');
    expect(j.instructions).toBeGreaterThan(0);
    expect(j.wallMs).toBeGreaterThan(0);
    expect(j.vmExits.exits['IO_INSTRUCTION']).toEqual({ count: 3, by: { 'out 0x3f8': 2, 'out 0xf4': 1 } });
  });

  it('--pv needs a VM mode', () => {
    const r = vmm(kernel('pv', 'hlt'), '--mode', 'native', '--pv');
    expect(r.status).toBe(ExitCode.BadInput);
  });
});
