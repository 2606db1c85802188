// The VMX instructions (SDM Vol. 3 §31.3, the pseudocode of VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST,
// VMREAD, VMWRITE, VMLAUNCH/VMRESUME, VMCALL, INVEPT, INVVPID) as functions over a small processor
// interface. They set RFLAGS as VMsucceed / VMfailInvalid / VMfailValid(n) (SDM §31.2) and return an
// outcome the CPU acts on (#UD, #GP(0), a VM exit, entering the guest). The CPU decodes the operands
// and passes register values; memory operands are read through the interface at the point the SDM
// reads them, so a #PF there comes after the checks that precede it.

import { CR0, CR4, EPT_CAP, FEATURE_CONTROL, VPID_CAP, fixedBitsOk, physAddrOk } from './capabilities.js';
import { SECONDARY_EXEC } from './controls.js';
import { EntryFailure, checkVmEntry } from './entry-checks.js';
import { VMX_ERROR } from './errors.js';
import { EXIT_REASON } from './exit-reasons.js';
import { INVALID_VMCS_POINTER, LaunchState, VmcsDirty, regionRevision, setRegionLaunchState, vmcsFieldOffset, vmcsFieldReadOnly } from './vmcs.js';
import type { VmxState } from './vmx-state.js';
import { VMCS } from './fields.js';
import { eptpValid } from '../mmu/ept.js';

/** What the CPU does after a VMX instruction. */
export const VmxOutcome = {
  /** The instruction completed; RFLAGS tell success or failure. Continue after it. */
  DONE: 0,
  /** Raise #UD. */
  UD: 1,
  /** Raise #GP(0). */
  GP: 2,
  /** VMX non-root: the instruction causes a VM exit with its reason (VMX_INSTRUCTION_EXIT_REASON). */
  VM_EXIT: 3,
  /** VMLAUNCH/VMRESUME passed every check: load guest state and MSRs, then commitVmEntry(). */
  ENTER: 4,
  /** VM entry failed on guest state: exit with reason 33 | bit 31 and vmx.entryCheck.qualification. */
  ENTRY_FAILED: 5,
} as const;
export type VmxOutcome = (typeof VmxOutcome)[keyof typeof VmxOutcome];

/** The basic exit reason each VMX instruction gives in VMX non-root operation (SDM Appendix C). */
export const VMX_INSTRUCTION_EXIT_REASON = {
  VMCALL: EXIT_REASON.VMCALL,
  VMCLEAR: EXIT_REASON.VMCLEAR,
  VMLAUNCH: EXIT_REASON.VMLAUNCH,
  VMPTRLD: EXIT_REASON.VMPTRLD,
  VMPTRST: EXIT_REASON.VMPTRST,
  VMREAD: EXIT_REASON.VMREAD,
  VMRESUME: EXIT_REASON.VMRESUME,
  VMWRITE: EXIT_REASON.VMWRITE,
  VMXOFF: EXIT_REASON.VMOFF,
  VMXON: EXIT_REASON.VMON,
  INVEPT: EXIT_REASON.INVEPT,
  INVVPID: EXIT_REASON.INVVPID,
} as const;

/** TLB invalidations INVEPT/INVVPID ask of the processor (SDM §29.4.3). */
export const TlbInvalidation = {
  /** Mappings derived from one EPTP (`address` = the EPTP's low dword). */
  EPT_SINGLE_CONTEXT: 0,
  /** Mappings derived from any EPTP. */
  EPT_ALL_CONTEXT: 1,
  /** One linear address (`address`) for one VPID (`vpid`). */
  VPID_INDIVIDUAL_ADDRESS: 2,
  /** Every mapping tagged `vpid`. */
  VPID_SINGLE_CONTEXT: 3,
  /** Every mapping tagged with any VPID except 0. */
  VPID_ALL_CONTEXT: 4,
  /** Every non-global mapping tagged `vpid`. */
  VPID_SINGLE_CONTEXT_NON_GLOBAL: 5,
} as const;
export type TlbInvalidation = (typeof TlbInvalidation)[keyof typeof TlbInvalidation];

