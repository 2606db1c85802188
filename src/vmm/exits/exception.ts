// Exception or NMI exits (exception bitmap, SDM Vol. 3 §26.2): #PF goes to the paging mode (shadow
// paging's business; with EPT only a debugger would ask for it); anything else the bitmap caught is
// given back to the guest unchanged (KVM reflects what it does not handle itself).
import { INTR_INFO, INTR_TYPE, VMCS } from '../../cpu/vmx/api.js';
import { Vector } from '../arch-defs.js';
import type { Vcpu } from '../vcpu.js';
import { type Outcome, RESUME } from './outcome.js';

export function handleException(vcpu: Vcpu): Outcome {
  const ops = vcpu.ops;
  const info = ops.vmread(VMCS.VM_EXIT_INTR_INFO);
  const vector = info & INTR_INFO.VECTOR_MASK;
  const type = (info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
  const errorCode = info & INTR_INFO.DELIVER_CODE ? ops.vmread(VMCS.VM_EXIT_INTR_ERROR_CODE) : 0;
  // A host NMI: nothing of the guest's (the host has no NMI sources; resume).
  if (type === INTR_TYPE.NMI) return RESUME;
  if (vector === Vector.PF && type === INTR_TYPE.HARD_EXCEPTION) {
    return vcpu.paging.pageFault(vcpu, ops.vmread(VMCS.EXIT_QUALIFICATION), errorCode);
  }
  const soft = type === INTR_TYPE.SOFT_EXCEPTION || type === INTR_TYPE.PRIV_SW_EXCEPTION;
  const event = {
    info: (info & (INTR_INFO.VALID | INTR_INFO.DELIVER_CODE | INTR_INFO.TYPE_MASK | INTR_INFO.VECTOR_MASK)) >>> 0,
    errorCode,
    length: soft ? ops.vmread(VMCS.VM_EXIT_INSTRUCTION_LEN) : 0,
  };
  return { kind: 'inject', event };
}
