// EPT in VMX non-root operation on the processor (SDM Vol. 3 §29.3, §28.2.1 Table 28-7; kvm-unit-tests
// ept_access_*): every guest-physical access, the guest's own page-walk reads included, goes through
// the EPT structures; violations report the access, the translation's permissions, whether a
// linear address was involved and the exact guest-physical address; misconfigurations exit 49.
// Also VPID-tagged TLB entries across exits, INVVPID/INVEPT, and isolation of host memory.
import { describe, expect, it } from 'vitest';
import { INVEPT_TYPE, INVVPID_TYPE, VmxStatus } from '../../../src/cpu/vmx/api.js';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { EPT_VIOLATION as Q } from '../../../src/cpu/vmx/qualification.js';
import { L, VmxHarness } from './nonroot-harness.js';

const R = EXIT_REASON;
const WB = 6 << 3;
const PAGE = L.DATA + 0x3000;

function ept(src: string): VmxHarness {
  return new VmxHarness({ ept: true }).guest(src);
}

function setLeaf(h: VmxHarness, gpa: number, hpa: number, perms: number): void {
  h.mem.write32(h.eptLeaf(gpa), hpa | perms | WB);
}

describe('EPT translation and violations', () => {
  it('the guest runs under an identity EPT: reads and writes reach its memory', () => {
    const h = ept(`mov eax, [${PAGE}]\nmov dword [${PAGE + 4}], 0x5a5a\ncpuid`);
    h.mem.write32(PAGE, 0x1234);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.gprs[0]).toBe(0x1234);
    expect(h.mem.read32(PAGE + 4)).toBe(0x5a5a);
  });

  it('a remapped page: guest-physical PAGE reads host-physical elsewhere', () => {
    const h = ept(`mov eax, [${PAGE + 8}]\ncpuid`);
    const other = L.DATA + 0x9000;
    h.mem.write32(other + 8, 0xfeed);
    setLeaf(h, PAGE, other, 7);
    h.run();
    expect(h.gprs[0]).toBe(0xfeed);
  });

  it('write to a read-only page: write access, translation R-X, linear address valid and translated', () => {
    const h = ept(`mov dword [${PAGE + 0x10}], 1`);
    setLeaf(h, PAGE, PAGE, 5);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.qualification).toBe(Q.ACC_WRITE | Q.READABLE | Q.EXECUTABLE | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
    expect(x.guestPhysical).toBe(PAGE + 0x10);
    expect(x.guestLinear).toBe(PAGE + 0x10);
    expect(x.rip).toBe(L.CODE);
    expect(h.mem.read32(PAGE + 0x10)).toBe(0);
  });

  it('read of an execute-only page (execute-only is advertised)', () => {
    const h = ept(`mov eax, [${PAGE}]`);
    setLeaf(h, PAGE, PAGE, 4);
    const x = h.run();
    expect(x.qualification).toBe(Q.ACC_READ | Q.EXECUTABLE | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
  });

  it('instruction fetch from a non-executable page, even after a data read filled the TLB', () => {
    const h = ept(`mov eax, [${PAGE}]\njmp ${PAGE}`);
    setLeaf(h, PAGE, PAGE, 3);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.qualification).toBe(Q.ACC_INSTR | Q.READABLE | Q.WRITABLE | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
    expect(x.rip).toBe(PAGE);
  });

  it('a guest-physical address EPT does not map: permissions 0, the exact address', () => {
    const h = ept(`mov eax, [${L.GUEST_HI + 0x123}]`);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.qualification).toBe(Q.ACC_READ | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
    expect(x.guestPhysical).toBe(L.GUEST_HI + 0x123);
  });

  it('the guest\'s own page-walk read of a PTE: linear address valid, not a translated access (bit 8 clear)', () => {
    const target = L.WINDOW + 0x2000;
    const h = ept(`mov eax, [${target}]`);
    setLeaf(h, L.GUEST_PT, L.GUEST_PT, 0);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.qualification).toBe(Q.ACC_READ | Q.GVA_IS_VALID);
    expect(x.guestPhysical).toBe(L.GUEST_PT + 2 * 4);
    expect(x.guestLinear).toBe(target);
  });

  it('a misconfigured entry (writable, not readable) is exit 49 with the guest-physical address', () => {
    const h = ept(`mov eax, [${PAGE + 0x20}]`);
    setLeaf(h, PAGE, PAGE, 2);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_MISCONFIG);
    expect(x.guestPhysical).toBe(PAGE + 0x20);
  });

  it('after the hypervisor fixes the entry (and INVEPT), the faulting instruction re-executes and succeeds', () => {
    const h = ept(`mov dword [${PAGE}], 0x77\ncpuid`);
    setLeaf(h, PAGE, PAGE, 5);
    expect(h.run().reason).toBe(R.EPT_VIOLATION);
    setLeaf(h, PAGE, PAGE, 7);
    expect(h.ops.invept(INVEPT_TYPE.SINGLE_CONTEXT, h.read(VMCS.EPT_POINTER))).toBe(VmxStatus.SUCCEED);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.mem.read32(PAGE)).toBe(0x77);
  });
});

