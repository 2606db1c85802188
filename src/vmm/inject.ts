// Event injection at VM entry (SDM Vol. 3 §27.6, KVM's inject_pending_event): an event a handler
// asked for or one whose delivery a VM exit interrupted (IDT-vectoring information, §28.2.4) goes
// first; otherwise an interrupt from the VM's virtual PIC is injected if the guest can take it now
// (RFLAGS.IF = 1, no STI or MOV-SS blocking), or interrupt-window exiting is requested for when it can.
import { CPU_BASED, INTERRUPTIBILITY, INTR_INFO, INTR_TYPE, VMCS, intrInfo } from '../cpu/vmx/api.js';
import { EFLAGS } from './arch-defs.js';
import type { GuestEvent } from './exits/outcome.js';
import type { Vcpu } from './vcpu.js';
import { vmwriteChecked } from './vmx-ops.js';

const BLOCKING = INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS;
/** The bits of an IDT-vectoring information value the VM-entry field may carry (30:12 must be 0). */
const ENTRY_INFO_BITS = (INTR_INFO.VALID | INTR_INFO.DELIVER_CODE | INTR_INFO.TYPE_MASK | INTR_INFO.VECTOR_MASK) >>> 0;

/** Event types delivered with an instruction length (software interrupts and exceptions). */
function needsLength(info: number): boolean {
  const type = (info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
  return type === INTR_TYPE.SOFT_INTR || type === INTR_TYPE.PRIV_SW_EXCEPTION || type === INTR_TYPE.SOFT_EXCEPTION;
}

/** Queues `e` for the next VM entry (a handler's `inject` outcome). */
export function queueEvent(vcpu: Vcpu, e: GuestEvent): void {
  if (vcpu.eventInfo !== 0) return; // an interrupted delivery is re-injected first (it happened first)
  vcpu.eventInfo = e.info;
  vcpu.eventErrorCode = e.errorCode;
  vcpu.eventLength = e.length;
  if (e.cr2 !== undefined) vcpu.ops.cr2 = e.cr2;
}

/**
 * After a VM exit: if it interrupted the delivery of an event through the guest's IDT, that event
 * must be delivered again (KVM's __vmx_complete_interrupts).
 */
export function saveInterruptedEvent(vcpu: Vcpu, idtInfo: number): void {
  const ops = vcpu.ops;
  vcpu.eventInfo = (idtInfo & ENTRY_INFO_BITS) >>> 0;
  vcpu.eventErrorCode = idtInfo & INTR_INFO.DELIVER_CODE ? ops.vmread(VMCS.IDT_VECTORING_ERROR_CODE) : 0;
  vcpu.eventLength = needsLength(idtInfo) ? ops.vmread(VMCS.VM_EXIT_INSTRUCTION_LEN) : 0;
}

/** True when an external interrupt would be accepted at the guest's next instruction boundary. */
export function interruptWindowOpen(vcpu: Vcpu): boolean {
  const ops = vcpu.ops;
  if ((ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.IF) === 0) return false;
  return (ops.vmread(VMCS.GUEST_INTERRUPTIBILITY_INFO) & BLOCKING) === 0;
}

/** Programs the VM-entry event fields and interrupt-window exiting for the coming VM entry. */
export function injectPendingEvent(vcpu: Vcpu): void {
  const ops = vcpu.ops;
  const pic = vcpu.vm.pic;
  let busy = false;
  if (vcpu.eventInfo !== 0) {
    const info = vcpu.eventInfo;
    vmwriteChecked(ops, VMCS.VM_ENTRY_INTR_INFO_FIELD, info);
    if (info & INTR_INFO.DELIVER_CODE) vmwriteChecked(ops, VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, vcpu.eventErrorCode);
    if (needsLength(info)) vmwriteChecked(ops, VMCS.VM_ENTRY_INSTRUCTION_LEN, vcpu.eventLength);
    if (((info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT) === INTR_TYPE.EXT_INTR) vcpu.vm.stats.interruptsInjected++;
    else vcpu.vm.stats.exceptionsInjected++;
    vcpu.eventInfo = 0;
    busy = true;
  }
  let wantWindow = false;
  if (pic.hasInterrupt()) {
    if (!busy && interruptWindowOpen(vcpu)) {
      vmwriteChecked(ops, VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(pic.acknowledge(), INTR_TYPE.EXT_INTR, false));
      vcpu.vm.stats.interruptsInjected++;
      vcpu.fruitlessWakeups = 0;
      wantWindow = pic.hasInterrupt();
    } else {
      wantWindow = true;
    }
  }
  if (wantWindow !== vcpu.interruptWindowExiting) {
    vcpu.setProcControls(wantWindow ? CPU_BASED.INTR_WINDOW_EXITING : 0, wantWindow ? 0 : CPU_BASED.INTR_WINDOW_EXITING);
  }
}
