// What exits in VMX non-root operation (SDM Vol. 3 §26.1-§26.3, §26.5): pure predicates the CPU calls
// at its intercept points, over the controls VM entry loaded (InterceptControls) and, for the I/O and
// MSR bitmaps, host-physical memory. Also what a guest reads back from shadowed CR0/CR4 and what a
// non-exiting write leaves in them, the guest's TSC, and the preemption-timer arithmetic.

import type { PhysicalMemory } from '../../machine/memory.js';
import { CR0, PREEMPTION_TIMER_RATE } from './capabilities.js';
import { CPU_BASED, IO_BITMAP_PORTS_PER_PAGE, PIN_BASED, SECONDARY_EXEC, msrBitmapBit } from './controls.js';
import { EXIT_REASON } from './exit-reasons.js';
import { VMCS, cr3TargetField } from './fields.js';
import { INTERRUPTIBILITY } from './state-formats.js';
import type { Vmcs } from './vmcs.js';

/**
 * The VMCS control fields non-root operation consults, copied at VM entry (as silicon and Bochs'
 * VMCS cache do): a VMWRITE in root operation takes effect at the next entry.
 */
export class InterceptControls {
  pin = 0;
  proc = 0;
  /** Secondary controls, 0 unless "activate secondary controls" is set. */
  proc2 = 0;
  exit = 0;
  entry = 0;
  exceptionBitmap = 0;
  pfecMask = 0;
  pfecMatch = 0;
  cr0Mask = 0;
  cr0Shadow = 0;
  cr4Mask = 0;
  cr4Shadow = 0;
  cr3TargetCount = 0;
  readonly cr3Targets = new Int32Array(4);
  ioBitmapA = 0;
  ioBitmapB = 0;
  msrBitmap = 0;
  /** EPTP low dword (the high dword is 0 after the entry checks); 0 when EPT is off. */
  eptp = 0;
  /** VPID, 0 when VPIDs are off (the TLB tag the guest uses). */
  vpid = 0;
  /** TSC offset as a number (signed). */
  tscOffset = 0;

  /** Copies the fields from the VMCS that is being entered (after the entry checks passed). */
  load(v: Vmcs): void {
    this.pin = v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL);
    this.proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL);
    this.proc2 = (this.proc & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0;
    this.exit = v.read(VMCS.VM_EXIT_CONTROLS);
    this.entry = v.read(VMCS.VM_ENTRY_CONTROLS);
    this.exceptionBitmap = v.read(VMCS.EXCEPTION_BITMAP);
    this.pfecMask = v.read(VMCS.PAGE_FAULT_ERROR_CODE_MASK);
    this.pfecMatch = v.read(VMCS.PAGE_FAULT_ERROR_CODE_MATCH);
    this.cr0Mask = v.read(VMCS.CR0_GUEST_HOST_MASK);
    this.cr0Shadow = v.read(VMCS.CR0_READ_SHADOW);
    this.cr4Mask = v.read(VMCS.CR4_GUEST_HOST_MASK);
    this.cr4Shadow = v.read(VMCS.CR4_READ_SHADOW);
    this.cr3TargetCount = v.read(VMCS.CR3_TARGET_COUNT);
    for (let i = 0; i < 4; i++) this.cr3Targets[i] = v.read(cr3TargetField(i));
    this.ioBitmapA = v.read(VMCS.IO_BITMAP_A);
    this.ioBitmapB = v.read(VMCS.IO_BITMAP_B);
    this.msrBitmap = v.read(VMCS.MSR_BITMAP);
    const ept = (this.proc2 & SECONDARY_EXEC.ENABLE_EPT) !== 0;
    this.eptp = ept ? v.read(VMCS.EPT_POINTER) : 0;
    this.vpid = (this.proc2 & SECONDARY_EXEC.ENABLE_VPID) !== 0 ? v.read(VMCS.VIRTUAL_PROCESSOR_ID) : 0;
    this.tscOffset = v.read64(VMCS.TSC_OFFSET);
  }
}

// ------------------------------------------------------------------ exceptions (§26.2, §25.6.3)

/**
 * Does exception `vector` (with `errorCode` for #PF) cause a VM exit? The exception bitmap decides,
 * except for #PF: with bit 14 set it exits iff (PFEC & mask) == match, with bit 14 clear iff not.
 */
export function exceptionCausesExit(c: InterceptControls, vector: number, errorCode: number): boolean {
  const bit = ((c.exceptionBitmap >>> vector) & 1) === 1;
  if (vector !== 14) return bit;
  return ((errorCode & c.pfecMask) >>> 0 === c.pfecMatch >>> 0) === bit;
}

// ------------------------------------------------------------------ I/O (§26.1.3)

/**
 * Does an I/O access of `size` bytes at `port` exit? With I/O bitmaps, iff any port accessed has its
 * bit set, or the access wraps past FFFF; "unconditional I/O exiting" is then ignored. Without them,
 * iff unconditional I/O exiting is set.
 */
