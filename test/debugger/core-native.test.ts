// The debugger core over the bare machine (native mode): stepping, every breakpoint kind, the end of
// the guest, and reverse execution by snapshot + deterministic replay, on the sample guests.
import { describe, expect, it } from 'vitest';
import { DecodedInsn } from '../../src/x86/decoded.js';
import { decode } from '../../src/x86/decoder.js';
import { readVirtual } from '../../src/debugger/guest-memory.js';
import type { StopEvent } from '../../src/debugger/core.js';
import { elfEntry, golden, guestImage, nativeSession } from './helpers.js';

const SMALL = { interval: 500, maxCount: 12, maxBytes: 64 * 1024 * 1024 };

function insnLength(bytes: Uint8Array): number {
  const d = new DecodedInsn();
  decode(bytes, 0, bytes.length, d);
  return d.len;
}

describe('debugger core, native mode', () => {
  it('starts stopped at the Multiboot entry, before the first instruction', () => {
    const { dbg } = nativeSession('hello');
    const r = dbg.registers();
    expect(r.eip).toBe(elfEntry(guestImage('hello')));
    expect(r.gpr[0]).toBe(0x2badb002); // Multiboot magic in EAX (Multiboot spec §3.2)
    expect(dbg.position).toEqual({ insns: 0, exits: 0, atExit: false });
  });

  it('steps one instruction at a time: EIP moves by the decoded length of straight-line code', () => {
    const { dbg } = nativeSession('hello');
    for (let i = 0; i < 3; i++) {
      const eip = dbg.registers().eip;
      const len = insnLength(readVirtual(dbg.target, eip, 15).bytes);
      const ev = dbg.step();
      expect(ev.kind).toBe('step');
      expect(dbg.registers().eip).toBe(eip + len); // cli; cld; mov esp, imm32
      expect(dbg.position.insns).toBe(i + 1);
    }
    expect(dbg.step(5).kind).toBe('step');
    expect(dbg.position.insns).toBe(8);
  });

  it('stops at a guest-virtual breakpoint, and continuing from it does not stop there again at once', () => {
    const { dbg } = nativeSession('hello');
    dbg.step(10);
    const target = dbg.registers().eip;
    const s = nativeSession('hello');
    const bp = s.dbg.addBreakpoint({ kind: 'virt', addr: target });
    expect(typeof bp).not.toBe('string');
    const ev = s.dbg.continue();
    expect(ev.kind).toBe('breakpoint');
    expect(s.dbg.registers().eip).toBe(target);
    expect(s.dbg.position.insns).toBe(10);
    const next = s.dbg.continue();
    expect(next.kind === 'breakpoint' && next.pos.insns === 10).toBe(false);
  });

  it('stops at a guest-physical breakpoint', () => {
    const { dbg } = nativeSession('hello');
    dbg.step(6);
    const eip = dbg.registers().eip;
    const s = nativeSession('hello');
    s.dbg.addBreakpoint({ kind: 'phys', addr: s.dbg.target.translate(eip)! });
    const ev = s.dbg.continue();
    expect(ev.kind).toBe('breakpoint');
    expect(s.dbg.position.insns).toBe(6);
  });

  it('stops after each write to an I/O port, with the value written (the console text)', () => {
    const s = nativeSession('hello');
    s.dbg.addBreakpoint({ kind: 'io', port: 0x3f8 });
    const values: number[] = [];
    for (let ev = s.dbg.continue(); ev.kind !== 'ended'; ev = s.dbg.continue()) {
      expect(ev.kind).toBe('io');
      if (ev.kind === 'io' && ev.write) values.push(ev.value);
    }
    const text = String.fromCharCode(...values);
    expect(text).toContain(golden('hello'));
  });

  it('stops after an instruction changes a watched stack slot, with old and new bytes', () => {
    const s = nativeSession('hello');
    s.dbg.step(3); // cli; cld; mov esp, STACK_TOP
    const esp = s.dbg.registers().gpr[4]!;
    const gpa = s.dbg.target.translate(esp - 4)!;
    s.dbg.addBreakpoint({ kind: 'watch', addr: esp - 4, phys: gpa, len: 4, virtual: true });
    let ev: StopEvent = s.dbg.continue();
    // Pushes of the same value as before do not count: find the first real change.
    expect(ev.kind).toBe('watch');
    if (ev.kind !== 'watch') return;
    expect(Array.from(ev.now)).toEqual(Array.from(s.dbg.target.readPhysical(gpa, 4)!));
    expect(Array.from(ev.now)).not.toEqual(Array.from(ev.old));
    ev = s.dbg.continue();
    expect(['watch', 'ended']).toContain(ev.kind);
  });

  it('reports the end of the guest with its exit value, after the same console output as QEMU', () => {
    const s = nativeSession('hello');
    const ev = s.dbg.continue();
    expect(ev).toMatchObject({ kind: 'ended', outcome: { kind: 'exit', value: 0 } });
    expect(s.console()).toBe(golden('hello'));
    expect(s.dbg.continue().kind).toBe('ended');
    expect(s.dbg.step().kind).toBe('ended');
  });

  it('one-instruction runs keep the STI shadow: single-stepping through STI;HLT idling matches a continuous run', () => {
    // sched first idles (cpu_idle: sti; hlt) after ~80k instructions.
    const N = 120_000;
    const stepped = nativeSession('sched');
    for (let i = 0; i < N; i++) expect(stepped.dbg.target.run(1).kind).toBe('budget');
    const whole = nativeSession('sched');
    expect(whole.dbg.target.run(N).kind).toBe('budget');
    expect(stepped.dbg.target.instructions).toBe(N);
    expect(JSON.stringify(stepped.dbg.registers())).toBe(JSON.stringify(whole.dbg.registers()));
    expect(stepped.dbg.target.cycles).toBe(whole.dbg.target.cycles);
  });

  it('reverse-step returns to each earlier instruction with identical registers (across timer interrupts, STI;HLT idling and preemption)', () => {
    const s = nativeSession('sched', SMALL);
    // Get past the PIT set-up into the part with interrupts and HLT.
    s.dbg.addBreakpoint({ kind: 'io', port: 0x3f8 });
    for (let i = 0; i < 40; i++) s.dbg.continue();
    s.dbg.breakpoints.clear();
    const seen: { insns: number; regs: string }[] = [];
    for (let i = 0; i < 300; i++) {
      seen.push({ insns: s.dbg.position.insns, regs: JSON.stringify(s.dbg.registers()) });
      s.dbg.step();
    }
    for (let i = seen.length - 1; i >= 0; i--) {
      const ev = s.dbg.reverseStep();
      expect(ev.kind).toBe('step');
      expect(s.dbg.position.insns).toBe(seen[i]!.insns);
      expect(JSON.stringify(s.dbg.registers())).toBe(seen[i]!.regs);
    }
  });

  it('reverse-continue lands on the previous breakpoint hit; history never repeats console output', () => {
    const s = nativeSession('sched', SMALL);
    s.dbg.addBreakpoint({ kind: 'io', port: 0x3f8 });
    const hits: { insns: number; regs: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const ev = s.dbg.continue();
      expect(ev.kind).toBe('io');
      hits.push({ insns: ev.pos.insns, regs: JSON.stringify(s.dbg.registers()) });
    }
    for (let i = hits.length - 2; i >= hits.length - 6; i--) {
      const ev = s.dbg.reverseContinue();
      expect(ev.kind).toBe('io');
      expect(s.dbg.position.insns).toBe(hits[i]!.insns);
      expect(JSON.stringify(s.dbg.registers())).toBe(hits[i]!.regs);
    }
    s.dbg.breakpoints.clear();
    expect(s.dbg.reverseContinue().kind).toBe('history-start');
    expect(s.dbg.position.insns).toBe(0);
    expect(s.dbg.continue()).toMatchObject({ kind: 'ended', outcome: { kind: 'exit', value: 0 } });
    expect(s.console()).toBe(golden('sched'));
  });

  it('keeps the snapshot history bounded while a long guest runs', () => {
    const s = nativeSession('sched', { interval: 1000, maxCount: 8, maxBytes: 1 << 30 });
    s.dbg.continue();
    expect(s.dbg.snapshots.count).toBeLessThanOrEqual(8);
    expect(s.dbg.snapshots.all[0]!.pos.insns).toBe(0);
    expect(s.dbg.snapshots.interval).toBeGreaterThan(1000);
  });

  it('a register write changes what follows, and history after it replays the changed guest', () => {
    const s = nativeSession('hello', SMALL);
    expect(s.dbg.setRegister('eax', 0x1234)).toBeNull(); // not the Multiboot magic any more
    s.dbg.step(20);
    const regs = JSON.stringify(s.dbg.registers());
    s.dbg.step(5);
    for (let i = 0; i < 5; i++) s.dbg.reverseStep();
    expect(JSON.stringify(s.dbg.registers())).toBe(regs);
    const ev = s.dbg.continue();
    expect(ev.kind).toBe('ended');
    expect(ev.kind === 'ended' && ev.outcome.kind === 'exit' && ev.outcome.value).not.toBe(0);
  });
});

