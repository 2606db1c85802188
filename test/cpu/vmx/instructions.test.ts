// VMX instruction semantics, modelled on kvm-unit-tests' framework tests (test_vmx_feature_control,
// test_vmxon, test_vmptrld, test_vmclear, test_vmptrst, test_vmwrite_vmread, test_vmcs_lifecycle,
// invvpid_test, the INVEPT operand checks) plus the VMLAUNCH/VMRESUME error numbers.
import { beforeEach, describe, expect, it } from 'vitest';
import { VMCS_REVISION_ID } from '../../../src/cpu/vmx/capabilities.js';
import { FIELDS, VMCS } from '../../../src/cpu/vmx/fields.js';
import {
  TlbInvalidation,
  VmxOutcome,
  commitVmEntry,
  invept,
  invvpid,
  vmcall,
  vmclear,
  vmlaunch,
  vmptrld,
  vmptrst,
  vmread,
  vmwrite,
  vmxoff,
  vmxon,
} from '../../../src/cpu/vmx/instructions.js';
import { INVALID_VMCS_POINTER, LaunchState } from '../../../src/cpu/vmx/vmcs.js';
import { FakeCpu, OPERAND } from './fake-cpu.js';
import { EPTP_WB_4LEVEL, LAYOUT, goodVmcs } from './good-vmcs.js';

let cpu: FakeCpu;

function error(): number {
  return cpu.vmx.vmcs.read(VMCS.VM_INSTRUCTION_ERROR);
}
function on(): FakeCpu {
  cpu.operand(LAYOUT.VMXON);
  expect(vmxon(cpu)).toBe(VmxOutcome.DONE);
  expect(cpu.result).toBe('VMsucceed');
  return cpu;
}
function load(addr: number = LAYOUT.VMCS): void {
  cpu.operand(addr);
  expect(vmptrld(cpu)).toBe(VmxOutcome.DONE);
}

beforeEach(() => {
  cpu = new FakeCpu();
  goodVmcs(cpu.mem, LAYOUT.VMCS);
});

describe('VMXON (test_vmx_feature_control, test_vmxon)', () => {
  it('#UD with CR4.VMXE clear, CR0.PE clear, or in virtual-8086 mode', () => {
    cpu.operand(LAYOUT.VMXON);
    cpu.cr4 &= ~0x2000;
    expect(vmxon(cpu)).toBe(VmxOutcome.UD);
    cpu.cr4 |= 0x2000;
    cpu.cr0 &= ~1;
    expect(vmxon(cpu)).toBe(VmxOutcome.UD);
    cpu.cr0 |= 1;
    cpu.v8086 = true;
    expect(vmxon(cpu)).toBe(VmxOutcome.UD);
    expect(cpu.result).toBe('untouched');
  });

  it('#GP(0) at CPL > 0, with CR0.NE or CR0.PG clear, or without IA32_FEATURE_CONTROL lock/enable', () => {
    cpu.operand(LAYOUT.VMXON);
    const cases: ((c: FakeCpu) => void)[] = [
      (c) => (c.cpl = 3),
      (c) => (c.cr0 &= ~0x20),
      (c) => (c.cr0 &= ~0x80000000),
      (c) => (c.cr4 |= 0x20), // PAE: a CR4 bit FIXED1 says must be 0
      (c) => (c.featureControl = 0x4), // not locked
      (c) => (c.featureControl = 0x1), // locked, VMX not enabled outside SMX
      (c) => (c.featureControl = 0x3), // enabled inside SMX only
    ];
    for (const mutate of cases) {
      const c = new FakeCpu(cpu.mem);
      c.operand(LAYOUT.VMXON);
      mutate(c);
      expect(vmxon(c)).toBe(VmxOutcome.GP);
      expect(c.vmx.on).toBe(false);
    }
  });

  it('checks the privilege before reading the operand (a faulting operand is not touched)', () => {
    cpu.cpl = 3;
    cpu.faultOnOperand = true;
    expect(vmxon(cpu)).toBe(VmxOutcome.GP);
  });

  it('VMfailInvalid for an unaligned region, bits beyond 32, or a wrong revision', () => {
    for (const [lo, hi] of [[LAYOUT.VMXON + 0x10, 0], [LAYOUT.VMXON, 1]]) {
      cpu.operand(lo!, hi);
      expect(vmxon(cpu)).toBe(VmxOutcome.DONE);
      expect(cpu.result).toBe('VMfailInvalid');
      expect(cpu.vmx.on).toBe(false);
    }
    cpu.mem.write32(LAYOUT.VMXON, VMCS_REVISION_ID + 1);
    cpu.operand(LAYOUT.VMXON);
    vmxon(cpu);
    expect(cpu.result).toBe('VMfailInvalid');
    cpu.mem.write32(LAYOUT.VMXON, (VMCS_REVISION_ID | 0x80000000) >>> 0);
    vmxon(cpu);
    expect(cpu.result).toBe('VMfailInvalid');
  });

  it('succeeds on a valid region: VMX operation, no current VMCS', () => {
    on();
    expect(cpu.vmx.on).toBe(true);
    expect(cpu.vmx.vmxonPtr).toBe(LAYOUT.VMXON);
    expect(cpu.vmx.vmcsPtr).toBe(INVALID_VMCS_POINTER);
  });

  it('in root operation fails with error 15 (VMfailInvalid without a current VMCS)', () => {
    on();
    vmxon(cpu);
    expect(cpu.result).toBe('VMfailInvalid');
    load();
    vmxon(cpu);
    expect(cpu.result).toBe('VMfailValid');
    expect(error()).toBe(15);
  });

  it('in non-root operation is a VM exit', () => {
    on();
    cpu.vmx.nonRoot = true;
    cpu.cpl = 3; // the exit wins over the CPL check
    expect(vmxon(cpu)).toBe(VmxOutcome.VM_EXIT);
  });
});