export function ioCausesExit(c: InterceptControls, mem: PhysicalMemory, port: number, size: number): boolean {
  if ((c.proc & CPU_BASED.USE_IO_BITMAPS) === 0) return (c.proc & CPU_BASED.UNCOND_IO_EXITING) !== 0;
  if (port + size > 0x10000) return true;
  for (let p = port; p < port + size; p++) {
    const bitmap = p < IO_BITMAP_PORTS_PER_PAGE ? c.ioBitmapA : c.ioBitmapB;
    const q = p & (IO_BITMAP_PORTS_PER_PAGE - 1);
    if (((mem.read8(bitmap + (q >>> 3)) >>> (q & 7)) & 1) !== 0) return true;
  }
  return false;
}

// ------------------------------------------------------------------ RDMSR / WRMSR (§26.1.3)

/** Does RDMSR (write = false) or WRMSR of `msr` exit? Without MSR bitmaps, always. */
export function msrCausesExit(c: InterceptControls, mem: PhysicalMemory, msr: number, write: boolean): boolean {
  if ((c.proc & CPU_BASED.USE_MSR_BITMAPS) === 0) return true;
  const bit = msrBitmapBit(msr, write);
  if (bit < 0) return true;
  return ((mem.read8(c.msrBitmap + (bit >>> 3)) >>> (bit & 7)) & 1) !== 0;
}

// ------------------------------------------------------------------ control registers (§26.1.3, §26.3)

/** MOV to CR0/CR4 exits iff it would change a host-owned bit away from the read shadow. */
export function movToCrExits(mask: number, shadow: number, value: number): boolean {
  return ((mask & shadow) ^ (mask & value)) !== 0;
}

/** What the guest reads from CR0/CR4: host-owned bits from the read shadow, the rest from the register. */
export function shadowedCrRead(actual: number, mask: number, shadow: number): number {
  return ((actual & ~mask) | (shadow & mask)) >>> 0;
}

/** CR0/CR4 after a MOV that did not exit: host-owned bits keep their value (SDM §26.3). */
export function shadowedCrWrite(actual: number, mask: number, value: number): number {
  return ((actual & mask) | (value & ~mask)) >>> 0;
}

/** CLTS exits iff CR0.TS is host-owned and set in the read shadow. */
export function cltsExits(c: InterceptControls): boolean {
  return (c.cr0Mask & c.cr0Shadow & CR0.TS) !== 0;
}

/** CR0 after a CLTS that did not exit: TS is cleared unless the host owns it. */
export function cltsResult(c: InterceptControls, cr0: number): number {
  return (c.cr0Mask & CR0.TS) !== 0 ? cr0 >>> 0 : (cr0 & ~CR0.TS) >>> 0;
}

const LMSW_BITS = CR0.PE | CR0.MP | CR0.EM | CR0.TS;

/**
 * LMSW exits iff it would set a host-owned PE that the shadow has clear, or change a host-owned
 * MP/EM/TS away from the shadow (LMSW cannot clear PE, so a clear source PE never exits).
 */
export function lmswExits(c: InterceptControls, source: number): boolean {
  const m = c.cr0Mask;
  const pe = (m & CR0.PE) !== 0 && (c.cr0Shadow & CR0.PE) === 0 && (source & CR0.PE) !== 0;
  return pe || (m & (CR0.MP | CR0.EM | CR0.TS) & (c.cr0Shadow ^ source)) !== 0;
}

/** CR0 after an LMSW that did not exit: bits 3:0 from the source (PE only set), owned bits kept. */
export function lmswResult(c: InterceptControls, cr0: number, source: number): number {
  const lmsw = (cr0 & ~LMSW_BITS) | (source & LMSW_BITS) | (cr0 & CR0.PE);
  const owned = c.cr0Mask & LMSW_BITS;
  return ((cr0 & owned) | (lmsw & ~owned)) >>> 0;
}

/** MOV to CR3 exits iff CR3-load exiting is on and the value is none of the first count CR3 targets. */
export function cr3LoadExits(c: InterceptControls, value: number): boolean {
  if ((c.proc & CPU_BASED.CR3_LOAD_EXITING) === 0) return false;
  const n = Math.min(c.cr3TargetCount, 4);
  for (let i = 0; i < n; i++) if (c.cr3Targets[i] === (value | 0)) return false;
  return true;
}

export function cr3StoreExits(c: InterceptControls): boolean {
  return (c.proc & CPU_BASED.CR3_STORE_EXITING) !== 0;
}

// ------------------------------------------------------------------ instructions (§26.1.2, §26.1.3)

/** Instructions that can exit, each with its exit reason and the control that decides. */
export const InsnIntercept = {
  CPUID: 0,
  GETSEC: 1,
  INVD: 2,
  XSETBV: 3,
  HLT: 4,
  INVLPG: 5,
  RDPMC: 6,
  RDTSC: 7,
  RDTSCP: 8,
  MOV_DR: 9,
  PAUSE: 10,
  WBINVD: 11,
  MWAIT: 12,
  MONITOR: 13,
  /** LGDT, LIDT, SGDT, SIDT. */
  GDTR_IDTR: 14,
  /** LLDT, LTR, SLDT, STR. */
  LDTR_TR: 15,
} as const;
export type InsnIntercept = (typeof InsnIntercept)[keyof typeof InsnIntercept];

