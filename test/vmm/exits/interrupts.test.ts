import { describe, expect, it } from 'vitest';
import { CPU_BASED, EXIT_REASON, INTERRUPTIBILITY, INTR_INFO, INTR_TYPE, PENDING_DBG, VMCS, intrInfo } from '../../../src/cpu/vmx/api.js';
import { guestRip, makeVm, type TestVm } from '../harness.js';
import type { FakeVmx } from '../fake-vmx.js';

const IF = 0x200;
/** IRQ0 arrives at vector 8 after the SeaBIOS-style PIC programming (docs/machine.md). */
const PIT_VECTOR = 8;
/** Past the first BIOS tick (65536 PIT clocks = 54.9 ms = 54.9M cycles), not yet at the second. */
const AFTER_FIRST_TICK = 60_000_000;
const extIntr = (v: number) => intrInfo(v, INTR_TYPE.EXT_INTR, false);
const timerExit = (cycles = 0) => ({ reason: EXIT_REASON.PREEMPTION_TIMER, cycles });
const setFlags = (flags: number) => (f: FakeVmx) => f.setGuest(VMCS.GUEST_RFLAGS, flags);
const windowExiting = (t: TestVm) => (t.fake.field(VMCS.CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED.INTR_WINDOW_EXITING) !== 0;

describe('time, HLT and interrupt injection', () => {
  it('arms the preemption timer for the VM\'s next device deadline (the PIT)', () => {
    const t = makeVm();
    const deadline = t.vm.clock.nextDeadline;
    expect(deadline).toBeGreaterThan(0);
    t.run(timerExit(100));
    expect(t.fake.entries[0]!.preemptionTimer).toBe(deadline); // from cycle 0 (rate 0: one tick per cycle)
    expect(t.fake.entries[1]!.preemptionTimer).toBe(deadline - 100);
  });

  it('a deadline that has passed brings the devices up to date and injects IRQ0 when IF=1', () => {
    const t = makeVm();
    t.run({ ...timerExit(AFTER_FIRST_TICK), before: setFlags(0x202) }, timerExit());
    const injected = t.fake.entries.map((e) => e.intrInfo >>> 0).filter((i) => i & INTR_INFO.VALID);
    expect(injected).toEqual([extIntr(PIT_VECTOR)]);
    expect(t.vm.stats.interruptsInjected).toBe(1);
  });

  it('HLT sleeps: virtual time jumps to the deadline, then the interrupt is injected after the HLT', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run({ reason: EXIT_REASON.HLT, length: 1, before: setFlags(0x202) }, timerExit());
    expect(t.fake.idles.length).toBeGreaterThan(0);
    expect(guestRip(t)).toBe(rip + 1);
    expect(t.fake.entries[1]!.intrInfo >>> 0).toBe(extIntr(PIT_VECTOR));
    expect(t.vm.stop).toBeNull();
  });

  it('HLT with IF=0 has halted for good, in the native run\'s words', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.HLT, length: 1 });
    expect(t.vm.stop).toEqual({ kind: 'halted-forever', why: 'halted with interrupts disabled (IF=0)' });
  });

  it('HLT with every IRQ masked and no timer armed has halted for good', () => {
    const t = makeVm();
    t.vm.bus.write(0x43, 1, 0x30); // PIT channel 0, mode 0: waits for a count, no more edges
    t.run({ reason: EXIT_REASON.HLT, length: 1, before: setFlags(0x202) });
    expect(t.vm.stop?.kind).toBe('halted-forever');
  });

  it('with IF=0 the interrupt waits: interrupt-window exiting, then injection when the window opens', () => {
    const t = makeVm();
    t.run(timerExit(AFTER_FIRST_TICK));
    expect(t.fake.entries[1]!.intrInfo & INTR_INFO.VALID).toBe(0);
    expect(windowExiting(t)).toBe(true);
    t.run({ reason: EXIT_REASON.INTERRUPT_WINDOW, before: setFlags(0x202) });
    expect(t.fake.entries[2]!.intrInfo >>> 0).toBe(extIntr(PIT_VECTOR));
    expect(windowExiting(t)).toBe(false);
  });

  it('STI blocking delays the injection by one instruction (window exiting instead)', () => {
    const t = makeVm();
    t.run({ ...timerExit(AFTER_FIRST_TICK), before: (f) => { f.setGuest(VMCS.GUEST_RFLAGS, 0x202); f.setGuest(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI); } });
    expect(t.fake.entries[1]!.intrInfo & INTR_INFO.VALID).toBe(0);
    expect(windowExiting(t)).toBe(true);
  });

  it('an emulated instruction ends STI blocking (sti; hlt) and owes a #DB when TF is set', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.CPUID, length: 2, before: (f) => { f.setGuest(VMCS.GUEST_RFLAGS, 0x302); f.setGuest(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI); } });
    expect(t.fake.field(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(0);
    expect(t.fake.field(VMCS.GUEST_PENDING_DBG_EXCEPTIONS)).toBe(PENDING_DBG.BS);
  });

  it('an event whose delivery a VM exit interrupted is injected again (IDT-vectoring information)', () => {
    const t = makeVm();
    const idt = (intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true) | INTR_INFO.NMI_UNBLOCKING) >>> 0;
    t.run({ reason: EXIT_REASON.PREEMPTION_TIMER, idtVectoring: idt, idtError: 6 }, timerExit());
    const e = t.fake.entries[1]!;
    expect(e.intrInfo >>> 0).toBe(intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true));
    expect(e.errorCode).toBe(6);
    // a re-injected software interrupt keeps its instruction length
    t.run({ reason: EXIT_REASON.PREEMPTION_TIMER, idtVectoring: intrInfo(0x30, INTR_TYPE.SOFT_INTR, false), length: 2 }, timerExit());
    expect(t.fake.entries[3]!.intrInfo >>> 0).toBe(intrInfo(0x30, INTR_TYPE.SOFT_INTR, false));
    expect(t.fake.entries[3]!.instructionLength).toBe(2);
  });

  it('an external-interrupt exit (the host has none) just resumes', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run({ reason: EXIT_REASON.EXTERNAL_INTERRUPT, intrInfo: extIntr(0x20) });
    expect(guestRip(t)).toBe(rip);
    expect(t.vm.stop).toBeNull();
    expect(t.vm.stats.byReason[EXIT_REASON.EXTERNAL_INTERRUPT]).toBe(1);
  });
});
