// Shadow-paging benchmark (issue 5 "Performance"): the memory-management workloads in native, ept
// and shadow modes, side by side: host wall time per operation and VM exits per operation (with
// shadow paging's hidden faults, injected faults and emulated page-table writes per operation).
// Per-operation figures are differences between two run lengths, so boot and set-up cancel out.
//   wl-pagefault  one page fault on a fresh page (ring 3 touch, kernel maps a frame, PTE write)
//   wl-aspace     one address space created, populated (16 pages), switched to, used and destroyed
//   wl-ctxsw      one context switch between two processes in two address spaces (a CR3 load)
//   sched         one round of the 3-process preemptive scheduler (timer, HLT, CR3 switches)
//   npm run bench:shadow [-- --json FILE] [-- --rounds N]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostProcessor } from '../src/vmm/host-processor.js';
import { runNative } from '../src/vmm/run-native.js';
import { runVm } from '../src/vmm/run-vm.js';
import type { ShadowStatsJson } from '../src/vmm/shadow/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const jsonOut = arg('--json') ?? join(ROOT, 'bench', 'results', 'shadow.json');
const ROUNDS = Number(arg('--rounds') ?? 5);

const factory = hostProcessor();
if (!factory) {
  console.error('bench:shadow: the processor does not offer VT-x to the hypervisor (cpu/api.ts createVmxProcessor)');
  process.exit(1);
}

interface Workload {
  readonly guest: string;
  readonly op: string;
  /** Command line for n operations. */
  cmdline(n: number): string;
  /** Operations of the short and the long run. */
  readonly short: number;
  readonly long: number;
}

const WORKLOADS: readonly Workload[] = [
  { guest: 'wl-pagefault', op: 'fresh-page fault', cmdline: (n) => `iters=${n}`, short: 1000, long: 5000 },
  { guest: 'wl-aspace', op: 'address space lifecycle', cmdline: (n) => `iters=${n}`, short: 100, long: 500 },
  // 2N switches for iters=N.
  { guest: 'wl-ctxsw', op: 'context switch', cmdline: (n) => `iters=${n / 2}`, short: 4000, long: 20000 },
  { guest: 'sched', op: 'scheduler round', cmdline: (n) => `quiet steps=${n} work=0x800`, short: 20, long: 120 },
];

type Mode = 'native' | 'ept' | 'shadow';
const MODES: readonly Mode[] = ['native', 'ept', 'shadow'];

interface Sample {
  ms: number;
  exits: number;
  shadow: ShadowStatsJson | null;
}

function once(image: Uint8Array, w: Workload, mode: Mode, n: number): Sample {
  const cmdline = w.cmdline(n);
  if (mode === 'native') {
    const r = runNative(image, { name: w.guest, cmdline });
    if (r.outcome.kind !== 'exit' || r.outcome.value !== 0) throw new Error(`${w.guest} native: ${JSON.stringify(r.outcome)}`);
    return { ms: r.wallMs, exits: 0, shadow: null };
  }
  const r = runVm(image, { name: w.guest, cmdline, mode, pv: false }, factory!);
  if (r.outcome.kind !== 'exit' || r.outcome.value !== 0) throw new Error(`${w.guest} ${mode}: ${JSON.stringify(r.outcome)}`);
  return { ms: r.wallMs, exits: r.stats.total, shadow: r.stats.shadow?.toJson() ?? null };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  guest: string;
  op: string;
  mode: Mode;
  usPerOp: number;
  exitsPerOp: number;
  /** Shadow mode: per operation. */
  hiddenPerOp?: number;
  injectedPerOp?: number;
  emulatedPerOp?: number;
  singleStepsPerOp?: number;
  cr3SwitchesPerOp?: number;
  rootHitRate?: number;
}

function measure(w: Workload, mode: Mode): Row {
  const image = new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', `${w.guest}.elf`)));
  once(image, w, mode, w.short); // warm-up
  const perOp: number[] = [];
  let last: { a: Sample; b: Sample } | null = null;
  for (let i = 0; i < ROUNDS; i++) {
    const a = once(image, w, mode, w.short);
    const b = once(image, w, mode, w.long);
    perOp.push((b.ms - a.ms) / (w.long - w.short));
    last = { a, b };
  }
  const { a, b } = last!;
  const ops = w.long - w.short;
  const row: Row = { guest: w.guest, op: w.op, mode, usPerOp: round(median(perOp) * 1000), exitsPerOp: round((b.exits - a.exits) / ops) };
  if (a.shadow && b.shadow) {
    const d = (k: keyof ShadowStatsJson): number => round((b.shadow![k] - a.shadow![k]) / ops);
    row.hiddenPerOp = d('hiddenFaults');
    row.injectedPerOp = d('injectedFaults');
    row.emulatedPerOp = d('emulatedWrites');
    row.singleStepsPerOp = d('singleSteps');
    row.cr3SwitchesPerOp = d('cr3Switches');
    const hits = b.shadow.rootHits;
    row.rootHitRate = round(hits / Math.max(1, hits + b.shadow.rootMisses));
  }
  return row;
}

function round(x: number): number {
  return Number(x.toFixed(x >= 100 ? 1 : 3));
}

const rows: Row[] = [];
for (const w of WORKLOADS) {
  for (const mode of MODES) {
    const r = measure(w, mode);
    rows.push(r);
    process.stderr.write(`bench:shadow: ${w.guest} ${mode}: ${r.usPerOp} us/op, ${r.exitsPerOp} exits/op\n`);
  }
}

const cell = (s: string | number, n: number): string => String(s).padStart(n);
console.log('');
console.log(`${'workload'.padEnd(14)}${'operation'.padEnd(26)}${cell('native us/op', 13)}${cell('ept us/op', 11)}${cell('exits', 8)}${cell('shadow us/op', 14)}${cell('exits', 8)}${cell('hidden', 8)}${cell('inject', 8)}${cell('emul', 7)}${cell('step', 6)}${cell('cr3', 6)}${cell('x native', 10)}`);
for (const w of WORKLOADS) {
  const n = rows.find((r) => r.guest === w.guest && r.mode === 'native')!;
  const e = rows.find((r) => r.guest === w.guest && r.mode === 'ept')!;
  const s = rows.find((r) => r.guest === w.guest && r.mode === 'shadow')!;
  console.log(
    `${w.guest.padEnd(14)}${w.op.padEnd(26)}${cell(n.usPerOp, 13)}${cell(e.usPerOp, 11)}${cell(e.exitsPerOp, 8)}${cell(s.usPerOp, 14)}${cell(s.exitsPerOp, 8)}` +
      `${cell(s.hiddenPerOp ?? 0, 8)}${cell(s.injectedPerOp ?? 0, 8)}${cell(s.emulatedPerOp ?? 0, 7)}${cell(s.singleStepsPerOp ?? 0, 6)}${cell(s.cr3SwitchesPerOp ?? 0, 6)}${cell((s.usPerOp / n.usPerOp).toFixed(1), 10)}`,
  );
}

mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(jsonOut, JSON.stringify({ node: process.version, date: new Date().toISOString(), rounds: ROUNDS, rows }, null, 2) + '\n');
console.log(`\nwritten to ${jsonOut}`);
