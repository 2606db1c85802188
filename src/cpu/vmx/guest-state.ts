// Moving processor state between the registers and the VMCS: loading guest state on VM entry
// (SDM Vol. 3 §27.3.2), saving it on VM exit (§28.3), loading host state on VM exit (§28.5), and
// writing the exit-information fields (§28.2). Written against VmxRegisterFile, which the CPU's state
// object satisfies structurally; what the register file does not hold travels in GuestExtras.

import { VM_ENTRY, VM_EXIT } from './controls.js';
import { EXIT_REASON, EXIT_REASON_FAILED_VMENTRY } from './exit-reasons.js';
import { GuestSeg, VMCS, guestArField, guestBaseField, guestLimitField, guestSelectorField } from './fields.js';
import { INTR_INFO } from './qualification.js';
import { ACTIVITY, AR_CODE32_RING0, AR_DATA32_RING0, AR_TSS32_BUSY, RFLAGS, SEG_AR } from './state-formats.js';
import type { Vmcs } from './vmcs.js';

/** The registers VM entry and VM exit move. Slot order of the seg* arrays: ES CS SS DS FS GS LDTR TR. */
export interface VmxRegisterFile {
  /** EAX..EDI; ESP is regs[4]. */
  readonly regs: Int32Array;
  eip: number;
  readonly segSel: Int32Array;
  readonly segBase: Int32Array;
  /** Byte-granular limits, as the VMCS limit fields hold them. */
  readonly segLimit: Int32Array;
  /** Access rights in the VMCS format (state-formats.ts SEG_AR), unusable bit included. */
  readonly segAr: Int32Array;
  gdtBase: number;
  gdtLimit: number;
  idtBase: number;
  idtLimit: number;
  cr0: number;
  cr3: number;
  cr4: number;
  /** DR0..DR7; DR7 is dr[7]. */
  readonly dr: Int32Array;
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
}

/** State outside the register file: what entry loads for the CPU to apply, and exit saves from it. */
export class GuestExtras {
  rflags = RFLAGS.FIXED1;
  /** GUEST_INTERRUPTIBILITY_INFO format (state-formats.ts INTERRUPTIBILITY). */
  interruptibility = 0;
  /** ACTIVITY.* */
  activity: number = ACTIVITY.ACTIVE;
  /** GUEST_PENDING_DBG_EXCEPTIONS format. */
  pendingDebug = 0;
  /** IA32_DEBUGCTL low dword. */
  debugctl = 0;
}

/**
 * CR0 bits VM entry and VM exit never change (SDM §27.3.2.1, §28.5.1): ET, NW, CD and the reserved
 * bits 15:6, 17 and 28:19 keep their values.
 */
export const CR0_KEPT_BITS = 0x7ffaffd0;

const ESP = 4;
const LDTR = GuestSeg.LDTR;
const TR = GuestSeg.TR;

/** Loads the guest-state area into the registers (after the entry checks passed). */
export function loadGuestState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras, entryControls: number): void {
  r.cr0 = ((r.cr0 & CR0_KEPT_BITS) | (v.read(VMCS.GUEST_CR0) & ~CR0_KEPT_BITS)) | 0;
  r.cr3 = v.read(VMCS.GUEST_CR3) | 0;
  r.cr4 = v.read(VMCS.GUEST_CR4) | 0;
  if ((entryControls & VM_ENTRY.LOAD_DEBUG_CONTROLS) !== 0) {
    // Bits 12 and 15:14 of DR7 load as 0, bit 10 as 1.
    r.dr[7] = (v.read(VMCS.GUEST_DR7) & ~0xd000) | 0x400;
    g.debugctl = v.read(VMCS.GUEST_IA32_DEBUGCTL);
  }
  for (let s = 0; s < 8; s++) {
    r.segSel[s] = v.read(guestSelectorField(s));
    r.segBase[s] = v.read(guestBaseField(s));
    r.segLimit[s] = v.read(guestLimitField(s));
    r.segAr[s] = v.read(guestArField(s));
  }
  r.gdtBase = v.read(VMCS.GUEST_GDTR_BASE) | 0;
  r.gdtLimit = v.read(VMCS.GUEST_GDTR_LIMIT);
  r.idtBase = v.read(VMCS.GUEST_IDTR_BASE) | 0;
  r.idtLimit = v.read(VMCS.GUEST_IDTR_LIMIT);
  r.sysenterCs = v.read(VMCS.GUEST_SYSENTER_CS) | 0;
  r.sysenterEsp = v.read(VMCS.GUEST_SYSENTER_ESP) | 0;
  r.sysenterEip = v.read(VMCS.GUEST_SYSENTER_EIP) | 0;
  r.regs[ESP] = v.read(VMCS.GUEST_RSP);
  r.eip = v.read(VMCS.GUEST_RIP) | 0;
  g.rflags = v.read(VMCS.GUEST_RFLAGS);
  g.interruptibility = v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO);
  g.activity = v.read(VMCS.GUEST_ACTIVITY_STATE);
  g.pendingDebug = v.read(VMCS.GUEST_PENDING_DBG_EXCEPTIONS);
}

