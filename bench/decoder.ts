// Decoder benchmark: this decoder vs iced-x86 on the same real i386 code (gcc -m32 -O2 output of
// the project's C sources, plus libc6:i386 .text when scripts/extract-libc-text.sh can fetch it).
// Each benchmark is one linear sweep over the corpus; we report instructions per second.
//   npm run bench:decoder            (BENCH_QUICK=1 for a short run)
import Benchmark from 'benchmark';
import { build } from 'esbuild';
import { Decoder, DecoderOptions, Instruction } from 'iced-x86';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, compiledCorpus, gccM32Problem, libcText } from './corpus/corpus.js';

// Measure the decoder as the product runs it: bundled by esbuild (as bin/vmm.mjs is), not as
// per-file tsx modules, whose cross-module bindings V8 optimizes less well.
const bundle = join(tmpdir(), `vtx-vmm-bench-decoder-${process.pid}.mjs`);
await build({ entryPoints: [join(ROOT, 'bench/decoder-entry.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'warning' });
const { decode, DecodeStatus, DecodedInsn } = (await import(pathToFileURL(bundle).href)) as typeof import('./decoder-entry.js');
rmSync(bundle, { force: true });

const blobs = [];
const problem = gccM32Problem();
if (problem) console.warn(`note: ${problem}; the compiled part of the corpus is skipped`);
else blobs.push(...compiledCorpus());
const libc = libcText(true);
if (libc) blobs.push(libc);
else console.warn('note: libc6:i386 .text unavailable (scripts/extract-libc-text.sh failed); compiled corpus only');
if (blobs.length === 0) {
  console.error('bench:decoder: no corpus (needs gcc -m32 or scripts/extract-libc-text.sh)');
  process.exit(2);
}
// One buffer with every blob, so both decoders sweep the same bytes in one pass.
const total = blobs.reduce((n, b) => n + b.bytes.length, 0);
const code = new Uint8Array(total);
const ends: number[] = [];
let at = 0;
for (const b of blobs) {
  code.set(b.bytes, at);
  at += b.bytes.length;
  ends.push(at);
}

const insn = new DecodedInsn();
/** Keeps the fields read from being optimized away; added to once per sweep, not per instruction. */
let sink = 0;

/** Our decoder: one sweep, reading the fields an emulator uses (every operand is already decoded). */
function oursSweep(): number {
  let n = 0;
  let acc = 0;
  let start = 0;
  for (let b = 0; b < ends.length; b++) {
    const end = ends[b] ?? 0;
    let pos = start;
    while (pos < end) {
      decode(code, pos, end, insn);
      n++;
      if (insn.status <= DecodeStatus.Unsupported) {
        pos += insn.len;
        acc = (acc + insn.entry + insn.reg + insn.rm + insn.base + insn.index + insn.scale + insn.disp + insn.imm + insn.seg) | 0;
      } else pos++;
    }
    start = end;
  }
  sink = (sink + acc) | 0;
  return n;
}

const ins = new Instruction();
const decoders = ends.map((end, i) => new Decoder(32, code.subarray(i === 0 ? 0 : ends[i - 1], end), DecoderOptions.None));

/** iced-x86: decodeOut into one reused Instruction, nothing read (its fastest use). */
function icedSweep(): number {
  let n = 0;
  for (let b = 0; b < decoders.length; b++) {
    const d = decoders[b] as Decoder;
    d.position = 0;
    while (d.canDecode) {
      d.decodeOut(ins);
      n++;
    }
  }
  return n;
}

/** iced-x86: decodeOut, then reading what an emulator needs (each read is a call into its WASM). */
function icedOperandsSweep(): number {
  let n = 0;
  let acc = 0;
  for (let b = 0; b < decoders.length; b++) {
    const d = decoders[b] as Decoder;
    d.position = 0;
    while (d.canDecode) {
      d.decodeOut(ins);
      n++;
      acc = (acc + ins.code + ins.length + ins.op0Kind + ins.op1Kind + ins.op0Register + ins.op1Register + ins.memoryBase +
        ins.memoryIndex + ins.memoryIndexScale + Number(ins.memoryDisplacement) + ins.memorySegment + ins.immediate32) | 0;
    }
  }
  sink = (sink + acc) | 0;
  return n;
}

const perSweep = oursSweep();
const icedPerSweep = icedSweep();
console.log(`corpus: ${blobs.map((b) => b.name).join(', ')}`);
console.log(`        ${total.toLocaleString('en')} bytes, ${perSweep.toLocaleString('en')} instructions (iced: ${icedPerSweep.toLocaleString('en')})`);

const quick = process.env['BENCH_QUICK'] === '1';
// The machine may be shared: the suite runs several rounds (each case once per round, so a busy
// spell hits all of them alike) and each case reports its median rate over the rounds.
const rounds = quick ? 1 : 5;
const CASES: ReadonlyArray<readonly [string, () => number, number]> = [
  ['ours: decode (operands decoded)', oursSweep, perSweep],
  ['iced-x86: decodeOut', icedSweep, icedPerSweep],
  ['iced-x86: decodeOut + operands', icedOperandsSweep, icedPerSweep],
];
const samples = new Map<string, number[]>(CASES.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  const suite = new Benchmark.Suite();
  for (const [name, fn, count] of CASES) {
    suite.add(name, fn, { minSamples: quick ? 5 : 10, maxTime: quick ? 1 : 2, onComplete(this: Benchmark) {
      samples.get(name)?.push(this.hz * count);
    } });
  }
  suite.run();
}
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const rates = new Map<string, number>();
for (const [name] of CASES) {
  const rate = median(samples.get(name) ?? []);
  rates.set(name, rate);
  console.log(`${name.padEnd(34)} ${(rate / 1e6).toFixed(1).padStart(8)} M insns/s  ${(1e9 / rate).toFixed(1).padStart(7)} ns/insn  (median of ${rounds} round${rounds > 1 ? 's' : ''})`);
}

const ours = rates.get('ours: decode (operands decoded)') ?? 0;
const icedOut = rates.get('iced-x86: decodeOut') ?? 1;
const icedOps = rates.get('iced-x86: decodeOut + operands') ?? 1;
console.log(`ratio: ours / iced decodeOut = ${(ours / icedOut).toFixed(1)}x   ours / iced decodeOut+operands = ${(ours / icedOps).toFixed(1)}x   (target >= 8x decodeOut)`);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/decoder.json'), JSON.stringify({
  date: new Date().toISOString(), node: process.version, corpusBytes: total, instructions: perSweep,
  insnsPerSec: { ours, icedDecodeOut: icedOut, icedDecodeOutOperands: icedOps },
  ratio: { decodeOut: ours / icedOut, decodeOutOperands: ours / icedOps }, sink: sink & 1,
}, null, 2) + '\n');