describe('VMXOFF', () => {
  it('#UD outside VMX operation, #GP at CPL 3, exit in non-root, success leaves VMX operation', () => {
    expect(vmxoff(cpu)).toBe(VmxOutcome.UD);
    on();
    cpu.cpl = 3;
    expect(vmxoff(cpu)).toBe(VmxOutcome.GP);
    cpu.vmx.nonRoot = true;
    expect(vmxoff(cpu)).toBe(VmxOutcome.VM_EXIT);
    cpu.vmx.nonRoot = false;
    cpu.cpl = 0;
    expect(vmxoff(cpu)).toBe(VmxOutcome.DONE);
    expect(cpu.result).toBe('VMsucceed');
    expect(cpu.vmx.on).toBe(false);
  });
});

describe('VMPTRLD (test_vmptrld)', () => {
  beforeEach(() => on());
  it('error 9 for an unaligned or too wide pointer (VMfailInvalid without a current VMCS)', () => {
    cpu.operand(LAYOUT.VMCS + 8);
    vmptrld(cpu);
    expect(cpu.result).toBe('VMfailInvalid');
    load();
    cpu.operand(LAYOUT.VMCS2, 1);
    vmptrld(cpu);
    expect(cpu.result).toBe('VMfailValid');
    expect(error()).toBe(9);
  });
  it('error 10 for the VMXON pointer', () => {
    load();
    cpu.operand(LAYOUT.VMXON);
    vmptrld(cpu);
    expect(error()).toBe(10);
  });
  it('error 11 for a wrong revision, including the shadow-VMCS bit', () => {
    load();
    cpu.mem.write32(LAYOUT.VMCS2, (VMCS_REVISION_ID | 0x80000000) >>> 0);
    cpu.operand(LAYOUT.VMCS2);
    vmptrld(cpu);
    expect(error()).toBe(11);
    expect(cpu.vmx.vmcsPtr).toBe(LAYOUT.VMCS);
  });
  it('makes the region current', () => {
    load();
    expect(cpu.result).toBe('VMsucceed');
    expect(cpu.vmx.vmcsPtr).toBe(LAYOUT.VMCS);
  });
});

