// INVLPG exits (INVLPG exiting, SDM Vol. 3 §26.1.3; the qualification is the linear address): the
// paging mode invalidates what it caches for that address. With EPT nothing asks for these exits;
// shadow paging does. MTF exits come here too: the paging mode is the only one that asks for them.
import { VMCS } from '../../cpu/vmx/api.js';
import type { Vcpu } from '../vcpu.js';
import { handleUnexpected } from './fatal.js';
import type { Outcome } from './outcome.js';

export function handleInvlpg(vcpu: Vcpu): Outcome {
  return vcpu.paging.invlpg(vcpu, vcpu.ops.vmread(VMCS.EXIT_QUALIFICATION));
}

/** Monitor trap flag (SDM Vol. 3 §26.5.2): only shadow paging sets it, to single-step a write to a
 *  guest page table its emulator does not handle. */
export function handleMonitorTrap(vcpu: Vcpu, reason: number): Outcome {
  return vcpu.paging.monitorTrap ? vcpu.paging.monitorTrap(vcpu) : handleUnexpected(vcpu, reason);
}
