// The processor's architectural state as plain data: typed arrays for registers and segment caches,
// numbers for the rest. Semantics live in free functions (exec/, mmu/, segmentation.ts ...); this file
// only says what the state is. Fields are all initialised here so V8 gives every Cpu one hidden class.
import type { PhysicalMemory } from '../machine/memory.js';
import type { IoBus } from '../machine/io-bus.js';
import { CR0 } from './control-regs.js';
import { type CpuCosts, DEFAULT_CPU_COSTS, rowCosts } from './cost-table.js';
import { FIXED1 } from './eflags.js';
import type { SecondStage } from './mmu/phys.js';
import { Tlb, TlbMask } from './mmu/tlb.js';
import { NO_VMX, type VmxHooks } from './hooks.js';
import type { Handler, Insn } from './insn.js';
import { MsrTable } from './msr.js';

/** Segment-cache slots: ES..GS as in x86/registers.ts `Seg`, then LDTR and TR. */
export const SegSlot = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;

/** What the processor needs from the interrupt controller (the PIC pair on a bare PC). */
export interface InterruptController {
  /** An unmasked request of higher priority than any in service. */
  hasInterrupt(): boolean;
  /** The INTA cycle: the vector to deliver; updates IRR/ISR. */
  acknowledge(): number;
}

/** What the processor needs from virtual time. One retired instruction is one cycle. */
export interface CpuClock {
  /** The current virtual cycle. The CPU adds the cycles it retires (one per instruction). */
  now: number;
  /** The earliest pending device deadline, +Infinity if none. */
  readonly nextDeadline: number;
  /** Advances to `cycle`, firing due device events in order. */
  advanceTo(cycle: number): void;
}

/** Bits of Cpu.pending: reasons to leave the inner loop at the next instruction boundary. */
export const Pending = {
  /** Re-check the interrupt controller (after I/O, a device event, IF going 0 → 1...). */
  CHECK_IRQ: 1 << 0,
  /** Decoded code was invalidated (self-modifying code, CR0/CR3/CR4 write, TLB flush). */
  CODE_CHANGED: 1 << 1,
  /** Someone outside the CPU asked it to stop (debug-exit port, debugger). */
  STOP: 1 << 2,
  /** One-instruction window after STI / MOV SS / POP SS, or TF single-step. */
  STEP: 1 << 3,
  /** The VMX layer wants control at the next boundary (event injection, preemption timer, MTF). */
  VMX: 1 << 4,
  /** A VM exit is recorded and must be completed before anything else (hooks.ts). */
  VM_EXIT: 1 << 5,
} as const;

/** Per-row cycles of the default table (shared by every processor that keeps it). */
const DEFAULT_ROW_COST = rowCosts(DEFAULT_CPU_COSTS);

export class Cpu {
  // ---- general registers and instruction pointer
  /** EAX..EDI in encoding order, as signed 32-bit values. Slot 8 is always 0: an absent base or
   *  index register of a memory operand points there (Insn.eaBase/eaIndex), so effective
   *  addresses need no branches. */
  readonly regs = new Int32Array(9);
  /** EIP as a signed 32-bit value. Inside an instruction's handler it already points past it. */
  eip = 0;

  // ---- EFLAGS: `flags` holds every bit; the six arithmetic bits named in `lazy` are instead
  // computed on demand from the last arithmetic operation (lzOp, lzDst, lzSrc, lzRes, lzBits).
  flags = FIXED1;
  lazy = 0;
  lzOp = 0;
  lzDst = 0;
  lzSrc = 0;
  /** The result truncated to lzBits bits (unsigned for 8/16, signed int32 for 32). */
  lzRes = 0;
  lzBits = 32;

  // ---- segment caches (slots per SegSlot): selector, base, byte-granular limit, access rights (AR.*)
  readonly segSel = new Int32Array(8);
  readonly segBase = new Int32Array(8);
  readonly segLimit = new Int32Array(8);
  readonly segAr = new Int32Array(8);
  /** Bit s set: reads through segment s need limit/type checks (not a flat 4 GiB readable segment). */
  segCheckR = 0;
  /** Bit s set: writes through segment s need checks (not a flat 4 GiB writable data segment). */
  segCheckW = 0;
  /** SS is a flat 4 GiB, 32-bit, writable stack: pushes and pops need no segment checks. */
  stackFlat = true;
  /** CS limit (int32; -1 = 4 GiB): branch targets beyond it raise #GP(0). Use csLimitExceeded(). */
  csLimit = -1;
  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0xffff;
  /** Current privilege level (CS.RPL in protected mode). */
  cpl = 0;

