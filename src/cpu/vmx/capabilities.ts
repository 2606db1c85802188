// The VMX capability MSRs (SDM Vol. 3 Appendix A) and the exact values this processor reports:
// they describe what src/cpu/vmx implements, no more. Plus adjustControls (what a hypervisor does
// with them) and the allowed-settings check VM entry uses. docs/vmx.md explains each choice.

import {
  CPU_BASED,
  CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR,
  PIN_BASED,
  PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR,
  SECONDARY_EXEC,
  VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR,
  VM_EXIT,
  VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR,
} from './controls.js';
import { MAX_FIELD_INDEX } from './fields.js';

/** MSR numbers (SDM Vol. 4 Table 2-2). */
export const MSR = {
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
} as const;

/** IA32_FEATURE_CONTROL bits (SDM Vol. 3 §24.7 "Enabling and Entering VMX Operation"). */
export const FEATURE_CONTROL = {
  LOCKED: 1 << 0,
  VMXON_ENABLED_INSIDE_SMX: 1 << 1,
  VMXON_ENABLED_OUTSIDE_SMX: 1 << 2,
} as const;

/** Control-register bits VMX cares about (SDM Vol. 3 §2.5). */
export const CR0 = { PE: 1 << 0, MP: 1 << 1, EM: 1 << 2, TS: 1 << 3, ET: 1 << 4, NE: 1 << 5, WP: 1 << 16, NW: 1 << 29, CD: 1 << 30, PG: 0x80000000 } as const;
export const CR4 = { VME: 1 << 0, PVI: 1 << 1, TSD: 1 << 2, DE: 1 << 3, PSE: 1 << 4, PAE: 1 << 5, PGE: 1 << 7, VMXE: 1 << 13 } as const;

