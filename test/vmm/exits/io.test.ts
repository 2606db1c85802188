import { describe, expect, it } from 'vitest';
import { EXIT_REASON, INTR_INFO, VMCS } from '../../../src/cpu/vmx/api.js';
import { insOutsInstructionInfo, ioQualification } from '../../../src/cpu/vmx/qualification.js';
import { guestRip, makeVm } from '../harness.js';
import type { FakeVmx } from '../fake-vmx.js';

const COM1 = 0x3f8;
const ES = 0;
const DS = 3;

const outExit = (port: number, size: number, value: number) => ({
  reason: EXIT_REASON.IO_INSTRUCTION,
  qualification: ioQualification(port, size, false, false, false, false),
  length: 1,
  before: (f: FakeVmx) => (f.gprs[0] = value),
});

describe('I/O exits', () => {
  it('OUT goes to the VM\'s own COM1, low byte of EAX only', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run(outExit(COM1, 1, 0x12345648));
    expect(t.text()).toBe('H');
    expect(guestRip(t)).toBe(rip + 1);
    expect(t.vm.stats.ports.get(COM1)).toBe(1);
  });

  it('IN merges into AL/AX and keeps the rest of EAX', () => {
    const t = makeVm();
    // The PIC mask register after the firmware init is 0xB8 (docs/machine.md).
    t.run({ reason: EXIT_REASON.IO_INSTRUCTION, qualification: ioQualification(0x21, 1, true, false, false, true), length: 2, before: (f) => (f.gprs[0] = 0x11223344) });
    expect(t.vm.vcpu.regs[0]! >>> 0).toBe(0x112233b8);
    // An unclaimed port reads as open bus, 16 bits wide
    t.run({ reason: EXIT_REASON.IO_INSTRUCTION, qualification: ioQualification(0x300, 2, true, false, false, false), length: 1 });
    expect(t.vm.vcpu.regs[0]! >>> 0).toBe(0x1122ffff);
    expect(t.vm.stats.ports.get(0x21 | 0x10000)).toBe(1);
  });

  it('a write to the debug-exit port stops the VM with that value', () => {
    const t = makeVm();
    t.run(outExit(0xf4, 1, 0x2a));
    expect(t.vm.stop).toEqual({ kind: 'exit', value: 0x2a });
  });

  it('REP OUTSB reads guest memory at DS:ESI (paging off) and updates ESI/ECX', () => {
    const t = makeVm();
    const buf = 0x200000;
    const text = 'hello, rep outsb';
    for (let i = 0; i < text.length; i++) t.vm.ram.write8(buf + i, text.charCodeAt(i));
    const rip = guestRip(t);
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(COM1, 1, false, true, true, false),
      instructionInfo: insOutsInstructionInfo(1, DS),
      length: 2,
      before: (f) => {
        f.gprs[6] = buf; // ESI
        f.gprs[1] = text.length; // ECX
      },
    });
    expect(t.text()).toBe(text);
    expect(t.vm.vcpu.regs[6]).toBe(buf + text.length);
    expect(t.vm.vcpu.regs[1]).toBe(0);
    expect(guestRip(t)).toBe(rip + 2);
  });

  it('INSB with DF=1 walks downwards', () => {
    const t = makeVm();
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(0x21, 1, true, true, true, false),
      instructionInfo: insOutsInstructionInfo(1, ES),
      length: 2,
      before: (f) => {
        f.gprs[7] = 0x100010; // EDI
        f.gprs[1] = 3;
        f.setGuest(VMCS.GUEST_RFLAGS, 0x402); // DF
      },
    });
    expect([0x10000e, 0x10000f, 0x100010].map((a) => t.vm.ram.read8(a))).toEqual([0xb8, 0xb8, 0xb8]);
    expect(t.vm.vcpu.regs[7]).toBe(0x10000d);
  });

  it('a long REP is done in slices: the instruction re-executes with the count left', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(0x80, 1, false, true, true, false),
      instructionInfo: insOutsInstructionInfo(1, DS),
      length: 2,
      before: (f) => {
        f.gprs[6] = 0x100000;
        f.gprs[1] = 10_000;
      },
    });
    expect(t.vm.vcpu.regs[1]).toBe(10_000 - 4096);
    expect(guestRip(t)).toBe(rip); // not advanced: the REP goes on
  });

  it('OUTS from an unmapped page injects #PF with CR2, after the bytes that did go out', () => {
    const t = makeVm();
    // Guest paging: PD at 0x10000 maps linear 0x400000-0x400fff to 0x300000; 0x401000 not present.
    const pd = 0x10000;
    const pt = 0x11000;
    t.vm.ram.write32(pd + 4 * 1, pt | 0x7);
    t.vm.ram.write32(pt, 0x300000 | 0x7);
    t.vm.ram.write8(0x300ffe, 0x41);
    t.vm.ram.write8(0x300fff, 0x42);
    t.vm.vcpu.cr0Shadow = 0x80000011;
    t.vm.vcpu.cr4Shadow = 0;
    t.fake.setGuest(VMCS.GUEST_CR3, pd);
    const rip = guestRip(t);
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(COM1, 1, false, true, true, false),
      instructionInfo: insOutsInstructionInfo(1, DS),
      length: 2,
      before: (f) => {
        f.gprs[6] = 0x400ffe;
        f.gprs[1] = 5;
      },
    }, { reason: EXIT_REASON.PREEMPTION_TIMER });
    expect(t.text()).toBe('AB');
    expect(t.vm.vcpu.regs[1]).toBe(3);
    expect(t.vm.vcpu.regs[6]).toBe(0x401000);
    expect(guestRip(t)).toBe(rip);
    const e = t.fake.entries[1]!;
    expect(e.intrInfo >>> 0).toBe((INTR_INFO.VALID | INTR_INFO.DELIVER_CODE | (3 << 8) | 14) >>> 0);
    expect(e.errorCode).toBe(0); // not present, read, supervisor
    expect(t.fake.cr2).toBe(0x401000);
    // the accessed bits were set as the processor would have
    expect(t.vm.ram.read32(pt) & 0x20).toBe(0x20);
  });

  it('OUTS from memory outside the VM stops it instead of reading host memory', () => {
    const t = makeVm({ memMiB: 4 });
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(COM1, 1, false, true, false, false),
      instructionInfo: insOutsInstructionInfo(1, DS),
      length: 1,
      before: (f) => (f.gprs[6] = 0x800000),
    });
    expect(t.vm.stop?.kind).toBe('vm-error');
    expect(t.text()).toBe('');
  });
});