describe('VMCLEAR (test_vmclear) and VMPTRST (test_vmptrst)', () => {
  beforeEach(() => on());
  it('error 2 for a bad address, error 3 for the VMXON pointer', () => {
    load();
    cpu.operand(0x123);
    vmclear(cpu);
    expect(error()).toBe(2);
    cpu.operand(LAYOUT.VMCS, 0x10);
    vmclear(cpu);
    expect(error()).toBe(2);
    cpu.operand(LAYOUT.VMXON);
    vmclear(cpu);
    expect(error()).toBe(3);
  });
  it('sets the launch state clear in memory and drops the current VMCS when it is the operand', () => {
    load();
    cpu.vmx.vmcs.launchState = LaunchState.LAUNCHED;
    cpu.operand(LAYOUT.VMCS);
    expect(vmclear(cpu)).toBe(VmxOutcome.DONE);
    expect(cpu.result).toBe('VMsucceed');
    expect(cpu.mem.read32(LAYOUT.VMCS + 8)).toBe(LaunchState.CLEAR);
    expect(cpu.vmx.hasCurrentVmcs).toBe(false);
  });
  it('VMPTRST stores the current pointer, all ones when there is none', () => {
    vmptrst(cpu);
    expect([cpu.mem.read32(OPERAND) >>> 0, cpu.mem.read32(OPERAND + 4) >>> 0]).toEqual([0xffffffff, 0xffffffff]);
    load();
    vmptrst(cpu);
    expect([cpu.mem.read32(OPERAND), cpu.mem.read32(OPERAND + 4)]).toEqual([LAYOUT.VMCS, 0]);
    expect(cpu.result).toBe('VMsucceed');
  });
  it('VMCS lifecycle with two regions (test_vmcs_lifecycle)', () => {
    cpu.mem.write32(LAYOUT.VMCS2, VMCS_REVISION_ID);
    load(LAYOUT.VMCS);
    load(LAYOUT.VMCS2);
    expect(cpu.vmx.vmcsPtr).toBe(LAYOUT.VMCS2);
    cpu.operand(LAYOUT.VMCS); // clearing a non-current VMCS keeps the current one
    vmclear(cpu);
    expect(cpu.vmx.vmcsPtr).toBe(LAYOUT.VMCS2);
    cpu.operand(LAYOUT.VMCS2);
    vmclear(cpu);
    expect(cpu.vmx.hasCurrentVmcs).toBe(false);
  });
});

describe('VMREAD / VMWRITE (test_vmwrite_vmread, vmx_tests.c VMREAD/VMWRITE errors)', () => {
  beforeEach(() => on());
  it('VMfailInvalid without a current VMCS', () => {
    expect(vmread(cpu, VMCS.GUEST_RIP)).toBe(VmxOutcome.DONE);
    expect(cpu.result).toBe('VMfailInvalid');
    vmwrite(cpu, VMCS.GUEST_RIP);
    expect(cpu.result).toBe('VMfailInvalid');
  });
  it('writes and reads back every writable field', () => {
    load();
    for (const f of FIELDS) {
      if (f.readOnly) continue;
      const width = f.width === 0 ? 0xffff : 0xffffffff;
      cpu.rm = 0x5a5a5a5a ^ f.encoding;
      expect(vmwrite(cpu, f.encoding)).toBe(VmxOutcome.DONE);
      expect(cpu.result).toBe('VMsucceed');
      cpu.rm = 0;
      vmread(cpu, f.encoding);
      expect(cpu.result).toBe('VMsucceed');
      expect(cpu.rm).toBe(((0x5a5a5a5a ^ f.encoding) & width) >>> 0);
    }
  });
  it('error 12 for unsupported encodings, leaving the destination alone', () => {
    load();
    for (const enc of [0x4003, 0x2012, 0x6c18, 0x8000, 0xffffffff]) {
      cpu.rm = 77;
      vmread(cpu, enc);
      expect(cpu.result).toBe('VMfailValid');
      expect(error()).toBe(12);
      expect(cpu.rm).toBe(77);
      vmwrite(cpu, enc);
      expect(error()).toBe(12);
    }
  });
  it('error 13 for read-only fields (IA32_VMX_MISC bit 29 is 0)', () => {
    load();
    for (const enc of [VMCS.VM_EXIT_REASON, VMCS.EXIT_QUALIFICATION, VMCS.GUEST_PHYSICAL_ADDRESS | 1, VMCS.VM_INSTRUCTION_ERROR]) {
      cpu.rm = 1;
      vmwrite(cpu, enc);
      expect(cpu.result).toBe('VMfailValid');
      expect(error()).toBe(13);
    }
    cpu.vmx.vmcs.write(VMCS.VM_EXIT_REASON, 0x1e);
    vmread(cpu, VMCS.VM_EXIT_REASON);
    expect(cpu.rm).toBe(0x1e);
  });
  it('high accesses reach bits 63:32 of 64-bit fields (test_vmcs_high)', () => {
    load();
    cpu.rm = 0x12345678;
    vmwrite(cpu, VMCS.TSC_OFFSET | 1);
    cpu.rm = 0x9abcdef0;
    vmwrite(cpu, VMCS.TSC_OFFSET);
    vmread(cpu, VMCS.TSC_OFFSET | 1);
    expect(cpu.rm).toBe(0); // the 32-bit write of the full field cleared the high half
    cpu.rm = 0x12345678;
    vmwrite(cpu, VMCS.TSC_OFFSET | 1);
    vmread(cpu, VMCS.TSC_OFFSET);
    expect(cpu.rm).toBe(0x9abcdef0);
    expect(cpu.vmx.vmcs.read64(VMCS.TSC_OFFSET)).toBe(0x123456789abcdef0);
  });
  it('#GP at CPL 3 and a VM exit in non-root, before the VMCS checks', () => {
    cpu.cpl = 3;
    expect(vmread(cpu, VMCS.GUEST_RIP)).toBe(VmxOutcome.GP);
    cpu.vmx.nonRoot = true;
    expect(vmwrite(cpu, VMCS.GUEST_RIP)).toBe(VmxOutcome.VM_EXIT);
    expect(cpu.result).toBe('VMsucceed'); // untouched since vmxon
  });
});

