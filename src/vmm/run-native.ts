// Runs a Multiboot image on the bare emulated machine (no hypervisor): board + loader + processor.
// It lives in vmm/ rather than cli/ because cli/ may not import cpu/ (DESIGN.md import rules), and
// vmm/ may use the processor's public API (cpu/api.ts) — the same API the hypervisor's own modes
// build on. The CLI (cli/run.ts) only parses arguments and prints what this returns.
import { loadMultiboot } from '../boot/multiboot.js';
import { physWriterFor } from '../boot/phys-writer.js';
import { type Processor, type StopReason, createProcessor } from '../cpu/api.js';
import { Board, MEM_MIB_DEFAULT } from '../machine/board.js';
import { type CostModel, type CycleBreakdown, DEFAULT_COST_MODEL, nativeCycles } from './cost-model.js';
import { tuneHostForGuests } from './host-tuning.js';

export interface NativeRunOptions {
  /** The image's name as the user gave it (errors, and the start of the Multiboot command line). */
  readonly name: string;
  readonly memMiB?: number;
  /** Stop after this many instructions (default: no limit). */
  readonly maxInsns?: number;
  /** Text after the image name on the Multiboot command line. */
  readonly cmdline?: string;
  /** Receives console (COM1) output in chunks, as it is produced. */
  readonly onConsole?: (bytes: Uint8Array) => void;
  /** The cost model (docs/cost-model.md); the default when absent. */
  readonly costs?: CostModel;
}

/** How a run ended. */
export type NativeOutcome =
  | { readonly kind: 'exit'; readonly value: number }
  | { readonly kind: 'triple-fault'; readonly report: string }
  | { readonly kind: 'budget'; readonly maxInsns: number }
  | { readonly kind: 'halted-forever'; readonly why: string }
  | { readonly kind: 'unsupported'; readonly message: string };

export interface NativeRunResult {
  readonly outcome: NativeOutcome;
  readonly instructions: number;
  /** Host wall time of the run itself (loading excluded), in milliseconds. */
  readonly wallMs: number;
  /** Virtual cycles elapsed (instructions plus time slept in HLT). */
  readonly cycles: number;
  /** Modelled cycles of the work done (cost model, docs/cost-model.md): deterministic. Absent
   *  when a runner other than prepareNative produced the result (the tracing debugger). */
  readonly cost?: CycleBreakdown;
}

/** Instructions per run slice: console output is flushed between slices. */
const SLICE = 20_000_000;

/** A loaded machine ready to run (exposed for the benchmarks, which time `run` alone). */
export interface NativeMachine {
  readonly board: Board;
  readonly processor: Processor;
  run(): NativeRunResult;
  /** Hands buffered console bytes to `onConsole` now (the debugger runs `processor` itself). */
  flushConsole(): void;
}

/** Builds the board, loads the image (ImageError on a bad one) and sets the start state. */
export function prepareNative(image: Uint8Array, opts: NativeRunOptions): NativeMachine {
  tuneHostForGuests();
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length > 0 && opts.onConsole) opts.onConsole(Uint8Array.from(pending));
    pending = [];
  };
  let exitValue = -1;
  let processor: Processor | null = null;
  const board = new Board({
    memMiB: opts.memMiB ?? MEM_MIB_DEFAULT,
    console: (b) => {
      pending.push(b);
      if (pending.length >= 4096) flush();
    },
    onExit: (v) => {
      exitValue = v;
      processor?.requestStop();
    },
  });
  const loaded = loadMultiboot(image, physWriterFor(board.memory), { name: opts.name, cmdline: opts.cmdline ?? '' });
  const model = opts.costs ?? DEFAULT_COST_MODEL;
  const proc = createProcessor({ memory: board.memory, bus: board.bus, clock: board.clock, interruptController: board.interruptController, costs: model.cpu });
  processor = proc;
  proc.setState(loaded.state);

  const run = (): NativeRunResult => {
    const max = opts.maxInsns ?? Infinity;
    const t0 = performance.now();
    let outcome: NativeOutcome | null = null;
    while (outcome === null) {
      const left = max - proc.counters.instructionsRetired;
      const stop: StopReason = proc.run(Math.min(SLICE, left));
      flush();
      switch (stop.kind) {
        case 'stop-requested':
          if (exitValue >= 0) outcome = { kind: 'exit', value: exitValue };
          break;
        case 'budget':
          if (proc.counters.instructionsRetired >= max) outcome = { kind: 'budget', maxInsns: max };
          break;
        case 'triple-fault':
          outcome = { kind: 'triple-fault', report: stop.report };
          break;
        case 'halted-forever':
          outcome = { kind: 'halted-forever', why: stop.why };
          break;
        case 'unsupported':
          outcome = { kind: 'unsupported', message: stop.message };
          break;
        case 'breakpoint':
          break;
      }
    }
    return {
      outcome,
      instructions: proc.counters.instructionsRetired,
      wallMs: performance.now() - t0,
      cycles: board.clock.now,
      cost: nativeCycles(proc.counters, model),
    };
  };
  return { board, processor: proc, run, flushConsole: flush };
}

/** Loads and runs `image` natively until it exits, faults, halts for good or runs out of budget. */
export function runNative(image: Uint8Array, opts: NativeRunOptions): NativeRunResult {
  return prepareNative(image, opts).run();
}
