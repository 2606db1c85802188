// The debugger over the hypervisor (VM modes) with the VT-x test double (test/vmm/fake-vmx.ts):
// made-up exits go through the real exit loop, VMCS and handlers, so VM-exit breakpoints, the exit
// as the hypervisor receives it, stepping across an exit, exit history and reverse-step by exit can
// be checked before the processor runs guests under VT-x.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT_REASON, VMCS } from '../../src/cpu/vmx/api.js';
import { ioQualification } from '../../src/cpu/vmx/qualification.js';
import type { PhysicalMemory } from '../../src/machine/memory.js';
import { Debugger } from '../../src/debugger/core.js';
import { describeStop } from '../../src/debugger/format.js';
import { runRepl } from '../../src/debugger/repl.js';
import { createVmTarget } from '../../src/debugger/targets/vm.js';
import { FakeVmx, type ScriptedExit } from '../vmm/fake-vmx.js';
import { elfEntry, guestImage } from './helpers.js';

const cpuid = (eax: number): ScriptedExit => ({ reason: EXIT_REASON.CPUID, length: 2, cycles: 100, before: (f) => (f.gprs[0] = eax) });
const out = (port: number, value: number): ScriptedExit => ({
  reason: EXIT_REASON.IO_INSTRUCTION,
  qualification: ioQualification(port, 1, false, false, false, false),
  length: 1,
  cycles: 50,
  before: (f) => {
    f.gprs[0] = value;
    f.gprs[2] = port;
  },
});

function vmSession(script: ScriptedExit[]) {
  let text = '';
  let dbg: Debugger | null = null;
  const target = createVmTarget(
    guestImage('hello'),
    { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: false, onConsole: (b) => dbg!.console.write(b) },
    (board: { memory: PhysicalMemory }) => {
      const fake = new FakeVmx(board.memory);
      fake.script.push(...script);
      return fake;
    },
  );
  dbg = new Debugger(target, { console: (b) => (text += Buffer.from(b).toString('latin1')), snapshots: { interval: 60, maxCount: 16, maxBytes: 1 << 30 } });
  return { dbg, console: () => text };
}

const SCRIPT = (): ScriptedExit[] => [cpuid(1), out(0x3f8, 0x68), cpuid(0), out(0x3f8, 0x69), out(0xf4, 7)];

