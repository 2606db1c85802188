// The checks VMLAUNCH/VMRESUME make before entering the guest, in SDM order (Vol. 3 §27.2 controls
// and host state, §27.3.1 guest state; Bochs VMenterLoadCheck{VmControls,HostState,GuestState}).
// Pure: a VMCS view and the capabilities in, a verdict out. Failing controls give VMfailValid(7),
// host state VMfailValid(8), guest state a VM-entry-failure exit (reason 33, bit 31 set).

import {
  CR0,
  MISC,
  type VmxCapabilities,
  controlsAllowed,
  fixedBitsOk,
  physAddrOk,
} from './capabilities.js';
import { CPU_BASED, PIN_BASED, SECONDARY_EXEC, VM_ENTRY, VM_EXIT } from './controls.js';
import { VMX_ERROR } from './errors.js';
import { GuestSeg, VMCS, guestArField, guestBaseField, guestLimitField, guestSelectorField, hostSelectorField } from './fields.js';
import { ENTRY_FAIL, INTR_INFO, INTR_TYPE, exceptionHasErrorCode } from './qualification.js';
import { ACTIVITY, INTERRUPTIBILITY, PENDING_DBG, RFLAGS, SEG_AR, SEG_TYPE, arDpl } from './state-formats.js';
import { type Vmcs, VmcsDirty, regionRevision } from './vmcs.js';
import { eptpValid } from '../mmu/ept.js';

/** Which group of checks failed. */
export const EntryFailure = { NONE: 0, CONTROL: 1, HOST: 2, GUEST: 3 } as const;
export type EntryFailure = (typeof EntryFailure)[keyof typeof EntryFailure];

/** The verdict, written into a record the processor keeps (no allocation per VM entry). */
export class EntryCheckResult {
  failure: EntryFailure = EntryFailure.NONE;
  /** VMfailValid error number for CONTROL (7) and HOST (8) failures. */
  error = 0;
  /** Exit qualification for GUEST failures (ENTRY_FAIL.*). */
  qualification = 0;
  /** The rule that failed, in the SDM's words (for messages and tests); empty when none failed. */
  rule = '';
}

/** What the checks need besides the VMCS. */
export interface EntryContext {
  /** Current-VMCS pointer and VMXON pointer (the VMCS-link pointer may equal neither). */
  readonly vmcsPtr: number;
  readonly vmxonPtr: number;
}

/** IA32_DEBUGCTL bits this processor defines (LBR, BTF); the rest are reserved. */
const DEBUGCTL_DEFINED = 0x3;
const DEBUGCTL_BTF = 0x2;
/** Bit 16 (RTM) is reserved too: no RTM here. */
const PENDING_DBG_RESERVED = (PENDING_DBG.RESERVED | PENDING_DBG.RTM) >>> 0;

function fail(out: EntryCheckResult, failure: EntryFailure, rule: string, qualification: number = ENTRY_FAIL.DEFAULT): false {
  out.failure = failure;
  out.error = failure === EntryFailure.CONTROL ? VMX_ERROR.ENTRY_INVALID_CONTROL_FIELD : failure === EntryFailure.HOST ? VMX_ERROR.ENTRY_INVALID_HOST_STATE_FIELD : 0;
  out.qualification = failure === EntryFailure.GUEST ? qualification : 0;
  out.rule = rule;
  return false;
}

/**
 * Runs every check in order and stops at the first failure. Returns out.failure (NONE on success).
 * `groups` (VmcsDirty bits) limits the work to field groups written since the last time they passed:
 * host and guest checks also read control fields, so a written control re-checks everything.
 */
export function checkVmEntry(v: Vmcs, caps: VmxCapabilities, ctx: EntryContext, out: EntryCheckResult, groups: number = VmcsDirty.ALL): EntryFailure {
  out.failure = EntryFailure.NONE;
  out.error = 0;
  out.qualification = 0;
  out.rule = '';
  const all = (groups & VmcsDirty.CONTROL) !== 0;
  if (all && !checkControls(v, caps, out)) return out.failure;
  if ((all || (groups & VmcsDirty.HOST) !== 0) && !checkHostState(v, caps, out)) return out.failure;
  if (all || (groups & VmcsDirty.GUEST) !== 0) checkGuestState(v, caps, ctx, out);
  return out.failure;
}

