// Exits that end the VM or that the guest must not cause: a triple fault (the VM shuts down with a
// report; the host carries on), VM-entry failures (reason 33/34/41 with bit 31), reasons no control
// asked for, and the VMX instructions, which inject #UD as KVM does without nested virtualization
// (the guest was told by CPUID that there is no VMX).
import { VMCS, describeExitReason, describeQualification } from '../../cpu/vmx/api.js';
import { describeGuest } from '../report.js';
import type { Vcpu } from '../vcpu.js';
import { type Outcome, injectUD, stopVm, vmError } from './outcome.js';

export function handleTripleFault(vcpu: Vcpu): Outcome {
  return stopVm({ kind: 'triple-fault', report: `triple fault in the VM (VM exit, the host carries on); ${describeGuest(vcpu)}` });
}

export function handleEntryFailure(vcpu: Vcpu, reason: number): Outcome {
  const q = vcpu.ops.vmread(VMCS.EXIT_QUALIFICATION);
  const what = describeQualification(reason, q);
  return vmError(`VM entry failed: ${describeExitReason(reason)}${what ? `, ${what}` : ''}; ${describeGuest(vcpu)}`);
}

export function handleUnexpected(vcpu: Vcpu, reason: number): Outcome {
  const q = vcpu.ops.vmread(VMCS.EXIT_QUALIFICATION);
  const what = describeQualification(reason, q);
  return vmError(`unhandled VM exit ${reason & 0xffff} (${describeExitReason(reason)}${what ? `: ${what}` : ''}); ${describeGuest(vcpu)}`);
}

export function handleVmxInstruction(): Outcome {
  return injectUD();
}