const ALWAYS = 0;
const PROC = 1;
const PROC2 = 2;
/** [exit reason, which control word (ALWAYS/PROC/PROC2), control bit] per InsnIntercept. */
const INTERCEPTS: readonly (readonly [number, number, number])[] = [
  [EXIT_REASON.CPUID, ALWAYS, 0],
  [EXIT_REASON.GETSEC, ALWAYS, 0],
  [EXIT_REASON.INVD, ALWAYS, 0],
  [EXIT_REASON.XSETBV, ALWAYS, 0],
  [EXIT_REASON.HLT, PROC, CPU_BASED.HLT_EXITING],
  [EXIT_REASON.INVLPG, PROC, CPU_BASED.INVLPG_EXITING],
  [EXIT_REASON.RDPMC, PROC, CPU_BASED.RDPMC_EXITING],
  [EXIT_REASON.RDTSC, PROC, CPU_BASED.RDTSC_EXITING],
  [EXIT_REASON.RDTSCP, PROC, CPU_BASED.RDTSC_EXITING],
  [EXIT_REASON.DR_ACCESS, PROC, CPU_BASED.MOV_DR_EXITING],
  [EXIT_REASON.PAUSE, PROC, CPU_BASED.PAUSE_EXITING],
  [EXIT_REASON.WBINVD, PROC2, SECONDARY_EXEC.WBINVD_EXITING],
  [EXIT_REASON.MWAIT, PROC, CPU_BASED.MWAIT_EXITING],
  [EXIT_REASON.MONITOR, PROC, CPU_BASED.MONITOR_EXITING],
  [EXIT_REASON.GDTR_IDTR, PROC2, SECONDARY_EXEC.DESC],
  [EXIT_REASON.LDTR_TR, PROC2, SECONDARY_EXEC.DESC],
];

/** Does this instruction exit under the loaded controls? (CPUID, GETSEC, INVD, XSETBV always do.) */
export function instructionExits(c: InterceptControls, what: InsnIntercept): boolean {
  const row = INTERCEPTS[what]!;
  switch (row[1]) {
    case ALWAYS: return true;
    case PROC: return (c.proc & row[2]) !== 0;
    default: return (c.proc2 & row[2]) !== 0;
  }
}

/** The basic exit reason an intercepted instruction reports. */
export function interceptExitReason(what: InsnIntercept): number {
  return INTERCEPTS[what]![0];
}

// ------------------------------------------------------------------ events (§26.2, §26.7.5)

/** External interrupts exit (instead of being delivered through the guest IDT) when this is set. */
export function externalInterruptExits(c: InterceptControls): boolean {
  return (c.pin & PIN_BASED.EXT_INTR_MASK) !== 0;
}

/** An interrupt-window exit is due at an instruction boundary where the guest could take an interrupt. */
export function interruptWindowOpen(c: InterceptControls, eflagsIF: boolean, interruptibility: number): boolean {
  return (c.proc & CPU_BASED.INTR_WINDOW_EXITING) !== 0 && eflagsIF && (interruptibility & (INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS)) === 0;
}

/** Monitor trap flag: an exit after each guest instruction (or event delivery). */
export function mtfActive(c: InterceptControls): boolean {
  return (c.proc & CPU_BASED.MONITOR_TRAP_FLAG) !== 0;
}

// ------------------------------------------------------------------ time (§26.6.5, §26.5.1)

/** The TSC the guest reads (RDTSC, IA32_TIME_STAMP_COUNTER): offset when TSC offsetting is on. */
export function guestTsc(c: InterceptControls, tsc: number): number {
  return (c.proc & CPU_BASED.USE_TSC_OFFSETTING) !== 0 ? tsc + c.tscOffset : tsc;
}

export function preemptionTimerActive(c: InterceptControls): boolean {
  return (c.pin & PIN_BASED.VMX_PREEMPTION_TIMER) !== 0;
}

/**
 * The TSC value at which a preemption timer loaded with `value` at TSC `tsc` reaches 0: it counts down
 * once each time bit `rate` of the TSC changes (SDM §26.5.1). Value 0 expires before the first guest
 * instruction (the deadline is `tsc` itself).
 */
export function preemptionDeadline(tsc: number, value: number, rate: number = PREEMPTION_TIMER_RATE): number {
  const unit = 2 ** rate;
  return (Math.floor(tsc / unit) + (value >>> 0)) * unit;
}

/** The timer value saved on VM exit ("save VMX-preemption timer value"): what is left, never below 0. */
export function preemptionRemaining(deadline: number, tsc: number, rate: number = PREEMPTION_TIMER_RATE): number {
  const unit = 2 ** rate;
  return Math.max(0, Math.floor(deadline / unit) - Math.floor(tsc / unit));
}
