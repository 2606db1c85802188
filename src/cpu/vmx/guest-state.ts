// Moving processor state between the registers and the VMCS: loading guest state on VM entry
// (SDM Vol. 3 §27.3.2), saving it on VM exit (§28.3), loading host state on VM exit (§28.5), and
// writing the exit-information fields (§28.2). Written against VmxRegisterFile, which the CPU's state
// object satisfies structurally; what the register file does not hold travels in GuestExtras.

import { VM_ENTRY, VM_EXIT } from './controls.js';
import { EXIT_REASON, EXIT_REASON_FAILED_VMENTRY } from './exit-reasons.js';
import { GuestSeg, VMCS, guestArField, guestBaseField, guestLimitField, guestSelectorField } from './fields.js';
import { INTR_INFO } from './qualification.js';
import { ACTIVITY, AR_CODE32_RING0, AR_DATA32_RING0, AR_TSS32_BUSY, RFLAGS, SEG_AR } from './state-formats.js';
import { HostBugError } from '../../common/assert.js';
import { VMCS_REGION_SIZE as VMCS_REGION_BYTES } from './capabilities.js';
import { type Vmcs, VmcsDirty, vmcsFieldOffset } from './vmcs.js';

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
const SS = GuestSeg.SS;

/** Dword index of a field's (low) half in a VMCS region (vmcs.ts layout). */
const slot = (encoding: number): number => vmcsFieldOffset(encoding) >>> 2;
const perSeg = (field: (s: number) => number): Int32Array => Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7], (s) => slot(field(s)));
const SEL = perSeg(guestSelectorField);
const BASE = perSeg(guestBaseField);
const LIMIT = perSeg(guestLimitField);
const ARB = perSeg(guestArField);
const G = {
  CR0: slot(VMCS.GUEST_CR0),
  CR3: slot(VMCS.GUEST_CR3),
  CR4: slot(VMCS.GUEST_CR4),
  DR7: slot(VMCS.GUEST_DR7),
  DEBUGCTL: slot(VMCS.GUEST_IA32_DEBUGCTL),
  RSP: slot(VMCS.GUEST_RSP),
  RIP: slot(VMCS.GUEST_RIP),
  RFLAGS: slot(VMCS.GUEST_RFLAGS),
  GDTR_BASE: slot(VMCS.GUEST_GDTR_BASE),
  GDTR_LIMIT: slot(VMCS.GUEST_GDTR_LIMIT),
  IDTR_BASE: slot(VMCS.GUEST_IDTR_BASE),
  IDTR_LIMIT: slot(VMCS.GUEST_IDTR_LIMIT),
  SYSENTER_CS: slot(VMCS.GUEST_SYSENTER_CS),
  SYSENTER_ESP: slot(VMCS.GUEST_SYSENTER_ESP),
  SYSENTER_EIP: slot(VMCS.GUEST_SYSENTER_EIP),
  INTERRUPTIBILITY: slot(VMCS.GUEST_INTERRUPTIBILITY_INFO),
  ACTIVITY: slot(VMCS.GUEST_ACTIVITY_STATE),
  PENDING_DBG: slot(VMCS.GUEST_PENDING_DBG_EXCEPTIONS),
} as const;

/**
 * The region's dwords for direct access (VM entries and exits move ~100 fields; going field by field
 * through Vmcs.read/write costs more than the rest of an exit). The current VMCS passed VMPTRLD's
 * revision check, so it lies inside memory; if it holds decoded code, that is dropped first, as any
 * write would.
 */
function regionDwords(v: Vmcs, writing: boolean): Int32Array {
  const mem = v.mem;
  if (v.base < 0 || v.base + VMCS_REGION_BYTES > mem.size) throw new HostBugError(`VMCS region at ${v.base} outside memory`);
  const frame = v.base >>> 12;
  if (writing && mem.codeFrames[frame] !== 0) mem.onCodeWrite(frame);
  return mem.i32;
}

