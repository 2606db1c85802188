// RDTSC and RDMSR/WRMSR exits (SDM Vol. 3 §26.1.3; MSR bitmaps §25.6.9): a small virtual MSR set.
// The time-stamp counter reads as the host's plus TSC_OFFSET (a write moves the offset, as KVM does);
// IA32_FEATURE_CONTROL reads as locked with VMX disabled (VMX is hidden from the guest); the
// SYSENTER MSRs pass through the bitmap and live in the VMCS; any other MSR is #GP(0), VMX's included.
import { VMCS } from '../../cpu/vmx/api.js';
import { Reg } from '../../x86/registers.js';
import { FEATURE_CONTROL_LOCKED, MSR_INDEX } from '../arch-defs.js';
import type { Vcpu } from '../vcpu.js';
import { vmwriteChecked } from '../vmx-ops.js';
import { ADVANCE, type Outcome, injectGP0 } from './outcome.js';

const TWO_32 = 2 ** 32;

/** TSC_OFFSET as a signed number (two's complement over 64 bits). */
function readTscOffset(vcpu: Vcpu): number {
  const ops = vcpu.ops;
  const lo = ops.vmread(VMCS.TSC_OFFSET);
  const hi = ops.vmread(VMCS.TSC_OFFSET | 1) | 0;
  return hi * TWO_32 + lo;
}

function guestTsc(vcpu: Vcpu): number {
  return vcpu.ops.rdtsc() + readTscOffset(vcpu);
}

/** The low and high dwords of a 64-bit two's-complement value held exactly in a number. */
function lo32(v: number): number {
  return (((v % TWO_32) + TWO_32) % TWO_32) >>> 0;
}
function hi32(v: number): number {
  return Math.floor(v / TWO_32) >>> 0;
}

function setEdxEax(vcpu: Vcpu, v: number): void {
  vcpu.regs[Reg.EAX] = lo32(v);
  vcpu.regs[Reg.EDX] = hi32(v);
}

export function handleRdtsc(vcpu: Vcpu): Outcome {
  setEdxEax(vcpu, guestTsc(vcpu));
  return ADVANCE;
}

/** GUEST_SYSENTER_* field of a SYSENTER MSR (if the bitmap ever lets one exit). */
function sysenterField(msr: number): number | undefined {
  switch (msr) {
    case MSR_INDEX.IA32_SYSENTER_CS: return VMCS.GUEST_SYSENTER_CS;
    case MSR_INDEX.IA32_SYSENTER_ESP: return VMCS.GUEST_SYSENTER_ESP;
    case MSR_INDEX.IA32_SYSENTER_EIP: return VMCS.GUEST_SYSENTER_EIP;
    default: return undefined;
  }
}

export function handleRdmsr(vcpu: Vcpu): Outcome {
  const r = vcpu.regs;
  const msr = r[Reg.ECX]! >>> 0;
  vcpu.vm.stats.msr(msr, false);
  switch (msr) {
    case MSR_INDEX.IA32_TIME_STAMP_COUNTER:
      setEdxEax(vcpu, guestTsc(vcpu));
      return ADVANCE;
    case MSR_INDEX.IA32_FEATURE_CONTROL:
      r[Reg.EAX] = FEATURE_CONTROL_LOCKED;
      r[Reg.EDX] = 0;
      return ADVANCE;
  }
  const field = sysenterField(msr);
  if (field === undefined) return injectGP0();
  r[Reg.EAX] = vcpu.ops.vmread(field);
  r[Reg.EDX] = 0;
  return ADVANCE;
}

export function handleWrmsr(vcpu: Vcpu): Outcome {
  const r = vcpu.regs;
  const msr = r[Reg.ECX]! >>> 0;
  vcpu.vm.stats.msr(msr, true);
  const lo = r[Reg.EAX]! >>> 0;
  const hi = r[Reg.EDX]! >>> 0;
  if (msr === MSR_INDEX.IA32_TIME_STAMP_COUNTER) {
    // Guest TSC := value, by moving the offset (SDM Vol. 3 §18.17: a WRMSR to the TSC).
    const offset = hi * TWO_32 + lo - vcpu.ops.rdtsc();
    vmwriteChecked(vcpu.ops, VMCS.TSC_OFFSET, lo32(offset));
    vmwriteChecked(vcpu.ops, VMCS.TSC_OFFSET | 1, hi32(offset));
    return ADVANCE;
  }
  const field = sysenterField(msr);
  if (field === undefined) return injectGP0(); // IA32_FEATURE_CONTROL is locked: writes fault too
  vmwriteChecked(vcpu.ops, field, msr === MSR_INDEX.IA32_SYSENTER_CS ? lo & 0xffff : lo);
  return ADVANCE;
}
