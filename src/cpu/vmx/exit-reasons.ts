// Basic VM-exit reasons (SDM Vol. 3 Appendix C) with Linux uapi/asm/vmx.h names, and the high bits of
// the exit-reason field (SDM §25.9.1, Table 25-18). Lookup by number and by name for the debugger's
// `break exit REASON`.

/** Basic exit reasons, bits 15:0 of VM_EXIT_REASON. */
export const EXIT_REASON = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT_SIGNAL: 3,
  SIPI_SIGNAL: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  INTERRUPT_WINDOW: 7,
  NMI_WINDOW: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMOFF: 26,
  VMON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  INVALID_STATE: 33,
  MSR_LOAD_FAIL: 34,
  MWAIT: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR: 39,
  PAUSE: 40,
  MCE_DURING_VMENTRY: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  EOI_INDUCED: 45,
  GDTR_IDTR: 46,
  LDTR_TR: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  PREEMPTION_TIMER: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  RDRAND: 57,
  INVPCID: 58,
  VMFUNC: 59,
  ENCLS: 60,
  RDSEED: 61,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
  PCONFIG: 65,
  SPP_EVENT: 66,
  UMWAIT: 67,
  TPAUSE: 68,
  LOADIWKEY: 69,
  ENCLV: 70,
  ENQCMD_PASID: 72,
  ENQCMDS_PASID: 73,
  BUS_LOCK: 74,
  NOTIFY: 75,
} as const;

export type ExitReasonName = keyof typeof EXIT_REASON;

/** Exit-reason field bit 31: the VM entry failed (reasons 33, 34, 41 only). */
export const EXIT_REASON_FAILED_VMENTRY = 0x80000000;
/** Exit-reason field bit 27: the exit came from an enclave (never set here: no SGX). */
export const EXIT_REASON_FROM_ENCLAVE = 0x08000000;
/** Bits 15:0 of the exit-reason field. */
export const EXIT_REASON_BASIC_MASK = 0xffff;

/** Other spellings accepted by name lookup: older Linux names and the SDM's instruction names. */
const ALIASES: Record<string, ExitReasonName> = {
  PENDING_INTERRUPT: 'INTERRUPT_WINDOW',
  EXCEPTION: 'EXCEPTION_NMI',
  MWAIT_INSTRUCTION: 'MWAIT',
  MONITOR_INSTRUCTION: 'MONITOR',
  PAUSE_INSTRUCTION: 'PAUSE',
  VMXOFF: 'VMOFF',
  VMXON: 'VMON',
  MTF: 'MONITOR_TRAP_FLAG',
  IO: 'IO_INSTRUCTION',
  RDMSR: 'MSR_READ',
  WRMSR: 'MSR_WRITE',
  CR: 'CR_ACCESS',
  DR: 'DR_ACCESS',
  MOV_CR: 'CR_ACCESS',
  MOV_DR: 'DR_ACCESS',
  ENTRY_FAILURE: 'INVALID_STATE',
  INVALID_GUEST_STATE: 'INVALID_STATE',
  EPT_MISCONFIGURATION: 'EPT_MISCONFIG',
  VMX_PREEMPTION_TIMER: 'PREEMPTION_TIMER',
  WBNOINVD: 'WBINVD',
};

const NAME_BY_NUMBER: (ExitReasonName | undefined)[] = [];
for (const [name, n] of Object.entries(EXIT_REASON)) NAME_BY_NUMBER[n] = name as ExitReasonName;

/** Name of a basic exit reason (or of the basic part of a full exit-reason value). */
export function exitReasonName(reason: number): string {
  return NAME_BY_NUMBER[reason & EXIT_REASON_BASIC_MASK] ?? `UNKNOWN_${reason & EXIT_REASON_BASIC_MASK}`;
}

/** A full exit-reason field value for display: `INVALID_STATE (entry failure)` etc. */
export function describeExitReason(reason: number): string {
  const name = exitReasonName(reason);
  return (reason & EXIT_REASON_FAILED_VMENTRY) !== 0 ? `${name} (VM-entry failure)` : name;
}

/**
 * Looks a basic exit reason up by name (case-insensitive, optional `EXIT_REASON_` prefix, aliases
 * such as VMXON, MTF, RDMSR) or by number (decimal or 0x-hex). Undefined when nothing matches.
 */
export function exitReasonByName(text: string): number | undefined {
  const t = text.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) {
    const n = Number(t);
    return NAME_BY_NUMBER[n] !== undefined ? n : undefined;
  }
  let key = t.toUpperCase().replace(/[\s-]+/g, '_');
  if (key.startsWith('EXIT_REASON_')) key = key.slice('EXIT_REASON_'.length);
  if (Object.hasOwn(EXIT_REASON, key)) return EXIT_REASON[key as ExitReasonName];
  const alias = ALIASES[key];
  return alias !== undefined ? EXIT_REASON[alias] : undefined;
}

/** Every defined basic exit reason as [number, name], in numeric order (for help and stats tables). */
export function allExitReasons(): [number, ExitReasonName][] {
  const out: [number, ExitReasonName][] = [];
  NAME_BY_NUMBER.forEach((name, n) => {
    if (name !== undefined) out.push([n, name]);
  });
  return out;
}
