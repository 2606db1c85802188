// Exit reasons, control bits, capability MSRs and VM-instruction errors against outside references
// (Linux uapi/asm/vmx.h and asm/vmx.h values, SDM Appendix A rules as kvm-unit-tests test_vmx_caps
// checks them).
import { describe, expect, it } from 'vitest';
import {
  CPU_BASED,
  ControlKind,
  PIN_BASED,
  SECONDARY_EXEC,
  VM_ENTRY,
  VM_EXIT,
  controlBitNames,
  describeControls,
} from '../../../src/cpu/vmx/controls.js';
import {
  EXIT_REASON,
  EXIT_REASON_FAILED_VMENTRY,
  allExitReasons,
  describeExitReason,
  exitReasonByName,
  exitReasonName,
} from '../../../src/cpu/vmx/exit-reasons.js';
import {
  CR0,
  CR4,
  EPT_CAP,
  MSR,
  VMX_CAPABILITIES as caps,
  adjustControls,
  controlsAllowed,
  fixedBitsOk,
  readVmxCapabilityMsr,
} from '../../../src/cpu/vmx/capabilities.js';
import { VMX_ERROR, describeVmxError, vmxErrorName } from '../../../src/cpu/vmx/errors.js';

describe('exit reasons', () => {
  it('match Linux uapi/asm/vmx.h numbers', () => {
    const linux: [string, number][] = [
      ['EXCEPTION_NMI', 0], ['EXTERNAL_INTERRUPT', 1], ['TRIPLE_FAULT', 2], ['INTERRUPT_WINDOW', 7],
      ['NMI_WINDOW', 8], ['TASK_SWITCH', 9], ['CPUID', 10], ['HLT', 12], ['INVD', 13], ['INVLPG', 14],
      ['RDPMC', 15], ['RDTSC', 16], ['VMCALL', 18], ['VMCLEAR', 19], ['VMLAUNCH', 20], ['VMPTRLD', 21],
      ['VMPTRST', 22], ['VMREAD', 23], ['VMRESUME', 24], ['VMWRITE', 25], ['VMOFF', 26], ['VMON', 27],
      ['CR_ACCESS', 28], ['DR_ACCESS', 29], ['IO_INSTRUCTION', 30], ['MSR_READ', 31], ['MSR_WRITE', 32],
      ['INVALID_STATE', 33], ['MSR_LOAD_FAIL', 34], ['MWAIT', 36], ['MONITOR_TRAP_FLAG', 37], ['MONITOR', 39],
      ['PAUSE', 40], ['MCE_DURING_VMENTRY', 41], ['TPR_BELOW_THRESHOLD', 43], ['APIC_ACCESS', 44],
      ['EOI_INDUCED', 45], ['GDTR_IDTR', 46], ['LDTR_TR', 47], ['EPT_VIOLATION', 48], ['EPT_MISCONFIG', 49],
      ['INVEPT', 50], ['RDTSCP', 51], ['PREEMPTION_TIMER', 52], ['INVVPID', 53], ['WBINVD', 54], ['XSETBV', 55],
      ['APIC_WRITE', 56], ['RDRAND', 57], ['INVPCID', 58], ['VMFUNC', 59], ['ENCLS', 60], ['RDSEED', 61],
      ['PML_FULL', 62], ['XSAVES', 63], ['XRSTORS', 64], ['UMWAIT', 67], ['TPAUSE', 68], ['BUS_LOCK', 74], ['NOTIFY', 75],
    ];
    for (const [name, n] of linux) {
      expect(EXIT_REASON[name as keyof typeof EXIT_REASON]).toBe(n);
      expect(exitReasonName(n)).toBe(name);
    }
    expect(EXIT_REASON_FAILED_VMENTRY).toBe(0x80000000);
  });

  it('are found by name, alias and number, case-insensitively', () => {
    expect(exitReasonByName('cpuid')).toBe(10);
    expect(exitReasonByName('EXIT_REASON_EPT_VIOLATION')).toBe(48);
    expect(exitReasonByName('io-instruction')).toBe(30);
    expect(exitReasonByName('mtf')).toBe(37);
    expect(exitReasonByName('vmxon')).toBe(27);
    expect(exitReasonByName('pending_interrupt')).toBe(7);
    expect(exitReasonByName('0x30')).toBe(48);
    expect(exitReasonByName('52')).toBe(52);
    expect(exitReasonByName('35')).toBeUndefined(); // reserved number
    expect(exitReasonByName('frobnicate')).toBeUndefined();
  });

  it('describes entry failures and unknown reasons', () => {
    expect(describeExitReason(0x80000021)).toBe('INVALID_STATE (VM-entry failure)');
    expect(exitReasonName(35)).toBe('UNKNOWN_35');
    expect(allExitReasons()[0]).toEqual([0, 'EXCEPTION_NMI']);
  });
});

