// One run of a workload guest in one mode and what the report needs from it: console output, exit,
// instructions, the modelled-cycle breakdown, VM exits by reason and host wall time. A mode the
// hypervisor cannot run yet is an answer (`unavailable`), never a made-up figure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CostModel, CycleBreakdown } from '../../src/vmm/cost-model.js';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { prepareNative } from '../../src/vmm/run-native.js';
import { prepareVm } from '../../src/vmm/run-vm.js';
import type { Mode } from './workloads.js';

export interface RunFigures {
  readonly kind: 'ran';
  readonly output: string;
  readonly exitValue: number;
  readonly instructions: number;
  readonly cost: CycleBreakdown;
  readonly exitsByReason: Readonly<Record<string, number>>;
  readonly exits: number;
  readonly wallMs: number;
}

/** The mode cannot run (not built yet, or the run ended without the guest's own exit). */
export interface RunUnavailable {
  readonly kind: 'n/a' | 'failed';
  readonly reason: string;
}

const images = new Map<string, Uint8Array>();

function image(root: string, guest: string): Uint8Array {
  let img = images.get(guest);
  if (img === undefined) {
    img = new Uint8Array(readFileSync(join(root, 'guests', 'bin', `${guest}.elf`)));
    images.set(guest, img);
  }
  return img;
}

/** Runs `guest` with `cmdline` in `mode` under `model`. */
export function runOnce(root: string, guest: string, cmdline: string, mode: Mode, model: CostModel): RunFigures | RunUnavailable {
  const img = image(root, guest);
  let out = '';
  const onConsole = (b: Uint8Array): void => {
    out += Buffer.from(b).toString('latin1');
  };
  const name = `guests/bin/${guest}.elf`;
  if (mode === 'native') {
    const r = prepareNative(img, { name, cmdline, onConsole, costs: model }).run();
    if (r.outcome.kind !== 'exit') return { kind: 'failed', reason: `native run ended with ${r.outcome.kind}` };
    return { kind: 'ran', output: out, exitValue: r.outcome.value, instructions: r.instructions, cost: r.cost!, exitsByReason: {}, exits: 0, wallMs: r.wallMs };
  }
  const factory = hostProcessor();
  if (factory === null) return { kind: 'n/a', reason: 'the processor does not offer VT-x yet' };
  const paging = mode.startsWith('shadow') ? 'shadow' : 'ept';
  const pv = mode.endsWith('+pv');
  let machine;
  try {
    machine = prepareVm(img, { name, cmdline, onConsole, costs: model, mode: paging, pv }, factory);
  } catch (e) {
    // A paging mode the hypervisor does not build yet says so when the VM is made.
    return { kind: 'n/a', reason: (e as Error).message };
  }
  const r = machine.run();
  if (r.outcome.kind !== 'exit') {
    const why = 'report' in r.outcome ? r.outcome.report : 'message' in r.outcome ? r.outcome.message : r.outcome.kind;
    return { kind: 'failed', reason: `${mode} run ended with ${r.outcome.kind}: ${why}` };
  }
  const byReason: Record<string, number> = {};
  const json = r.stats.toJson();
  for (const [reason, e] of Object.entries(json.exits)) byReason[reason] = e.count;
  return {
    kind: 'ran',
    output: out,
    exitValue: r.outcome.value,
    instructions: r.instructions + r.stats.emulated,
    cost: r.cost,
    exitsByReason: byReason,
    exits: r.stats.total,
    wallMs: r.wallMs,
  };
}
