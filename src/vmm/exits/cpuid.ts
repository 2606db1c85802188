// CPUID exits (unconditional in non-root operation, SDM Vol. 3 §26.1.2): the virtual CPUID. It is
// the processor's own answer (read once in root mode) with VMX hidden (CPUID.1:ECX.VMX = 0: no
// nested virtualization) and, only with --pv, the hypervisor bit and leaves 0x40000000-0x40000001.
import { Reg } from '../../x86/registers.js';
import { CPUID1_ECX, CPUID_EXTENDED_BASE } from '../arch-defs.js';
import { PV_FEATURES_ALL, PV_LEAF_BASE, PV_LEAF_FEATURES, PV_SIGNATURE } from '../pv-abi.js';
import type { Vcpu } from '../vcpu.js';
import type { VmxOps } from '../vmx-ops.js';
import { ADVANCE, type Outcome } from './outcome.js';

/** Four little-endian ASCII bytes of `s` from `at` as a register value. */
function chars(s: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (s.charCodeAt(at + i) || 0);
  return v | 0;
}

/** A VM's CPUID table, built once (KVM_SET_CPUID): leaf -> EAX, EBX, ECX, EDX. */
export class VirtualCpuid {
  private readonly basic: Int32Array[] = [];
  private readonly extended: Int32Array[] = [];
  private readonly hypervisor: Int32Array[] = [];
  private readonly maxBasic: number;
  private readonly maxExtended: number;

  constructor(ops: VmxOps, pv: boolean) {
    const host = (leaf: number): Int32Array => {
      const out = new Int32Array(4);
      ops.cpuid(leaf, out);
      return out;
    };
    this.maxBasic = host(0)[0]! >>> 0;
    const ext = host(CPUID_EXTENDED_BASE)[0]! >>> 0;
    this.maxExtended = ext >= CPUID_EXTENDED_BASE && ext < CPUID_EXTENDED_BASE + 0x100 ? ext : CPUID_EXTENDED_BASE - 1;
    for (let l = 0; l <= this.maxBasic; l++) this.basic.push(host(l));
    for (let l = CPUID_EXTENDED_BASE; l <= this.maxExtended; l++) this.extended.push(host(l));
    const leaf1 = this.basic[1];
    if (leaf1) {
      let ecx = leaf1[2]! & ~CPUID1_ECX.VMX;
      ecx = pv ? ecx | CPUID1_ECX.HYPERVISOR : ecx & ~CPUID1_ECX.HYPERVISOR;
      leaf1[2] = ecx;
    }
    if (pv) {
      this.hypervisor.push(Int32Array.of(PV_LEAF_FEATURES, chars(PV_SIGNATURE, 0), chars(PV_SIGNATURE, 4), chars(PV_SIGNATURE, 8)));
      this.hypervisor.push(Int32Array.of(PV_FEATURES_ALL, 0, 0, 0));
    }
  }

  /**
   * The answer for `leaf` (sub-leaves are not used by any leaf here). Out-of-range leaves return the
   * highest basic leaf's data, as Intel processors do (SDM Vol. 2A CPUID), virtual edits included.
   */
  lookup(leaf: number): Int32Array {
    leaf >>>= 0;
    if (leaf <= this.maxBasic) return this.basic[leaf]!;
    if (leaf >= CPUID_EXTENDED_BASE && leaf <= this.maxExtended) return this.extended[leaf - CPUID_EXTENDED_BASE]!;
    const h = leaf - PV_LEAF_BASE;
    if (h >= 0 && h < this.hypervisor.length) return this.hypervisor[h]!;
    return this.basic[this.maxBasic]!;
  }
}

export function handleCpuid(vcpu: Vcpu): Outcome {
  const r = vcpu.regs;
  const leaf = r[Reg.EAX]!;
  vcpu.vm.stats.cpuid(leaf);
  const a = vcpu.vm.cpuid.lookup(leaf);
  r[Reg.EAX] = a[0]!;
  r[Reg.EBX] = a[1]!;
  r[Reg.ECX] = a[2]!;
  r[Reg.EDX] = a[3]!;
  return ADVANCE;
}
