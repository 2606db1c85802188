// The processor's public API: the only cpu/ module (with cpu/vmx's definition files) the hypervisor
// may import. It builds a processor over a board (memory, port bus, clock, interrupt controller),
// sets the initial state from a plain-data start state (boot's Multiboot state fits it), runs until
// an event, and exposes counters. Everything else in cpu/ is internal.
import type { IoBus } from '../machine/io-bus.js';
import type { PhysicalMemory } from '../machine/memory.js';
import { registerProcessorInternals } from './debug-access.js';
import { installArchitecturalMsrs } from './msr.js';
import { Core, type StopReason } from './run.js';
import { refreshSegChecks, setCpl } from './segmentation.js';
import type { CpuCosts } from './cost-table.js';
import { type CpuClock, Cpu, type InterruptController, Pending, modelledCycles, setCosts } from './state.js';
import { HostVmxOps, type VmxProcessor } from './vmx/host-ops.js';
import { installVmx } from './vmx/install.js';

export type { StopReason } from './run.js';
export type { CpuClock, InterruptController } from './state.js';
export type { VmxProcessor } from './vmx/host-ops.js';
export { type CpuCosts, DEFAULT_CPU_COSTS, cpuCostProblems } from './cost-table.js';

/** What the processor is built on. */
export interface ProcessorBoard {
  readonly memory: PhysicalMemory;
  readonly bus: IoBus;
  readonly clock: CpuClock;
  readonly interruptController: InterruptController;
  /** The cost model's processor table (docs/cost-model.md); the default when absent. */
  readonly costs?: CpuCosts;
}

/** A segment register with its hidden part; `attrs` in the VMX access-rights layout. */
export interface SegmentStart {
  readonly selector: number;
  readonly base: number;
  readonly limit: number;
  readonly attrs: number;
}

/** The architectural state to start from (boot's InitialCpuState has this shape). */
export interface CpuStartState {
  readonly eax: number;
  readonly ecx: number;
  readonly edx: number;
  readonly ebx: number;
  readonly esp: number;
  readonly ebp: number;
  readonly esi: number;
  readonly edi: number;
  readonly eip: number;
  readonly eflags: number;
  readonly cr0: number;
  readonly cr2: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly es: SegmentStart;
  readonly cs: SegmentStart;
  readonly ss: SegmentStart;
  readonly ds: SegmentStart;
  readonly fs: SegmentStart;
  readonly gs: SegmentStart;
  readonly ldtr: SegmentStart;
  readonly tr: SegmentStart;
  readonly gdtr: { readonly base: number; readonly limit: number };
  readonly idtr: { readonly base: number; readonly limit: number };
}

export interface ProcessorCounters {
  /** Instructions retired since the start state was applied. */
  readonly instructionsRetired: number;
  /** Decoded blocks built (decode-cache misses). */
  readonly blocksDecoded: number;
  /** Modelled cycles (docs/cost-model.md): instructions, events and page-walk references. */
  readonly modelCycles: number;
  /** Page-walk memory references made on TLB misses. */
  readonly walkRefs: number;
}

export interface Processor {
  /** Loads the start state (registers, segments, control registers) and clears execution state. */
  setState(s: CpuStartState): void;
  /** Runs until a stop event or until `maxInsns` more instructions have retired (Infinity: no budget). */
  run(maxInsns: number): StopReason;
  /** Makes run() return 'stop-requested' at the next instruction boundary (debug-exit, debugger). */
  requestStop(): void;
  readonly counters: ProcessorCounters;
  /** Linear EIPs where run() stops with 'breakpoint' before executing the instruction. */
  readonly breakpoints: Set<number>;
  /** The current EIP (for reports). */
  readonly eip: number;
}

/** Creates a processor over `board`, in the state of a CPU after reset into protected mode. Its VT-x
 *  is there for code that uses it (CPUID.1:ECX.VMX says so); VM exits go to HOST_RIP as on silicon. */
export function createProcessor(board: ProcessorBoard): Processor {
  const cpu = new Cpu(board.memory, board.bus, board.clock, board.interruptController);
  if (board.costs !== undefined) setCosts(cpu, board.costs);
  installArchitecturalMsrs(cpu);
  installVmx(cpu);
  const core = new Core(cpu);
  const processor: Processor = {
    setState: (s) => applyState(cpu, s),
    run: (max) => core.run(max),
    requestStop: () => {
      cpu.pending |= Pending.STOP;
    },
    counters: {
      get instructionsRetired() {
        return cpu.icount;
      },
      get blocksDecoded() {
        return core.cache.built;
      },
      get modelCycles() {
        return modelledCycles(cpu);
      },
      get walkRefs() {
        return cpu.walkRefs;
      },
    },
    breakpoints: core.breakpoints,
    get eip() {
      return cpu.eip >>> 0;
    },
  };
  registerProcessorInternals(processor, core);
  return processor;
}

function applyState(cpu: Cpu, s: CpuStartState): void {
  const r = cpu.regs;
  r[0] = s.eax;
  r[1] = s.ecx;
  r[2] = s.edx;
  r[3] = s.ebx;
  r[4] = s.esp;
  r[5] = s.ebp;
  r[6] = s.esi;
  r[7] = s.edi;
  cpu.eip = s.eip | 0;
  cpu.flags = s.eflags | 2;
  cpu.lazy = 0;
  cpu.cr0 = s.cr0 | 0x10;
  cpu.cr2 = s.cr2 | 0;
  cpu.cr3 = s.cr3 | 0;
  cpu.cr4 = s.cr4 | 0;
  const segs = [s.es, s.cs, s.ss, s.ds, s.fs, s.gs, s.ldtr, s.tr];
  segs.forEach((seg, i) => {
    cpu.segSel[i] = seg.selector & 0xffff;
    cpu.segBase[i] = seg.base | 0;
    cpu.segLimit[i] = seg.limit | 0;
    cpu.segAr[i] = seg.attrs | 0;
    refreshSegChecks(cpu, i);
  });
  cpu.gdtBase = s.gdtr.base | 0;
  cpu.gdtLimit = s.gdtr.limit & 0xffff;
  cpu.idtBase = s.idtr.base | 0;
  cpu.idtLimit = s.idtr.limit & 0xffff;
  setCpl(cpu, s.cs.selector & 3);
  cpu.halted = false;
  cpu.inhibitIrq = false;
  cpu.shutdown = false;
  cpu.shutdownReason = '';
  cpu.pending = Pending.CHECK_IRQ;
  cpu.icount = 0;
  cpu.modelCycles = 0;
  cpu.walkRefs = 0;
  cpu.tlb.flushAll();
}

/**
 * A processor in the host state `start` (for VMX operation: CR0.PE/NE/PG, CR4.VMXE), with the VT-x
 * interface a hypervisor written in TypeScript drives it through (src/vmm/vmx-ops.ts VmxOps):
 * VMX instructions at CPL 0, and VMLAUNCH/VMRESUME that run the guest until its next VM exit.
 */
export function createVmxProcessor(board: ProcessorBoard, start: CpuStartState): VmxProcessor {
  const cpu = new Cpu(board.memory, board.bus, board.clock, board.interruptController);
  if (board.costs !== undefined) setCosts(cpu, board.costs);
  installArchitecturalMsrs(cpu);
  const ctl = installVmx(cpu);
  const core = new Core(cpu);
  applyState(cpu, start);
  const ops = new HostVmxOps(cpu, core, ctl);
  registerProcessorInternals(ops, core);
  return ops;
}
