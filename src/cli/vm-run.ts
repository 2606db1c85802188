// `vmm run --mode ept|shadow [--pv]`: the VM modes of the run command. Output and exit statuses are those
// of a native run (stdout = the guest's console, status = its debug-exit value); a VM the hypervisor
// had to stop is status 124. `--stats` adds VM exits by reason; `--stats-json` writes them.
import { type TracedRunResult, runVmTraced } from '../debugger/trace/run-traced.js';
import { hostProcessor } from '../vmm/host-processor.js';
import { type VmRunResult, formatVmStats, runVm } from '../vmm/run-vm.js';
import type { VmStats } from '../vmm/stats.js';
import { type CostModel, type CycleBreakdown, DEFAULT_COST_MODEL } from '../vmm/cost-model.js';
import { ExitCode } from './exit-codes.js';
import { endingStatus, sayRunStats, writeStatsJson } from './run-report.js';

/** The modes that run the guest in a VM. */
export const VM_MODES = ['ept', 'shadow'] as const;
export type VmMode = (typeof VM_MODES)[number];

export interface VmRunCommandOptions {
  readonly mode: VmMode;
  readonly mem: number;
  readonly maxInsns?: number;
  readonly cmdline?: string;
  readonly pv?: boolean;
  readonly stats?: boolean;
  readonly statsJson?: string;
  /** The cost model for the modelled cycles (the default when absent). */
  readonly costs?: CostModel;
  /** Write a Chrome trace-event timeline here (src/debugger/trace/). */
  readonly trace?: string;
}

/** Runs `bytes` in a VM; returns the process exit status. ImageError propagates to the caller. */
export function runVmCommand(name: string, bytes: Uint8Array, opts: VmRunCommandOptions, say: (msg: string) => void): number {
  const factory = hostProcessor();
  if (!factory) {
    say(`--mode ${opts.mode} needs VT-x in the processor, which is not wired in yet`);
    return ExitCode.Internal;
  }
  const runOpts = {
    name,
    memMiB: opts.mem,
    mode: opts.mode,
    pv: opts.pv ?? false,
    ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
    ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
    onConsole: (b: Uint8Array) => process.stdout.write(b),
    costs: opts.costs ?? DEFAULT_COST_MODEL,
  };
  // With --trace the debugger's VM target runs the guest (it records every exit on the timeline).
  const r: VmRunResult | TracedRunResult = opts.trace !== undefined ? runVmTraced(bytes, runOpts, factory, opts.trace) : runVm(bytes, runOpts, factory);
  const stats: VmStats | null = 'stats' in r ? (r as VmRunResult).stats : null;
  const cost: CycleBreakdown | null = 'cost' in r ? (r as VmRunResult).cost : null;
  if (opts.stats) {
    sayRunStats(r.instructions, r.wallMs, cost, runOpts.costs, say);
    if (stats) for (const line of formatVmStats(stats)) say(`stats: ${line}`);
  }
  if (opts.statsJson !== undefined) {
    writeStatsJson(opts.statsJson, {
      mode: opts.mode,
      pv: opts.pv ?? false,
      instructions: r.instructions,
      wallMs: Number(r.wallMs.toFixed(3)),
      cycles: r.cycles,
      ...(stats ? { vmExits: stats.toJson() } : {}),
      ...(cost ? { modelledCycles: cost } : {}),
    });
  }
  return endingStatus(r.outcome, 'VM', say);
}
