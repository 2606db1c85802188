// CPUID: what this processor says about itself (SDM Vol. 2 CPUID). Leaves:
//   0          max basic leaf 1, vendor "VtxVmmVtxCpu" (EBX, EDX, ECX)
//   1          EAX family 6 model 15 stepping 1 (0x000006F1); EBX 0 (no APIC, one logical CPU);
//              ECX: VMX (bit 5) only; EDX: FPU=0 (no x87), DE, PSE, TSC, MSR, CX8, PGE, CMOV
//   0x80000000 max extended leaf 0x80000004
//   0x80000001 all zero (no NX, no long mode)
//   0x80000002-4  brand string "VtxVmm virtual IA-32 processor with VT-x"
// Any other leaf (including 0x40000000, the hypervisor range) returns the highest basic leaf's data,
// as Intel processors do for out-of-range inputs. ECX is ignored (no sub-leaves).
import type { Cpu } from './state.js';

export const VENDOR = 'VtxVmmVtxCpu';
export const BRAND = 'VtxVmm virtual IA-32 processor with VT-x';

/** CPUID.1 feature bits (SDM Vol. 2 CPUID, Tables 3-10 and 3-11). */
export const Feature1Edx = {
  DE: 1 << 2,
  PSE: 1 << 4,
  TSC: 1 << 5,
  MSR: 1 << 6,
  CX8: 1 << 8,
  PGE: 1 << 13,
  CMOV: 1 << 15,
} as const;
export const Feature1Ecx = {
  VMX: 1 << 5,
  /** Set only by a hypervisor's virtual CPUID, never by this processor. */
  HYPERVISOR: 1 << 31,
} as const;

export const LEAF1_EAX = 0x000006f1;
const LEAF1_EDX =
  Feature1Edx.DE | Feature1Edx.PSE | Feature1Edx.TSC | Feature1Edx.MSR | Feature1Edx.CX8 | Feature1Edx.PGE | Feature1Edx.CMOV;
const LEAF1_ECX = Feature1Ecx.VMX;
const MAX_BASIC = 1;
const MAX_EXTENDED = 0x80000004;

/** Four little-endian ASCII bytes of `s` from `at` as a register value. */
function chars(s: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (s.charCodeAt(at + i) || 0);
  return v | 0;
}

/** The answer for `leaf` as [EAX, EBX, ECX, EDX]. */
export function cpuidLeaf(leaf: number, out: Int32Array): void {
  leaf >>>= 0;
  if (leaf >= 0x80000000 && leaf <= MAX_EXTENDED) {
    if (leaf === 0x80000000) {
      out[0] = MAX_EXTENDED | 0;
      out[1] = out[2] = out[3] = 0;
    } else if (leaf === 0x80000001) {
      out[0] = out[1] = out[2] = out[3] = 0;
    } else {
      const base = (leaf - 0x80000002) * 16;
      for (let i = 0; i < 4; i++) out[i] = chars(BRAND.padEnd(48, '\0'), base + i * 4);
    }
    return;
  }
  if (leaf === 0) {
    out[0] = MAX_BASIC;
    out[1] = chars(VENDOR, 0);
    out[3] = chars(VENDOR, 4);
    out[2] = chars(VENDOR, 8);
    return;
  }
  // Leaf 1, and every out-of-range leaf (SDM CPUID: "the data for the highest basic information
  // leaf is returned").
  out[0] = LEAF1_EAX;
  out[1] = 0;
  out[2] = LEAF1_ECX;
  out[3] = LEAF1_EDX;
}

const scratch = new Int32Array(4);

/** Executes CPUID on the processor's registers. */
export function executeCpuid(cpu: Cpu): void {
  cpuidLeaf(cpu.regs[0]!, scratch);
  cpu.regs[0] = scratch[0]!;
  cpu.regs[3] = scratch[1]!;
  cpu.regs[1] = scratch[2]!;
  cpu.regs[2] = scratch[3]!;
}
