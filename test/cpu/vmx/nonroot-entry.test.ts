// VM-entry failures on the processor (SDM Vol. 3 §27.2-27.4, §27.8): a bad control is
// VMfailValid(7), bad host state VMfailValid(8), bad guest state a VM-entry-failure exit (33 with
// bit 31) that loads the host state and saves nothing, a failing MSR-load entry exit 34 with its
// number; launch-state errors 4/5; error 26 after MOV SS; VMREAD/VMWRITE errors 12/13 and
// VMfailInvalid, both through the host API and from code executing the instructions (RFLAGS).
import { describe, expect, it } from 'vitest';
import { VmxStatus } from '../../../src/cpu/vmx/api.js';
import { SECONDARY_EXEC, CPU_BASED } from '../../../src/cpu/vmx/controls.js';
import { EXIT_REASON, EXIT_REASON_FAILED_VMENTRY } from '../../../src/cpu/vmx/exit-reasons.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { VMX_ERROR } from '../../../src/cpu/vmx/errors.js';
import { L, ROOT_DATA, VmxHarness } from './nonroot-harness.js';

const CF = 1;
const ZF = 0x40;

describe('VM-entry failures', () => {
  it('a control outside the capability MSRs: VMfailValid(7), the guest never runs', () => {
    const h = new VmxHarness().guest('cpuid');
    h.write(VMCS.PIN_BASED_VM_EXEC_CONTROL, 0); // bits 1, 2 and 4 are fixed to 1
    expect(h.enter()).toBe(VMX_ERROR.ENTRY_INVALID_CONTROL_FIELD);
    expect(h.read(VMCS.VM_INSTRUCTION_ERROR)).toBe(7);
    expect(h.cpu.nonRoot).toBe(false);
  });

  it('VPID enabled with VPID 0 is a bad control too', () => {
    const h = new VmxHarness().guest('cpuid');
    h.controls(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.ACTIVATE_SECONDARY_CONTROLS);
    h.write(VMCS.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.ENABLE_VPID);
    expect(h.enter()).toBe(7);
  });

  it('bad host state (CR0 without PG, TR selector 0): VMfailValid(8)', () => {
    const h = new VmxHarness().guest('cpuid');
    h.write(VMCS.HOST_CR0, 0x31);
    expect(h.enter()).toBe(VMX_ERROR.ENTRY_INVALID_HOST_STATE_FIELD);
    const g = new VmxHarness().guest('cpuid');
    g.write(VMCS.HOST_TR_SELECTOR, 0);
    expect(g.enter()).toBe(8);
  });

  it('bad guest state: exit 33 with bit 31, host state loaded, guest state not saved', () => {
    const h = new VmxHarness().guest('cpuid');
    h.write(VMCS.GUEST_CR0, 0x31); // PG is fixed to 1 without unrestricted guest
    h.gprs[0] = 0x77;
    expect(h.enter()).toBe(VmxStatus.ENTRY_FAILED);
    expect(h.read(VMCS.VM_EXIT_REASON) >>> 0).toBe((EXIT_REASON.INVALID_STATE | EXIT_REASON_FAILED_VMENTRY) >>> 0);
    expect(h.read(VMCS.EXIT_QUALIFICATION)).toBe(0);
    expect(h.read(VMCS.GUEST_RIP)).toBe(L.CODE);
    expect(h.cpu.nonRoot).toBe(false);
    expect(h.cpu.eip).toBe(L.HOST_EXIT_STUB);
    expect(h.gprs[0]).toBe(0x77);
    // Fixing the field lets the same VMCS launch.
    h.write(VMCS.GUEST_CR0, 0x80000031);
    expect(h.run().reason).toBe(EXIT_REASON.CPUID);
  });

  it('a bad VMCS link pointer reports qualification 4', () => {
    const h = new VmxHarness().guest('cpuid');
    h.write(VMCS.VMCS_LINK_POINTER, L.VMCS2 + 4);
    h.write(VMCS.VMCS_LINK_POINTER | 1, 0);
    expect(h.enter()).toBe(VmxStatus.ENTRY_FAILED);
    expect(h.read(VMCS.EXIT_QUALIFICATION)).toBe(4);
  });

  it('a VM-entry MSR-load entry that fails: exit 34 with bit 31 and the entry\'s number', () => {
    const h = new VmxHarness().guest('cpuid');
    h.mem.write32(L.MSR_AREA, 0x174); // IA32_SYSENTER_CS := 0x42
    h.mem.write32(L.MSR_AREA + 8, 0x42);
    h.mem.write32(L.MSR_AREA + 16, 0x12345); // no such MSR
    h.write(VMCS.VM_ENTRY_MSR_LOAD_ADDR, L.MSR_AREA);
    h.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 2);
    expect(h.enter()).toBe(VmxStatus.ENTRY_FAILED);
    expect(h.read(VMCS.VM_EXIT_REASON) >>> 0).toBe((EXIT_REASON.MSR_LOAD_FAIL | EXIT_REASON_FAILED_VMENTRY) >>> 0);
    expect(h.read(VMCS.EXIT_QUALIFICATION)).toBe(2);
    h.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 1);
    expect(h.run().reason).toBe(EXIT_REASON.CPUID);
    expect(h.read(VMCS.GUEST_SYSENTER_CS)).toBe(0x42);
  });

  it('exit MSR-store and MSR-load areas: the guest\'s value stored, the host\'s loaded', () => {
    const h = new VmxHarness().guest('mov ecx, 0x174\nmov eax, 0x99\nxor edx, edx\nwrmsr\ncpuid');
    h.controls(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.USE_MSR_BITMAPS);
    h.mem.write32(L.MSR_AREA, 0x174);
    h.mem.write32(L.MSR_AREA + 0x100, 0x174);
    h.mem.write32(L.MSR_AREA + 0x108, 0x11);
    h.write(VMCS.VM_EXIT_MSR_STORE_ADDR, L.MSR_AREA);
    h.write(VMCS.VM_EXIT_MSR_STORE_COUNT, 1);
    h.write(VMCS.VM_EXIT_MSR_LOAD_ADDR, L.MSR_AREA + 0x100);
    h.write(VMCS.VM_EXIT_MSR_LOAD_COUNT, 1);
    expect(h.run().reason).toBe(EXIT_REASON.CPUID);
    expect(h.mem.read32(L.MSR_AREA + 8)).toBe(0x99);
    expect(h.cpu.sysenterCs).toBe(0x11);
  });

  it('launch state: VMLAUNCH of a launched VMCS is error 4, VMRESUME of a clear one error 5', () => {
    const h = new VmxHarness().guest('cpuid');
    expect(h.ops.vmresume()).toBe(VMX_ERROR.VMRESUME_NONLAUNCHED_VMCS);
    h.run();
    expect(h.ops.vmlaunch()).toBe(VMX_ERROR.VMLAUNCH_NONCLEAR_VMCS);
    expect(h.ops.vmclear(L.VMCS)).toBe(VmxStatus.SUCCEED);
    expect(h.ops.vmresume()).toBe(VmxStatus.FAIL_INVALID); // no current VMCS after VMCLEAR
  });
});

