// MIPS benchmark (issue 3 "Performance"): runs the three guest loops natively -- mips-dec
// (`dec ecx; jnz`), mips-mem (a 10-instruction body with 2 loads and 2 stores) and mips-call (a
// call/ret body) -- and prints instructions retired per second of host wall time. Loading the image
// and building the board are excluded; each loop runs once to warm up (JIT, decode cache), then
// ROUNDS timed runs on fresh machines, and the median is reported. Target: >= 250 MIPS each.
//   npm run bench:mips [-- --iters N] [--json FILE] [--interp (the interpreter tier alone)]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tiers } from '../src/cpu/run-block.js';
import { prepareNative } from '../src/vmm/run-native.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOOPS = ['mips-dec', 'mips-mem', 'mips-call'] as const;
const ROUNDS = 5;
const TARGET_MIPS = 250;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const iters = Number(arg('--iters') ?? 20_000_000);
const jsonOut = arg('--json');
const interpOnly = process.argv.includes('--interp');
if (interpOnly) tiers.traces = false;

interface LoopResult {
  guest: string;
  iterations: number;
  instructions: number;
  medianMs: number;
  mips: number;
  runsMips: number[];
}

function runOnce(image: Uint8Array, name: string, n: number): { insns: number; ms: number; out: string } {
  let out = '';
  const m = prepareNative(image, {
    name,
    cmdline: `iters=${n}`,
    onConsole: (b) => (out += Buffer.from(b).toString('latin1')),
  });
  const r = m.run();
  if (r.outcome.kind !== 'exit' || r.outcome.value !== 0) {
    throw new Error(`${name}: did not exit cleanly: ${JSON.stringify(r.outcome)}\n${out}`);
  }
  return { insns: r.instructions, ms: r.wallMs, out };
}

const results: LoopResult[] = [];
for (const g of LOOPS) {
  const path = join(ROOT, 'guests', 'bin', `${g}.elf`);
  const image = readFileSync(path);
  runOnce(image, `guests/bin/${g}.elf`, Math.min(iters, 2_000_000));
  const runs: { insns: number; ms: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(runOnce(image, `guests/bin/${g}.elf`, iters));
  const mipsOf = (r: { insns: number; ms: number }): number => r.insns / r.ms / 1000;
  const sorted = [...runs].sort((a, b) => mipsOf(a) - mipsOf(b));
  const med = sorted[Math.floor(sorted.length / 2)]!;
  results.push({
    guest: g,
    iterations: iters,
    instructions: med.insns,
    medianMs: Number(med.ms.toFixed(1)),
    mips: Number(mipsOf(med).toFixed(1)),
    runsMips: runs.map((r) => Number(mipsOf(r).toFixed(1))),
  });
}

console.log(`native MIPS${interpOnly ? ', interpreter tier only' : ''} (median of ${ROUNDS} runs, ${iters} iterations each; target >= ${TARGET_MIPS})`);
for (const r of results) {
  const mark = r.mips >= TARGET_MIPS ? 'ok' : 'below target';
  console.log(`  ${r.guest.padEnd(10)} ${r.mips.toFixed(1).padStart(7)} MIPS  (${r.instructions} insns in ${r.medianMs} ms; runs ${r.runsMips.join(' ')})  ${mark}`);
}
if (jsonOut) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2) + '\n');
}
