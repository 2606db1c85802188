// What `vmm run` reports when a guest ends, the same for every mode: the `--stats` summary line,
// the `--stats-json` file, and how each ending maps to the process exit status (README "Exit
// statuses", src/cli/exit-codes.ts) with its one line on standard error.
import { writeFileSync } from 'node:fs';
import { type CostModel, type CycleBreakdown, formatCycles } from '../vmm/cost-model.js';
import type { VmOutcome } from '../vmm/run-vm.js';
import type { StatsJson } from '../vmm/stats.js';
import { ExitCode } from './exit-codes.js';

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

/** The `--stats` lines every mode prints: instructions, wall time and MIPS, then modelled cycles. */
export function sayRunStats(instructions: number, wallMs: number, cost: CycleBreakdown | null, costs: CostModel, say: (msg: string) => void): void {
  const secs = wallMs / 1000;
  const mips = secs > 0 ? instructions / secs / 1e6 : 0;
  say(`stats: ${instructions} instructions retired, ${wallMs.toFixed(1)} ms wall, ${mips.toFixed(1)} MIPS`);
  if (cost) say(`stats: ${formatCycles(cost, costs)}`);
}

/** The process exit status for how the guest ended; says why when it did not exit by itself. */
export function endingStatus(o: VmOutcome, machine: 'machine' | 'VM', say: (msg: string) => void): number {
  switch (o.kind) {
    case 'exit':
      return o.value & 0xff;
    case 'triple-fault':
      say(`triple fault, ${machine} shut down: ${o.report}`);
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