describe('VMREAD/VMWRITE errors through the host API', () => {
  it('unsupported field: error 12; read-only field: error 13; no current VMCS: VMfailInvalid', () => {
    const h = new VmxHarness();
    expect(h.ops.vmread(0x1234)).toBe(0);
    expect(h.ops.lastStatus).toBe(VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT);
    expect(h.ops.vmwrite(VMCS.VM_EXIT_REASON, 1)).toBe(VMX_ERROR.VMWRITE_READ_ONLY_VMCS_COMPONENT);
    expect(h.read(VMCS.VM_INSTRUCTION_ERROR)).toBe(13);
    expect(h.ops.vmclear(L.VMCS)).toBe(VmxStatus.SUCCEED);
    h.ops.vmread(VMCS.GUEST_RIP);
    expect(h.ops.lastStatus).toBe(VmxStatus.FAIL_INVALID);
    expect(h.ops.vmptrst()).toBe(0xffffffff);
  });
});

describe('VMX instructions executed by root-mode code (RFLAGS results)', () => {
  const flagsAfter = (h: VmxHarness, body: string): number => {
    expect(h.runRoot(`${body}\npushfd\npop eax\nmov [${ROOT_DATA}], eax\nhlt`)).toBe('halted-forever');
    return h.mem.read32(ROOT_DATA) & (CF | ZF);
  };

  it('VMsucceed clears CF and ZF; VMREAD to a register and to memory', () => {
    const h = new VmxHarness();
    h.write(VMCS.GUEST_RIP, 0xabcd);
    expect(flagsAfter(h, `stc\nmov ebx, ${VMCS.GUEST_RIP}\nvmread ecx, ebx\nvmread [${ROOT_DATA + 8}], ebx`)).toBe(0);
    expect(h.cpu.regs[1]).toBe(0xabcd);
    expect(h.mem.read32(ROOT_DATA + 8)).toBe(0xabcd);
  });

  it('VMfailValid sets ZF and writes the error number; VMfailInvalid sets CF', () => {
    const h = new VmxHarness();
    expect(flagsAfter(h, 'mov ebx, 0x1234\nvmread ecx, ebx')).toBe(ZF);
    expect(h.read(VMCS.VM_INSTRUCTION_ERROR)).toBe(12);
    expect(flagsAfter(h, `mov ebx, ${VMCS.VM_EXIT_REASON}\nvmwrite ebx, ecx`)).toBe(ZF);
    expect(h.read(VMCS.VM_INSTRUCTION_ERROR)).toBe(13);
    h.mem.write32(ROOT_DATA + 16, L.VMCS);
    h.mem.write32(ROOT_DATA + 20, 0);
    expect(flagsAfter(h, `vmclear [${ROOT_DATA + 16}]\nmov ebx, ${VMCS.GUEST_RIP}\nvmread ecx, ebx`)).toBe(CF);
  });

  it('VMLAUNCH right after MOV SS fails with error 26', () => {
    const h = new VmxHarness().guest('cpuid');
    expect(flagsAfter(h, 'mov ax, ss\nmov ss, ax\nvmlaunch')).toBe(ZF);
    expect(h.read(VMCS.VM_INSTRUCTION_ERROR)).toBe(VMX_ERROR.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
  });

  it('VMCALL outside VMX operation raises #UD (through the host IDT)', () => {
    const h = new VmxHarness();
    expect(h.ops.vmxoff()).toBe(VmxStatus.SUCCEED);
    // The host IDT is empty: the #UD becomes #GP, #DF and a shutdown, which is what a bare host gets.
    expect(h.runRoot('vmcall\nhlt')).toBe('triple-fault');
  });
});
