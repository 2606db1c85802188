import { describe, expect, it } from 'vitest';
import { CPU_BASED, CR0, CR4, CR_ACCESS_TYPE, EXIT_REASON, INTR_INFO, VMCS } from '../../../src/cpu/vmx/api.js';
import { CLTS_QUALIFICATION, crAccessQualification, lmswQualification } from '../../../src/cpu/vmx/qualification.js';
import { guestRip, makeVm, type TestVm } from '../harness.js';

const EAX = 0;
const ECX = 1;
const CR3_EXITING = (CPU_BASED.CR3_LOAD_EXITING | CPU_BASED.CR3_STORE_EXITING) >>> 0;

const movToCr = (cr: number, value: number) => ({
  reason: EXIT_REASON.CR_ACCESS,
  qualification: crAccessQualification(cr, CR_ACCESS_TYPE.MOV_TO_CR, EAX),
  length: 3,
  before: (f: { gprs: Int32Array }) => (f.gprs[EAX] = value),
});
const movFromCr3 = (gpr: number) => ({ reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_FROM_CR, gpr), length: 3 });

const field = (t: TestVm, f: number) => t.fake.field(f);
const proc = (t: TestVm) => field(t, VMCS.CPU_BASED_VM_EXEC_CONTROL);
/** What `mov eax, cr0` returns in non-root: the read shadow for masked bits, GUEST_CR0 for the rest. */
const guestCr0 = (t: TestVm) => ((field(t, VMCS.GUEST_CR0) & ~field(t, VMCS.CR0_GUEST_HOST_MASK)) | (field(t, VMCS.CR0_READ_SHADOW) & field(t, VMCS.CR0_GUEST_HOST_MASK))) >>> 0;
const guestCr4 = (t: TestVm) => ((field(t, VMCS.GUEST_CR4) & ~field(t, VMCS.CR4_GUEST_HOST_MASK)) | (field(t, VMCS.CR4_READ_SHADOW) & field(t, VMCS.CR4_GUEST_HOST_MASK))) >>> 0;

describe('CR-access exits (EPT mode)', () => {
  it('MOV to CR3 with paging off stays virtual; MOV from CR3 gives it back', () => {
    const t = makeVm();
    t.run(movToCr(3, 0x12345018), movFromCr3(ECX));
    expect(field(t, VMCS.GUEST_CR3)).toBe(t.vm.identityMapGpa);
    expect(t.vm.vcpu.regs[ECX]).toBe(0x12345018);
    expect(t.vm.stats.crs.get(3 * 4 + CR_ACCESS_TYPE.MOV_TO_CR)).toBe(1);
    expect(t.vm.stats.crs.get(3 * 4 + CR_ACCESS_TYPE.MOV_FROM_CR)).toBe(1);
  });

  it('setting CR0.PG loads the guest\'s CR3, stops CR3 exiting and flushes the VPID', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run(movToCr(3, 0x5000), movToCr(4, CR4.PSE), movToCr(0, 0x80000011));
    expect(guestRip(t)).toBe(rip + 9);
    expect(guestCr0(t)).toBe(0x80000011);
    expect(field(t, VMCS.GUEST_CR3)).toBe(0x5000);
    expect(proc(t) & CR3_EXITING).toBe(0);
    expect(guestCr4(t)).toBe(CR4.PSE);
    expect(field(t, VMCS.GUEST_CR4) & CR4.VMXE).toBe(CR4.VMXE);
    expect(t.fake.invalidations.some((i) => i.kind === 'invvpid' && i.a === 1)).toBe(true);
  });

  it('without PSE in the guest, CR4.PSE is on only while the identity map is in use', () => {
    const t = makeVm();
    expect(field(t, VMCS.GUEST_CR4) & CR4.PSE).toBe(CR4.PSE);
    expect(guestCr4(t)).toBe(0);
    t.run(movToCr(0, 0x80000011));
    expect(field(t, VMCS.GUEST_CR4) & CR4.PSE).toBe(0);
    // and back: clearing PG reloads the identity map and keeps the guest's CR3 virtual
    const cr3 = field(t, VMCS.GUEST_CR3);
    t.run(movToCr(0, 0x11), movFromCr3(ECX));
    expect(field(t, VMCS.GUEST_CR3)).toBe(t.vm.identityMapGpa);
    expect(t.vm.vcpu.regs[ECX]).toBe(cr3);
    expect(proc(t) & CR3_EXITING).toBe(CR3_EXITING);
    expect(field(t, VMCS.GUEST_CR4) & CR4.PSE).toBe(CR4.PSE);
  });

  it('MOV to CR0: NE stays set underneath while the guest sees what it wrote', () => {
    const t = makeVm();
    t.run(movToCr(0, 0x80000011 | CR0.WP | CR0.TS));
    expect(field(t, VMCS.GUEST_CR0) & CR0.NE).toBe(CR0.NE);
    expect(guestCr0(t)).toBe((0x80000011 | CR0.WP | CR0.TS) >>> 0);
  });

  it('MOV to CR0 with PG but not PE, or NW without CD, is #GP(0); RIP stays', () => {
    for (const bad of [0x80000010, 0x20000011]) {
      const t = makeVm();
      const rip = guestRip(t);
      t.run(movToCr(0, bad), { reason: EXIT_REASON.PREEMPTION_TIMER });
      expect(guestRip(t)).toBe(rip);
      expect(t.fake.entries[1]!.intrInfo >>> 0).toBe((INTR_INFO.VALID | INTR_INFO.DELIVER_CODE | (3 << 8) | 13) >>> 0);
      expect(guestCr0(t)).toBe(0x11);
    }
  });

  it('clearing CR0.PE stops the VM: real mode needs unrestricted guest', () => {
    const t = makeVm();
    t.run(movToCr(0, 0x10));
    expect(t.vm.stop?.kind).toBe('unsupported');
  });

  it('CR4.VMXE and unimplemented bits are #GP(0): the guest sees a CPU without VMX', () => {
    for (const bad of [CR4.VMXE, CR4.PAE]) {
      const t = makeVm();
      t.run(movToCr(4, bad), { reason: EXIT_REASON.PREEMPTION_TIMER });
      expect(t.fake.entries[1]!.intrInfo & 0xff).toBe(13);
      expect(guestCr4(t)).toBe(0);
    }
  });

  it('CLTS and LMSW: LMSW sets the low bits but never clears PE', () => {
    const t = makeVm();
    t.run(movToCr(0, 0x80000011 | CR0.TS), { reason: EXIT_REASON.CR_ACCESS, qualification: CLTS_QUALIFICATION, length: 2 });
    expect(guestCr0(t) & CR0.TS).toBe(0);
    t.run({ reason: EXIT_REASON.CR_ACCESS, qualification: lmswQualification(0x000e, false), length: 3 });
    expect(guestCr0(t) & 0xf).toBe(0xf); // PE kept, MP EM TS set
  });
});