/** A 64-bit address field that must be page-aligned and within the physical-address width. */
function pageAddrOk(v: Vmcs, field: number): boolean {
  const lo = v.read(field);
  return (lo & 0xfff) === 0 && physAddrOk(lo, v.readHigh(field));
}

/** An MSR-load/store area: 16-byte aligned, and its last byte within the physical-address width. */
function msrAreaOk(v: Vmcs, addrField: number, countField: number): boolean {
  const count = v.read(countField);
  if (count === 0) return true;
  const lo = v.read(addrField);
  const hi = v.readHigh(addrField);
  if ((lo & 0xf) !== 0 || !physAddrOk(lo, hi)) return false;
  return lo + count * 16 - 1 <= 0xffffffff;
}

// ------------------------------------------------------------------ §27.2.1 VMX controls

/** §27.2.1.1 execution, §27.2.1.2 exit, §27.2.1.3 entry control fields; failures are VMfailValid(7). */
export function checkControls(v: Vmcs, caps: VmxCapabilities, out: EntryCheckResult): boolean {
  const C = EntryFailure.CONTROL;
  const pin = v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL);
  const proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL);
  if (!controlsAllowed(pin, caps.truePinbased)) return fail(out, C, 'pin-based controls outside IA32_VMX_TRUE_PINBASED_CTLS');
  if (!controlsAllowed(proc, caps.trueProcbased)) return fail(out, C, 'primary processor-based controls outside IA32_VMX_TRUE_PROCBASED_CTLS');
  const sec = (proc & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0;
  if (!controlsAllowed(sec, caps.procbased2)) return fail(out, C, 'secondary processor-based controls outside IA32_VMX_PROCBASED_CTLS2');
  if (v.read(VMCS.CR3_TARGET_COUNT) > ((caps.misc.lo >>> 16) & 0x1ff)) return fail(out, C, 'CR3-target count greater than IA32_VMX_MISC 24:16');
  if ((proc & CPU_BASED.USE_IO_BITMAPS) !== 0) {
    if (!pageAddrOk(v, VMCS.IO_BITMAP_A)) return fail(out, C, 'I/O bitmap A address not 4 KiB aligned or beyond the physical-address width');
    if (!pageAddrOk(v, VMCS.IO_BITMAP_B)) return fail(out, C, 'I/O bitmap B address not 4 KiB aligned or beyond the physical-address width');
  }
  if ((proc & CPU_BASED.USE_MSR_BITMAPS) !== 0 && !pageAddrOk(v, VMCS.MSR_BITMAP)) {
    return fail(out, C, 'MSR bitmap address not 4 KiB aligned or beyond the physical-address width');
  }
  if ((pin & PIN_BASED.NMI_EXITING) === 0 && (pin & PIN_BASED.VIRTUAL_NMIS) !== 0) return fail(out, C, 'virtual NMIs without NMI exiting');
  if ((pin & PIN_BASED.VIRTUAL_NMIS) === 0 && (proc & CPU_BASED.NMI_WINDOW_EXITING) !== 0) return fail(out, C, 'NMI-window exiting without virtual NMIs');
  if ((sec & SECONDARY_EXEC.ENABLE_VPID) !== 0 && v.read(VMCS.VIRTUAL_PROCESSOR_ID) === 0) return fail(out, C, 'VPID enabled with VPID 0');
  if ((sec & SECONDARY_EXEC.ENABLE_EPT) !== 0 && !eptpValid(v.read(VMCS.EPT_POINTER), v.readHigh(VMCS.EPT_POINTER), caps)) {
    return fail(out, C, 'invalid EPT pointer');
  }
  if ((sec & SECONDARY_EXEC.UNRESTRICTED_GUEST) !== 0 && (sec & SECONDARY_EXEC.ENABLE_EPT) === 0) return fail(out, C, 'unrestricted guest without EPT');

  const exit = v.read(VMCS.VM_EXIT_CONTROLS);
  if (!controlsAllowed(exit, caps.trueExit)) return fail(out, C, 'VM-exit controls outside IA32_VMX_TRUE_EXIT_CTLS');
  if ((pin & PIN_BASED.VMX_PREEMPTION_TIMER) === 0 && (exit & VM_EXIT.SAVE_VMX_PREEMPTION_TIMER) !== 0) {
    return fail(out, C, 'save VMX-preemption timer value without activating the timer');
  }
  if (!msrAreaOk(v, VMCS.VM_EXIT_MSR_STORE_ADDR, VMCS.VM_EXIT_MSR_STORE_COUNT)) return fail(out, C, 'VM-exit MSR-store area misaligned or beyond the physical-address width');
  if (!msrAreaOk(v, VMCS.VM_EXIT_MSR_LOAD_ADDR, VMCS.VM_EXIT_MSR_LOAD_COUNT)) return fail(out, C, 'VM-exit MSR-load area misaligned or beyond the physical-address width');

  const entry = v.read(VMCS.VM_ENTRY_CONTROLS);
  if (!controlsAllowed(entry, caps.trueEntry)) return fail(out, C, 'VM-entry controls outside IA32_VMX_TRUE_ENTRY_CTLS');
  if ((entry & (VM_ENTRY.SMM | VM_ENTRY.DEACT_DUAL_MONITOR)) !== 0) return fail(out, C, 'entry to SMM or deactivate dual-monitor treatment outside SMM');
  if (!msrAreaOk(v, VMCS.VM_ENTRY_MSR_LOAD_ADDR, VMCS.VM_ENTRY_MSR_LOAD_COUNT)) return fail(out, C, 'VM-entry MSR-load area misaligned or beyond the physical-address width');
  return checkEventInjection(v, caps, out);
}