describe('VMLAUNCH / VMRESUME', () => {
  beforeEach(() => {
    on();
    load();
  });
  it('VMfailInvalid without a current VMCS', () => {
    cpu.operand(LAYOUT.VMCS);
    vmclear(cpu);
    expect(vmlaunch(cpu, true)).toBe(VmxOutcome.DONE);
    expect(cpu.result).toBe('VMfailInvalid');
  });
  it('error 26 with events blocked by MOV SS', () => {
    cpu.blockedByMovSs = true;
    vmlaunch(cpu, true);
    expect(error()).toBe(26);
  });
  it('error 5 for VMRESUME of a clear VMCS, error 4 for VMLAUNCH of a launched one', () => {
    vmlaunch(cpu, false);
    expect(error()).toBe(5);
    expect(vmlaunch(cpu, true)).toBe(VmxOutcome.ENTER);
    commitVmEntry(cpu.vmx, true);
    expect(cpu.vmx.vmcs.launchState).toBe(LaunchState.LAUNCHED);
    expect(cpu.vmx.nonRoot).toBe(true);
    cpu.vmx.nonRoot = false; // as after a VM exit
    vmlaunch(cpu, true);
    expect(error()).toBe(4);
    expect(vmlaunch(cpu, false)).toBe(VmxOutcome.ENTER);
  });
  it('error 7 for a bad control, error 8 for bad host state, entry failure for bad guest state', () => {
    cpu.vmx.vmcs.write(VMCS.CR3_TARGET_COUNT, 5);
    expect(vmlaunch(cpu, true)).toBe(VmxOutcome.DONE);
    expect(cpu.result).toBe('VMfailValid');
    expect(error()).toBe(7);
    cpu.vmx.vmcs.write(VMCS.CR3_TARGET_COUNT, 0);
    cpu.vmx.vmcs.write(VMCS.HOST_CS_SELECTOR, 0);
    vmlaunch(cpu, true);
    expect(error()).toBe(8);
    cpu.vmx.vmcs.write(VMCS.HOST_CS_SELECTOR, 8);
    cpu.vmx.vmcs.write(VMCS.GUEST_RFLAGS, 0);
    cpu.cf = null;
    expect(vmlaunch(cpu, true)).toBe(VmxOutcome.ENTRY_FAILED);
    expect(cpu.result).toBe('untouched'); // an entry failure is a VM exit, not a VMfail
    expect(cpu.vmx.entryCheck.qualification).toBe(0);
    expect(cpu.vmx.vmcs.launchState).toBe(LaunchState.CLEAR);
  });
  it('commitVmEntry loads the controls non-root operation will use', () => {
    vmlaunch(cpu, true);
    commitVmEntry(cpu.vmx, true);
    expect(cpu.vmx.controls.eptp).toBe(EPTP_WB_4LEVEL);
    expect(cpu.vmx.controls.vpid).toBe(1);
    expect(cpu.vmx.controls.ioBitmapA).toBe(LAYOUT.IO_A);
  });
});

