// `vmm run IMAGE`: boots a Multiboot kernel. Standard output is exactly the bytes the guest writes
// to COM1; the exit status is the value it writes to port 0xF4; everything the tool says goes to
// standard error, with the documented statuses of exit-codes.ts for the other endings.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ImageError } from '../boot/image-error.js';
import { MEM_MIB_DEFAULT, MEM_MIB_MAX, MEM_MIB_MIN } from '../machine/board.js';
import { CostFileError, type CostModel, DEFAULT_COST_MODEL, loadCostModel } from '../vmm/cost-model.js';
import { type NativeRunOptions, type NativeRunResult, runNative } from '../vmm/run-native.js';
import { runNativeTraced } from '../debugger/trace/run-traced.js';
import { runUnderGdb } from './debug.js';
import { ExitCode } from './exit-codes.js';
import { VM_MODES, runVmCommand } from './vm-run.js';
import { endingStatus, sayRunStats, writeStatsJson } from './run-report.js';

/** Execution modes: `native` (the bare processor) and the VM modes of vm-run.ts (`ept`, the
 *  default, and `shadow`: every guest runs in both end to end). */
export const RUN_MODES = ['native', ...VM_MODES] as const;
export type RunMode = (typeof RUN_MODES)[number];

interface RunOptions {
  mode: RunMode;
  mem: number;
  maxInsns?: number;
  stats?: boolean;
  cmdline?: string;
  /** Serve gdb on this port before the first instruction (src/cli/debug.ts). */
  gdb?: number;
  /** Write a Chrome trace-event timeline here (src/debugger/trace/). */
  trace?: string;
  /** VM modes: advertise the para-virtual interface. */
  pv?: boolean;
  statsJson?: string;
  /** A cost-model file (docs/cost-model.md). */
  cost?: string;
}

function positiveInt(what: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function say(msg: string): void {
  process.stderr.write(`vmm: ${msg}\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('boot a Multiboot kernel image; stdout is the guest console (COM1)')
    .argument('<image>', 'Multiboot ELF kernel')
    .addOption(new Option('--mode <mode>', 'how to run the guest').choices(RUN_MODES).default('ept'))
    .option('--mem <MiB>', `guest RAM in MiB (${MEM_MIB_MIN}-${MEM_MIB_MAX})`, positiveInt('--mem', MEM_MIB_MIN, MEM_MIB_MAX), MEM_MIB_DEFAULT)
    .option('--max-insns <N>', 'stop after N instructions', positiveInt('--max-insns', 1, Number.MAX_SAFE_INTEGER))
    .option('--stats', 'print instructions retired, wall time and MIPS on stderr')
    .option('--cmdline <text>', 'Multiboot command line after the image name (like QEMU -append)')
    .option('--gdb <port>', 'wait for gdb on localhost:PORT before the first instruction', positiveInt('--gdb', 0, 65535))
    .option('--trace <file>', 'write a timeline of the run (Chrome trace-event JSON, opens in Perfetto)')
    .option('--pv', 'VM modes: advertise the para-virtual interface (CPUID 0x40000000, hypercalls)')
    .option('--stats-json <file>', 'write instructions, wall time and VM exits by reason as JSON')
    .option('--cost <file>', 'cost-model parameters (JSON; docs/cost-model.md) for the modelled cycles of --stats')
    .action(async (image: string, opts: RunOptions) => {
      process.exitCode = await runCommand(image, opts);
    });
}

function runCommand(image: string, opts: RunOptions): number | Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(image);
  } catch (e) {
    say(`cannot read ${image}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return ExitCode.BadInput;
  }
  let costs: CostModel = DEFAULT_COST_MODEL;
  if (opts.cost !== undefined) {
    try {
      costs = loadCostModel(opts.cost);
    } catch (e) {
      if (e instanceof CostFileError) {
        say(e.message);
        return ExitCode.BadInput;
      }
      throw e;
    }
  }
  if (opts.gdb !== undefined) {
    return runUnderGdb(image, bytes, { port: opts.gdb, mode: opts.mode, pv: opts.pv ?? false, mem: opts.mem, ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}) });
  }
  if (opts.mode !== 'native') {
    try {
      return runVmCommand(image, bytes, { ...opts, mode: opts.mode, costs }, say);
    } catch (e) {
      if (e instanceof ImageError) {
        say(e.message);
        return ExitCode.BadInput;
      }
      throw e;
    }
  }
  if (opts.pv) {
    say('--pv needs a VM mode (--mode ept): natively there is no hypervisor to call');
    return ExitCode.BadInput;
  }
  let result: NativeRunResult;
  try {
    const run = opts.trace !== undefined ? (b: Uint8Array, o: NativeRunOptions) => runNativeTraced(b, o, opts.trace!) : runNative;
    result = run(bytes, {
      name: image,
      memMiB: opts.mem,
      ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
      ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
      onConsole: (b) => process.stdout.write(b),
      costs,
    });
  } catch (e) {
    if (e instanceof ImageError) {
      say(e.message);
      return ExitCode.BadInput;
    }
    throw e;
  }
  if (opts.stats) sayRunStats(result.instructions, result.wallMs, result.cost ?? null, costs, say);
  if (opts.statsJson !== undefined) {
    writeStatsJson(opts.statsJson, { mode: 'native', pv: false, instructions: result.instructions, wallMs: Number(result.wallMs.toFixed(3)), cycles: result.cycles, ...(result.cost ? { modelledCycles: result.cost } : {}) });
  }
  return endingStatus(result.outcome, 'machine', say);
}