describe('isolation: the guest\'s page tables cannot reach host memory past EPT', () => {
  it('a guest mapping host structures (its PD maps all of memory) gets EPT violations; host memory is untouched', () => {
    const targets = [L.HOST_GDT, L.VMCS + 0x100, L.EPT_PML4, L.GUEST_HI, 0xb00000];
    for (const t of targets) {
      const h = ept(`mov dword [${t}], 0xdeadbeef\ncpuid`);
      const before = h.mem.u8.slice(0, L.GUEST_LO);
      const after = h.mem.u8.slice(L.GUEST_HI);
      const x = h.run();
      expect(x.reason).toBe(R.EPT_VIOLATION);
      expect(x.guestPhysical).toBe(t);
      // Only the VMCS (exit information, guest state) changed below the guest's memory.
      const now = h.mem.u8.slice(0, L.GUEST_LO);
      for (let i = 0; i < now.length; i++) {
        if (now[i] !== before[i] && (i < L.VMCS || i >= L.VMCS + 0x1000)) throw new Error(`host byte 0x${i.toString(16)} changed`);
      }
      expect(Buffer.from(h.mem.u8.slice(L.GUEST_HI)).equals(Buffer.from(after))).toBe(true);
    }
  });
});

describe('VPID-tagged TLB entries, INVVPID', () => {
  const src = `mov eax, [${L.WINDOW + 0x3000}]\ncpuid\nmov eax, [${L.WINDOW + 0x3000}]\ncpuid`;
  const setup = (h: VmxHarness): void => {
    h.mem.write32(L.GUEST_LO + 0x3000, 0x1111);
    h.mem.write32(L.GUEST_LO + 0x4000, 0x2222);
  };
  const remap = (h: VmxHarness): void => h.mem.write32(L.GUEST_PT + 3 * 4, (L.GUEST_LO + 0x4000) | 0x67);

  it('with a VPID, the guest\'s translations survive the exit: a PTE changed behind its back is not seen', () => {
    const h = ept(src);
    setup(h);
    h.run();
    expect(h.gprs[0]).toBe(0x1111);
    remap(h);
    h.skip();
    h.run();
    expect(h.gprs[0]).toBe(0x1111);
  });

  it('INVVPID (single context, or the one address) drops them', () => {
    for (const type of [INVVPID_TYPE.SINGLE_CONTEXT, INVVPID_TYPE.INDIVIDUAL_ADDRESS]) {
      const h = ept(src);
      setup(h);
      h.run();
      remap(h);
      expect(h.ops.invvpid(type, 1, L.WINDOW + 0x3000)).toBe(VmxStatus.SUCCEED);
      h.skip();
      h.run();
      expect(h.gprs[0]).toBe(0x2222);
    }
  });

  it('without VPIDs every VM entry and exit flushes: the change is seen at once', () => {
    const h = new VmxHarness().guest(src);
    setup(h);
    h.run();
    remap(h);
    h.skip();
    h.run();
    expect(h.gprs[0]).toBe(0x2222);
  });

  it('INVVPID with VPID 0 (single context) and unknown types fail with error 28', () => {
    const h = ept('cpuid');
    expect(h.ops.invvpid(INVVPID_TYPE.SINGLE_CONTEXT, 0, 0)).toBe(28);
    expect(h.ops.invept(7, h.read(VMCS.EPT_POINTER))).toBe(28);
  });
});
