// Guest faults as preallocated sentinels (style-anchors §8.10): instruction semantics throw one of
// these; only the run loop (run.ts) catches them and delivers the exception. They are not Errors (no
// stack capture), so raising one costs no allocation.
import { Vec } from './vectors.js';

/** A processor exception raised by an instruction (fault or trap). One instance, reused. */
export class CpuFault {
  vector = 0;
  errorCode = 0;
  hasErrorCode = false;
}

/** Thrown when the instruction was abandoned because control already went elsewhere (a VM exit
 *  performed by the VMX layer, a shutdown): the run loop just continues from the current state. */
export class InstructionAborted {
  readonly reason = 'aborted';
}

/** Thrown by the VMX layer once it has recorded a VM exit's cause (vmx/): the run loop rolls EIP
 *  back to the start of the instruction that was executing, if any (VM exits are fault-like),
 *  lets the VMX layer complete the exit (cpu.vmx.completeExit) and returns 'vm-exit' from run(). */
export class VmExitSignal {
  readonly reason = 'vm-exit';
}

export const FAULT = new CpuFault();
export const ABORTED = new InstructionAborted();
export const VM_EXIT = new VmExitSignal();

export function raise(vector: number): never {
  FAULT.vector = vector;
  FAULT.errorCode = 0;
  FAULT.hasErrorCode = false;
  throw FAULT;
}

export function raiseWithCode(vector: number, errorCode: number): never {
  FAULT.vector = vector;
  FAULT.errorCode = errorCode & 0xffff;
  FAULT.hasErrorCode = true;
  throw FAULT;
}

export function raiseUD(): never {
  return raise(Vec.UD);
}

export function raiseGP(errorCode: number): never {
  return raiseWithCode(Vec.GP, errorCode);
}

export function raiseSS(errorCode: number): never {
  return raiseWithCode(Vec.SS, errorCode);
}

export function raiseNP(errorCode: number): never {
  return raiseWithCode(Vec.NP, errorCode);
}

export function raiseTS(errorCode: number): never {
  return raiseWithCode(Vec.TS, errorCode);
}

/** #PF: CR2 is written by the caller (the walk) before raising; the error code is 32 bits wide. */
export function raisePF(errorCode: number): never {
  FAULT.vector = Vec.PF;
  FAULT.errorCode = errorCode;
  FAULT.hasErrorCode = true;
  throw FAULT;
}