/** What the VMX instructions read and change in the processor. The CPU implements it (phase 2). */
export interface VmxCpuState {
  readonly vmx: VmxState;
  readonly cpl: number;
  readonly cr0: number;
  readonly cr4: number;
  /** RFLAGS.VM: virtual-8086 mode. */
  readonly v8086: boolean;
  /** The IA32_FEATURE_CONTROL MSR. */
  readonly featureControl: number;
  /** The instruction follows MOV SS / POP SS, so events are blocked by MOV SS. */
  readonly blockedByMovSs: boolean;
  /** Sets CF and ZF as given and clears PF, AF, SF and OF (SDM §31.2). */
  setVmxFlags(cf: boolean, zf: boolean): void;
  /** Dword `index` (0-3) of the m64/m128 memory operand; may raise the CPU's fault (#PF, #GP, #SS). */
  readMemOperand(index: number): number;
  /** Writes dword `index` of the m64 memory operand (VMPTRST); may raise a fault. */
  writeMemOperand(index: number, value: number): void;
  /** VMWRITE's r/m32 source operand. */
  readRmOperand(): number;
  /** VMREAD's r/m32 destination operand. */
  writeRmOperand(value: number): void;
  /** Invalidates TLB entries (INVEPT, INVVPID). Invalidating more than asked is always allowed. */
  invalidateTlb(kind: TlbInvalidation, vpid: number, address: number): void;
}

const PROCEED = -1;

function succeed(cpu: VmxCpuState): VmxOutcome {
  cpu.setVmxFlags(false, false);
  return VmxOutcome.DONE;
}

function failInvalid(cpu: VmxCpuState): VmxOutcome {
  cpu.setVmxFlags(true, false);
  return VmxOutcome.DONE;
}

/** VMfail(error): VMfailValid with the error in the current VMCS if there is one, else VMfailInvalid. */
function fail(cpu: VmxCpuState, error: number): VmxOutcome {
  const vmx = cpu.vmx;
  if (!vmx.hasCurrentVmcs) return failInvalid(cpu);
  vmx.vmcs.write(VMCS.VM_INSTRUCTION_ERROR, error);
  cpu.setVmxFlags(false, true);
  return VmxOutcome.DONE;
}

/**
 * The checks every VMX instruction but VMXON and VMCALL starts with: #UD outside VMX operation, outside
 * protected mode or in virtual-8086 mode; a VM exit in non-root operation; #GP(0) above CPL 0.
 */
function preflight(cpu: VmxCpuState): number {
  if (!cpu.vmx.on || (cpu.cr0 & CR0.PE) === 0 || cpu.v8086) return VmxOutcome.UD;
  if (cpu.vmx.nonRoot) return VmxOutcome.VM_EXIT;
  if (cpu.cpl > 0) return VmxOutcome.GP;
  return PROCEED;
}

/** A 4 KiB-aligned pointer within the physical-address width (VMXON, VMCLEAR, VMPTRLD operands). */
function pointerOk(lo: number, hi: number): boolean {
  return (lo & 0xfff) === 0 && physAddrOk(lo, hi);
}

export function vmxon(cpu: VmxCpuState): VmxOutcome {
  const vmx = cpu.vmx;
  const caps = vmx.caps;
  if ((cpu.cr4 & CR4.VMXE) === 0 || (cpu.cr0 & CR0.PE) === 0 || cpu.v8086) return VmxOutcome.UD;
  if (!vmx.on) {
    const fc = cpu.featureControl;
    if (
      cpu.cpl > 0 ||
      !fixedBitsOk(cpu.cr0, caps.cr0Fixed0, caps.cr0Fixed1) ||
      !fixedBitsOk(cpu.cr4, caps.cr4Fixed0, caps.cr4Fixed1) ||
      (fc & FEATURE_CONTROL.LOCKED) === 0 ||
      (fc & FEATURE_CONTROL.VMXON_ENABLED_OUTSIDE_SMX) === 0
    ) {
      return VmxOutcome.GP;
    }
    const lo = cpu.readMemOperand(0) >>> 0;
    const hi = cpu.readMemOperand(1) >>> 0;
    if (!pointerOk(lo, hi)) return failInvalid(cpu);
    // The whole dword must match: bit 31 (shadow-VMCS indicator) must be 0 in a VMXON region.
    if (regionRevision(vmx.vmcs.mem, lo) !== caps.basic.lo) return failInvalid(cpu);
    vmx.on = true;
    vmx.vmxonPtr = lo;
    vmx.vmcs.base = INVALID_VMCS_POINTER;
    return succeed(cpu);
  }
  if (vmx.nonRoot) return VmxOutcome.VM_EXIT;
  if (cpu.cpl > 0) return VmxOutcome.GP;
  return fail(cpu, VMX_ERROR.VMXON_IN_VMX_ROOT_OPERATION);
}

export function vmxoff(cpu: VmxCpuState): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  // No dual-monitor treatment of SMM here, so VMXOFF always succeeds.
  const vmx = cpu.vmx;
  vmx.on = false;
  vmx.vmxonPtr = 0;
  vmx.vmcs.base = INVALID_VMCS_POINTER;
  return succeed(cpu);
}

