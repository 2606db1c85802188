// Runs a Multiboot image in a VM under the hypervisor (`vmm run --mode ept`): builds the host
// machine (host-physical memory, a processor in VMX root operation), one VM with the image loaded
// in its RAM, and runs its vCPU's exit loop. Same result shape as run-native.ts, plus VM-exit stats.
import type { CpuCosts, CpuStartState, StopReason } from '../cpu/api.js';
import { type CostModel, type CycleBreakdown, DEFAULT_COST_MODEL, vmCycles } from './cost-model.js';
import { Clock } from '../machine/clock.js';
import { IoBus } from '../machine/io-bus.js';
import { PhysicalMemory } from '../machine/memory.js';
import { MEM_MIB_DEFAULT } from '../machine/board.js';
import { RunStatus, runVcpu } from './exit-loop.js';
import type { VmStop } from './exits/outcome.js';
import { FrameAllocator } from './frames.js';
import { buildHostState, enterVmxRoot, hostCpuState, hostMemoryBytes } from './host.js';
import type { PagingModeName } from './paging/mode.js';
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits, shadowFrames } from './shadow/shadow-mmu.js';
import { PAGE_SIZE } from './arch-defs.js';
import type { NativeOutcome, NativeRunOptions } from './run-native.js';
import type { VmStats } from './stats.js';
import { Vm } from './vm.js';
import type { VmxOps } from './vmx-ops.js';

export interface VmRunOptions extends NativeRunOptions {
  readonly mode: PagingModeName;
  /** Advertise the para-virtual interface and accept hypercalls. */
  readonly pv: boolean;
  /** Shadow mode: bounds of the shadow-page cache (default DEFAULT_SHADOW_LIMITS). */
  readonly shadowLimits?: ShadowLimits;
}

/** How a VM run ended: as natively, or stopped by the hypervisor (exit status 124). */
export type VmOutcome = NativeOutcome | { readonly kind: 'vm-stopped'; readonly report: string };

export interface VmRunResult {
  readonly outcome: VmOutcome;
  readonly instructions: number;
  readonly wallMs: number;
  /** Virtual cycles of the VM's clock (instructions plus time slept in HLT). */
  readonly cycles: number;
  /** Modelled cycles (cost model, docs/cost-model.md): the guest on the processor, the VM
   *  transitions and the hypervisor's work. Deterministic. */
  readonly cost: CycleBreakdown;
  readonly stats: VmStats;
}

/** What the hypervisor runs on: host memory, an (empty) host port bus, the host's clock. */
export interface HostBoard {
  readonly memory: PhysicalMemory;
  readonly bus: IoBus;
  readonly clock: Clock;
  readonly interruptController: { hasInterrupt(): boolean; acknowledge(): number };
  /** The cost model's processor table (cpu/api.ts ProcessorBoard.costs). */
  readonly costs?: CpuCosts;
}

/**
 * Makes the processor the hypervisor runs on, in the host state `start` (paging on, CR4.VMXE), and
 * returns its VT-x interface. Phase 2 of the processor provides the real one (cpu/api.ts).
 */
export type HostProcessorFactory = (board: HostBoard, start: CpuStartState) => VmxOps;

/** The host has no interrupt sources of its own (its devices are the VMs'). */
const NO_INTERRUPTS = { hasInterrupt: () => false, acknowledge: () => 0 };
/** Instructions per run slice: console output is flushed between slices. */
const SLICE = 20_000_000;

export interface VmMachine {
  readonly vm: Vm;
  readonly ops: VmxOps;
  run(): VmRunResult;
  /** Hands buffered console bytes to `onConsole` now (the debugger runs the exit loop itself). */
  flushConsole(): void;
}

/** Builds the host and the VM and loads the image (ImageError on a bad one). */
export function prepareVm(image: Uint8Array, opts: VmRunOptions, makeProcessor: HostProcessorFactory): VmMachine {
  const memMiB = opts.memMiB ?? MEM_MIB_DEFAULT;
  const model = opts.costs ?? DEFAULT_COST_MODEL;
  const board: HostBoard = {
    memory: new PhysicalMemory(hostMemoryBytes(memMiB * 1024 * 1024, opts.mode === 'shadow' ? shadowFrames(opts.shadowLimits ?? DEFAULT_SHADOW_LIMITS) * PAGE_SIZE : 0)),
    bus: new IoBus(),
    clock: new Clock(),
    interruptController: NO_INTERRUPTS,
    costs: model.cpu,
  };
  const frames = new FrameAllocator(board.memory.size / 4096, 1);
  const layout = buildHostState(board.memory, frames);
  const ops = makeProcessor(board, hostCpuState(layout));
  const host = enterVmxRoot(ops, board.memory, frames, layout);

  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length > 0 && opts.onConsole) opts.onConsole(Uint8Array.from(pending));
    pending = [];
  };
  const vm = new Vm(
    host,
    {
      id: 1,
      memMiB,
      mode: opts.mode,
      pv: opts.pv,
      ...(opts.shadowLimits ? { shadowLimits: opts.shadowLimits } : {}),
      name: opts.name,
      ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
      console: (b) => {
        pending.push(b);
        if (pending.length >= 4096) flush();
      },
    },
    image,
  );

  const run = (): VmRunResult => {
    const max = opts.maxInsns ?? Infinity;
    const t0 = performance.now();
    let outcome: VmOutcome | null = null;
    while (outcome === null) {
      ops.pauseAt = Math.min(max, ops.instructionsRetired + SLICE);
      const status = runVcpu(vm.vcpu);
      flush();
      if (status === RunStatus.STOPPED) outcome = fromStop(vm.stop!);
      else outcome = fromPause(ops.pauseReason, ops.instructionsRetired, max);
    }
    return { outcome, instructions: ops.instructionsRetired, wallMs: performance.now() - t0, cycles: vm.clock.now, stats: vm.stats, cost: vmRunCycles(ops, vm, model) };
  };
  return { vm, ops, run, flushConsole: flush };
}

function fromStop(s: VmStop): VmOutcome {
  switch (s.kind) {
    case 'exit':
    case 'triple-fault':
    case 'halted-forever':
    case 'unsupported':
      return s;
    case 'vm-error':
      return { kind: 'vm-stopped', report: s.report };
  }
}

/** A pause is the end of the run only when the budget is spent or the processor gave up. */
function fromPause(reason: StopReason | null, retired: number, max: number): VmOutcome | null {
  if (reason?.kind === 'unsupported') return { kind: 'unsupported', message: reason.message };
  if (retired >= max) return { kind: 'budget', maxInsns: max };
  return null;
}

/** Loads and runs `image` in a VM until it exits, faults, halts for good or runs out of budget. */
export function runVm(image: Uint8Array, opts: VmRunOptions, makeProcessor: HostProcessorFactory): VmRunResult {
  return prepareVm(image, opts, makeProcessor).run();
}

/** `--stats` lines: VM exits by reason with their sub-keys, hypercalls by name. */
export function formatVmStats(stats: VmStats): string[] {
  return stats.format();
}

/** The modelled cycles of a VM run so far (NaN parts when the processor does not count them). */
export function vmRunCycles(ops: VmxOps, vm: Vm, model: CostModel): CycleBreakdown {
  const counts = ops.vmxCounts ?? { vmread: NaN, vmwrite: NaN, invalidate: NaN };
  return vmCycles(
    { modelCycles: ops.modelCycles ?? NaN, walkRefs: ops.walkRefs ?? NaN },
    { stats: vm.stats, guestMemoryAccesses: vm.ram.accesses, vmxCounts: counts },
    model,
  );
}