describe('VMCALL', () => {
  it('#UD outside VMX operation, VMfail(1) in root, a VM exit in non-root even at CPL 3', () => {
    expect(vmcall(cpu)).toBe(VmxOutcome.UD);
    on();
    load();
    vmcall(cpu);
    expect(error()).toBe(1);
    cpu.cpl = 3;
    expect(vmcall(cpu)).toBe(VmxOutcome.GP);
    cpu.vmx.nonRoot = true;
    expect(vmcall(cpu)).toBe(VmxOutcome.VM_EXIT);
  });
});

describe('INVEPT and INVVPID (invvpid_test)', () => {
  beforeEach(() => {
    on();
    load();
  });
  it('INVEPT: unsupported types fail with error 28 before the descriptor is read', () => {
    for (const type of [0, 3, 0xffffffff]) {
      cpu.faultOnOperand = true;
      expect(invept(cpu, type)).toBe(VmxOutcome.DONE);
      expect(error()).toBe(28);
    }
  });
  it('INVEPT single-context checks the EPTP; all-context does not', () => {
    cpu.operand(EPTP_WB_4LEVEL | (1 << 7));
    invept(cpu, 1);
    expect(error()).toBe(28);
    invept(cpu, 2);
    expect(cpu.result).toBe('VMsucceed');
    cpu.operand(EPTP_WB_4LEVEL);
    invept(cpu, 1);
    expect(cpu.result).toBe('VMsucceed');
    expect(cpu.invalidations).toEqual([
      [TlbInvalidation.EPT_ALL_CONTEXT, 0, 0],
      [TlbInvalidation.EPT_SINGLE_CONTEXT, 0, EPTP_WB_4LEVEL],
    ]);
  });
  it('INVVPID: type > 3 fails; reserved descriptor bits fail; VPID 0 fails except for all-context', () => {
    invvpid(cpu, 4);
    expect(error()).toBe(28);
    cpu.operand(0x10001);
    invvpid(cpu, 1);
    expect(error()).toBe(28);
    cpu.operand(1, 1);
    invvpid(cpu, 1);
    expect(error()).toBe(28);
    for (const type of [0, 1, 3]) {
      cpu.operand(0);
      cpu.vmx.vmcs.write(VMCS.VM_INSTRUCTION_ERROR, 0);
      invvpid(cpu, type);
      expect(error()).toBe(28);
    }
    cpu.operand(0);
    invvpid(cpu, 2);
    expect(cpu.result).toBe('VMsucceed');
  });
  it('INVVPID individual-address needs a 32-bit linear address', () => {
    cpu.operand(5, 0, 0x1000, 1);
    invvpid(cpu, 0);
    expect(error()).toBe(28);
    cpu.operand(5, 0, 0x1000, 0);
    invvpid(cpu, 0);
    expect(cpu.result).toBe('VMsucceed');
    cpu.operand(5);
    invvpid(cpu, 1);
    invvpid(cpu, 3);
    expect(cpu.invalidations).toEqual([
      [TlbInvalidation.VPID_INDIVIDUAL_ADDRESS, 5, 0x1000],
      [TlbInvalidation.VPID_SINGLE_CONTEXT, 5, 0],
      [TlbInvalidation.VPID_SINGLE_CONTEXT_NON_GLOBAL, 5, 0],
    ]);
  });
  it('#UD outside VMX operation, exit in non-root', () => {
    cpu.vmx.nonRoot = true;
    expect(invept(cpu, 1)).toBe(VmxOutcome.VM_EXIT);
    expect(invvpid(cpu, 1)).toBe(VmxOutcome.VM_EXIT);
    cpu.vmx.nonRoot = false;
    cpu.vmx.on = false;
    expect(invept(cpu, 1)).toBe(VmxOutcome.UD);
    expect(invvpid(cpu, 1)).toBe(VmxOutcome.UD);
  });
});
