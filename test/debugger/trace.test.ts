// `vmm run --trace`: the timeline is valid Chrome trace-event JSON (what chrome://tracing and
// Perfetto load: a traceEvents array of objects with name, ph, ts, pid, tid; dur on complete events),
// in virtual time, with the guest's console lines, VM exits, injected interrupts and hypercalls.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_REASON, VMCS } from '../../src/cpu/vmx/api.js';
import type { PhysicalMemory } from '../../src/machine/memory.js';
import { runNativeTraced, runVmTraced } from '../../src/debugger/trace/run-traced.js';
import { HC } from '../../src/vmm/pv-abi.js';
import { FakeVmx, type ScriptedExit } from '../vmm/fake-vmx.js';
import { golden, guestImage } from './helpers.js';

interface Ev {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

function load(file: string): Ev[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: Ev[]; displayTimeUnit: string };
  expect(doc.displayTimeUnit).toBe('ns');
  for (const e of doc.traceEvents) {
    expect(typeof e.name).toBe('string');
    expect(['X', 'i', 'M']).toContain(e.ph);
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
    if (e.ph === 'X') expect(e.dur).toBeGreaterThanOrEqual(0);
  }
  return doc.traceEvents;
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmm-trace-'));

describe('vmm run --trace', () => {
  it('native: valid JSON, console lines in order at increasing virtual times, output unchanged', () => {
    const file = join(tmp(), 'sched.json');
    let out = '';
    const r = runNativeTraced(guestImage('sched'), { name: 'sched.elf', memMiB: 16, onConsole: (b) => (out += Buffer.from(b).toString('latin1')) }, file);
    expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
    expect(out).toBe(golden('sched'));
    const ev = load(file);
    const lines = ev.filter((e) => e.cat === 'console');
    expect(lines.map((e) => e.args?.['text'])).toEqual(golden('sched').split('\n').slice(0, -1));
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.ts).toBeGreaterThanOrEqual(lines[i - 1]!.ts);
    // Virtual time: the run's cycles at 1 GHz are its length in microseconds / 1000.
    const end = ev.find((e) => e.cat === 'end')!;
    expect(end.ts).toBeCloseTo(r.cycles / 1000, 6);
    expect(lines[lines.length - 1]!.ts).toBeLessThanOrEqual(end.ts);
  });

  it('VM modes: exits with their handling time, an injected timer interrupt, a hypercall', () => {
    const file = join(tmp(), 'vm.json');
    const script: ScriptedExit[] = [
      { reason: EXIT_REASON.CPUID, length: 2, cycles: 1000 },
      // 60 ms of guest time with interrupts on: the VM's PIT (18.2 Hz) raises IRQ 0 meanwhile.
      { reason: EXIT_REASON.CPUID, length: 2, cycles: 60_000_000, before: (f) => f.setGuest(VMCS.GUEST_RFLAGS, 0x202) },
      { reason: EXIT_REASON.VMCALL, length: 3, cycles: 500, before: (f) => ((f.gprs[0] = HC.EOI), (f.gprs[3] = 0)) },
      { reason: EXIT_REASON.IO_INSTRUCTION, qualification: (0xf4 << 16) | 0, length: 1, cycles: 10, before: (f) => (f.gprs[0] = 0) },
    ];
    const r = runVmTraced(
      guestImage('hello'),
      { name: 'hello.elf', memMiB: 8, mode: 'ept', pv: true },
      (board: { memory: PhysicalMemory }) => {
        const fake = new FakeVmx(board.memory);
        fake.script.push(...script);
        return fake;
      },
      file,
    );
    expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
    const ev = load(file);
    const exits = ev.filter((e) => e.cat === 'vm-exit');
    expect(exits.map((e) => e.name)).toEqual(['CPUID', 'CPUID', 'VMCALL', 'IO_INSTRUCTION']);
    expect(exits.map((e) => e.args?.['number'])).toEqual([1, 2, 3, 4]);
    const guest = ev.filter((e) => e.cat === 'guest');
    expect(guest.length).toBeGreaterThanOrEqual(3);
    // Exits and guest slices never overlap: each exit ends where the next guest slice starts.
    for (const x of exits.slice(0, -1)) {
      const next = guest.find((g) => g.ts >= x.ts + x.dur! - 1e-9);
      expect(next).toBeDefined();
    }
    expect(ev.some((e) => e.cat === 'hypercall' && e.name === 'hypercall EOI')).toBe(true);
    const inj = ev.find((e) => e.cat === 'injection');
    expect(inj?.name).toBe('inject vector 8'); // IRQ 0 through the PIC as SeaBIOS programs it (base 0x08)
    expect(inj?.args?.['type']).toBe('external interrupt');
  });
});