/** Saves the registers into the guest-state area on a VM exit (not on an entry failure). */
export function saveGuestState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras, exitControls: number): void {
  v.write(VMCS.GUEST_CR0, r.cr0);
  v.write(VMCS.GUEST_CR3, r.cr3);
  v.write(VMCS.GUEST_CR4, r.cr4);
  if ((exitControls & VM_EXIT.SAVE_DEBUG_CONTROLS) !== 0) {
    v.write(VMCS.GUEST_DR7, r.dr[7]!);
    v.write(VMCS.GUEST_IA32_DEBUGCTL, g.debugctl);
  }
  v.write(VMCS.GUEST_RSP, r.regs[ESP]!);
  v.write(VMCS.GUEST_RIP, r.eip);
  v.write(VMCS.GUEST_RFLAGS, g.rflags);
  for (let s = 0; s < 8; s++) {
    v.write(guestSelectorField(s), r.segSel[s]!);
    v.write(guestBaseField(s), r.segBase[s]!);
    v.write(guestLimitField(s), r.segLimit[s]!);
    v.write(guestArField(s), r.segAr[s]!);
  }
  v.write(VMCS.GUEST_GDTR_BASE, r.gdtBase);
  v.write(VMCS.GUEST_GDTR_LIMIT, r.gdtLimit);
  v.write(VMCS.GUEST_IDTR_BASE, r.idtBase);
  v.write(VMCS.GUEST_IDTR_LIMIT, r.idtLimit);
  v.write(VMCS.GUEST_SYSENTER_CS, r.sysenterCs);
  v.write(VMCS.GUEST_SYSENTER_ESP, r.sysenterEsp);
  v.write(VMCS.GUEST_SYSENTER_EIP, r.sysenterEip);
  v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, g.interruptibility);
  v.write(VMCS.GUEST_ACTIVITY_STATE, g.activity);
  v.write(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, g.pendingDebug);
}

/**
 * Loads the host-state area on a VM exit or a failed entry (SDM §28.5): flat ring-0 segments from the
 * host selectors (null DS/ES/FS/GS unusable), FS/GS/TR bases from their fields, a busy 32-bit TSS with
 * limit 0x67, an unusable LDTR, GDTR/IDTR limits 0xFFFF, RFLAGS = 2, DR7 = 0x400, no blocking.
 */
export function loadHostState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras): void {
  r.cr0 = ((r.cr0 & CR0_KEPT_BITS) | (v.read(VMCS.HOST_CR0) & ~CR0_KEPT_BITS)) | 0;
  r.cr3 = v.read(VMCS.HOST_CR3) | 0;
  r.cr4 = v.read(VMCS.HOST_CR4) | 0;
  r.dr[7] = 0x400;
  g.debugctl = 0;
  r.sysenterCs = v.read(VMCS.HOST_IA32_SYSENTER_CS) | 0;
  r.sysenterEsp = v.read(VMCS.HOST_IA32_SYSENTER_ESP) | 0;
  r.sysenterEip = v.read(VMCS.HOST_IA32_SYSENTER_EIP) | 0;

  setSeg(r, GuestSeg.CS, v.read(VMCS.HOST_CS_SELECTOR), 0, -1, AR_CODE32_RING0);
  for (const [s, field] of HOST_DATA_SEGS) {
    const sel = v.read(field);
    const base = s === GuestSeg.FS ? v.read(VMCS.HOST_FS_BASE) : s === GuestSeg.GS ? v.read(VMCS.HOST_GS_BASE) : 0;
    if (sel === 0) setSeg(r, s, 0, base, 0, SEG_AR.UNUSABLE);
    else setSeg(r, s, sel, base, -1, AR_DATA32_RING0);
  }
  setSeg(r, TR, v.read(VMCS.HOST_TR_SELECTOR), v.read(VMCS.HOST_TR_BASE), 0x67, AR_TSS32_BUSY);
  setSeg(r, LDTR, 0, 0, 0, SEG_AR.UNUSABLE);
  r.gdtBase = v.read(VMCS.HOST_GDTR_BASE) | 0;
  r.gdtLimit = 0xffff;
  r.idtBase = v.read(VMCS.HOST_IDTR_BASE) | 0;
  r.idtLimit = 0xffff;
  r.regs[ESP] = v.read(VMCS.HOST_RSP);
  r.eip = v.read(VMCS.HOST_RIP) | 0;
  g.rflags = RFLAGS.FIXED1;
  g.interruptibility = 0;
  g.activity = ACTIVITY.ACTIVE;
  g.pendingDebug = 0;
}