/** §27.2.1.3: the VM-entry interruption-information field, when valid. */
function checkEventInjection(v: Vmcs, caps: VmxCapabilities, out: EntryCheckResult): boolean {
  const C = EntryFailure.CONTROL;
  const info = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
  if ((info & INTR_INFO.VALID) === 0) return true;
  const vector = info & INTR_INFO.VECTOR_MASK;
  const type = (info >>> INTR_INFO.TYPE_SHIFT) & 7;
  const deliver = (info & INTR_INFO.DELIVER_CODE) !== 0;
  if (type === 1) return fail(out, C, 'event injection: reserved interruption type 1');
  if (type === INTR_TYPE.OTHER_EVENT && (caps.procbased.hi & CPU_BASED.MONITOR_TRAP_FLAG) === 0) {
    return fail(out, C, 'event injection: type 7 without monitor-trap-flag support');
  }
  if (type === INTR_TYPE.NMI && vector !== 2) return fail(out, C, 'event injection: NMI with vector other than 2');
  if (type === INTR_TYPE.HARD_EXCEPTION && vector > 31) return fail(out, C, 'event injection: hardware exception with vector above 31');
  if (type === INTR_TYPE.OTHER_EVENT && vector !== 0) return fail(out, C, 'event injection: other event with vector other than 0');
  // Without unrestricted guest the guest is always in protected mode, so the rule reduces to:
  // deliver an error code exactly for hardware exceptions that push one (IA32_VMX_BASIC[56] = 0).
  const wants = type === INTR_TYPE.HARD_EXCEPTION && exceptionHasErrorCode(vector);
  if (deliver !== wants) return fail(out, C, 'event injection: deliver-error-code bit does not match the vector');
  if ((info & INTR_INFO.ENTRY_RESERVED) !== 0) return fail(out, C, 'event injection: reserved bits 30:12 set');
  if (deliver && (v.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) !== 0) return fail(out, C, 'event injection: error code bits 31:16 set');
  if (type === INTR_TYPE.SOFT_INTR || type === INTR_TYPE.PRIV_SW_EXCEPTION || type === INTR_TYPE.SOFT_EXCEPTION) {
    const len = v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN);
    const min = (caps.misc.lo & MISC.ZERO_LENGTH_INJECTION) !== 0 ? 0 : 1;
    if (len < min || len > 15) return fail(out, C, 'event injection: software event with instruction length outside 1-15');
  }
  return true;
}

// ------------------------------------------------------------------ §27.2.2-§27.2.4 host state