describe('debugger over the hypervisor (VT-x test double)', () => {
  const entry = elfEntry(guestImage('hello'));

  it('breaks on a CPUID exit before the hypervisor handles it, with the exit as recorded in the VMCS', () => {
    const { dbg } = vmSession(SCRIPT());
    dbg.addBreakpoint({ kind: 'exit', reasons: [EXIT_REASON.CPUID] });
    const ev = dbg.continue();
    expect(ev.kind).toBe('vm-exit');
    if (ev.kind !== 'vm-exit') return;
    expect(ev.exit.number).toBe(1);
    expect(ev.exit.reason).toBe(EXIT_REASON.CPUID);
    expect(dbg.target.pendingExit?.number).toBe(1);
    expect(describeStop(dbg, ev)).toMatch(new RegExp(`^VM exit #1: CPUID \\(10\\) at 0x${entry.toString(16).padStart(8, '0')}: `));
    // Not handled yet: the guest's RIP is still at the exiting instruction, EAX as the guest left it.
    expect(dbg.registers().eip).toBe(entry);
    expect(dbg.registers().gpr[0]).toBe(1);
    expect(dbg.target.vmcs()!.read(VMCS.VM_EXIT_REASON)).toBe(EXIT_REASON.CPUID);
  });

  it('stepping from the exit lets the hypervisor handle it: RIP advances by the instruction length', () => {
    const { dbg } = vmSession(SCRIPT());
    dbg.addBreakpoint({ kind: 'exit', reasons: [EXIT_REASON.CPUID] });
    const ev = dbg.continue();
    const len = ev.kind === 'vm-exit' ? ev.exit.instructionLength : -1;
    expect(len).toBe(2);
    // The test double exits again at once (a real guest would stop at the next instruction first).
    const st = dbg.step();
    expect(st.kind === 'step' || (st.kind === 'vm-exit' && st.exit.number === 2)).toBe(true);
    expect(dbg.registers().eip).toBe(entry + len);
  });

  it('break io PORT stops at the I/O exit for that port, direction and port decoded', () => {
    const { dbg } = vmSession(SCRIPT());
    dbg.addBreakpoint({ kind: 'io', port: 0x3f8 });
    const ev = dbg.continue();
    expect(ev.kind).toBe('vm-exit');
    expect(describeStop(dbg, ev)).toMatch(/^VM exit #2: IO_INSTRUCTION \(30\) at 0x[0-9a-f]{8}: .* \[out port dx=0x3f8, 1 byte\] \(breakpoint 1\)$/);
  });

  it('numbers every exit, keeps a history, and reverse-step lands on the previous exit with identical registers', () => {
    const { dbg } = vmSession(SCRIPT());
    dbg.addBreakpoint({ kind: 'exit', reasons: null });
    const regs: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const ev = dbg.continue();
      expect(ev.kind === 'vm-exit' && ev.exit.number).toBe(n);
      regs.push(JSON.stringify(dbg.registers()));
    }
    expect(dbg.exitHistory(10).map((e) => e.number)).toEqual([1, 2, 3, 4]);
    for (let n = 3; n >= 1; n--) {
      const ev = dbg.reverseStep();
      expect(ev.kind).toBe('vm-exit');
      expect(ev.kind === 'vm-exit' && ev.exit.number).toBe(n);
      expect(dbg.target.pendingExit?.number).toBe(n);
      expect(JSON.stringify(dbg.registers())).toBe(regs[n - 1]);
    }
    // Forward again: the same exits in the same order, and the guest ends as before.
    dbg.breakpoints.clear();
    expect(dbg.continue()).toMatchObject({ kind: 'ended', outcome: { kind: 'exit', value: 7 } });
    expect(dbg.target.exitCount).toBe(5);
  });

  it('a scripted REPL session: break exit cpuid, vmcs exit, info exit, history, rs, c', async () => {
    const s = vmSession(SCRIPT());
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    input.end(['break exit cpuid', 'c', 'vmcs exit', 'info exit', 'vmcs controls', 'c', 'history', 'rs', 'rs', 'stats', 'delete', 'c'].join('\n') + '\n');
    await runRepl(s.dbg, { input, output, terminal: false });
    if (process.env['SHOW_REPL']) console.log(text);
    expect(text).toContain('Breakpoint 1: break on VM exit CPUID (10)');
    expect(text).toMatch(/VM exit #1: CPUID \(10\) at 0x[0-9a-f]{8}: .* \(breakpoint 1\)/);
    expect(text).toMatch(/VM_EXIT_REASON +0x0000000a +CPUID/);
    expect(text).toMatch(/VM_EXIT_INSTRUCTION_LEN +0x00000002/);
    expect(text).toContain('(stopped here, not yet handled by the hypervisor)');
    expect(text).toMatch(/CPU_BASED_VM_EXEC_CONTROL +0x[0-9a-f]{8} +.*HLT_EXITING/);
    expect(text).toMatch(/VM exit #3: CPUID/);
    expect(text).toMatch(/# +1 +CPUID .*\n# +2 +IO_INSTRUCTION .*out port dx=0x3f8, 1 byte\n# +3 +CPUID .*\n/);
    // rs twice: back to exit #2 (the I/O exit), then #1, as the hypervisor first received them.
    expect(text).toMatch(/# +3 +CPUID .*\nVM exit #2: IO_INSTRUCTION \(30\) .*\nVM exit #1: CPUID \(10\) .*\(breakpoint 1\)\n/);
    // The hypervisor's own statistics went back in time with it: one exit so far.
    expect(text).toMatch(/VM exits: 1\n +CPUID +1\n/);
    expect(text).toContain('The guest exited with status 7');
    expect(s.console()).toBe('hi');
  });
});
