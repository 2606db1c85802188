// EPT violations and misconfigurations (SDM Vol. 3 §29.3.3). EPT maps exactly the VM's RAM (and the
// identity-map page), so a violation is a guest access to a guest-physical address outside it: an
// MMIO region (there are none here) or a guest bug. The VM stops with a clear report; the host is
// untouched. A misconfiguration is a bug in the hypervisor's own tables.
import { EPT_VIOLATION, VMCS, describeQualification, EXIT_REASON } from '../../cpu/vmx/api.js';
import { hex0x } from '../../common/hex.js';
import { describeGuest } from '../report.js';
import type { Vcpu } from '../vcpu.js';
import { type Outcome, vmError } from './outcome.js';

export function handleEptViolation(vcpu: Vcpu): Outcome {
  const ops = vcpu.ops;
  const q = ops.vmread(VMCS.EXIT_QUALIFICATION);
  const gpa = ops.vmread(VMCS.GUEST_PHYSICAL_ADDRESS);
  const gla = q & EPT_VIOLATION.GVA_IS_VALID ? `, guest-linear ${hex0x(ops.vmread(VMCS.GUEST_LINEAR_ADDRESS))}` : '';
  return vmError(
    `EPT violation at guest-physical ${hex0x(gpa)}${gla} (${describeQualification(EXIT_REASON.EPT_VIOLATION, q)}): ` +
      `outside the VM's RAM (0-${hex0x(vcpu.vm.ram.size - 1)}); ${describeGuest(vcpu)}`,
  );
}

export function handleEptMisconfig(vcpu: Vcpu): Outcome {
  const gpa = vcpu.ops.vmread(VMCS.GUEST_PHYSICAL_ADDRESS);
  return vmError(`EPT misconfiguration at guest-physical ${hex0x(gpa)} (a hypervisor bug); ${describeGuest(vcpu)}`);
}
