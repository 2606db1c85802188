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
let sink = 0;

/** Our decoder: one sweep; every operand field is already decoded, so reading them is free-ish. */
function oursSweep(readOperands: boolean): number {
  let n = 0;
  let start = 0;
  for (const end of ends) {
    let pos = start;
    while (pos < end) {
      decode(code, pos, end, insn);
      n++;
      if (insn.status <= DecodeStatus.Unsupported) {
        pos += insn.len;
        if (readOperands) sink = (sink + insn.entry + insn.reg + insn.rm + insn.base + insn.index + insn.scale + insn.disp + insn.imm + insn.seg) | 0;
      } else pos++;
    }
    start = end;
  }
  return n;
}

const ins = new Instruction();
const decoders = ends.map((end, i) => new Decoder(32, code.subarray(i === 0 ? 0 : ends[i - 1], end), DecoderOptions.None));

/** iced-x86: decodeOut into one reused Instruction; optionally read what an emulator needs. */
function icedSweep(readOperands: boolean): number {
  let n = 0;
  for (const d of decoders) {
    d.position = 0;
    while (d.canDecode) {
      d.decodeOut(ins);
      n++;
      if (readOperands) {
        sink = (sink + ins.code + ins.length + ins.op0Kind + ins.op1Kind + ins.op0Register + ins.op1Register + ins.memoryBase +
          ins.memoryIndex + ins.memoryIndexScale + Number(ins.memoryDisplacement) + ins.memorySegment + ins.immediate32) | 0;
      }
    }
  }
  return n;
}

const perSweep = oursSweep(false);
const icedPerSweep = icedSweep(false);
console.log(`corpus: ${blobs.map((b) => b.name).join(', ')}`);
console.log(`        ${total.toLocaleString('en')} bytes, ${perSweep.toLocaleString('en')} instructions (iced: ${icedPerSweep.toLocaleString('en')})`);

const quick = process.env['BENCH_QUICK'] === '1';
const rates = new Map<string, number>();
const suite = new Benchmark.Suite();
const add = (name: string, fn: () => number, count: number): void => {
  suite.add(name, fn, { minSamples: quick ? 5 : 20, maxTime: quick ? 1 : 5, onComplete(this: Benchmark) {
    rates.set(name, this.hz * count);
  } });
};
add('ours: decode (operands decoded)', () => oursSweep(true), perSweep);
add('iced-x86: decodeOut', () => icedSweep(false), icedPerSweep);
add('iced-x86: decodeOut + operands', () => icedSweep(true), icedPerSweep);
suite.on('cycle', (e: Benchmark.Event) => {
  const b = e.target as unknown as Benchmark;
  const rate = rates.get(String(b.name)) ?? 0;
  console.log(`${String(b.name).padEnd(34)} ${(rate / 1e6).toFixed(1).padStart(8)} M insns/s  ${(1e9 / rate).toFixed(1).padStart(7)} ns/insn  ±${b.stats.rme.toFixed(1)}%`);
});
suite.run();

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
