// VMCALL exits (unconditional, SDM Vol. 3 §26.1.2): with --pv, the hypercall interface; without it
// the guest sees a processor with no PV interface, and VMCALL outside VMX operation is #UD
// (SDM Vol. 2 VMCALL), which is what the same image gets natively and on QEMU.
import { hypercall } from '../hypercall.js';
import type { Vcpu } from '../vcpu.js';
import { type Outcome, injectUD } from './outcome.js';

export function handleVmcall(vcpu: Vcpu): Outcome {
  return vcpu.vm.opts.pv ? hypercall(vcpu) : injectUD();
}