describe('snapshot fidelity', () => {
  it('restore + replay reproduces memory, processor and devices exactly (sched: timer, PIC, UART)', async () => {
    const { createHash } = await import('node:crypto');
    const s = nativeSession('sched', { interval: 10_000, maxCount: 64, maxBytes: 1 << 30 });
    const t = s.dbg.target as unknown as { machine: { board: { saveState(): unknown; memory: { u8: Uint8Array } } } };
    const fingerprint = (): string =>
      JSON.stringify({
        regs: s.dbg.registers(),
        pos: s.dbg.position,
        cycles: s.dbg.target.cycles,
        board: t.machine.board.saveState(),
        mem: createHash('sha256').update(t.machine.board.memory.u8).digest('hex'),
      });
    const marks: { at: number; fp: string }[] = [];
    for (const n of [50_000, 123_457, 400_001, 900_000]) {
      s.dbg.target.run(n - s.dbg.target.instructions);
      marks.push({ at: s.dbg.target.instructions, fp: fingerprint() });
    }
    // Go back to each mark by reverse execution (restore + replay) and compare everything.
    s.dbg.continue();
    for (const m of marks.reverse()) {
      while (s.dbg.position.insns > m.at) {
        if (s.dbg.position.insns - m.at > 1) {
          // Jump most of the way with a one-shot breakpoint-free replay, then step back precisely.
          (s.dbg as unknown as { replayTo(p: unknown): void }).replayTo({ insns: m.at + 1, exits: 0, atExit: false });
        }
        s.dbg.reverseStep();
      }
      expect(fingerprint()).toBe(m.fp);
    }
  });
});
