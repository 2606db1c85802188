// `vmm run --mode ept|shadow [--pv]`: the VM modes of the run command. Output and exit statuses are those
// of a native run (stdout = the guest's console, status = its debug-exit value); a VM the hypervisor
// had to stop is status 124. `--stats` adds VM exits by reason; `--stats-json` writes them.
import { writeFileSync } from 'node:fs';
import { type TracedRunResult, runVmTraced } from '../debugger/trace/run-traced.js';
import { hostProcessor } from '../vmm/host-processor.js';
import { type VmRunResult, formatVmStats, runVm } from '../vmm/run-vm.js';
import type { StatsJson, VmStats } from '../vmm/stats.js';
import { type CostModel, type CycleBreakdown, DEFAULT_COST_MODEL, formatCycles } from '../vmm/cost-model.js';
import { ExitCode } from './exit-codes.js';

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

/** What `--stats-json` writes, for every mode (vmExits only in VM modes). */
export interface RunStatsJson {
  readonly mode: string;
  readonly pv: boolean;
  readonly instructions: number;
  readonly wallMs: number;
  readonly cycles: number;
  readonly vmExits?: StatsJson;
  /** Modelled cycles by part (cost model, docs/cost-model.md). */
  readonly modelledCycles?: CycleBreakdown;
}

export function writeStatsJson(file: string, s: RunStatsJson): void {
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
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
    const secs = r.wallMs / 1000;
    const mips = secs > 0 ? r.instructions / secs / 1e6 : 0;
    say(`stats: ${r.instructions} instructions retired, ${r.wallMs.toFixed(1)} ms wall, ${mips.toFixed(1)} MIPS`);
    if (cost) say(`stats: ${formatCycles(cost, runOpts.costs)}`);
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
  const o = r.outcome;
  switch (o.kind) {
    case 'exit':
      return o.value & 0xff;
    case 'triple-fault':
      say(`triple fault, VM shut down: ${o.report}`);
      return ExitCode.TripleFault;
    case 'budget':
      say(`instruction budget exhausted after ${o.maxInsns} instructions (--max-insns)`);
      return ExitCode.BudgetExhausted;
    case 'halted-forever':
      say(`guest ${o.why}; it can never wake up`);
      return ExitCode.HaltedForever;
    case 'unsupported':
      say(`the guest used something this processor does not implement: ${o.message}`);
      return ExitCode.Internal;
    case 'vm-stopped':
      say(`the hypervisor stopped the VM: ${o.report}`);
      return ExitCode.VmStopped;
  }
}
