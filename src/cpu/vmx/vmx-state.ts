// The processor's VMX state (SDM Vol. 3 §24.1, §25.1): in VMX operation or not, root or non-root, the
// VMXON pointer and the current VMCS, plus the records VM entry fills without allocating. The CPU
// owns one VmxState; vmx/ code reads and changes it.

import type { PhysicalMemory } from '../../machine/memory.js';
import { VMX_CAPABILITIES, type VmxCapabilities } from './capabilities.js';
import { EntryCheckResult, type EntryContext } from './entry-checks.js';
import { InterceptControls } from './intercept.js';
import { INVALID_VMCS_POINTER, Vmcs } from './vmcs.js';

export class VmxState implements EntryContext {
  /** Between VMXON and VMXOFF. */
  on = false;
  /** A guest is running (VMX non-root operation). */
  nonRoot = false;
  /** Physical address of the VMXON region (valid while `on`). */
  vmxonPtr = 0;
  /** View of the current VMCS; its base is the current-VMCS pointer (INVALID_VMCS_POINTER if none). */
  readonly vmcs: Vmcs;
  /** The VM-execution controls and related fields as loaded by the last VM entry (what non-root checks). */
  readonly controls = new InterceptControls();
  /** `controls` no longer match the VMCS's control fields (written, or another VMCS is current). */
  controlsStale = true;
  /** The VMCS `controls` were loaded from. */
  controlsFrom = INVALID_VMCS_POINTER;
  /** The verdict of the last VM-entry checks. */
  readonly entryCheck = new EntryCheckResult();
  /** What the capability MSRs report and the entry checks enforce. */
  readonly caps: VmxCapabilities;

  constructor(mem: PhysicalMemory, caps: VmxCapabilities = VMX_CAPABILITIES) {
    this.vmcs = new Vmcs(mem, INVALID_VMCS_POINTER);
    this.caps = caps;
  }

  /** The current-VMCS pointer, or INVALID_VMCS_POINTER. */
  get vmcsPtr(): number {
    return this.vmcs.base;
  }

  get hasCurrentVmcs(): boolean {
    return this.vmcs.base !== INVALID_VMCS_POINTER;
  }
}
