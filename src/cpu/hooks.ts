// The seams VT-x plugs into (src/cpu/vmx/ fills them; this file only defines them). Outside VMX
// non-root operation every hook is a no-op and costs one boolean test at the few instructions that
// can cause VM exits. Argument conventions are fixed here so the exit qualification can be built.
import type { Handler, Insn } from './insn.js';
import type { Cpu } from './state.js';
import type { EventKind } from './vectors.js';

/** Instructions that may cause a VM exit in non-root operation (SDM Vol. 3 §26.1.2-26.1.3). */
export const Intercept = {
  CPUID: 0,
  HLT: 1,
  /** a = the linear address operand. */
  INVLPG: 2,
  RDTSC: 3,
  RDMSR: 4,
  WRMSR: 5,
  /** a = control register number, b = source GPR. */
  MOV_TO_CR: 6,
  /** a = control register number, b = destination GPR. */
  MOV_FROM_CR: 7,
  CLTS: 8,
  /** a = the 16-bit source value, b = linear address of a memory operand (-1 for a register). */
  LMSW: 9,
  /** a = debug register number, b = GPR | (1 << 8 when reading the DR). */
  MOV_DR: 10,
  /** a = port, b = the I/O exit qualification's low bits: size-1 (2:0), IN (3), string (4), REP (5),
   *  immediate port operand (6). */
  IO: 11,
  PAUSE: 12,
  WBINVD: 13,
  INVD: 14,
  /** LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR (descriptor-table exiting): a = the row's handler id. */
  DESC_TABLE: 15,
  /** A task switch was about to happen (unconditional exit in non-root). */
  TASK_SWITCH: 16,
} as const;
export type Intercept = (typeof Intercept)[keyof typeof Intercept];

/**
 * The VMX layer's side of the seams. A VM exit is recorded by the hook that causes it and completed
 * by the run loop (`completeExit`, then run() returns 'vm-exit' to a TypeScript hypervisor), in one
 * of two ways: where the caller can simply return (an intercepted instruction, the pending and
 * interrupt checks) the hook sets Pending.VM_EXIT and returns; from inside event delivery or a
 * memory access it throws VM_EXIT (fault.ts), and the run loop first rolls EIP back to the
 * instruction that was executing. Throwing costs a few hundred ns, so the frequent exits do not.
 */
export interface VmxHooks {
  /** An interceptable instruction in non-root operation, called after the checks the SDM orders
   *  before the VM exit (privilege, #UD) and before any side effect. Returns false to let the
   *  instruction run; true when it recorded a VM exit (Pending.VM_EXIT): the handler must return at
   *  once without side effects (the run loop un-retires it and rolls EIP back). */
  intercept(cpu: Cpu, kind: Intercept, insn: Insn, a: number, b: number): boolean;
  /** MOV from CR0/CR4 and SMSW in non-root: `value` with the host-owned bits from the read shadow. */
  readCr(cpu: Cpu, cr: number, value: number): number;
  /** MOV to CR0/CR4, CLTS and LMSW in non-root that did not exit: the value to load, host-owned
   *  bits keeping their current value (SDM Vol. 3 §26.3). */
  writeCr(cpu: Cpu, cr: number, value: number): number;
  /** An event is about to be delivered through the IDT in non-root operation (exception bitmap,
   *  IDT-vectoring information). Same contract as `intercept`. */
  onEvent(cpu: Cpu, vector: number, kind: EventKind, errorCode: number, hasErrorCode: boolean): void;
  /** Delivery of an event raised exception `vector`, before the double-fault rules combine the two:
   *  the exception bitmap is consulted for this exception as it is (SDM Vol. 3 §26.2, §28.2.4). */
  onDeliveryFault(cpu: Cpu, vector: number, errorCode: number, hasErrorCode: boolean): void;
  /** The event that passed `onEvent` has been delivered (the handler's CS:EIP is loaded). */
  onEventDelivered(cpu: Cpu): void;
  /** The run loop looks for interrupts (CHECK_IRQ or halted) in non-root operation, before RFLAGS.IF
   *  is consulted: interrupt-window exits, and external-interrupt exiting, which IF does not block.
   *  An exit sets Pending.VM_EXIT. */
  onExternalInterrupt(cpu: Cpu): void;
  /** A triple fault in non-root operation: the VM exits instead of the processor shutting down.
   *  Returns true when it took over (and the processor carries on in root mode). */
  onTripleFault(cpu: Cpu): boolean;
  /** Pending.VMX was set: event injection, the preemption timer or MTF wants the processor at this
   *  boundary (may deliver an event; an exit sets Pending.VM_EXIT). */
  onPending(cpu: Cpu): void;
  /** Completes the recorded exit (Pending.VM_EXIT, or VM_EXIT thrown: then `insn` is the instruction
   *  that was executing, EIP already back at its start): save guest state, load host state. */
  completeExit(cpu: Cpu, insn: Insn | null): void;
}

export const NO_VMX: VmxHooks = {
  intercept: () => false,
  readCr: (_cpu, _cr, value) => value,
  writeCr: (_cpu, _cr, value) => value,
  onEvent: () => {},
  onDeliveryFault: () => {},
  onEventDelivered: () => {},
  onExternalInterrupt: () => {},
  onTripleFault: () => false,
  onPending: () => {},
  completeExit: () => {},
};

/** VMX instructions by mnemonic: `vmxon vmxoff vmclear vmptrld vmptrst vmread vmwrite vmlaunch
 *  vmresume vmcall invept invvpid`. The VMX layer registers a handler for each; until then they #UD. */
export type VmxInstructionTable = Partial<Record<string, Handler>>;
