// What an exit handler asks the exit loop to do (Firecracker's small result enum, style-anchors §8):
// resume after the instruction (the loop advances RIP from VM_EXIT_INSTRUCTION_LEN, in one place),
// resume where the guest is, inject an event at the next VM entry, or stop the VM with a reason.
import { INTR_TYPE, intrInfo } from '../../cpu/vmx/api.js';
import { Vector } from '../arch-defs.js';

/** An event to inject at VM entry, in the VM-entry interruption-information format. */
export interface GuestEvent {
  /** VM_ENTRY_INTR_INFO_FIELD value (valid bit set). */
  readonly info: number;
  readonly errorCode: number;
  /** VM_ENTRY_INSTRUCTION_LEN, for software interrupts and exceptions. */
  readonly length: number;
  /** For #PF: the faulting linear address the guest's CR2 must hold. */
  readonly cr2?: number;
}

/** Why a VM stopped for good. */
export type VmStop =
  /** The guest asked to end (debug-exit port, SHUTDOWN hypercall) with this value. */
  | { readonly kind: 'exit'; readonly value: number }
  /** A triple fault: the VM shut down; the host carries on. */
  | { readonly kind: 'triple-fault'; readonly report: string }
  /** HLT with nothing that could ever wake the vCPU (same wording as a native run). */
  | { readonly kind: 'halted-forever'; readonly why: string }
  /** The guest did something this hypervisor cannot virtualize (e.g. leaving protected mode). */
  | { readonly kind: 'unsupported'; readonly message: string }
  /** The hypervisor stopped the VM: EPT violation outside RAM, VM-entry failure, unhandled exit. */
  | { readonly kind: 'vm-error'; readonly report: string };

export type Outcome =
  | { readonly kind: 'advance' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'inject'; readonly event: GuestEvent }
  | { readonly kind: 'stop'; readonly stop: VmStop };

/** Resume after the exiting instruction (trap-and-emulate done). */
export const ADVANCE: Outcome = { kind: 'advance' };
/** Resume at the guest's RIP as it is (nothing emulated, or RIP already set). */
export const RESUME: Outcome = { kind: 'resume' };

/** A hardware exception, delivered as if the exiting instruction had raised it (RIP unchanged). */
export function injectException(vector: number, errorCode?: number): Outcome {
  const info = intrInfo(vector, INTR_TYPE.HARD_EXCEPTION, errorCode !== undefined);
  return { kind: 'inject', event: { info, errorCode: errorCode ?? 0, length: 0 } };
}

/** #PF with its error code and the address for CR2. */
export function injectPageFault(linear: number, errorCode: number): Outcome {
  const info = intrInfo(Vector.PF, INTR_TYPE.HARD_EXCEPTION, true);
  return { kind: 'inject', event: { info, errorCode, length: 0, cr2: linear >>> 0 } };
}

export const injectUD = (): Outcome => injectException(Vector.UD);
export const injectGP0 = (): Outcome => injectException(Vector.GP, 0);

export function stopVm(stop: VmStop): Outcome {
  return { kind: 'stop', stop };
}

export function vmError(report: string): Outcome {
  return { kind: 'stop', stop: { kind: 'vm-error', report } };
}