/** Host control registers, selectors and address-space size; failures are VMfailValid(8). */
export function checkHostState(v: Vmcs, caps: VmxCapabilities, out: EntryCheckResult): boolean {
  const H = EntryFailure.HOST;
  if (!fixedBitsOk(v.read(VMCS.HOST_CR0), caps.cr0Fixed0, caps.cr0Fixed1)) return fail(out, H, 'host CR0 violates IA32_VMX_CR0_FIXED0/1');
  if (!fixedBitsOk(v.read(VMCS.HOST_CR4), caps.cr4Fixed0, caps.cr4Fixed1)) return fail(out, H, 'host CR4 violates IA32_VMX_CR4_FIXED0/1');
  // Host CR3 and the host bases are 32-bit natural-width fields: nothing beyond the width to check.
  for (let s = GuestSeg.ES; s <= GuestSeg.GS; s++) {
    if ((v.read(hostSelectorField(s)) & 7) !== 0) return fail(out, H, 'host selector with RPL or TI set');
  }
  const tr = v.read(VMCS.HOST_TR_SELECTOR);
  if ((tr & 7) !== 0) return fail(out, H, 'host TR selector with RPL or TI set');
  if (v.read(VMCS.HOST_CS_SELECTOR) === 0) return fail(out, H, 'host CS selector is 0');
  if (tr === 0) return fail(out, H, 'host TR selector is 0');
  const exit = v.read(VMCS.VM_EXIT_CONTROLS);
  if ((exit & VM_EXIT.HOST_ADDR_SPACE_SIZE) === 0 && v.read(VMCS.HOST_SS_SELECTOR) === 0) return fail(out, H, 'host SS selector is 0');
  // §27.2.4: a processor without Intel 64 needs host address-space size and IA-32e mode guest clear.
  if ((exit & VM_EXIT.HOST_ADDR_SPACE_SIZE) !== 0 || (v.read(VMCS.VM_ENTRY_CONTROLS) & VM_ENTRY.IA32E_MODE) !== 0) {
    return fail(out, H, 'host address-space size or IA-32e mode guest on a processor without Intel 64');
  }
  return true;
}

// ------------------------------------------------------------------ §27.3.1 guest state

/** G must be 0 if any of limit 11:0 is 0, and 1 if any of limit 31:20 is 1 (SDM §27.3.1.2). */
function granularityOk(limit: number, ar: number): boolean {
  const g = (ar & SEG_AR.G) !== 0;
  return g ? (limit & 0xfff) === 0xfff : (limit & 0xfff00000) === 0;
}