export function vmclear(cpu: VmxCpuState): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const vmx = cpu.vmx;
  const lo = cpu.readMemOperand(0) >>> 0;
  const hi = cpu.readMemOperand(1) >>> 0;
  if (!pointerOk(lo, hi)) return fail(cpu, VMX_ERROR.VMCLEAR_INVALID_ADDRESS);
  if (lo === vmx.vmxonPtr) return fail(cpu, VMX_ERROR.VMCLEAR_VMXON_POINTER);
  // Our VMCS data is always in memory; "initialize implementation-specific data" is the launch state.
  setRegionLaunchState(vmx.vmcs.mem, lo, LaunchState.CLEAR);
  if (lo === vmx.vmcsPtr) vmx.vmcs.base = INVALID_VMCS_POINTER;
  return succeed(cpu);
}

export function vmptrld(cpu: VmxCpuState): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const vmx = cpu.vmx;
  const lo = cpu.readMemOperand(0) >>> 0;
  const hi = cpu.readMemOperand(1) >>> 0;
  if (!pointerOk(lo, hi)) return fail(cpu, VMX_ERROR.VMPTRLD_INVALID_ADDRESS);
  if (lo === vmx.vmxonPtr) return fail(cpu, VMX_ERROR.VMPTRLD_VMXON_POINTER);
  // Bit 31 set (a shadow VMCS) also mismatches: VMCS shadowing is not supported.
  if (regionRevision(vmx.vmcs.mem, lo) !== vmx.caps.basic.lo) return fail(cpu, VMX_ERROR.VMPTRLD_INCORRECT_VMCS_REVISION_ID);
  vmx.vmcs.base = lo;
  vmx.vmcs.dirty = VmcsDirty.ALL;
  return succeed(cpu);
}

export function vmptrst(cpu: VmxCpuState): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const ptr = cpu.vmx.vmcsPtr;
  cpu.writeMemOperand(0, ptr);
  cpu.writeMemOperand(1, ptr === INVALID_VMCS_POINTER ? -1 : 0);
  return succeed(cpu);
}

/** VMREAD: `encoding` is the value of the register operand; the field goes to the r/m32 destination. */
export function vmread(cpu: VmxCpuState, encoding: number): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const vmx = cpu.vmx;
  if (!vmx.hasCurrentVmcs) return failInvalid(cpu);
  if (vmcsFieldOffset(encoding) < 0) return fail(cpu, VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT);
  cpu.writeRmOperand(vmx.vmcs.read(encoding));
  return succeed(cpu);
}

/** VMWRITE: `encoding` is the value of the register operand; the value comes from the r/m32 source. */
export function vmwrite(cpu: VmxCpuState, encoding: number): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const vmx = cpu.vmx;
  if (!vmx.hasCurrentVmcs) return failInvalid(cpu);
  const value = cpu.readRmOperand();
  if (vmcsFieldOffset(encoding) < 0) return fail(cpu, VMX_ERROR.UNSUPPORTED_VMCS_COMPONENT);
  if (vmcsFieldReadOnly(encoding)) return fail(cpu, VMX_ERROR.VMWRITE_READ_ONLY_VMCS_COMPONENT);
  vmx.vmcs.write(encoding, value);
  return succeed(cpu);
}

/**
 * VMLAUNCH (`launch` true) and VMRESUME. On ENTER the CPU loads the guest state (guest-state.ts),
 * the VM-entry MSR-load area, the controls (vmx.controls.load), and calls commitVmEntry.
 */