const HOST_DATA_SEGS: readonly (readonly [number, number])[] = [
  [GuestSeg.ES, VMCS.HOST_ES_SELECTOR],
  [GuestSeg.SS, VMCS.HOST_SS_SELECTOR],
  [GuestSeg.DS, VMCS.HOST_DS_SELECTOR],
  [GuestSeg.FS, VMCS.HOST_FS_SELECTOR],
  [GuestSeg.GS, VMCS.HOST_GS_SELECTOR],
];

function setSeg(r: VmxRegisterFile, s: number, sel: number, base: number, limit: number, ar: number): void {
  r.segSel[s] = sel;
  r.segBase[s] = base;
  r.segLimit[s] = limit;
  r.segAr[s] = ar;
}

/**
 * The exit-information fields of one VM exit (SDM §28.2), filled by the CPU and written by
 * writeExitInformation. One record is reused for every exit.
 */
export class ExitInformation {
  /** Full exit-reason value (basic reason; bit 31 for entry failures). */
  reason = 0;
  qualification = 0;
  /** Guest-linear address (INS/OUTS, LMSW memory, EPT violations with a linear address...). */
  guestLinear = 0;
  /** Guest-physical address, EPT violations and misconfigurations only. */
  guestPhysical = 0;
  /** VM-exit interruption information (exits due to exceptions, NMIs, external interrupts), 0 otherwise. */
  intrInfo = 0;
  intrErrorCode = 0;
  /** IDT-vectoring information: the event being delivered when the exit happened, 0 if none. */
  idtVectoringInfo = 0;
  idtVectoringErrorCode = 0;
  instructionLength = 0;
  instructionInfo = 0;

  reset(reason: number, qualification = 0): this {
    this.reason = reason;
    this.qualification = qualification;
    this.guestLinear = 0;
    this.guestPhysical = 0;
    this.intrInfo = 0;
    this.intrErrorCode = 0;
    this.idtVectoringInfo = 0;
    this.idtVectoringErrorCode = 0;
    this.instructionLength = 0;
    this.instructionInfo = 0;
    return this;
  }
}

/**
 * Writes the exit-information fields of a VM exit and clears the valid bit of the VM-entry
 * interruption-information field (SDM §28.2.4: every VM exit does). Fields the SDM leaves undefined
 * for a reason are written as the record holds them (0 unless the CPU set them).
 */
export function writeExitInformation(v: Vmcs, x: ExitInformation): void {
  v.write(VMCS.VM_EXIT_REASON, x.reason);
  v.write(VMCS.EXIT_QUALIFICATION, x.qualification);
  v.write(VMCS.GUEST_LINEAR_ADDRESS, x.guestLinear);
  v.write64(VMCS.GUEST_PHYSICAL_ADDRESS, x.guestPhysical, 0);
  v.write(VMCS.VM_EXIT_INTR_INFO, x.intrInfo);
  v.write(VMCS.VM_EXIT_INTR_ERROR_CODE, x.intrErrorCode);
  v.write(VMCS.IDT_VECTORING_INFO_FIELD, x.idtVectoringInfo);
  v.write(VMCS.IDT_VECTORING_ERROR_CODE, x.idtVectoringErrorCode);
  v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, x.instructionLength);
  v.write(VMCS.VMX_INSTRUCTION_INFO, x.instructionInfo);
  const entryInfo = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
  if ((entryInfo & INTR_INFO.VALID) !== 0) v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, entryInfo & ~INTR_INFO.VALID);
}

/**
 * A failed VM entry (SDM §27.8): only the exit reason (basic reason | bit 31) and the qualification
 * are written; guest state is not saved; the CPU then loads host state as on a VM exit.
 */
export function writeEntryFailure(v: Vmcs, basicReason: number, qualification: number): void {
  v.write(VMCS.VM_EXIT_REASON, (basicReason | EXIT_REASON_FAILED_VMENTRY) >>> 0);
  v.write(VMCS.EXIT_QUALIFICATION, qualification);
}

/** Exit reasons whose exits are trap-like: RIP already points past the instruction (SDM §28.1). */
export function isTrapLikeExit(basicReason: number): boolean {
  return basicReason === EXIT_REASON.MONITOR_TRAP_FLAG || basicReason === EXIT_REASON.TPR_BELOW_THRESHOLD || basicReason === EXIT_REASON.APIC_WRITE || basicReason === EXIT_REASON.EOI_INDUCED;
}

