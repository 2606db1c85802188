// One-line descriptions of a vCPU's state for the messages that end a VM (triple fault, EPT
// violation, entry failure). Same register set and format as a native run's triple-fault report.
import { VMCS } from '../cpu/vmx/api.js';
import { hex } from '../common/hex.js';
import type { Vcpu } from './vcpu.js';

export function describeGuest(vcpu: Vcpu): string {
  const ops = vcpu.ops;
  const cr = vcpu.paging.guestRegs(vcpu);
  return (
    `EIP=${hex(ops.vmread(VMCS.GUEST_RIP))} EFLAGS=${hex(ops.vmread(VMCS.GUEST_RFLAGS))} CPL=${vcpu.cpl} ` +
    `CR0=${hex(cr.cr0)} CR2=${hex(ops.cr2)} CR3=${hex(cr.cr3)} ESP=${hex(ops.vmread(VMCS.GUEST_RSP))}`
  );
}