  // ---- control and debug registers
  cr0 = CR0.PE | CR0.ET;
  cr2 = 0;
  /** CR2 before the page walk's last #PF set it: a #PF that causes a VM exit must not change CR2
   *  (SDM Vol. 3 §26.2), so the VMX layer puts this back. */
  cr2BeforeFault = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);

  // ---- MSR-backed state (msr.ts); `msrs` is the RDMSR/WRMSR table (the VMX layer adds its MSRs)
  readonly msrs = new MsrTable();
  tscOffset = 0;
  /** VMX non-root with TSC offsetting: the VMCS TSC offset the guest's reads add (0 otherwise). */
  vmxTscOffset = 0;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;

  // ---- memory management
  readonly tlb = new Tlb();
  /** The current TLB context's entries (tlb.data, cached here for the hit path). */
  tlbData: Int32Array = this.tlb.data;
  /** TLB hit masks for data accesses at the current privilege level (TlbMask.*). */
  rMask: number = TlbMask.READ_SUP;
  wMask: number = TlbMask.WRITE_SUP;
  /** Alignment checking is on: CR0.AM, EFLAGS.AC and CPL 3 (SDM Vol. 3 §6.15, #AC). */
  acEnabled = false;
  /** The EPT stage installed by the VMX layer (null: guest-physical = host-physical). */
  secondStage: SecondStage | null = null;

  // ---- execution state
  halted = false;
  /** Interrupts are blocked until after the next instruction (STI, MOV SS / POP SS shadow). */
  inhibitIrq = false;
  /** With inhibitIrq: the blocking comes from MOV SS / POP SS, not STI (VMX saves them apart, and
   *  VM entry after MOV SS fails with error 26). */
  inhibitMovSs = false;
  /** Pending.* bits: the run loop leaves the inner loop when any is set. */
  pending = 0;
  /** Set by the block runner when a handler throws: what was thrown and by which instruction. */
  thrown: unknown = null;
  faultInsn: Insn | null = null;
  /** Bumped whenever a cached block chain may have become stale: TLB flushes, decoded code
   *  invalidated, CS or CPL changes (run-block.ts follows a chain only while it matches). */
  codeGen = 0;
  /** The last instruction of a block whose successor was not chained (the run loop links it). */
  chainFrom: Insn | null = null;
  /** The block end a compiled trace left from (trace.ts), for chaining on after it. */
  traceExit: Insn | null = null;
  /** Finds (without decoding or faulting) the already-decoded block at cpu.eip and chains `from` to
   *  it; null sends the run loop the slow way (run.ts Core.quickLookup). */
  blockLookup: (cpu: Cpu, from: Insn) => Insn | null = () => null;
  /** Instructions retired since reset (an integer-valued float64). */
  icount = 0;
  /** Virtual cycles not accounted for by instructions (modelled costs, HLT sleeps). */
  cycleBias = 0;
  /** Modelled cycles (cost model, docs/cost-model.md) of the instructions retired and the events
   *  delivered; page-walk references are counted apart in `walkRefs`. Never feeds virtual time. */
  modelCycles = 0;
  /** Memory references made by page walks on TLB misses (guest tables and, under EPT, EPT tables). */
  walkRefs = 0;
  /** The cost table in force and its per-row cycles (decode-cache.ts bakes them into blocks). */
  costs: CpuCosts = DEFAULT_CPU_COSTS;
  rowCost: Float64Array = DEFAULT_ROW_COST;
  /** Set by a triple fault: the processor stops (shutdown state). */
  shutdown = false;
  /** The vector being delivered (-1 when none): a fault during delivery is a double fault or is
   *  handled serially (SDM Vol. 3 §6.15 Table 6-5); a fault while delivering #DF shuts down. */
  deliveringVector = -1;
  /** Length of the last INT n / INT3 / INTO / INT1 instruction (VMX reports it for software events). */
  softEventLength = 0;
  /** The EXT bit (0 or 1) for error codes of faults raised while delivering an external event. */
  errExt = 0;
  /** What stopped the processor when `shutdown` is set (for the triple-fault report). */
  shutdownReason = '';

  // ---- VT-x seams (hooks.ts): the VMX layer sets these; outside non-root they stay inert
  nonRoot = false;
  /** The clock cycle at which the VMX layer wants control (VMX-preemption timer, MTF): the run loop
   *  then sets Pending.VMX. Infinity outside non-root operation. */
  vmxDeadline = Infinity;
  vmx: VmxHooks = NO_VMX;
  /** VMX instruction handlers by opcode-table row (dispatch.ts routes VMX rows here; absent: #UD). */
  readonly vmxInstructions: (Handler | undefined)[] = [];

  // ---- the board
  readonly mem: PhysicalMemory;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly memSize: number;
  readonly codeFrames: Uint8Array;
  readonly io: IoBus;
  clock: CpuClock;
  intc: InterruptController;

  constructor(mem: PhysicalMemory, io: IoBus, clock: CpuClock, intc: InterruptController) {
    this.mem = mem;
    this.u8 = mem.u8;
    this.u16 = mem.u16;
    this.i32 = mem.i32;
    this.memSize = mem.size;
    this.codeFrames = mem.codeFrames;
    this.io = io;
    this.clock = clock;
    this.intc = intc;
    this.tlb.onFlush = () => {
      this.codeGen++;
    };
    this.tlb.onSwitch = (data) => {
      this.tlbData = data;
    };
  }
}

/** The processor's modelled cycles: instructions and events, plus its page-walk references. */
export function modelledCycles(cpu: Cpu): number {
  return cpu.modelCycles + cpu.walkRefs * cpu.costs.walkRef;
}

/** Puts a cost table in force. Blocks decoded under another table are dropped by the caller
 *  (a new processor has none). */
export function setCosts(cpu: Cpu, costs: CpuCosts): void {
  cpu.costs = costs;
  cpu.rowCost = rowCosts(costs);
}