/** Guest state checks; a failure is a VM-entry failure (exit reason 33 | bit 31). */
export function checkGuestState(v: Vmcs, caps: VmxCapabilities, ctx: EntryContext, out: EntryCheckResult): boolean {
  const G = EntryFailure.GUEST;
  const proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL);
  const sec = (proc & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0;
  const unrestricted = (sec & SECONDARY_EXEC.UNRESTRICTED_GUEST) !== 0;
  const entry = v.read(VMCS.VM_ENTRY_CONTROLS);

  // §27.3.1.1 control registers, debug registers, MSRs
  const cr0 = v.read(VMCS.GUEST_CR0);
  const fixed0 = unrestricted ? caps.cr0Fixed0 & ~(CR0.PE | CR0.PG) : caps.cr0Fixed0;
  if (!fixedBitsOk(cr0, fixed0, caps.cr0Fixed1)) return fail(out, G, 'guest CR0 violates IA32_VMX_CR0_FIXED0/1');
  if ((cr0 & CR0.PG) !== 0 && (cr0 & CR0.PE) === 0) return fail(out, G, 'guest CR0.PG set without CR0.PE');
  if (!fixedBitsOk(v.read(VMCS.GUEST_CR4), caps.cr4Fixed0, caps.cr4Fixed1)) return fail(out, G, 'guest CR4 violates IA32_VMX_CR4_FIXED0/1');
  const debugctl = v.read(VMCS.GUEST_IA32_DEBUGCTL);
  if ((entry & VM_ENTRY.LOAD_DEBUG_CONTROLS) !== 0 && ((debugctl & ~DEBUGCTL_DEFINED) !== 0 || v.readHigh(VMCS.GUEST_IA32_DEBUGCTL) !== 0)) {
    return fail(out, G, 'guest IA32_DEBUGCTL reserved bits set');
  }

  // §27.3.1.2 segment registers
  const rflags = v.read(VMCS.GUEST_RFLAGS);
  const v86 = (rflags & RFLAGS.VM) !== 0;
  const csSel = v.read(VMCS.GUEST_CS_SELECTOR);
  const ssSel = v.read(VMCS.GUEST_SS_SELECTOR);
  if ((v.read(VMCS.GUEST_TR_SELECTOR) & 4) !== 0) return fail(out, G, 'guest TR selector TI flag set');
  const ldtrAr = v.read(VMCS.GUEST_LDTR_AR_BYTES);
  if ((ldtrAr & SEG_AR.UNUSABLE) === 0 && (v.read(VMCS.GUEST_LDTR_SELECTOR) & 4) !== 0) return fail(out, G, 'guest LDTR selector TI flag set');
  if (!v86 && !unrestricted && (ssSel & 3) !== (csSel & 3)) return fail(out, G, 'guest SS.RPL differs from CS.RPL');

  if (v86) {
    for (let s = GuestSeg.ES; s <= GuestSeg.GS; s++) {
      const sel = v.read(guestSelectorField(s));
      if (v.read(guestBaseField(s)) !== sel << 4) return fail(out, G, 'virtual-8086 guest segment base is not selector << 4');
      if (v.read(guestLimitField(s)) !== 0xffff) return fail(out, G, 'virtual-8086 guest segment limit is not 0xFFFF');
      if (v.read(guestArField(s)) !== 0xf3) return fail(out, G, 'virtual-8086 guest segment access rights are not 0xF3');
    }
  } else if (!checkProtectedModeSegments(v, unrestricted, cr0, out)) {
    return false;
  }
  if (!checkSystemSegments(v, out)) return false;

  // §27.3.1.3 descriptor-table registers
  if ((v.read(VMCS.GUEST_GDTR_LIMIT) & 0xffff0000) !== 0 || (v.read(VMCS.GUEST_IDTR_LIMIT) & 0xffff0000) !== 0) {
    return fail(out, G, 'guest GDTR/IDTR limit bits 31:16 set');
  }

  // §27.3.1.4 RIP and RFLAGS (RIP is 32 bits wide here: nothing to check)
  if ((rflags & RFLAGS.RESERVED) !== 0 || (rflags & RFLAGS.FIXED1) === 0) return fail(out, G, 'guest RFLAGS reserved bits wrong');
  if (v86 && (cr0 & CR0.PE) === 0) return fail(out, G, 'guest RFLAGS.VM set with CR0.PE clear');
  const injInfo = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
  const injecting = (injInfo & INTR_INFO.VALID) !== 0;
  const injType = (injInfo >>> INTR_INFO.TYPE_SHIFT) & 7;
  const injVector = injInfo & INTR_INFO.VECTOR_MASK;
  if (injecting && injType === INTR_TYPE.EXT_INTR && (rflags & RFLAGS.IF) === 0) return fail(out, G, 'injecting an external interrupt with RFLAGS.IF clear');

  // §27.3.1.5 non-register state
  const activity = v.read(VMCS.GUEST_ACTIVITY_STATE);
  const supported = activity === ACTIVITY.ACTIVE || (activity <= ACTIVITY.WAIT_SIPI && (caps.misc.lo & (MISC.ACTIVITY_HLT << (activity - 1))) !== 0);
  if (!supported) return fail(out, G, 'guest activity state not supported (IA32_VMX_MISC 8:6)');
  if (activity === ACTIVITY.HLT && arDpl(v.read(VMCS.GUEST_SS_AR_BYTES)) !== 0) return fail(out, G, 'guest HLT activity state with SS.DPL not 0');
  const intr = v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO);
  if ((intr & (INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS)) !== 0 && activity !== ACTIVITY.ACTIVE) {
    return fail(out, G, 'guest blocking by STI or MOV SS outside the active state');
  }
  if (injecting && activity === ACTIVITY.HLT) {
    const ok =
      injType === INTR_TYPE.EXT_INTR ||
      injType === INTR_TYPE.NMI ||
      (injType === INTR_TYPE.HARD_EXCEPTION && (injVector === 1 || injVector === 18)) ||
      (injType === INTR_TYPE.OTHER_EVENT && injVector === 0);
    if (!ok) return fail(out, G, 'event injection into a halted guest of a type HLT state cannot take');
  }
  if ((intr & (INTERRUPTIBILITY.RESERVED | INTERRUPTIBILITY.ENCLAVE)) !== 0) return fail(out, G, 'guest interruptibility reserved bits set');
  if ((intr & INTERRUPTIBILITY.STI) !== 0 && (intr & INTERRUPTIBILITY.MOV_SS) !== 0) return fail(out, G, 'guest blocking by both STI and MOV SS');
  if ((intr & INTERRUPTIBILITY.STI) !== 0 && (rflags & RFLAGS.IF) === 0) return fail(out, G, 'guest blocking by STI with RFLAGS.IF clear');
  if (injecting && injType === INTR_TYPE.EXT_INTR && (intr & (INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS)) !== 0) {
    return fail(out, G, 'injecting an external interrupt while blocked by STI or MOV SS');
  }
  // The SDM requires MOV-SS blocking clear for NMI injection and lets a processor also require STI
  // blocking clear; this one does, as Bochs does.
  if (injecting && injType === INTR_TYPE.NMI && (intr & (INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS)) !== 0) {
    return fail(out, G, 'injecting an NMI while blocked by STI or MOV SS');
  }
  if ((intr & INTERRUPTIBILITY.SMI) !== 0) return fail(out, G, 'guest blocking by SMI outside SMM');

  const pending = v.read(VMCS.GUEST_PENDING_DBG_EXCEPTIONS);
  if ((pending & PENDING_DBG_RESERVED) !== 0) return fail(out, G, 'guest pending debug exceptions reserved bits set');
  if ((intr & (INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS)) !== 0 || activity === ACTIVITY.HLT) {
    const bsWanted = (rflags & RFLAGS.TF) !== 0 && (debugctl & DEBUGCTL_BTF) === 0;
    if (((pending & PENDING_DBG.BS) !== 0) !== bsWanted) return fail(out, G, 'guest pending BS does not match RFLAGS.TF and DEBUGCTL.BTF');
  }

  const linkLo = v.read(VMCS.VMCS_LINK_POINTER);
  const linkHi = v.readHigh(VMCS.VMCS_LINK_POINTER);
  if ((linkLo & linkHi) !== -1) {
    const q = ENTRY_FAIL.VMCS_LINK_PTR;
    if ((linkLo & 0xfff) !== 0 || !physAddrOk(linkLo, linkHi)) return fail(out, G, 'VMCS link pointer misaligned or beyond the physical-address width', q);
    // With VMCS shadowing 0, bit 31 of the revision must be 0 as well: compare the whole dword.
    if (regionRevision(v.mem, linkLo) !== caps.basic.lo) return fail(out, G, 'VMCS link pointer revision identifier mismatch', q);
    if (linkLo === ctx.vmcsPtr) return fail(out, G, 'VMCS link pointer equals the current-VMCS pointer', q);
  }
  // §27.3.1.6: PDPTE checks apply only to PAE paging, which this processor does not implement.
  return true;
}