export function vmlaunch(cpu: VmxCpuState, launch: boolean): VmxOutcome {
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  const vmx = cpu.vmx;
  if (!vmx.hasCurrentVmcs) return failInvalid(cpu);
  if (cpu.blockedByMovSs) return fail(cpu, VMX_ERROR.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
  const state = vmx.vmcs.launchState;
  if (launch && state !== LaunchState.CLEAR) return fail(cpu, VMX_ERROR.VMLAUNCH_NONCLEAR_VMCS);
  if (!launch && state !== LaunchState.LAUNCHED) return fail(cpu, VMX_ERROR.VMRESUME_NONLAUNCHED_VMCS);
  switch (checkVmEntry(vmx.vmcs, vmx.caps, vmx, vmx.entryCheck, vmx.vmcs.dirty)) {
    case EntryFailure.NONE:
      // Everything passed: only fields written from now on need checking again.
      if ((vmx.vmcs.dirty & VmcsDirty.CONTROL) !== 0) vmx.controlsStale = true;
      vmx.vmcs.dirty = 0;
      return VmxOutcome.ENTER;
    case EntryFailure.GUEST: return VmxOutcome.ENTRY_FAILED;
    default: return fail(cpu, vmx.entryCheck.error);
  }
}

/**
 * The end of a successful VM entry (after guest state and MSRs loaded): a VMLAUNCH marks the VMCS
 * launched, and the processor is in non-root operation. A successful entry does not touch RFLAGS
 * (the guest's RFLAGS were just loaded).
 */
export function commitVmEntry(vmx: VmxState, launch: boolean): void {
  if (launch) vmx.vmcs.launchState = LaunchState.LAUNCHED;
  // Non-root operation works from a copy of the controls, refreshed when they may have changed.
  if (vmx.controlsStale || vmx.controlsFrom !== vmx.vmcsPtr) {
    vmx.controls.load(vmx.vmcs);
    vmx.controlsStale = false;
    vmx.controlsFrom = vmx.vmcsPtr;
  }
  vmx.nonRoot = true;
}

/**
 * VMCALL: outside VMX operation #UD; in non-root a VM exit (always); in root it would call the SMM
 * monitor, which needs dual-monitor treatment this processor lacks: VMfail(1).
 */
export function vmcall(cpu: VmxCpuState): VmxOutcome {
  const vmx = cpu.vmx;
  if (!vmx.on) return VmxOutcome.UD;
  if (vmx.nonRoot) return VmxOutcome.VM_EXIT;
  if (cpu.v8086) return VmxOutcome.UD;
  if (cpu.cpl > 0) return VmxOutcome.GP;
  return fail(cpu, VMX_ERROR.VMCALL_IN_VMX_ROOT_OPERATION);
}

/** INVEPT: `type` is the register operand (1 single-context, 2 all-context); the descriptor is m128. */
export function invept(cpu: VmxCpuState, type: number): VmxOutcome {
  const caps = cpu.vmx.caps;
  if ((caps.procbased2.hi & SECONDARY_EXEC.ENABLE_EPT) === 0 || (caps.eptVpidCap.lo & EPT_CAP.INVEPT) === 0) return VmxOutcome.UD;
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  type >>>= 0;
  const supported =
    (type === 1 && (caps.eptVpidCap.lo & EPT_CAP.INVEPT_SINGLE_CONTEXT) !== 0) ||
    (type === 2 && (caps.eptVpidCap.lo & EPT_CAP.INVEPT_ALL_CONTEXT) !== 0);
  if (!supported) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  const eptpLo = cpu.readMemOperand(0) >>> 0;
  const eptpHi = cpu.readMemOperand(1) >>> 0;
  cpu.readMemOperand(2);
  cpu.readMemOperand(3);
  if (type === 1) {
    if (!eptpValid(eptpLo, eptpHi, caps)) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
    cpu.invalidateTlb(TlbInvalidation.EPT_SINGLE_CONTEXT, 0, eptpLo);
  } else {
    cpu.invalidateTlb(TlbInvalidation.EPT_ALL_CONTEXT, 0, 0);
  }
  return succeed(cpu);
}

/**
 * INVVPID: `type` is the register operand (0 individual address, 1 single context, 2 all contexts,
 * 3 single context retaining globals); the m128 descriptor holds the VPID (bits 15:0, 63:16 reserved)
 * and a linear address (bits 127:64).
 */
export function invvpid(cpu: VmxCpuState, type: number): VmxOutcome {
  const caps = cpu.vmx.caps;
  if ((caps.procbased2.hi & SECONDARY_EXEC.ENABLE_VPID) === 0 || (caps.eptVpidCap.hi & VPID_CAP.INVVPID) === 0) return VmxOutcome.UD;
  const o = preflight(cpu);
  if (o !== PROCEED) return o as VmxOutcome;
  type >>>= 0;
  if (type > 3 || (caps.eptVpidCap.hi & (VPID_CAP.INDIVIDUAL_ADDRESS << type)) === 0) {
    return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  }
  const d0 = cpu.readMemOperand(0);
  const d1 = cpu.readMemOperand(1);
  const addrLo = cpu.readMemOperand(2) >>> 0;
  const addrHi = cpu.readMemOperand(3);
  const vpid = d0 & 0xffff;
  if ((d0 & 0xffff0000) !== 0 || d1 !== 0) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  switch (type) {
    case 0:
      // Without Intel 64 a linear address has 32 bits: the upper half must be 0 ("canonical").
      if (vpid === 0 || addrHi !== 0) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
      cpu.invalidateTlb(TlbInvalidation.VPID_INDIVIDUAL_ADDRESS, vpid, addrLo);
      break;
    case 1:
      if (vpid === 0) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
      cpu.invalidateTlb(TlbInvalidation.VPID_SINGLE_CONTEXT, vpid, 0);
      break;
    case 2:
      cpu.invalidateTlb(TlbInvalidation.VPID_ALL_CONTEXT, 0, 0);
      break;
    default:
      if (vpid === 0) return fail(cpu, VMX_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
      cpu.invalidateTlb(TlbInvalidation.VPID_SINGLE_CONTEXT_NON_GLOBAL, vpid, 0);
  }
  return succeed(cpu);
}
