// What the processor says it can do, read once from the VMX capability MSRs (SDM Vol. 3 Appendix A),
// and control values adjusted to it (SimpleVisor's ShvUtilAdjustMsr): every control the hypervisor
// writes goes through `adjust`, so bits the CPU requires are set and bits it lacks are never asked for.
import { CPU_BASED, EPT_CAP, MSR, VPID_CAP, adjustControls, type Msr64Like } from '../cpu/vmx/api.js';
import { HostBugError } from '../common/assert.js';
import type { VmxOps } from './vmx-ops.js';

/** IA32_VMX_BASIC bits in the high dword (SDM Appendix A.1): 55 = TRUE_*_CTLS MSRs exist. */
const BASIC_HI_TRUE_CTLS = 1 << 23;
/** IA32_VMX_BASIC bits 30:0: the VMCS revision identifier. */
const BASIC_REVISION_MASK = 0x7fffffff;
/** IA32_VMX_MISC bits 4:0: the preemption timer counts down once per 2^rate TSC ticks. */
const MISC_TIMER_RATE_MASK = 0x1f;

export const ControlWord = { PIN: 0, PROC: 1, PROC2: 2, EXIT: 3, ENTRY: 4 } as const;
export type ControlWord = (typeof ControlWord)[keyof typeof ControlWord];

export class VmxCaps {
  readonly revisionId: number;
  readonly trueControls: boolean;
  private readonly ctls: readonly Msr64Like[];
  readonly cr0Fixed0: number;
  readonly cr0Fixed1: number;
  readonly cr4Fixed0: number;
  readonly cr4Fixed1: number;
  readonly eptVpid: Msr64Like;
  readonly preemptionTimerRate: number;

  private constructor(read: (msr: number) => Msr64Like) {
    const basic = read(MSR.IA32_VMX_BASIC);
    this.revisionId = basic.lo & BASIC_REVISION_MASK;
    this.trueControls = (basic.hi & BASIC_HI_TRUE_CTLS) !== 0;
    const t = this.trueControls;
    const proc = read(t ? MSR.IA32_VMX_TRUE_PROCBASED_CTLS : MSR.IA32_VMX_PROCBASED_CTLS);
    // The secondary controls exist only if the primary ones allow "activate secondary controls".
    const hasProc2 = (proc.hi & CPU_BASED.ACTIVATE_SECONDARY_CONTROLS) !== 0;
    this.ctls = [
      read(t ? MSR.IA32_VMX_TRUE_PINBASED_CTLS : MSR.IA32_VMX_PINBASED_CTLS),
      proc,
      hasProc2 ? read(MSR.IA32_VMX_PROCBASED_CTLS2) : { lo: 0, hi: 0 },
      read(t ? MSR.IA32_VMX_TRUE_EXIT_CTLS : MSR.IA32_VMX_EXIT_CTLS),
      read(t ? MSR.IA32_VMX_TRUE_ENTRY_CTLS : MSR.IA32_VMX_ENTRY_CTLS),
    ];
    this.cr0Fixed0 = read(MSR.IA32_VMX_CR0_FIXED0).lo >>> 0;
    this.cr0Fixed1 = read(MSR.IA32_VMX_CR0_FIXED1).lo >>> 0;
    this.cr4Fixed0 = read(MSR.IA32_VMX_CR4_FIXED0).lo >>> 0;
    this.cr4Fixed1 = read(MSR.IA32_VMX_CR4_FIXED1).lo >>> 0;
    this.eptVpid = hasProc2 ? read(MSR.IA32_VMX_EPT_VPID_CAP) : { lo: 0, hi: 0 };
    this.preemptionTimerRate = read(MSR.IA32_VMX_MISC).lo & MISC_TIMER_RATE_MASK;
  }

  /** Reads the capability MSRs; a processor without them (RDMSR #GP) cannot host VMs. */
  static read(ops: VmxOps): VmxCaps {
    return new VmxCaps((msr) => {
      const v = ops.readMsr(msr);
      if (!v) throw new HostBugError(`RDMSR 0x${msr.toString(16)} faults: the processor has no VMX`);
      return v;
    });
  }

  /** `wanted` with the required bits set and the unsupported ones cleared. */
  adjust(word: ControlWord, wanted: number): number {
    return adjustControls(this.ctls[word]!, wanted);
  }

  /** True when every bit of `bits` may be 1 in control word `word`. */
  allows(word: ControlWord, bits: number): boolean {
    return ((this.ctls[word]!.hi & bits) >>> 0) === bits >>> 0;
  }

  get ept2mPages(): boolean {
    return (this.eptVpid.lo & EPT_CAP.PAGE_2MB) !== 0;
  }
  get eptAccessedDirty(): boolean {
    return (this.eptVpid.lo & EPT_CAP.AD_FLAGS) !== 0;
  }
  get invvpidIndividual(): boolean {
    return (this.eptVpid.hi & VPID_CAP.INDIVIDUAL_ADDRESS) !== 0;
  }
  get invvpidSingle(): boolean {
    return (this.eptVpid.hi & VPID_CAP.SINGLE_CONTEXT) !== 0;
  }
}