/** CS, SS, DS, ES, FS, GS outside virtual-8086 mode (§27.3.1.2, "Access-rights fields"). */
function checkProtectedModeSegments(v: Vmcs, unrestricted: boolean, cr0: number, out: EntryCheckResult): boolean {
  const G = EntryFailure.GUEST;
  const csAr = v.read(VMCS.GUEST_CS_AR_BYTES);
  const ssAr = v.read(VMCS.GUEST_SS_AR_BYTES);
  const ssSel = v.read(VMCS.GUEST_SS_SELECTOR);
  const csType = csAr & SEG_AR.TYPE_MASK;

  // CS (always usable)
  const csTypeOk = csType === 9 || csType === 11 || csType === 13 || csType === 15 || (unrestricted && csType === 3);
  if (!csTypeOk) return fail(out, G, 'guest CS type is not an accessed code segment');
  if ((csAr & SEG_AR.S) === 0) return fail(out, G, 'guest CS is a system segment');
  if (csType === 3 && arDpl(csAr) !== 0) return fail(out, G, 'guest CS of type 3 with DPL not 0');
  if ((csType === 9 || csType === 11) && arDpl(csAr) !== arDpl(ssAr)) return fail(out, G, 'guest non-conforming CS.DPL differs from SS.DPL');
  if ((csType === 13 || csType === 15) && arDpl(csAr) > arDpl(ssAr)) return fail(out, G, 'guest conforming CS.DPL greater than SS.DPL');
  if ((csAr & SEG_AR.P) === 0) return fail(out, G, 'guest CS not present');
  if ((csAr & SEG_AR.RESERVED) !== 0) return fail(out, G, 'guest CS access-rights reserved bits set');
  if (!granularityOk(v.read(VMCS.GUEST_CS_LIMIT), csAr)) return fail(out, G, 'guest CS limit inconsistent with G');

  // SS
  if ((ssAr & SEG_AR.UNUSABLE) === 0) {
    const t = ssAr & SEG_AR.TYPE_MASK;
    if (t !== 3 && t !== 7) return fail(out, G, 'guest SS type is not a read/write data segment');
    if ((ssAr & SEG_AR.S) === 0) return fail(out, G, 'guest SS is a system segment');
    if ((ssAr & SEG_AR.P) === 0) return fail(out, G, 'guest SS not present');
    if ((ssAr & SEG_AR.RESERVED) !== 0) return fail(out, G, 'guest SS access-rights reserved bits set');
    if (!granularityOk(v.read(VMCS.GUEST_SS_LIMIT), ssAr)) return fail(out, G, 'guest SS limit inconsistent with G');
  }
  if (!unrestricted && arDpl(ssAr) !== (ssSel & 3)) return fail(out, G, 'guest SS.DPL differs from SS.RPL');
  if (unrestricted && (csType === 3 || (cr0 & CR0.PE) === 0) && arDpl(ssAr) !== 0) return fail(out, G, 'guest SS.DPL not 0 in real mode');

  // DS, ES, FS, GS
  for (const s of DATA_SEGS) {
    const ar = v.read(guestArField(s));
    if ((ar & SEG_AR.UNUSABLE) !== 0) continue;
    const t = ar & SEG_AR.TYPE_MASK;
    if ((t & SEG_AR.TYPE_ACCESSED) === 0) return fail(out, G, 'guest data segment not accessed');
    if ((t & SEG_AR.TYPE_CODE) !== 0 && (t & SEG_AR.TYPE_RW) === 0) return fail(out, G, 'guest data-segment register holds an unreadable code segment');
    if ((ar & SEG_AR.S) === 0) return fail(out, G, 'guest data-segment register holds a system segment');
    if (!unrestricted && t <= 11 && arDpl(ar) < (v.read(guestSelectorField(s)) & 3)) return fail(out, G, 'guest data segment DPL below its RPL');
    if ((ar & SEG_AR.P) === 0) return fail(out, G, 'guest data segment not present');
    if ((ar & SEG_AR.RESERVED) !== 0) return fail(out, G, 'guest data segment access-rights reserved bits set');
    if (!granularityOk(v.read(guestLimitField(s)), ar)) return fail(out, G, 'guest data segment limit inconsistent with G');
  }
  return true;
}

