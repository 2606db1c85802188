// `npm run bench`: every workload guest in native, ept, shadow, ept+pv and shadow+pv; per iteration:
// modelled cycles (docs/cost-model.md; exact, machine-independent) by part, VM exits by reason, host
// wall time, each relative to native. Also runs the MIPS loops (bench/mips.ts) and the decoder
// benchmark (bench/decoder.ts). Writes bench/results/latest.{json,md,svg}.
//   npm run bench [-- --quick] [--cost FILE] [--repeats N] [--out DIR] [--only ID,ID] [--no-extras]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { CostFileError, type CostModel, DEFAULT_COST_MODEL, loadCostModel } from '../src/vmm/cost-model.js';
import { type LengthRuns, cellFrom, nothing, relativeTo } from './report/cells.js';
import { renderMarkdown } from './report/markdown.js';
import { type RunFigures, type RunUnavailable, runOnce } from './report/measure.js';
import type { BenchResults, Cell, DecoderResult, MipsLoop, Optional, WorkloadResult } from './report/schema.js';
import { renderSvg } from './report/svg.js';
import { MODES, type Mode, WORKLOADS, type Workload, cmdlineFor, sizes } from './report/workloads.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const extras = !process.argv.includes('--no-extras');
const repeats = Math.max(1, Number(arg('--repeats') ?? (quick ? 1 : 3)));
const outDir = arg('--out') ?? join(ROOT, 'bench', 'results');
const only = arg('--only')?.split(',');
let model: CostModel = DEFAULT_COST_MODEL;
const costFile = arg('--cost');
if (costFile !== undefined) {
  try {
    model = loadCostModel(costFile);
  } catch (e) {
    if (e instanceof CostFileError) {
      console.error(`bench: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}
const workloads = WORKLOADS.filter((w) => only === undefined || only.includes(w.id));

// ---------------------------------------------------------------- progress

const runsPerCell = (w: Workload): number => (sizes(w, quick)[0] === 0 ? 0 : repeats) + repeats + 1;
const total = workloads.reduce((n, w) => n + runsPerCell(w) * MODES.length, 0) + (extras ? 2 : 0);
const bar = new cliProgress.SingleBar(
  { format: 'bench {bar} {percentage}% | {value}/{total} | {task}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
  cliProgress.Presets.shades_classic,
);
bar.start(total, 0, { task: 'starting' });
const tick = (task: string): void => bar.increment(1, { task });

// ---------------------------------------------------------------- workloads

/** Runs one length `repeats` times; the first run's deterministic figures, every run's wall time. */
function lengthRuns(w: Workload, mode: Mode, n: number, reference: Map<number, string>): LengthRuns | RunUnavailable {
  const walls: number[] = [];
  let first: RunFigures | null = null;
  for (let i = 0; i < repeats; i++) {
    tick(`${w.id} ${mode} ${w.param ?? 'run'}=${n}`);
    const r = runOnce(ROOT, w.guest, cmdlineFor(w, n), mode, model);
    if (r.kind !== 'ran') return r;
    if (r.exitValue !== 0) return { kind: 'failed', reason: `guest exited with ${r.exitValue}` };
    const ref = reference.get(n);
    if (ref === undefined) reference.set(n, r.output);
    else if (ref !== r.output) return { kind: 'failed', reason: 'console output differs from native' };
    if (first === null) first = r;
    else if (r.cost.total !== first.cost.total) return { kind: 'failed', reason: `modelled cycles differ between identical runs (${first.cost.total} vs ${r.cost.total})` };
    walls.push(r.wallMs);
  }
  return { iterations: n, first: first!, wallMs: walls };
}

function measureCell(w: Workload, mode: Mode, reference: Map<number, string>): Cell {
  const [n1, n2] = sizes(w, quick);
  const skip = (): void => {
    for (let i = 0; i < runsPerCell(w); i++) tick(`${w.id} ${mode}`);
  };
  // One untimed run first: JIT and decode-cache warm-up for this guest in this mode.
  tick(`${w.id} ${mode} warm-up`);
  const warm = runOnce(ROOT, w.guest, cmdlineFor(w, n1 === 0 ? n2 : n1), mode, model);
  if (warm.kind !== 'ran') {
    for (let i = 1; i < runsPerCell(w); i++) tick(`${w.id} ${mode}`);
    return { status: warm.kind, reason: warm.reason };
  }
  const short = n1 === 0 ? nothing() : lengthRuns(w, mode, n1, reference);
  if ('kind' in short) {
    skip();
    return { status: short.kind, reason: short.reason };
  }
  const long = lengthRuns(w, mode, n2, reference);
  if ('kind' in long) return { status: long.kind, reason: long.reason };
  return cellFrom(short, long);
}

const results: WorkloadResult[] = [];
for (const w of workloads) {
  // Native's output at each length is the reference every other mode must print.
  const reference = new Map<number, string>();
  const cells = {} as Record<Mode, Cell>;
  for (const m of MODES) cells[m] = measureCell(w, m, reference);
  const native = cells.native.status === 'ok' ? cells.native : null;
  for (const m of MODES) {
    const c = cells[m];
    if (c.status === 'ok') cells[m] = relativeTo(c, m === 'native' ? null : native);
  }
  results.push({ id: w.id, guest: w.guest, unit: w.unit, kind: w.kind, like: w.like, sizes: sizes(w, quick), cells });
}

// ---------------------------------------------------------------- MIPS loops and decoder

function tsx(args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; output: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function lastLine(s: string): string {
  return s.split('\n').filter((l) => l.trim() !== '').pop() ?? 'no output';
}

function runMips(): Optional<readonly MipsLoop[]> {
  tick('MIPS loops');
  const file = join(mkdtempSync(join(tmpdir(), 'vtx-bench-')), 'mips.json');
  const r = tsx(['bench/mips.ts', '--iters', String(quick ? 2_000_000 : 20_000_000), '--json', file]);
  if (!r.ok || !existsSync(file)) return { status: 'n/a', reason: `bench/mips.ts failed: ${lastLine(r.output)}` };
  const json = JSON.parse(readFileSync(file, 'utf8')) as { results: { guest: string; mips: number }[] };
  return { status: 'ok', value: json.results.map((l) => ({ guest: l.guest, mips: l.mips })) };
}

function runDecoder(): Optional<DecoderResult> {
  tick('decoder benchmark');
  // bench/decoder.ts writes its own results file; keep that file as it was (it is the standalone
  // benchmark's record) and take the figures from what this run wrote.
  const file = join(ROOT, 'bench', 'results', 'decoder.json');
  const before = existsSync(file) ? readFileSync(file) : null;
  const r = tsx(['bench/decoder.ts'], { ...process.env, ...(quick ? { BENCH_QUICK: '1' } : {}) });
  const after = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (before !== null) writeFileSync(file, before);
  if (!r.ok || after === null) return { status: 'n/a', reason: `bench/decoder.ts failed: ${lastLine(r.output)}` };
  const j = JSON.parse(after) as { insnsPerSec: { ours: number; icedDecodeOut: number; icedDecodeOutOperands: number } };
  return {
    status: 'ok',
    value: { oursMInsnsPerSec: j.insnsPerSec.ours / 1e6, icedDecodeOutMInsnsPerSec: j.insnsPerSec.icedDecodeOut / 1e6, icedOperandsMInsnsPerSec: j.insnsPerSec.icedDecodeOutOperands / 1e6 },
  };
}

const skipped = { status: 'n/a', reason: 'skipped (--no-extras)' } as const;
const mips = extras ? runMips() : skipped;
const decoder = extras ? runDecoder() : skipped;
bar.update(total, { task: 'done' });
bar.stop();

// ---------------------------------------------------------------- write

function gitCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'guests/bin'], { cwd: ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() !== '' ? ' (src/ or guests/bin/ modified)' : ''}`;
}

const report: BenchResults = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  node: process.version,
  host: `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}`,
  quick,
  repeats,
  costModel: model,
  modes: MODES,
  workloads: results,
  mips,
  decoder,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, 'latest.md'), renderMarkdown(report));
writeFileSync(join(outDir, 'latest.svg'), renderSvg(report));
console.log(`wrote ${join(outDir, 'latest.json')}, latest.md, latest.svg`);
for (const w of results) {
  const line = MODES.map((m) => {
    const c = w.cells[m];
    return c.status === 'ok' ? `${m} ${Math.round(c.cycles)}${c.relCycles !== null ? ` (${c.relCycles.toFixed(2)}x)` : ''}` : `${m} ${c.status}`;
  }).join('  ');
  console.log(`  ${w.id.padEnd(10)} ${line}`);
}
