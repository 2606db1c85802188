// VMX control bits by SDM/Linux name (SDM Vol. 3 §25.6.1-§25.6.2, §25.7.1, §25.8.1; Linux
// asm/vmx.h), and bit-name decoding of a control value for the debugger's `vmcs` dump.
// Which of these this processor supports is capabilities.ts's business, not this file's.

const bit = (n: number): number => (n === 31 ? 0x80000000 : 1 << n);

/** Pin-based VM-execution controls (SDM Table 25-5). */
export const PIN_BASED = {
  EXT_INTR_MASK: bit(0), // external-interrupt exiting
  NMI_EXITING: bit(3),
  VIRTUAL_NMIS: bit(5),
  VMX_PREEMPTION_TIMER: bit(6),
  POSTED_INTR: bit(7),
} as const;

/** Primary processor-based VM-execution controls (SDM Table 25-6). */
export const CPU_BASED = {
  INTR_WINDOW_EXITING: bit(2),
  USE_TSC_OFFSETTING: bit(3),
  HLT_EXITING: bit(7),
  INVLPG_EXITING: bit(9),
  MWAIT_EXITING: bit(10),
  RDPMC_EXITING: bit(11),
  RDTSC_EXITING: bit(12),
  CR3_LOAD_EXITING: bit(15),
  CR3_STORE_EXITING: bit(16),
  ACTIVATE_TERTIARY_CONTROLS: bit(17),
  CR8_LOAD_EXITING: bit(19),
  CR8_STORE_EXITING: bit(20),
  TPR_SHADOW: bit(21),
  NMI_WINDOW_EXITING: bit(22),
  MOV_DR_EXITING: bit(23),
  UNCOND_IO_EXITING: bit(24),
  USE_IO_BITMAPS: bit(25),
  MONITOR_TRAP_FLAG: bit(27),
  USE_MSR_BITMAPS: bit(28),
  MONITOR_EXITING: bit(29),
  PAUSE_EXITING: bit(30),
  ACTIVATE_SECONDARY_CONTROLS: bit(31),
} as const;

/** Secondary processor-based VM-execution controls (SDM Table 25-7). */
export const SECONDARY_EXEC = {
  VIRTUALIZE_APIC_ACCESSES: bit(0),
  ENABLE_EPT: bit(1),
  DESC: bit(2), // descriptor-table exiting
  ENABLE_RDTSCP: bit(3),
  VIRTUALIZE_X2APIC_MODE: bit(4),
  ENABLE_VPID: bit(5),
  WBINVD_EXITING: bit(6),
  UNRESTRICTED_GUEST: bit(7),
  APIC_REGISTER_VIRT: bit(8),
  VIRTUAL_INTR_DELIVERY: bit(9),
  PAUSE_LOOP_EXITING: bit(10),
  RDRAND_EXITING: bit(11),
  ENABLE_INVPCID: bit(12),
  ENABLE_VMFUNC: bit(13),
  SHADOW_VMCS: bit(14),
  ENCLS_EXITING: bit(15),
  RDSEED_EXITING: bit(16),
  ENABLE_PML: bit(17),
  EPT_VIOLATION_VE: bit(18),
  PT_CONCEAL_VMX: bit(19),
  ENABLE_XSAVES: bit(20),
  MODE_BASED_EPT_EXEC: bit(22),
  PT_USE_GPA: bit(24),
  TSC_SCALING: bit(25),
  ENABLE_USR_WAIT_PAUSE: bit(26),
  BUS_LOCK_DETECTION: bit(30),
  NOTIFY_VM_EXITING: bit(31),
} as const;

/** VM-exit controls (SDM Table 25-13). */
export const VM_EXIT = {
  SAVE_DEBUG_CONTROLS: bit(2),
  HOST_ADDR_SPACE_SIZE: bit(9),
  LOAD_IA32_PERF_GLOBAL_CTRL: bit(12),
  ACK_INTR_ON_EXIT: bit(15),
  SAVE_IA32_PAT: bit(18),
  LOAD_IA32_PAT: bit(19),
  SAVE_IA32_EFER: bit(20),
  LOAD_IA32_EFER: bit(21),
  SAVE_VMX_PREEMPTION_TIMER: bit(22),
  CLEAR_BNDCFGS: bit(23),
  PT_CONCEAL_PIP: bit(24),
  CLEAR_IA32_RTIT_CTL: bit(25),
} as const;