const DATA_SEGS = [GuestSeg.DS, GuestSeg.ES, GuestSeg.FS, GuestSeg.GS] as const;

/** TR (always usable) and LDTR (if usable). */
function checkSystemSegments(v: Vmcs, out: EntryCheckResult): boolean {
  const G = EntryFailure.GUEST;
  const trAr = v.read(VMCS.GUEST_TR_AR_BYTES);
  const trType = trAr & SEG_AR.TYPE_MASK;
  if (trType !== SEG_TYPE.TSS32_BUSY && trType !== SEG_TYPE.TSS16_BUSY) return fail(out, G, 'guest TR is not a busy TSS');
  if ((trAr & SEG_AR.S) !== 0) return fail(out, G, 'guest TR is not a system segment');
  if ((trAr & SEG_AR.P) === 0) return fail(out, G, 'guest TR not present');
  if ((trAr & SEG_AR.RESERVED) !== 0) return fail(out, G, 'guest TR access-rights reserved bits set');
  if (!granularityOk(v.read(VMCS.GUEST_TR_LIMIT), trAr)) return fail(out, G, 'guest TR limit inconsistent with G');
  if ((trAr & SEG_AR.UNUSABLE) !== 0) return fail(out, G, 'guest TR unusable');

  const ldtrAr = v.read(VMCS.GUEST_LDTR_AR_BYTES);
  if ((ldtrAr & SEG_AR.UNUSABLE) === 0) {
    if ((ldtrAr & SEG_AR.TYPE_MASK) !== SEG_TYPE.LDT) return fail(out, G, 'guest LDTR is not an LDT');
    if ((ldtrAr & SEG_AR.S) !== 0) return fail(out, G, 'guest LDTR is not a system segment');
    if ((ldtrAr & SEG_AR.P) === 0) return fail(out, G, 'guest LDTR not present');
    if ((ldtrAr & SEG_AR.RESERVED) !== 0) return fail(out, G, 'guest LDTR access-rights reserved bits set');
    if (!granularityOk(v.read(VMCS.GUEST_LDTR_LIMIT), ldtrAr)) return fail(out, G, 'guest LDTR limit inconsistent with G');
  }
  return true;
}