/** Loads the guest-state area into the registers (after the entry checks passed). */
export function loadGuestState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras, entryControls: number): void {
  const m = regionDwords(v, false);
  const b = v.base >>> 2;
  r.cr0 = ((r.cr0 & CR0_KEPT_BITS) | (m[b + G.CR0]! & ~CR0_KEPT_BITS)) | 0;
  r.cr3 = m[b + G.CR3]!;
  r.cr4 = m[b + G.CR4]!;
  if ((entryControls & VM_ENTRY.LOAD_DEBUG_CONTROLS) !== 0) {
    // Bits 12 and 15:14 of DR7 load as 0, bit 10 as 1.
    r.dr[7] = (m[b + G.DR7]! & ~0xd000) | 0x400;
    g.debugctl = m[b + G.DEBUGCTL]! >>> 0;
  }
  for (let s = 0; s < 8; s++) {
    r.segSel[s] = m[b + SEL[s]!]! & 0xffff;
    r.segBase[s] = m[b + BASE[s]!]!;
    r.segLimit[s] = m[b + LIMIT[s]!]!;
    r.segAr[s] = m[b + ARB[s]!]!;
  }
  r.gdtBase = m[b + G.GDTR_BASE]!;
  r.gdtLimit = m[b + G.GDTR_LIMIT]! >>> 0;
  r.idtBase = m[b + G.IDTR_BASE]!;
  r.idtLimit = m[b + G.IDTR_LIMIT]! >>> 0;
  r.sysenterCs = m[b + G.SYSENTER_CS]!;
  r.sysenterEsp = m[b + G.SYSENTER_ESP]!;
  r.sysenterEip = m[b + G.SYSENTER_EIP]!;
  r.regs[ESP] = m[b + G.RSP]!;
  r.eip = m[b + G.RIP]!;
  g.rflags = m[b + G.RFLAGS]! >>> 0;
  g.interruptibility = m[b + G.INTERRUPTIBILITY]! >>> 0;
  g.activity = m[b + G.ACTIVITY]! >>> 0;
  g.pendingDebug = m[b + G.PENDING_DBG]! >>> 0;
}

/**
 * The part of loadGuestState a VM entry must redo when the registers still hold the guest state the
 * last exit saved and the hypervisor wrote only these fields since (vmcs.ts GuestWrites.CHEAP).
 */
export function loadGuestRegisters(v: Vmcs, r: VmxRegisterFile, g: GuestExtras): void {
  const m = regionDwords(v, false);
  const b = v.base >>> 2;
  r.regs[ESP] = m[b + G.RSP]!;
  r.eip = m[b + G.RIP]!;
  g.rflags = m[b + G.RFLAGS]! >>> 0;
  g.interruptibility = m[b + G.INTERRUPTIBILITY]! >>> 0;
  g.activity = m[b + G.ACTIVITY]! >>> 0;
  g.pendingDebug = m[b + G.PENDING_DBG]! >>> 0;
}

/** Saves the registers into the guest-state area on a VM exit (not on an entry failure). */
export function saveGuestState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras, exitControls: number): void {
  saveGuestRegisters(v, r, g, exitControls);
  saveHeldGuestState(v, r);
  v.dirty |= VmcsDirty.GUEST;
}

/**
 * The part of the guest-state save a lazy VM exit does at once (vm-exit.ts): the fields VM entry
 * re-reads every time (vmcs.ts GuestWrites.CHEAP), SS's access rights (the CPL) and the debug controls. The rest (vmcs.ts HELD)
 * stays in the registers until saveHeldGuestState.
 */
export function saveGuestRegisters(v: Vmcs, r: VmxRegisterFile, g: GuestExtras, exitControls: number): void {
  const m = regionDwords(v, true);
  const b = v.base >>> 2;
  if ((exitControls & VM_EXIT.SAVE_DEBUG_CONTROLS) !== 0) {
    m[b + G.DR7] = r.dr[7]!;
    m[b + G.DEBUGCTL] = g.debugctl;
    m[b + G.DEBUGCTL + 1] = 0;
  }
  m[b + G.RSP] = r.regs[ESP]!;
  m[b + G.RIP] = r.eip;
  m[b + G.RFLAGS] = g.rflags;
  m[b + ARB[SS]!] = r.segAr[SS]!;
  m[b + G.INTERRUPTIBILITY] = g.interruptibility;
  m[b + G.ACTIVITY] = g.activity;
  m[b + G.PENDING_DBG] = g.pendingDebug;
}

