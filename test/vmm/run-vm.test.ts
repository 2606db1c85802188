// The VM runner's plumbing over the fake VT-x processor: console output, how runs end, the exit hook.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_REASON } from '../../src/cpu/vmx/api.js';
import { ioQualification } from '../../src/cpu/vmx/qualification.js';
import { RunStatus, runVcpu } from '../../src/vmm/exit-loop.js';
import { formatVmStats, prepareVm, runVm } from '../../src/vmm/run-vm.js';
import { GUESTS_DIR } from '../guests/catalog.js';
import { FakeVmx, type ScriptedExit } from './fake-vmx.js';

const hello = readFileSync(join(GUESTS_DIR, 'bin', 'hello.elf'));
const out = (port: number, value: number): ScriptedExit => ({
  reason: EXIT_REASON.IO_INSTRUCTION,
  qualification: ioQualification(port, 1, false, false, false, false),
  length: 1,
  cycles: 10,
  before: (f) => (f.gprs[0] = value),
});

function factory(script: ScriptedExit[]) {
  let fake: FakeVmx | null = null;
  return {
    make: (board: { memory: import('../../src/machine/memory.js').PhysicalMemory }) => {
      fake = new FakeVmx(board.memory);
      fake.script.push(...script);
      return fake;
    },
    get fake() {
      return fake!;
    },
  };
}

describe('runVm', () => {
  it('streams the console and ends with the debug-exit value', () => {
    const chunks: string[] = [];
    const f = factory([out(0x3f8, 0x68), out(0x3f8, 0x69), out(0xf4, 3)]);
    const r = runVm(hello, { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: false, onConsole: (b) => chunks.push(Buffer.from(b).toString()) }, f.make);
    expect(r.outcome).toEqual({ kind: 'exit', value: 3 });
    expect(chunks.join('')).toBe('hi');
    expect(r.instructions).toBe(30);
    expect(r.stats.total).toBe(3);
    expect(formatVmStats(r.stats).join('\n')).toMatch(/IO_INSTRUCTION +3\n +out 0x3f8 +2\n +out 0xf4 +1/);
  });

  it('ends on the instruction budget', () => {
    const f = factory([]);
    const r = runVm(hello, { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: false, maxInsns: 25_000_000 }, f.make);
    expect(r.outcome).toEqual({ kind: 'budget', maxInsns: 25_000_000 });
    expect(r.instructions).toBe(25_000_000);
  });

  it('reports a VM the hypervisor had to stop as vm-stopped', () => {
    const f = factory([{ reason: EXIT_REASON.EPT_VIOLATION, guestPhysical: 0xf0000000 }]);
    const r = runVm(hello, { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: false }, f.make);
    expect(r.outcome.kind).toBe('vm-stopped');
  });

  it('the exit hook can stop at an exit before it is handled; the next run handles it', () => {
    const f = factory([out(0x3f8, 0x41), out(0x3f8, 0x42)]);
    const bytes: number[] = [];
    const m = prepareVm(hello, { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: false, onConsole: (b) => bytes.push(...b) }, f.make);
    const seen: number[] = [];
    m.vm.vcpu.exitHook = (_v, reason) => {
      seen.push(reason);
      return seen.length === 1;
    };
    expect(runVcpu(m.vm.vcpu)).toBe(RunStatus.EXIT_BREAK);
    expect(m.vm.vcpu.pendingExit).toBe(EXIT_REASON.IO_INSTRUCTION);
    expect(runVcpu(m.vm.vcpu)).toBe(RunStatus.PAUSED);
    expect(seen).toEqual([EXIT_REASON.IO_INSTRUCTION, EXIT_REASON.IO_INSTRUCTION]);
  });
});
