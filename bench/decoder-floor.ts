// Where the decoder's time goes, against the floor of its interface: the same corpus sweep with
// (a) the real decoder and (b) a stand-in that does no decoding, only what every decode costs the
// caller (the call, the 18 DecodedInsn stores, the sweep reading 9 fields back). CPU time per
// instruction, each variant alone in its own process, alternated, median of the medians.
//   npx tsx bench/decoder-floor.ts [ROUNDS]
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, compiledCorpus, gccM32Problem, libcText } from './corpus/corpus.js';

const SWEEP = `
import { readFileSync } from 'node:fs';
const code = new Uint8Array(readFileSync(process.argv[2]));
const { decode, DecodedInsn } = await import(process.argv[3]);
const insn = new DecodedInsn();
function sweep() {
  let n = 0, acc = 0, pos = 0;
  while (pos < code.length) {
    decode(code, pos, code.length, insn);
    n++;
    if (insn.status <= 1) {
      pos += insn.len;
      acc = (acc + insn.entry + insn.reg + insn.rm + insn.base + insn.index + insn.scale + insn.disp + insn.imm + insn.seg) | 0;
    } else pos++;
  }
  return n + (acc & 0);
}
const n = sweep();
for (let i = 0; i < 5; i++) sweep();
const t = [];
for (let i = 0; i < 11; i++) { const c = process.cpuUsage(); sweep(); const u = process.cpuUsage(c); t.push((u.user + u.system) * 1000 / n); }
t.sort((a, b) => a - b);
console.log(t[5]);
`;

// Decodes nothing: one byte read and one table load for a length, then the 18 stores.
const STUB = `
export class DecodedInsn { entry = 0; status = 2; len = 0; prefixes = 0; opSize = 4; addrSize = 4; mod = 0; reg = 0; rm = 0;
  base = -1; index = -1; scale = 0; disp = 0; seg = 3; imm = 0; imm2 = 0; cc = 0; opcode = 0; }
function make() {
  const LEN = new Int32Array(256).fill(3);
  function store(b, p, out) {
    const x = b[p];
    out.entry = x; out.status = 0; out.len = LEN[x]; out.prefixes = 0; out.opSize = 4; out.addrSize = 4; out.mod = x & 3;
    out.reg = x & 7; out.rm = x & 5; out.base = x & 6; out.index = -1; out.scale = 0; out.disp = x; out.seg = 3; out.imm = x;
    out.imm2 = 0; out.cc = 0; out.opcode = x;
  }
  return function decode(bytes, start, limit, out) {
    if (limit - start < 32) { out.status = 3; out.len = 1; return; }
    store(bytes, start, out);
  };
}
export const decode = make();
`;

const rounds = Number(process.argv[2] ?? 5);
const problem = gccM32Problem();
const blobs = [...(problem ? [] : compiledCorpus())];
const libc = libcText(true);
if (libc) blobs.push(libc);
if (blobs.length === 0) {
  console.error('decoder-floor: no corpus (needs gcc -m32 or scripts/extract-libc-text.sh)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'decoder-floor-'));
try {
  const corpus = join(dir, 'corpus.bin');
  writeFileSync(corpus, Buffer.concat(blobs.map((b) => b.bytes)));
  await build({ entryPoints: [join(ROOT, 'bench/decoder-entry.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'decoder.mjs'), logLevel: 'warning' });
  writeFileSync(join(dir, 'stub.mjs'), STUB);
  writeFileSync(join(dir, 'sweep.mjs'), SWEEP);
  const variants = { decoder: join(dir, 'decoder.mjs'), 'call + record + reads only': join(dir, 'stub.mjs') };
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, file] of Object.entries(variants)) {
      const ns = Number(execFileSync(process.execPath, [join(dir, 'sweep.mjs'), corpus, file], { encoding: 'utf8' }).trim());
      results.set(name, [...(results.get(name) ?? []), ns]);
    }
  }
  for (const [name, xs] of results) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(`${name.padEnd(28)} ${(sorted[sorted.length >> 1] ?? 0).toFixed(2).padStart(6)} ns/insn CPU  (${sorted.map((x) => x.toFixed(2)).join(' ')})`);
  }
  console.log(`corpus: ${readFileSync(corpus).length.toLocaleString('en')} bytes`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
