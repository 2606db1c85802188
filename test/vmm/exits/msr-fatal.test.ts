import { describe, expect, it } from 'vitest';
import { EPT_VIOLATION, EXIT_REASON, INTR_INFO, INTR_TYPE, VMCS, intrInfo } from '../../../src/cpu/vmx/api.js';
import { guestRip, makeVm } from '../harness.js';
import type { FakeVmx } from '../fake-vmx.js';

const gp0 = (INTR_INFO.VALID | INTR_INFO.DELIVER_CODE | (INTR_TYPE.HARD_EXCEPTION << 8) | 13) >>> 0;
const ud = intrInfo(6, INTR_TYPE.HARD_EXCEPTION, false);
const msrExit = (reason: number, msr: number, eax = 0, edx = 0) => ({
  reason,
  length: 2,
  before: (f: FakeVmx) => {
    f.gprs[1] = msr;
    f.gprs[0] = eax;
    f.gprs[2] = edx;
  },
});
const next = { reason: EXIT_REASON.PREEMPTION_TIMER };

describe('RDTSC and MSR exits', () => {
  it('RDTSC and RDMSR IA32_TSC read host TSC + TSC_OFFSET; WRMSR moves the offset', () => {
    const t = makeVm();
    t.fake.tsc = 0x1_0000_0005;
    t.run({ reason: EXIT_REASON.RDTSC, length: 2 });
    expect([t.vm.vcpu.regs[0], t.vm.vcpu.regs[2]]).toEqual([5, 1]);
    t.run(msrExit(EXIT_REASON.MSR_WRITE, 0x10, 0x100, 0));
    expect(t.fake.field(VMCS.TSC_OFFSET) | 0).toBe(0x100 - 5);
    expect(t.fake.field(VMCS.TSC_OFFSET | 1) >>> 0).toBe(0xffffffff); // 0x100 - 0x100000005 over 64 bits
    t.fake.tsc += 10;
    t.run(msrExit(EXIT_REASON.MSR_READ, 0x10));
    expect([t.vm.vcpu.regs[0], t.vm.vcpu.regs[2]]).toEqual([0x10a, 0]);
  });

  it('IA32_FEATURE_CONTROL reads locked with VMX off; writing it is #GP', () => {
    const t = makeVm();
    t.run(msrExit(EXIT_REASON.MSR_READ, 0x3a));
    expect(t.vm.vcpu.regs[0]).toBe(1);
    t.run(msrExit(EXIT_REASON.MSR_WRITE, 0x3a, 5), next);
    expect(t.fake.entries[2]!.intrInfo >>> 0).toBe(gp0);
  });

  it('unknown MSRs and the VMX capability MSRs are #GP(0), RIP unchanged', () => {
    for (const msr of [0x1b, 0x480, 0xc0000080]) {
      const t = makeVm();
      const rip = guestRip(t);
      t.run(msrExit(EXIT_REASON.MSR_READ, msr), next);
      expect(guestRip(t)).toBe(rip);
      expect(t.fake.entries[1]!.intrInfo >>> 0).toBe(gp0);
      expect(t.vm.stats.msrs.get(msr * 2)).toBe(1);
    }
  });
});

describe('exits that end the VM or are refused', () => {
  it('a triple fault stops the VM with a report (exit status 121 in the CLI)', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.TRIPLE_FAULT });
    expect(t.vm.stop?.kind).toBe('triple-fault');
    expect(t.vm.stop && 'report' in t.vm.stop ? t.vm.stop.report : '').toMatch(/EIP=[0-9a-f]{8} EFLAGS=[0-9a-f]{8} CPL=0 CR0=00000011/);
  });

  it('an EPT violation (a guest-physical address outside RAM) stops the VM with a clear report', () => {
    const t = makeVm();
    t.run({
      reason: EXIT_REASON.EPT_VIOLATION,
      qualification: EPT_VIOLATION.ACC_WRITE | EPT_VIOLATION.GVA_IS_VALID | EPT_VIOLATION.GVA_TRANSLATED,
      guestPhysical: 0xfee00000,
      guestLinear: 0xfee00000,
    });
    const stop = t.vm.stop;
    expect(stop?.kind).toBe('vm-error');
    const report = stop && 'report' in stop ? stop.report : '';
    expect(report).toContain('EPT violation at guest-physical 0xfee00000, guest-linear 0xfee00000');
    expect(report).toContain('write denied');
    expect(report).toContain("outside the VM's RAM (0-0x3fffff)");
  });

  it('VMX instructions in the guest get #UD (no nested VMX), as does VMCALL without --pv', () => {
    for (const reason of [EXIT_REASON.VMON, EXIT_REASON.VMREAD, EXIT_REASON.INVEPT, EXIT_REASON.VMCALL]) {
      const t = makeVm();
      const rip = guestRip(t);
      t.run({ reason, length: 3 }, next);
      expect(t.fake.entries[1]!.intrInfo >>> 0).toBe(ud);
      expect(guestRip(t)).toBe(rip);
    }
  });

  it('a VM-entry failure on guest state stops the VM naming the failure', () => {
    const t = makeVm();
    t.fake.setGuest(VMCS.GUEST_RFLAGS, 0); // bit 1 must be 1: invalid guest state
    t.run();
    expect(t.vm.stop?.kind).toBe('vm-error');
    expect(t.vm.stop && 'report' in t.vm.stop ? t.vm.stop.report : '').toContain('INVALID_STATE (VM-entry failure)');
  });

  it('VMfailValid on entry (bad controls) stops the VM with the instruction error', () => {
    const t = makeVm();
    t.fake.setGuest(VMCS.PIN_BASED_VM_EXEC_CONTROL, 0); // the default1 bits must be 1
    t.run();
    expect(t.vm.stop && 'report' in t.vm.stop ? t.vm.stop.report : '').toContain('VMLAUNCH failed: VMfailValid: VM entry with invalid control field(s) (error 7)');
  });

  it('a reason no control asked for is reported, not ignored', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.DR_ACCESS, qualification: 0x13 });
    expect(t.vm.stop && 'report' in t.vm.stop ? t.vm.stop.report : '').toContain('unhandled VM exit 29 (DR_ACCESS: mov eax, dr3)');
  });

  it('exceptions the bitmap caught are reflected to the guest unchanged', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.EXCEPTION_NMI, intrInfo: intrInfo(13, INTR_TYPE.HARD_EXCEPTION, true), intrError: 0x18 }, next);
    expect(t.fake.entries[1]!.intrInfo >>> 0).toBe(intrInfo(13, INTR_TYPE.HARD_EXCEPTION, true));
    expect(t.fake.entries[1]!.errorCode).toBe(0x18);
    t.run({ reason: EXIT_REASON.EXCEPTION_NMI, intrInfo: intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true), intrError: 2, qualification: 0xdead000 }, next);
    expect(t.fake.entries[3]!.intrInfo & 0xff).toBe(14);
    expect(t.fake.cr2).toBe(0xdead000);
  });
});