describe('control bits', () => {
  it('match Linux asm/vmx.h', () => {
    expect(PIN_BASED.EXT_INTR_MASK).toBe(0x1);
    expect(PIN_BASED.VMX_PREEMPTION_TIMER).toBe(0x40);
    expect(CPU_BASED.HLT_EXITING).toBe(0x80);
    expect(CPU_BASED.USE_IO_BITMAPS).toBe(0x02000000);
    expect(CPU_BASED.MONITOR_TRAP_FLAG).toBe(0x08000000);
    expect(CPU_BASED.ACTIVATE_SECONDARY_CONTROLS).toBe(0x80000000);
    expect(SECONDARY_EXEC.ENABLE_EPT).toBe(0x2);
    expect(SECONDARY_EXEC.ENABLE_VPID).toBe(0x20);
    expect(SECONDARY_EXEC.UNRESTRICTED_GUEST).toBe(0x80);
    expect(VM_EXIT.ACK_INTR_ON_EXIT).toBe(0x8000);
    expect(VM_EXIT.SAVE_VMX_PREEMPTION_TIMER).toBe(0x00400000);
    expect(VM_ENTRY.IA32E_MODE).toBe(0x200);
    expect(VM_ENTRY.LOAD_IA32_EFER).toBe(0x8000);
  });

  it('decode to names for the debugger, unnamed bits as "bit N"', () => {
    expect(controlBitNames(ControlKind.PROC, 0x80000082)).toEqual(['bit 1', 'HLT_EXITING', 'ACTIVATE_SECONDARY_CONTROLS']);
    expect(describeControls(ControlKind.PIN, 0x57)).toBe('EXT_INTR_MASK | VMX_PREEMPTION_TIMER');
    expect(describeControls(ControlKind.ENTRY, 0)).toBe('(none)');
  });
});

