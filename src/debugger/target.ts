// What the debugger core needs from a running guest, whatever runs it: the bare processor (native
// mode) or the hypervisor (VM modes). Front ends never see a target directly; they go through the
// core (core.ts), which adds breakpoints, stepping, numbering and history on top of this.

/** A segment register with its hidden part (`attrs` in the VMX access-rights layout). */
export interface SegmentView {
  readonly selector: number;
  readonly base: number;
  readonly limit: number;
  readonly attrs: number;
}

export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** The guest's architectural registers, as the guest would see them (all values unsigned). */
export interface GuestRegisters {
  /** EAX..EDI in encoding order. */
  readonly gpr: readonly number[];
  readonly eip: number;
  readonly eflags: number;
  readonly segs: Readonly<Record<SegmentName, SegmentView>>;
  /** CR0 and CR4 as the guest reads them (through the read shadows in VM modes). */
  readonly cr0: number;
  readonly cr2: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly gdtr: { readonly base: number; readonly limit: number };
  readonly idtr: { readonly base: number; readonly limit: number };
  readonly cpl: number;
  /** In VM modes, the values the processor really runs with (CR0/CR4 with the fixed bits, the
   *  CR3 of the shadow or identity tables) where they differ from the guest's view. */
  readonly actual?: { readonly cr0: number; readonly cr3: number; readonly cr4: number };
}

/** Registers a debugger may write (gdb G/P, REPL `set`). */
export const WRITABLE_REGISTERS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'] as const;
export type WritableRegister = (typeof WRITABLE_REGISTERS)[number];

/** One VM exit as the hypervisor receives it (the exit-information fields of the VMCS). */
export interface ExitInfo {
  /** 1 for the first exit of the run, then 2, 3 ... */
  readonly number: number;
  /** The full VM_EXIT_REASON field (bit 31: VM-entry failure). */
  readonly reason: number;
  readonly qualification: number;
  readonly guestLinear: number;
  readonly guestPhysical: number;
  readonly instructionLength: number;
  readonly instructionInfo: number;
  readonly interruptionInfo: number;
  readonly interruptionErrorCode: number;
  readonly idtVectoringInfo: number;
  /** GUEST_RIP at the exit: the instruction that caused it (or the next one, for trap-like exits). */
  readonly rip: number;
  /** Guest instructions retired before the exit. */
  readonly instructions: number;
  /** Virtual time of the exit, in cycles. */
  readonly cycle: number;
}

/** How the guest ended. */
export type EndOutcome =
  | { readonly kind: 'exit'; readonly value: number }
  | { readonly kind: 'triple-fault'; readonly report: string }
  | { readonly kind: 'halted-forever'; readonly why: string }
  | { readonly kind: 'unsupported'; readonly message: string }
  | { readonly kind: 'vm-stopped'; readonly message: string };

/** Something a probe saw while the guest ran (the target stops at the next instruction boundary). */
export type ProbeHit =
  | { readonly kind: 'io'; readonly port: number; readonly size: number; readonly write: boolean; readonly value: number }
  | { readonly kind: 'write'; readonly frame: number };

/** Why Target.run returned. */
export type RunStop =
  /** The instruction budget ran out (also: run(0) finished handling a pending exit). */
  | { readonly kind: 'budget' }
  /** EIP reached an entry of `probes.breakpoints` (the instruction has not executed). */
  | { readonly kind: 'breakpoint'; readonly eip: number }
  /** Probes fired (io ports, written frames): see takeHits(). */
  | { readonly kind: 'probe' }
  /** A VM exit `probes.exitFilter` accepted: recorded in the VMCS, not yet handled. */
  | { readonly kind: 'vm-exit'; readonly exit: ExitInfo }
  | { readonly kind: 'ended'; readonly outcome: EndOutcome };

