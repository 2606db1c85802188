// `vmm run --trace FILE`: runs a guest as `vmm run` does, with a timeline recorder attached, and
// writes Chrome trace-event JSON when the run ends. It drives the same machines through the debug
// targets in slices of TRACE_SLICE instructions, so console lines get timestamps within a slice of
// when they were written (the plain runners batch console output per 20M instructions).
import { writeFileSync } from 'node:fs';
import type { NativeOutcome, NativeRunOptions, NativeRunResult } from '../../vmm/run-native.js';
import type { HostProcessorFactory, VmOutcome, VmRunOptions } from '../../vmm/run-vm.js';
import type { DebugTarget, EndOutcome } from '../target.js';
import { createNativeTarget } from '../targets/native.js';
import { VmTarget } from '../targets/vm.js';
import { prepareVm } from '../../vmm/run-vm.js';
import { TraceRecorder } from './recorder.js';

const TRACE_SLICE = 100_000;

/** What a traced run reports (the fields `vmm run` prints and maps to exit statuses). */
export interface TracedRunResult {
  readonly outcome: VmOutcome;
  readonly instructions: number;
  readonly wallMs: number;
  readonly cycles: number;
}

function outcomeOf(e: EndOutcome): VmOutcome {
  return e.kind === 'vm-stopped' ? { kind: 'vm-stopped', report: e.message } : e;
}

function drive(target: DebugTarget, maxInsns: number): { outcome: VmOutcome; wallMs: number } {
  const t0 = performance.now();
  for (;;) {
    const left = maxInsns - target.instructions;
    if (left <= 0) return { outcome: { kind: 'budget', maxInsns }, wallMs: performance.now() - t0 };
    const r = target.run(Math.min(TRACE_SLICE, left));
    if (r.kind === 'ended') return { outcome: outcomeOf(r.outcome), wallMs: performance.now() - t0 };
  }
}

/** Runs natively and writes the timeline (the guest's run, its console lines, the end) to `file`. */
export function runNativeTraced(image: Uint8Array, opts: NativeRunOptions, file: string): NativeRunResult {
  let now = (): number => 0;
  const rec = new TraceRecorder(() => now());
  const target = createNativeTarget(image, {
    ...opts,
    onConsole: (b) => {
      rec.console(b);
      opts.onConsole?.(b);
    },
  });
  now = () => target.cycles;
  const { outcome, wallMs } = drive(target, opts.maxInsns ?? Infinity);
  rec.finish(target.cycles, target.instructions, outcome.kind);
  writeFileSync(file, rec.trace.toJson(`${opts.name} (native)`));
  return { outcome: outcome as NativeOutcome, instructions: target.instructions, wallMs, cycles: target.cycles };
}

/** Runs in a VM and writes the timeline (guest slices, VM exits, injections, hypercalls, console). */
export function runVmTraced(image: Uint8Array, opts: VmRunOptions, makeProcessor: HostProcessorFactory, file: string): TracedRunResult {
  let now = (): number => 0;
  const rec = new TraceRecorder(() => now());
  const vmOpts = {
    ...opts,
    onConsole: (b: Uint8Array) => {
      rec.console(b);
      opts.onConsole?.(b);
    },
  };
  const machine = prepareVm(image, vmOpts, makeProcessor);
  const target = new VmTarget(machine, vmOpts);
  rec.attachVm(machine);
  now = () => target.cycles;
  const { outcome, wallMs } = drive(target, opts.maxInsns ?? Infinity);
  rec.finish(target.cycles, target.instructions, outcome.kind);
  writeFileSync(file, rec.trace.toJson(`${opts.name} (${opts.mode}${opts.pv ? ' +pv' : ''})`));
  return { outcome, instructions: target.instructions, wallMs, cycles: target.cycles };
}