describe('capability MSRs (kvm-unit-tests test_vmx_caps rules)', () => {
  it('IA32_VMX_BASIC: revision bit 31 clear, size <= 4096, WB memory type, TRUE controls', () => {
    expect(caps.basic.lo >>> 31).toBe(0);
    const size = caps.basic.hi & 0x1fff;
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(4096);
    expect((caps.basic.hi >>> 18) & 0xf).toBe(6); // bits 53:50
    expect((caps.basic.hi >>> 16) & 1).toBe(1); // bit 48: 32-bit physical addresses (no Intel 64)
    expect((caps.basic.hi >>> 23) & 1).toBe(1); // bit 55
  });

  it('each control MSR has allowed-0 a subset of allowed-1, and TRUE MSRs relax only default1 bits', () => {
    const pairs = [
      [caps.pinbased, caps.truePinbased, 0x16],
      [caps.procbased, caps.trueProcbased, 0x0401e172],
      [caps.exit, caps.trueExit, 0x36dff],
      [caps.entry, caps.trueEntry, 0x11ff],
    ] as const;
    for (const [ctl, tru, default1] of pairs) {
      expect((ctl.lo & ~ctl.hi) >>> 0).toBe(0);
      expect(ctl.lo >>> 0).toBe(default1); // non-TRUE MSRs report every default1 bit as must-be-1
      expect((tru.lo & ~ctl.lo) >>> 0).toBe(0); // TRUE allowed-0 only clears bits
      expect((ctl.lo & ~tru.lo & ~default1) >>> 0).toBe(0); // ...and only default1 ones
      expect(tru.hi).toBe(ctl.hi);
    }
    expect(caps.procbased2.lo).toBe(0);
  });

  it('advertises nothing an IA-32 processor without Intel 64 may not have', () => {
    const never = CPU_BASED.CR8_LOAD_EXITING | CPU_BASED.CR8_STORE_EXITING | CPU_BASED.TPR_SHADOW;
    expect(caps.procbased.hi & never).toBe(0);
    expect(caps.exit.hi & VM_EXIT.HOST_ADDR_SPACE_SIZE).toBe(0);
    expect(caps.entry.hi & VM_ENTRY.IA32E_MODE).toBe(0);
    expect(caps.procbased2.hi & SECONDARY_EXEC.UNRESTRICTED_GUEST).toBe(0);
    // NMI-window exiting needs virtual NMIs; neither is offered.
    expect(caps.procbased.hi & CPU_BASED.NMI_WINDOW_EXITING).toBe(0);
  });

  it('CR0/CR4 FIXED0 are subsets of FIXED1; PE, NE, PG and VMXE are fixed 1', () => {
    expect((caps.cr0Fixed0 & ~caps.cr0Fixed1) >>> 0).toBe(0);
    expect((caps.cr4Fixed0 & ~caps.cr4Fixed1) >>> 0).toBe(0);
    expect(caps.cr0Fixed0 >>> 0).toBe(0x80000021);
    expect(caps.cr4Fixed0).toBe(0x2000);
    expect(fixedBitsOk(CR0.PE | CR0.NE | CR0.PG | CR0.ET, caps.cr0Fixed0, caps.cr0Fixed1)).toBe(true);
    expect(fixedBitsOk(CR0.PE | CR0.PG, caps.cr0Fixed0, caps.cr0Fixed1)).toBe(false); // NE clear
    expect(fixedBitsOk(CR4.VMXE | CR4.PAE, caps.cr4Fixed0, caps.cr4Fixed1)).toBe(false); // no PAE here
  });

  it('IA32_VMX_MISC: timer rate, HLT activity state, 4 CR3 targets, no VMWRITE to read-only fields', () => {
    expect(caps.misc.lo & 0x1f).toBe(0);
    expect((caps.misc.lo >>> 6) & 7).toBe(1);
    expect((caps.misc.lo >>> 16) & 0x1ff).toBe(4);
    expect((caps.misc.lo >>> 29) & 1).toBe(0);
  });

  it('EPT/VPID capabilities: 4-level walk, UC and WB, 2 MiB pages, A/D, INVEPT and INVVPID types', () => {
    const lo = caps.eptVpidCap.lo;
    expect(lo & EPT_CAP.PAGE_WALK_4).not.toBe(0);
    expect(lo & EPT_CAP.EPTP_WB).not.toBe(0);
    expect(lo & EPT_CAP.PAGE_1GB).toBe(0);
    expect((lo >>> 25) & 3).toBe(3);
    expect(caps.eptVpidCap.hi & 0xf01).toBe(0xf01);
  });

  it('RDMSR view: each MSR number answers, VMFUNC does not exist', () => {
    expect(readVmxCapabilityMsr(MSR.IA32_VMX_BASIC)).toBe(caps.basic);
    expect(readVmxCapabilityMsr(0x486)).toEqual({ lo: 0x80000021, hi: 0 });
    expect(readVmxCapabilityMsr(0x48a)).toEqual({ lo: 0x2e, hi: 0 });
    expect(readVmxCapabilityMsr(MSR.IA32_VMX_VMFUNC)).toBeUndefined();
    expect(readVmxCapabilityMsr(0x3a)).toBeUndefined();
  });

  it('adjustControls sets required bits and drops unsupported ones (SimpleVisor)', () => {
    const wanted = CPU_BASED.HLT_EXITING | CPU_BASED.TPR_SHADOW | CPU_BASED.ACTIVATE_SECONDARY_CONTROLS;
    const v = adjustControls(caps.trueProcbased, wanted);
    expect(v & CPU_BASED.TPR_SHADOW).toBe(0);
    expect(v & CPU_BASED.HLT_EXITING).not.toBe(0);
    expect((v & caps.trueProcbased.lo) >>> 0).toBe(caps.trueProcbased.lo);
    expect(controlsAllowed(v, caps.trueProcbased)).toBe(true);
    expect(controlsAllowed(wanted, caps.trueProcbased)).toBe(false);
    expect(v).toBeGreaterThan(0); // unsigned
  });
});

describe('VM-instruction errors', () => {
  it('match the SDM/Linux numbers and read as the SDM words', () => {
    expect(VMX_ERROR.VMLAUNCH_NONCLEAR_VMCS).toBe(4);
    expect(VMX_ERROR.ENTRY_INVALID_HOST_STATE_FIELD).toBe(8);
    expect(VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT).toBe(12);
    expect(VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID).toBe(28);
    expect(describeVmxError(13)).toBe('VMWRITE to read-only VMCS component (error 13)');
    expect(describeVmxError(14)).toBe('unknown VM-instruction error 14');
    expect(vmxErrorName(26)).toBe('ENTRY_EVENTS_BLOCKED_BY_MOV_SS');
  });
});

describe('agreement with the processor', () => {
  it('CR4_FIXED1 is exactly the CR4 bits the CPU implements; IA32_FEATURE_CONTROL allows VMXON', async () => {
    const { CR4_VALID } = await import('../../../src/cpu/control-regs.js');
    const { FEATURE_CONTROL_VALUE } = await import('../../../src/cpu/msr.js');
    expect(caps.cr4Fixed1 >>> 0).toBe(CR4_VALID >>> 0);
    expect(FEATURE_CONTROL_VALUE & 0x5).toBe(0x5);
  });
});