/** Saves the vmcs.ts HELD guest-state fields from the registers (leaves the dirty bits alone). */
export function saveHeldGuestState(v: Vmcs, r: VmxRegisterFile): void {
  const m = regionDwords(v, true);
  const b = v.base >>> 2;
  m[b + G.CR0] = r.cr0;
  m[b + G.CR3] = r.cr3;
  m[b + G.CR4] = r.cr4;
  for (let s = 0; s < 8; s++) {
    m[b + SEL[s]!] = r.segSel[s]! & 0xffff;
    m[b + BASE[s]!] = r.segBase[s]!;
    m[b + LIMIT[s]!] = r.segLimit[s]!;
    // SS's access rights are not held (saveGuestRegisters wrote them; a VMWRITE since must stand).
    if (s !== SS) m[b + ARB[s]!] = r.segAr[s]!;
  }
  m[b + G.GDTR_BASE] = r.gdtBase;
  m[b + G.GDTR_LIMIT] = r.gdtLimit;
  m[b + G.IDTR_BASE] = r.idtBase;
  m[b + G.IDTR_LIMIT] = r.idtLimit;
  m[b + G.SYSENTER_CS] = r.sysenterCs;
  m[b + G.SYSENTER_ESP] = r.sysenterEsp;
  m[b + G.SYSENTER_EIP] = r.sysenterEip;
}

const H = {
  CR0: slot(VMCS.HOST_CR0),
  CR3: slot(VMCS.HOST_CR3),
  CR4: slot(VMCS.HOST_CR4),
  SYSENTER_CS: slot(VMCS.HOST_IA32_SYSENTER_CS),
  SYSENTER_ESP: slot(VMCS.HOST_IA32_SYSENTER_ESP),
  SYSENTER_EIP: slot(VMCS.HOST_IA32_SYSENTER_EIP),
  CS: slot(VMCS.HOST_CS_SELECTOR),
  TR: slot(VMCS.HOST_TR_SELECTOR),
  TR_BASE: slot(VMCS.HOST_TR_BASE),
  FS_BASE: slot(VMCS.HOST_FS_BASE),
  GS_BASE: slot(VMCS.HOST_GS_BASE),
  GDTR_BASE: slot(VMCS.HOST_GDTR_BASE),
  IDTR_BASE: slot(VMCS.HOST_IDTR_BASE),
  RSP: slot(VMCS.HOST_RSP),
  RIP: slot(VMCS.HOST_RIP),
} as const;

/**
 * Loads the host-state area on a VM exit or a failed entry (SDM §28.5): flat ring-0 segments from the
 * host selectors (null DS/ES/FS/GS unusable), FS/GS/TR bases from their fields, a busy 32-bit TSS with
 * limit 0x67, an unusable LDTR, GDTR/IDTR limits 0xFFFF, RFLAGS = 2, DR7 = 0x400, no blocking.
 */
