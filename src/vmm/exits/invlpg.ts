// INVLPG exits (INVLPG exiting, SDM Vol. 3 §26.1.3; the qualification is the linear address): the
// paging mode invalidates what it caches for that address. With EPT nothing asks for these exits;
// shadow paging (issue 5) does.
import { VMCS } from '../../cpu/vmx/api.js';
import type { Vcpu } from '../vcpu.js';
import type { Outcome } from './outcome.js';

export function handleInvlpg(vcpu: Vcpu): Outcome {
  return vcpu.paging.invlpg(vcpu, vcpu.ops.vmread(VMCS.EXIT_QUALIFICATION));
}