/** A 64-bit MSR value as two unsigned 32-bit halves (EDX:EAX for RDMSR). */
export interface Msr64 {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Physical-address width (MAXPHYADDR). This IA-32 processor has no PAE-36 and no CPUID 0x80000008,
 * so it is 32; IA32_VMX_BASIC bit 48 also limits VMX structure addresses to 32 bits.
 */
export const PHYS_ADDR_WIDTH = 32;

/** The VMCS revision identifier this processor uses (IA32_VMX_BASIC bits 30:0); bit 31 is 0. */
export const VMCS_REVISION_ID = 0x56540001;
/** Bytes software allocates for a VMXON or VMCS region (IA32_VMX_BASIC bits 44:32). */
export const VMCS_REGION_SIZE = 4096;
/** Memory types (SDM Vol. 3 §12.3): what IA32_VMX_BASIC and the EPTP name. */
export const MEMTYPE = { UC: 0, WC: 1, WT: 4, WP: 5, WB: 6 } as const;

/** Rate of the VMX-preemption timer: it counts down once per 2^rate TSC ticks (IA32_VMX_MISC 4:0). */
export const PREEMPTION_TIMER_RATE = 0;
/** Number of CR3-target values supported (IA32_VMX_MISC 24:16). */
export const CR3_TARGET_COUNT = 4;
/** Largest VM-entry/exit MSR-list count recommended: 512 * (IA32_VMX_MISC 27:25 + 1). */
export const MSR_LIST_MAX = 512;

/** IA32_VMX_EPT_VPID_CAP bits (SDM Appendix A.10), low half then high half (bit n-32). */
export const EPT_CAP = {
  EXECUTE_ONLY: 1 << 0,
  PAGE_WALK_4: 1 << 6,
  EPTP_UC: 1 << 8,
  EPTP_WB: 1 << 14,
  PAGE_2MB: 1 << 16,
  PAGE_1GB: 1 << 17,
  INVEPT: 1 << 20,
  AD_FLAGS: 1 << 21,
  ADVANCED_EXIT_INFO: 1 << 22,
  INVEPT_SINGLE_CONTEXT: 1 << 25,
  INVEPT_ALL_CONTEXT: 1 << 26,
} as const;
export const VPID_CAP = {
  INVVPID: 1 << 0, // bit 32
  INDIVIDUAL_ADDRESS: 1 << 8, // bit 40
  SINGLE_CONTEXT: 1 << 9, // bit 41
  ALL_CONTEXT: 1 << 10, // bit 42
  SINGLE_CONTEXT_RETAINING_GLOBALS: 1 << 11, // bit 43
} as const;

/** IA32_VMX_MISC bits (SDM Appendix A.6). */
export const MISC = {
  ACTIVITY_HLT: 1 << 6,
  ACTIVITY_SHUTDOWN: 1 << 7,
  ACTIVITY_WAIT_SIPI: 1 << 8,
  VMWRITE_ANY_FIELD: 1 << 29,
  ZERO_LENGTH_INJECTION: 1 << 30,
} as const;

const u = (n: number): number => n >>> 0;

/** Allowed-1 settings: every control the processor implements. */
const PIN_ALLOWED1 = u(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR | PIN_BASED.EXT_INTR_MASK | PIN_BASED.VMX_PREEMPTION_TIMER);
const PROC_ALLOWED1 = u(
  CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR |
    CPU_BASED.INTR_WINDOW_EXITING |
    CPU_BASED.USE_TSC_OFFSETTING |
    CPU_BASED.HLT_EXITING |
    CPU_BASED.INVLPG_EXITING |
    CPU_BASED.RDTSC_EXITING |
    CPU_BASED.CR3_LOAD_EXITING |
    CPU_BASED.CR3_STORE_EXITING |
    CPU_BASED.MOV_DR_EXITING |
    CPU_BASED.UNCOND_IO_EXITING |
    CPU_BASED.USE_IO_BITMAPS |
    CPU_BASED.MONITOR_TRAP_FLAG |
    CPU_BASED.USE_MSR_BITMAPS |
    CPU_BASED.PAUSE_EXITING |
    CPU_BASED.ACTIVATE_SECONDARY_CONTROLS,
);
const PROC2_ALLOWED1 = u(SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.DESC | SECONDARY_EXEC.ENABLE_VPID | SECONDARY_EXEC.WBINVD_EXITING);
const EXIT_ALLOWED1 = u(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR | VM_EXIT.ACK_INTR_ON_EXIT | VM_EXIT.SAVE_VMX_PREEMPTION_TIMER);
const ENTRY_ALLOWED1 = u(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR);

/** Everything this processor reports through its VMX capability MSRs. */
export interface VmxCapabilities {
  readonly basic: Msr64;
  readonly pinbased: Msr64;
  readonly procbased: Msr64;
  readonly procbased2: Msr64;
  readonly exit: Msr64;
  readonly entry: Msr64;
  readonly truePinbased: Msr64;
  readonly trueProcbased: Msr64;
  readonly trueExit: Msr64;
  readonly trueEntry: Msr64;
  readonly misc: Msr64;
  readonly cr0Fixed0: number;
  readonly cr0Fixed1: number;
  readonly cr4Fixed0: number;
  readonly cr4Fixed1: number;
  readonly vmcsEnum: number;
  readonly eptVpidCap: Msr64;
}

export const VMX_CAPABILITIES: VmxCapabilities = {
  // Revision; region size 4096; bit 48 (32-bit physical addresses: IA-32 only); bits 53:50 WB;
  // bit 54 INS/OUTS report instruction information; bit 55 TRUE_* controls MSRs exist.
  basic: { lo: VMCS_REVISION_ID, hi: u(VMCS_REGION_SIZE | (1 << 16) | (MEMTYPE.WB << 18) | (1 << 22) | (1 << 23)) },
  pinbased: { lo: PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, hi: PIN_ALLOWED1 },
  procbased: { lo: CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, hi: PROC_ALLOWED1 },
  procbased2: { lo: 0, hi: PROC2_ALLOWED1 },
  exit: { lo: VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR, hi: EXIT_ALLOWED1 },
  entry: { lo: VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, hi: ENTRY_ALLOWED1 },
  // The default1 pin-based bits stay must-be-1; CR3-load/store exiting (15, 16) may be 0; "save debug
  // controls" (exit bit 2) and "load debug controls" (entry bit 2) may be 0.
  truePinbased: { lo: PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, hi: PIN_ALLOWED1 },
  trueProcbased: { lo: u(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR & ~(CPU_BASED.CR3_LOAD_EXITING | CPU_BASED.CR3_STORE_EXITING)), hi: PROC_ALLOWED1 },
  trueExit: { lo: u(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR & ~VM_EXIT.SAVE_DEBUG_CONTROLS), hi: EXIT_ALLOWED1 },
  trueEntry: { lo: u(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR & ~(1 << 2)), hi: ENTRY_ALLOWED1 },
  // Timer rate; activity state HLT only; 4 CR3 targets; MSR lists up to 512; MSEG revision 0.
  misc: { lo: u(PREEMPTION_TIMER_RATE | MISC.ACTIVITY_HLT | (CR3_TARGET_COUNT << 16)), hi: 0 },
  // Without unrestricted guest, PE, NE and PG are fixed to 1 in VMX operation; CR4.VMXE too.
  cr0Fixed0: u(CR0.PE | CR0.NE | CR0.PG),
  cr0Fixed1: 0xffffffff,
  cr4Fixed0: CR4.VMXE,
  cr4Fixed1: u(CR4.TSD | CR4.DE | CR4.PSE | CR4.PGE | CR4.VMXE),
  vmcsEnum: MAX_FIELD_INDEX << 1,
  eptVpidCap: {
    lo: u(
      EPT_CAP.EXECUTE_ONLY |
        EPT_CAP.PAGE_WALK_4 |
        EPT_CAP.EPTP_UC |
        EPT_CAP.EPTP_WB |
        EPT_CAP.PAGE_2MB |
        EPT_CAP.INVEPT |
        EPT_CAP.AD_FLAGS |
        EPT_CAP.INVEPT_SINGLE_CONTEXT |
        EPT_CAP.INVEPT_ALL_CONTEXT,
    ),
    hi: u(
      VPID_CAP.INVVPID |
        VPID_CAP.INDIVIDUAL_ADDRESS |
        VPID_CAP.SINGLE_CONTEXT |
        VPID_CAP.ALL_CONTEXT |
        VPID_CAP.SINGLE_CONTEXT_RETAINING_GLOBALS,
    ),
  },
};

/**
 * The value RDMSR returns for a VMX capability MSR, or undefined when the MSR does not exist on this
 * processor (RDMSR then raises #GP(0)). IA32_VMX_VMFUNC is absent: VM functions are not supported.
 * IA32_FEATURE_CONTROL belongs to the CPU's MSR table, not here.
 */
export function readVmxCapabilityMsr(index: number, caps: VmxCapabilities = VMX_CAPABILITIES): Msr64 | undefined {
  switch (index) {
    case MSR.IA32_VMX_BASIC: return caps.basic;
    case MSR.IA32_VMX_PINBASED_CTLS: return caps.pinbased;
    case MSR.IA32_VMX_PROCBASED_CTLS: return caps.procbased;
    case MSR.IA32_VMX_EXIT_CTLS: return caps.exit;
    case MSR.IA32_VMX_ENTRY_CTLS: return caps.entry;
    case MSR.IA32_VMX_MISC: return caps.misc;
    case MSR.IA32_VMX_CR0_FIXED0: return { lo: caps.cr0Fixed0, hi: 0 };
    case MSR.IA32_VMX_CR0_FIXED1: return { lo: caps.cr0Fixed1, hi: 0 };
    case MSR.IA32_VMX_CR4_FIXED0: return { lo: caps.cr4Fixed0, hi: 0 };
    case MSR.IA32_VMX_CR4_FIXED1: return { lo: caps.cr4Fixed1, hi: 0 };
    case MSR.IA32_VMX_VMCS_ENUM: return { lo: caps.vmcsEnum, hi: 0 };
    case MSR.IA32_VMX_PROCBASED_CTLS2: return caps.procbased2;
    case MSR.IA32_VMX_EPT_VPID_CAP: return caps.eptVpidCap;
    case MSR.IA32_VMX_TRUE_PINBASED_CTLS: return caps.truePinbased;
    case MSR.IA32_VMX_TRUE_PROCBASED_CTLS: return caps.trueProcbased;
    case MSR.IA32_VMX_TRUE_EXIT_CTLS: return caps.trueExit;
    case MSR.IA32_VMX_TRUE_ENTRY_CTLS: return caps.trueEntry;
    default: return undefined;
  }
}

/**
 * A control value adjusted to a capability MSR (SimpleVisor's ShvUtilAdjustMsr): bits the processor
 * requires (allowed-0 = 1, low half) are set, bits it cannot do (allowed-1 = 0, high half) cleared.
 */
export function adjustControls(cap: Msr64, wanted: number): number {
  return ((wanted | cap.lo) & cap.hi) >>> 0;
}

/** True when `value` respects a capability MSR's allowed-0 and allowed-1 settings (SDM §27.2.1.1). */
export function controlsAllowed(value: number, cap: Msr64): boolean {
  return ((~value & cap.lo) | (value & ~cap.hi)) === 0;
}

/** True when CR0/CR4 `value` has every FIXED0 bit set and no bit outside FIXED1 (SDM Appendix A.7-A.8). */
export function fixedBitsOk(value: number, fixed0: number, fixed1: number): boolean {
  return ((~value & fixed0) | (value & ~fixed1)) === 0;
}

/** True when an address of a VMX structure fits the physical-address width (bits 63:32 zero here). */
export function physAddrOk(lo: number, hi: number): boolean {
  return hi === 0 && (PHYS_ADDR_WIDTH >= 32 || lo >>> PHYS_ADDR_WIDTH === 0);
}