/** VM-entry controls (SDM Table 25-16). */
export const VM_ENTRY = {
  LOAD_DEBUG_CONTROLS: bit(2),
  IA32E_MODE: bit(9),
  SMM: bit(10),
  DEACT_DUAL_MONITOR: bit(11),
  LOAD_IA32_PERF_GLOBAL_CTRL: bit(13),
  LOAD_IA32_PAT: bit(14),
  LOAD_IA32_EFER: bit(15),
  LOAD_BNDCFGS: bit(16),
  PT_CONCEAL_PIP: bit(17),
  LOAD_IA32_RTIT_CTL: bit(18),
} as const;

/**
 * The "default1" classes (SDM Appendix A.2-A.5): bits the first VMX processors supported only as 1.
 * The non-TRUE capability MSRs always report them as must-be-1; software unaware of a bit sets it.
 */
export const PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR = 0x00000016;
export const CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR = 0x0401e172;
export const VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR = 0x00036dff;
export const VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR = 0x000011ff;

/** The five control words, for decoding and for capability lookups. */
export const ControlKind = { PIN: 0, PROC: 1, PROC2: 2, EXIT: 3, ENTRY: 4 } as const;
export type ControlKind = (typeof ControlKind)[keyof typeof ControlKind];

const TABLES: Record<ControlKind, Readonly<Record<string, number>>> = {
  [ControlKind.PIN]: PIN_BASED,
  [ControlKind.PROC]: CPU_BASED,
  [ControlKind.PROC2]: SECONDARY_EXEC,
  [ControlKind.EXIT]: VM_EXIT,
  [ControlKind.ENTRY]: VM_ENTRY,
};

/**
 * Names of the bits set in a control value, lowest bit first; bits without a name (the reserved
 * default1 bits among them) appear as `bit N`.
 */
export function controlBitNames(kind: ControlKind, value: number): string[] {
  const table = TABLES[kind];
  const names: string[] = [];
  for (let n = 0; n < 32; n++) {
    const b = bit(n);
    if ((value & b) === 0) continue;
    const name = Object.keys(table).find((k) => table[k] === b);
    names.push(name ?? `bit ${n}`);
  }
  return names;
}

/** `0x82016172 HLT_EXITING|...` style one-line description, for dumps. */
export function describeControls(kind: ControlKind, value: number): string {
  const names = controlBitNames(kind, value).filter((n) => !n.startsWith('bit '));
  return names.length > 0 ? names.join(' | ') : '(none)';
}

// ---------------------------------------------------------------- bitmap control fields

/**
 * I/O bitmaps (SDM §25.6.4): bitmap A (4 KiB) holds one bit per port 0000-7FFF, bitmap B per port
 * 8000-FFFF. Port p is bit (p & 7) of byte (p & 0x7FFF) >> 3 of bitmap (p < 0x8000 ? A : B).
 */
export const IO_BITMAP_PORTS_PER_PAGE = 0x8000;

/**
 * MSR bitmap page (SDM §25.6.9): four 1 KiB bitmaps, each with one bit per MSR of its range.
 */
export const MSR_BITMAP = {
  READ_LOW: 0x000,
  READ_HIGH: 0x400,
  WRITE_LOW: 0x800,
  WRITE_HIGH: 0xc00,
  /** MSRs 00000000-00001FFF use the LOW bitmaps; C0000000-C0001FFF the HIGH ones. */
  LOW_FIRST: 0x00000000,
  HIGH_FIRST: 0xc0000000,
  RANGE: 0x2000,
} as const;

/**
 * Bit number, within the 4 KiB MSR bitmap page, of the bit that controls RDMSR (write = false) or
 * WRMSR (write = true) of `msr`; -1 for MSRs outside both ranges, whose accesses always exit.
 */
export function msrBitmapBit(msr: number, write: boolean): number {
  msr >>>= 0;
  let base: number;
  let index: number;
  if (msr < MSR_BITMAP.RANGE) {
    base = write ? MSR_BITMAP.WRITE_LOW : MSR_BITMAP.READ_LOW;
    index = msr;
  } else if (msr >= MSR_BITMAP.HIGH_FIRST && msr - MSR_BITMAP.HIGH_FIRST < MSR_BITMAP.RANGE) {
    base = write ? MSR_BITMAP.WRITE_HIGH : MSR_BITMAP.READ_HIGH;
    index = msr - MSR_BITMAP.HIGH_FIRST;
  } else {
    return -1;
  }
  return base * 8 + index;
}
