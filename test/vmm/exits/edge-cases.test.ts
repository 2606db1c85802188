// Less-travelled paths of the handlers: 16-bit addressing and segment checks in string I/O, ESP as
// a CR-access operand, the memory form of LMSW, SYSENTER MSRs that do exit, INVLPG, misconfiguration.
import { describe, expect, it } from 'vitest';
import { CR_ACCESS_TYPE, EXIT_REASON, VMCS } from '../../../src/cpu/vmx/api.js';
import { crAccessQualification, insOutsInstructionInfo, ioQualification, lmswQualification } from '../../../src/cpu/vmx/qualification.js';
import { HC } from '../../../src/vmm/pv-abi.js';
import { guestRip, makeVm } from '../harness.js';

const DS = 3;
const SS = 2;
const next = { reason: EXIT_REASON.PREEMPTION_TIMER };

describe('string I/O corners', () => {
  it('OUTSD with 16-bit addressing wraps SI within 64 KiB and keeps the upper halves', () => {
    const t = makeVm();
    t.vm.ram.write32(0xfffe, 0x44434241); // "ABCD" at DS:0xFFFE (DS base 0)
    t.vm.ram.write32(0x0002, 0x48474645); // "EFGH" at DS:0x0002 after the wrap
    t.run({
      reason: EXIT_REASON.IO_INSTRUCTION,
      qualification: ioQualification(0x3f8, 4, false, true, true, false),
      instructionInfo: insOutsInstructionInfo(0, DS),
      length: 3,
      before: (f) => {
        f.gprs[6] = 0x1234fffe; // ESI: SI = 0xFFFE
        f.gprs[1] = 0x56780002; // ECX: CX = 2
      },
    });
    // The UART sees dword writes; its THR takes the low byte of each.
    expect(t.text()).toBe('AE');
    expect(t.vm.vcpu.regs[6]! >>> 0).toBe(0x12340006);
    expect(t.vm.vcpu.regs[1]! >>> 0).toBe(0x56780000);
  });

  it('an element beyond the segment limit is #GP(0), through SS it is #SS(0)', () => {
    for (const [seg, vector] of [[DS, 13], [SS, 12]] as const) {
      const t = makeVm();
      t.fake.setGuest(VMCS.GUEST_DS_LIMIT, 0xfff);
      t.fake.setGuest(VMCS.GUEST_SS_LIMIT, 0xfff);
      t.run({
        reason: EXIT_REASON.IO_INSTRUCTION,
        qualification: ioQualification(0x3f8, 2, false, true, false, false),
        instructionInfo: insOutsInstructionInfo(1, seg),
        length: 2,
        before: (f) => (f.gprs[6] = 0xfff),
      }, next);
      expect(t.fake.entries[1]!.intrInfo & 0xff).toBe(vector);
      expect(t.text()).toBe('');
    }
  });
});

describe('CR access corners', () => {
  it('ESP as the operand lives in GUEST_RSP', () => {
    const t = makeVm();
    t.fake.setGuest(VMCS.GUEST_RSP, 0x8000);
    t.run(
      { reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_TO_CR, 4), length: 3 },
      { reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_FROM_CR, 4), length: 3, before: (f) => f.setGuest(VMCS.GUEST_RSP, 0x1111) },
    );
    expect(t.vm.vcpu.cr3Virtual).toBe(0x8000);
    expect(t.fake.field(VMCS.GUEST_RSP)).toBe(0x8000);
  });

  it('LMSW with a memory operand takes its data from the qualification', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.CR_ACCESS, qualification: lmswQualification(0xfff8, true), length: 4, guestLinear: 0x5000 });
    expect(t.vm.vcpu.cr0Shadow & 0xf).toBe(0x9); // PE kept, TS set, MP/EM from the data (0)
  });

  it('a NEW_CR3 hypercall with paging off stays virtual, like MOV CR3', () => {
    const t = makeVm({ pv: true });
    t.vm.ram.write32(0x200000, 0x3000 | 1);
    t.vm.ram.write32(0x200004, 0x3000);
    t.run({ reason: EXIT_REASON.VMCALL, length: 3, before: (f) => { f.gprs[0] = HC.MMU_UPDATE; f.gprs[3] = 0x200000; f.gprs[1] = 1; } });
    expect(t.vm.vcpu.regs[0]).toBe(1);
    expect(t.vm.vcpu.cr3Virtual).toBe(0x3000);
    expect(t.fake.field(VMCS.GUEST_CR3)).toBe(t.vm.identityMapGpa);
  });
});

describe('other exits', () => {
  it('SYSENTER MSRs that exit anyway are served from the VMCS', () => {
    const t = makeVm();
    t.run(
      { reason: EXIT_REASON.MSR_WRITE, length: 2, before: (f) => { f.gprs[1] = 0x174; f.gprs[0] = 0x12345; f.gprs[2] = 0; } },
      { reason: EXIT_REASON.MSR_READ, length: 2, before: (f) => { f.gprs[1] = 0x174; f.gprs[0] = 0; } },
    );
    expect(t.fake.field(VMCS.GUEST_SYSENTER_CS)).toBe(0x2345);
    expect(t.vm.vcpu.regs[0]).toBe(0x2345);
  });

  it('INVLPG invalidates that address for the VM\'s VPID', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run({ reason: EXIT_REASON.INVLPG, qualification: 0xc0001234, length: 3 });
    expect(t.fake.invalidations.at(-1)).toEqual({ kind: 'invvpid', type: 0, a: 1, b: 0xc0001234 });
    expect(guestRip(t)).toBe(rip + 3);
  });

  it('an EPT misconfiguration stops the VM as a hypervisor bug', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.EPT_MISCONFIG, guestPhysical: 0x1000 });
    expect(t.vm.stop && 'report' in t.vm.stop ? t.vm.stop.report : '').toContain('EPT misconfiguration at guest-physical 0x1000 (a hypervisor bug)');
  });
});