export function loadHostState(v: Vmcs, r: VmxRegisterFile, g: GuestExtras): void {
  const m = regionDwords(v, false);
  const b = v.base >>> 2;
  r.cr0 = ((r.cr0 & CR0_KEPT_BITS) | (m[b + H.CR0]! & ~CR0_KEPT_BITS)) | 0;
  r.cr3 = m[b + H.CR3]!;
  r.cr4 = m[b + H.CR4]!;
  r.dr[7] = 0x400;
  g.debugctl = 0;
  r.sysenterCs = m[b + H.SYSENTER_CS]!;
  r.sysenterEsp = m[b + H.SYSENTER_ESP]!;
  r.sysenterEip = m[b + H.SYSENTER_EIP]!;

  setSeg(r, GuestSeg.CS, m[b + H.CS]! & 0xffff, 0, -1, AR_CODE32_RING0);
  for (let i = 0; i < HOST_DATA_SEGS.length; i++) {
    const [s, field] = HOST_DATA_SEGS[i]!;
    const sel = m[b + field]! & 0xffff;
    const base = s === GuestSeg.FS ? m[b + H.FS_BASE]! : s === GuestSeg.GS ? m[b + H.GS_BASE]! : 0;
    if (sel === 0) setSeg(r, s, 0, base, 0, SEG_AR.UNUSABLE);
    else setSeg(r, s, sel, base, -1, AR_DATA32_RING0);
  }
  setSeg(r, TR, m[b + H.TR]! & 0xffff, m[b + H.TR_BASE]!, 0x67, AR_TSS32_BUSY);
  setSeg(r, LDTR, 0, 0, 0, SEG_AR.UNUSABLE);
  r.gdtBase = m[b + H.GDTR_BASE]!;
  r.gdtLimit = 0xffff;
  r.idtBase = m[b + H.IDTR_BASE]!;
  r.idtLimit = 0xffff;
  r.regs[ESP] = m[b + H.RSP]!;
  r.eip = m[b + H.RIP]!;
  g.rflags = RFLAGS.FIXED1;
  g.interruptibility = 0;
  g.activity = ACTIVITY.ACTIVE;
  g.pendingDebug = 0;
}

/** Host data segments and the dword of their selector field. */
const HOST_DATA_SEGS: readonly (readonly [number, number])[] = [
  [GuestSeg.ES, slot(VMCS.HOST_ES_SELECTOR)],
  [GuestSeg.SS, slot(VMCS.HOST_SS_SELECTOR)],
  [GuestSeg.DS, slot(VMCS.HOST_DS_SELECTOR)],
  [GuestSeg.FS, slot(VMCS.HOST_FS_SELECTOR)],
  [GuestSeg.GS, slot(VMCS.HOST_GS_SELECTOR)],
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
  const m = regionDwords(v, true);
  const b = v.base >>> 2;
  m[b + X.REASON] = x.reason;
  m[b + X.QUALIFICATION] = x.qualification;
  m[b + X.LINEAR] = x.guestLinear;
  m[b + X.PHYSICAL] = x.guestPhysical;
  m[b + X.PHYSICAL + 1] = 0;
  m[b + X.INTR_INFO] = x.intrInfo;
  m[b + X.INTR_ERROR] = x.intrErrorCode;
  m[b + X.IDT_INFO] = x.idtVectoringInfo;
  m[b + X.IDT_ERROR] = x.idtVectoringErrorCode;
  m[b + X.LENGTH] = x.instructionLength;
  m[b + X.INSN_INFO] = x.instructionInfo;
  const entryInfo = m[b + X.ENTRY_INFO]!;
  if ((entryInfo & INTR_INFO.VALID) !== 0) m[b + X.ENTRY_INFO] = entryInfo & ~INTR_INFO.VALID;
  v.dirty |= VmcsDirty.EXIT_INFO;
}

const X = {
  REASON: slot(VMCS.VM_EXIT_REASON),
  QUALIFICATION: slot(VMCS.EXIT_QUALIFICATION),
  LINEAR: slot(VMCS.GUEST_LINEAR_ADDRESS),
  PHYSICAL: slot(VMCS.GUEST_PHYSICAL_ADDRESS),
  INTR_INFO: slot(VMCS.VM_EXIT_INTR_INFO),
  INTR_ERROR: slot(VMCS.VM_EXIT_INTR_ERROR_CODE),
  IDT_INFO: slot(VMCS.IDT_VECTORING_INFO_FIELD),
  IDT_ERROR: slot(VMCS.IDT_VECTORING_ERROR_CODE),
  LENGTH: slot(VMCS.VM_EXIT_INSTRUCTION_LEN),
  INSN_INFO: slot(VMCS.VMX_INSTRUCTION_INFO),
  ENTRY_INFO: slot(VMCS.VM_ENTRY_INTR_INFO_FIELD),
} as const;

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