/** What makes a run stop early. The core fills these; the target only tests them. */
export interface TargetProbes {
  /** EIP values (offsets in CS) to stop at before executing. */
  readonly breakpoints: Set<number>;
  /** Ports whose access stops the guest after the accessing instruction (native mode; in VM modes
   *  port I/O is a VM exit and the core filters those instead). */
  readonly ioPorts: Set<number>;
  /** Guest-physical frame numbers whose write stops the guest after the writing instruction. */
  readonly writeFrames: Set<number>;
  /** Decides which VM exits stop (null: none); it sees every exit. */
  exitFilter: ((exit: ExitInfo) => boolean) | null;
}

/** One level of a page walk. */
export interface WalkStep {
  /** `PDE`, `PTE`, `EPT PML4E`, `shadow PDE` ... */
  readonly level: string;
  /** Index of the entry in its table. */
  readonly index: number;
  /** Physical address of the entry (guest-physical for the guest's tables, host-physical else). */
  readonly entryAddress: number;
  readonly entry: number;
  /** The entry's flags in words (`P RW US A D`), or why the walk stops here. */
  readonly note: string;
}

/** One walk: steps and where it ended. */
export interface Walk {
  readonly title: string;
  readonly steps: readonly WalkStep[];
  /** The address the walk produced, or null with `fault` saying why there is none. */
  readonly result: number | null;
  readonly fault?: string;
}

/** `pt ADDR`: the guest's own walk, then the hypervisor's (EPT of the result, or shadow tables). */
export interface TranslationReport {
  readonly guest: Walk;
  readonly second?: Walk;
  /** Host-physical address of the byte, when it is mapped all the way. */
  readonly host: number | null;
}

/** Reads one VMCS field by encoding (undefined when there is no current VMCS or no such field). */
export interface VmcsReader {
  readonly pointer: number;
  read(encoding: number): number | undefined;
}

/** Counters for `stats`, as label/value lines (exits by reason and the like). */
export interface TargetStats {
  readonly lines: readonly string[];
}

export interface DebugTarget {
  /** `native`, `ept`, `shadow` (+ `pv` flag). */
  readonly mode: string;
  readonly pv: boolean;
  readonly probes: TargetProbes;

  registers(): GuestRegisters;
  /** Returns an error message when the register cannot be set. */
  setRegister(name: WritableRegister, value: number): string | null;

  /** Guest-virtual (linear) to guest-physical with the guest's own tables, without side effects. */
  translate(linear: number): number | null;
  /** Guest-physical memory; null if any byte is outside the guest's RAM. */
  readPhysical(gpa: number, len: number): Uint8Array | null;
  writePhysical(gpa: number, bytes: Uint8Array): boolean;
  /** The guest-physical RAM size (bytes). */
  readonly ramSize: number;
  pageWalk(linear: number): TranslationReport;

  /**
   * Runs the guest for at most `maxInsns` instructions. run(0) at a VM-exit stop handles that exit
   * and re-enters the guest without executing an instruction. `stepOver`: a breakpoint at the
   * current EIP does not stop (resuming from it, as gdb does).
   */
  run(maxInsns: number, stepOver?: boolean): RunStop;
  /** Probe hits since the last call. */
  takeHits(): ProbeHit[];
  /** Called for every VM exit, before the exit filter (history, trace). */
  onExit: ((exit: ExitInfo) => void) | null;

  /** Guest instructions retired. */
  readonly instructions: number;
  /** VM exits so far. */
  readonly exitCount: number;
  /** Virtual time in cycles. */
  readonly cycles: number;
  /** The exit the guest is stopped at (recorded, not yet handled), else null. */
  readonly pendingExit: ExitInfo | null;
  /** The guest has ended (nothing more can run). */
  readonly ended: EndOutcome | null;
  /** The current VMCS (VM modes), null natively. */
  vmcs(): VmcsReader | null;
  stats(): TargetStats;

  /** A snapshot of everything that evolves (memory, processor, devices, hypervisor), opaque. */
  snapshot(): TargetSnapshot;
  restore(s: TargetSnapshot): void;
}

/** An opaque target state; `bytes` is its approximate memory cost (for the history bound). */
export interface TargetSnapshot {
  readonly bytes: number;
}
