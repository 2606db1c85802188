// Probe for issue 2: how fast is the decoder's fast path as a WebAssembly batch loop? The .wat below
// is decodeFast (src/x86/decoder.ts) transcribed: same tables (decode-tables.ts, addressing-tables.ts,
// copied into linear memory at instantiation), same branch-free arithmetic, one 16-byte record per
// instruction. Whatever the fast path leaves out (prefixes, 0F 38/3A, VEX..., invalid bytes, the last
// 32 bytes of a run) stops the batch and is decoded by the JS decoder, inside the timed sweep.
// Not the product API: a measurement of what WASM buys, checked record by record against the JS
// decoder over the whole corpus before timing.
//   npx tsx bench/decoder-wasm-probe.ts
import { build } from 'esbuild';
import { Decoder, DecoderOptions, Instruction } from 'iced-x86';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import wabtInit from 'wabt';
import * as A from '../src/x86/addressing-tables.js';
import * as T from '../src/x86/decode-tables.js';
import { ImmKind } from '../src/x86/operand-forms.js';
import { ROOT, compiledCorpus, gccM32Problem, libcText } from './corpus/corpus.js';

const bundle = join(tmpdir(), `vtx-vmm-bench-wasm-probe-${process.pid}.mjs`);
await build({ entryPoints: [join(ROOT, 'bench/decoder-entry.ts')], bundle: true, format: 'esm', platform: 'node', outfile: bundle, logLevel: 'warning' });
const { decode, DecodeStatus, DecodedInsn } = (await import(pathToFileURL(bundle).href)) as typeof import('./decoder-entry.js');
rmSync(bundle, { force: true });

// Linear-memory layout (byte offsets).
const PFX = 0;
const IMM_SIZE = 256;
const IMM_SHIFT = 320;
const IMM_MASK = 384;
const DISP_MASK = 448;
const OPX = 512;
const MEM_LINK = OPX + 4 * T.OPX.length;
const MEM = MEM_LINK + 4 * A.MEM_LINK.length;
const SEL = MEM + 4 * A.MEM.length;
const LEN = 1 << 19; // LEN[esc << 16 | opcode << 8 | modrm]: length with a SIB of 0, bit 7 = a SIB base of 5 adds disp32; 0 = not fast
const CODE = 1 << 20;
if (SEL + 4 * T.SEL.length > CODE) throw new Error('tables overlap the code');
const MAX_REC = 1024;
/** Where run() leaves its record count (it returns the position it stopped at). */
const COUNT = 504;

const MEM_NONE = A.MEM[A.MEM_NO_MEMORY] as number;
const DS = 3;
// Record: w0 = entry | status << 11 | len << 12 | cc << 16 | mod << 20 | reg << 22 | rm << 25 | scale << 28;
// w1 = opcode | (base + 1) << 8 | (index + 1) << 12 | seg << 16; w2 = disp; w3 = imm.
// (A fast-path record has prefixes 0, opSize 4, addrSize 4, imm2 0.)
// CORE=length: the loop finds lengths only (prefix check, LEN lookup, one store): the floor of a
// sequential decoder, whose next position waits for the current length.
const lengthOnly = process.env['CORE'] === 'length';
const fields = `        (local.set $opx (i32.load offset=${OPX} (i32.shl (i32.or (local.get $x) (i32.shl (local.get $esc) (i32.const 8))) (i32.const 2))))
        (br_if $done (i32.and (local.get $opx) (i32.const ${T.OPX_GENERAL})))
        (local.set $m (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)))
        (local.set $hm (i32.and (i32.shr_u (local.get $opx) (i32.const ${T.OPX_MODRM_SHIFT})) (i32.const 1)))
        (local.set $key (i32.or (i32.or (i32.and (i32.shr_u (local.get $m) (i32.const 3)) (i32.const 7))
          (i32.and (i32.shr_u (i32.add (local.get $m) (i32.const 64)) (i32.const 5)) (i32.const 8)))
          (i32.shl (i32.and (local.get $m) (i32.const 7)) (i32.const 6))))
        (local.set $sel (i32.load offset=${SEL} (i32.shl (i32.add (i32.and (local.get $opx) (i32.const ${T.OPX_OFFSET_MASK}))
          (i32.and (local.get $key) (i32.and (i32.shr_u (local.get $opx) (i32.const ${T.OPX_KEY_SHIFT})) (i32.const 511)))) (i32.const 2))))
        (br_if $done (i32.lt_s (local.get $sel) (i32.const 0)))
        (local.set $info (i32.shr_s (local.get $sel) (i32.const ${T.SEL_INFO_SHIFT})))
        (local.set $link (i32.load offset=${MEM_LINK} (i32.shl (local.get $m) (i32.const 2))))
        (local.set $mem (i32.or
          (i32.and (i32.load offset=${MEM} (i32.shl (i32.add (i32.and (local.get $link) (i32.const ${A.MEM_LINK_INDEX}))
            (i32.and (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.shr_u (local.get $link) (i32.const ${A.MEM_LINK_SIB_SHIFT})))) (i32.const 2)))
            (i32.sub (i32.const 0) (local.get $hm)))
          (i32.and (i32.const ${MEM_NONE}) (i32.sub (local.get $hm) (i32.const 1)))))
        (local.set $mod (i32.and (i32.shr_u (local.get $m) (i32.const 6)) (i32.sub (i32.const 0) (local.get $hm))))
        (local.set $ign (i32.and (local.get $info) (i32.const ${T.RI_IGNORE_MOD})))
        (local.set $mod (select (i32.const 3) (local.get $mod) (local.get $ign)))
        (local.set $mem (select (i32.const ${MEM_NONE}) (local.get $mem) (local.get $ign)))
        (local.set $o (i32.add (i32.add (i32.add (i32.const 1) (local.get $esc)) (local.get $hm))
          (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_SIB_SHIFT})) (i32.const 1))))
        (local.set $dsh (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_DSHIFT_SHIFT})) (i32.const 31)))
        (local.set $disp (i32.and (i32.shr_s (i32.shl (i32.load (i32.add (local.get $p) (local.get $o))) (local.get $dsh)) (local.get $dsh))
          (i32.load offset=${DISP_MASK} (i32.shl (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_DMASK_SHIFT})) (i32.const 3)) (i32.const 2)))))
        (local.set $o (i32.add (local.get $o) (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_DSIZE_SHIFT})) (i32.const 7))))
        (local.set $ik (i32.shr_u (local.get $opx) (i32.const ${T.OPX_IMM_SHIFT})))
        (local.set $ik (select (i32.and (local.get $info) (i32.const ${T.RI_IMM_MASK})) (local.get $ik)
          (i32.eq (local.get $ik) (i32.const ${T.OPX_IMM_FROM_ROW}))))
        (local.set $ish (i32.load offset=${IMM_SHIFT} (i32.shl (local.get $ik) (i32.const 2))))
        (local.set $imm (i32.and (i32.shr_s (i32.shl (i32.load (i32.add (local.get $p) (local.get $o))) (local.get $ish)) (local.get $ish))
          (i32.load offset=${IMM_MASK} (i32.shl (local.get $ik) (i32.const 2)))))
        (local.set $o (i32.add (local.get $o) (i32.load offset=${IMM_SIZE} (i32.shl (local.get $ik) (i32.const 2)))))
        (i32.store (local.get $out) (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or
          (i32.and (local.get $sel) (i32.const ${T.SEL_ROW_MASK}))
          (i32.shl (i32.and (i32.shr_u (local.get $info) (i32.const 5)) (i32.const 1)) (i32.const 11)))
          (i32.shl (local.get $o) (i32.const 12)))
          (i32.shl (i32.and (i32.shr_u (local.get $info) (i32.const ${T.RI_CC_SHIFT})) (i32.const 15)) (i32.const 16)))
          (i32.shl (local.get $mod) (i32.const 20)))
          (i32.shl (i32.and (i32.or (i32.and (i32.shr_u (local.get $m) (i32.const 3)) (i32.sub (i32.const 0) (local.get $hm)))
            (i32.and (local.get $x) (i32.sub (local.get $hm) (i32.const 1)))) (i32.const 7)) (i32.const 22)))
          (i32.shl (i32.and (i32.and (local.get $m) (i32.const 7)) (i32.sub (i32.const 0) (local.get $hm))) (i32.const 25)))
          (i32.shl (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_SCALE_SHIFT})) (i32.const 3)) (i32.const 28))))
        (i32.store offset=4 (local.get $out) (i32.or (i32.or (i32.or (local.get $x)
          (i32.shl (i32.and (local.get $mem) (i32.const 15)) (i32.const 8)))
          (i32.shl (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_INDEX_SHIFT})) (i32.const 15)) (i32.const 12)))
          (i32.shl (i32.sub (i32.const ${DS}) (i32.and (i32.shr_u (local.get $mem) (i32.const ${A.MEM_SS_SHIFT})) (i32.const 1))) (i32.const 16))))
        (i32.store offset=8 (local.get $out) (local.get $disp))
        (i32.store offset=12 (local.get $out) (local.get $imm))
`;
// The LEN lookup. Serial: index from the bytes after the escape shift (what the full core uses; with
// its ~25 live values the parallel form's extra load made it ~6% slower). Parallel: both lookups from
// the bytes as read, so the escape test is off the path to the next position (length-only core).
const lenSerial = `        (local.set $l (i32.load8_u offset=${LEN} (i32.or (i32.shl (local.get $esc) (i32.const 16)) (i32.and (local.get $w) (i32.const 0xffff)))))
`;
const lenParallel = `        (local.set $l (select
          (i32.load8_u offset=${LEN + 0x10000} (i32.and (i32.shr_u (local.get $raw) (i32.const 8)) (i32.const 0xffff)))
          (i32.load8_u offset=${LEN} (i32.and (local.get $raw) (i32.const 0xffff)))
          (local.get $esc)))
`;
const wat = `(module
  (memory (export "mem") 64)
  (func (export "run") (param $p i32) (param $limit i32) (param $out i32) (param $max i32) (result i32)
    (local $n i32) (local $w i32) (local $esc i32) (local $x i32) (local $opx i32) (local $m i32) (local $hm i32)
    (local $key i32) (local $sel i32) (local $info i32) (local $link i32) (local $mem i32) (local $mod i32)
    (local $o i32) (local $dsh i32) (local $disp i32) (local $ik i32) (local $ish i32) (local $imm i32) (local $lim i32) (local $ign i32) (local $l i32) (local $np i32) (local $raw i32)
    (local.set $lim (i32.sub (local.get $limit) (i32.const 32)))
    (block $done
      (loop $next
        (br_if $done (i32.gt_s (local.get $p) (local.get $lim)))
        (br_if $done (i32.ge_u (local.get $n) (local.get $max)))
        (local.set $w (i32.load (local.get $p)))
        (local.set $raw (local.get $w))
        (br_if $done (i32.load8_u offset=${PFX} (i32.and (local.get $w) (i32.const 255))))
        (local.set $esc (i32.shr_u (i32.sub (i32.xor (i32.and (local.get $w) (i32.const 255)) (i32.const 15)) (i32.const 1)) (i32.const 31)))
        (local.set $w (i32.shr_u (local.get $w) (i32.shl (local.get $esc) (i32.const 3))))
        (local.set $x (i32.and (local.get $w) (i32.const 255)))
${lengthOnly ? lenParallel : lenSerial}        (br_if $done (i32.eqz (local.get $l)))
        (local.set $np (i32.add (i32.add (local.get $p) (i32.and (local.get $l) (i32.const 15)))
          (i32.and (i32.shr_u (local.get $l) (i32.const 5))
            (i32.shl (i32.eq (i32.and (i32.shr_u (local.get $raw) (i32.add (i32.const 16) (i32.shl (local.get $esc) (i32.const 3)))) (i32.const 7)) (i32.const 5)) (i32.const 2)))))
${lengthOnly ? '        (i32.store (local.get $out) (local.get $w))\n' : fields}        (local.set $p (local.get $np))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const ${COUNT}) (local.get $n))
    (local.get $p)))`;

const wabt = await wabtInit();
const parsed = wabt.parseWat('decoder-probe.wat', wat);
const { buffer } = parsed.toBinary({});
parsed.destroy();
// The project's lib settings have no WebAssembly declarations (no DOM lib); what this script uses:
const Wasm = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array): Promise<{ instance: { exports: unknown } }> } }).WebAssembly;
const { instance } = await Wasm.instantiate(buffer);
const exp = instance.exports as { mem: { buffer: ArrayBuffer; grow(pages: number): number }; run: (p: number, limit: number, out: number, max: number) => number };

// Corpus, as bench/decoder.ts builds it.
const blobs = [];
if (!gccM32Problem()) blobs.push(...compiledCorpus());
const libc = libcText(true);
if (libc) blobs.push(libc);
// CHUNK=n: the first n bytes of libc's .text repeated (about 1.5 MB), so branches and cache lines are learnable.
const chunk = Number(process.env['CHUNK'] ?? 0);
if (chunk > 0 && libc) {
  const rep = new Uint8Array(Math.floor(1_500_000 / chunk) * chunk);
  for (let i = 0; i < rep.length; i += chunk) rep.set(libc.bytes.subarray(0x1000, 0x1000 + chunk), i);
  blobs.splice(0, blobs.length, { name: 'chunk', bytes: rep });
}
const total = blobs.reduce((n, b) => n + b.bytes.length, 0);
const OUT = (CODE + total + 64 + 63) & ~63;
const needPages = Math.ceil((OUT + MAX_REC * 16) / 65536);
exp.mem.grow(Math.max(0, needPages - exp.mem.buffer.byteLength / 65536));
const u8 = new Uint8Array(exp.mem.buffer);
const i32 = new Int32Array(exp.mem.buffer);
// Tables, from the same modules the JS decoder reads.
const pfxBytes = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];
for (const b of pfxBytes) u8[PFX + b] = 1;
for (const [kind, zx] of [[ImmKind.Ib, true], [ImmKind.Ibs, false], [ImmKind.Jb, false], [ImmKind.Iw, true], [ImmKind.Iz, true], [ImmKind.Jz, false]] as const) {
  const { size } = T.immSize(kind);
  i32[(IMM_SIZE >> 2) + kind] = size;
  i32[(IMM_SHIFT >> 2) + kind] = 32 - 8 * size;
  i32[(IMM_MASK >> 2) + kind] = zx && size < 4 ? (1 << (8 * size)) - 1 : -1;
}
i32.set(A.MEM_DISP_MASK, DISP_MASK >> 2);
i32.set(T.OPX, OPX >> 2);
i32.set(A.MEM_LINK, MEM_LINK >> 2);
i32.set(A.MEM, MEM >> 2);
i32.set(T.SEL, SEL >> 2);
{
  const probe = new Uint8Array(64);
  const d = new DecodedInsn();
  for (let esc = 0; esc < 2; esc++) {
    for (let x = 0; x < 256; x++) {
      const opx = T.OPX[x | (esc << 8)] as number;
      if (u8[PFX + x] !== 0 && esc === 0) continue;
      if ((opx & T.OPX_GENERAL) !== 0 || (esc === 0 && x === 0x0f)) continue;
      for (let m = 0; m < 256; m++) {
        probe.fill(0);
        let k = 0;
        if (esc) probe[k++] = 0x0f;
        probe[k++] = x;
        probe[k++] = m;
        decode(probe, 0, 64, d);
        if (d.status > DecodeStatus.Unsupported || d.prefixes !== 0) continue;
        const l0 = d.len;
        probe[k] = 5;
        decode(probe, 0, 64, d);
        u8[LEN + (esc << 16) + (m << 8) + x] = l0 | (d.len !== l0 ? 0x80 : 0);
      }
    }
  }
}
const ends: number[] = [];
let at = CODE;
for (const b of blobs) {
  u8.set(b.bytes, at);
  at += b.bytes.length;
  ends.push(at);
}
const code = u8.subarray(0, at); // the JS decoder reads the same bytes, at the same offsets
const OUT_W = OUT >> 2;

// Check every WASM record against the JS decoder over the whole corpus.
const ref = new DecodedInsn();
let checked = 0;
let viaJs = 0;
{
  let s = CODE;
  for (const e of ends) {
    let pos = s;
    while (pos < e) {
      const endPos = exp.run(pos, e, OUT, MAX_REC);
      const cnt = i32[COUNT >> 2] as number;
      for (let i = 0; i < cnt; i++) {
        decode(code, pos, e, ref);
        const w0 = i32[OUT_W + 4 * i] as number;
        const w1 = i32[OUT_W + 4 * i + 1] as number;
        const got = [w0 & 0x7ff, (w0 >> 11) & 1, (w0 >> 12) & 15, (w0 >> 16) & 15, (w0 >> 20) & 3, (w0 >> 22) & 7, (w0 >> 25) & 7, (w0 >> 28) & 3,
          w1 & 255, ((w1 >> 8) & 15) - 1, ((w1 >> 12) & 15) - 1, (w1 >> 16) & 7, i32[OUT_W + 4 * i + 2], i32[OUT_W + 4 * i + 3], 0, 4, 4, 0];
        const want = [ref.entry, ref.status, ref.len, ref.cc, ref.mod, ref.reg, ref.rm, ref.scale, ref.opcode, ref.base, ref.index, ref.seg,
          ref.disp, ref.imm, ref.prefixes, ref.opSize, ref.addrSize, ref.imm2];
        if (!lengthOnly && got.some((v, k) => v !== want[k])) throw new Error(`mismatch at ${pos - CODE}: wasm ${got.join(',')} js ${want.join(',')}`);
        pos += ref.len;
        checked++;
      }
      if (pos !== endPos) throw new Error(`end mismatch at ${pos - CODE}`);
      if (cnt < MAX_REC && pos < e) {
        decode(code, pos, e, ref);
        pos += ref.status <= DecodeStatus.Unsupported ? ref.len : 1;
        viaJs++;
      }
    }
    s = e;
  }
}
console.log(`checked ${checked.toLocaleString('en')} WASM records = JS decoder (${lengthOnly ? 'lengths only' : 'every field'}); ${viaJs.toLocaleString('en')} instructions left to JS (${((100 * viaJs) / (checked + viaJs)).toFixed(1)}%)`);

let sink = 0;
const insn = new DecodedInsn();
/** The WASM batch, then JS reading the same 9 fields the JS row reads; what WASM leaves is JS-decoded. */
function wasmSweep(): number {
  let n = 0;
  let acc = 0;
  let s = CODE;
  for (let b = 0; b < ends.length; b++) {
    const e = ends[b] as number;
    let pos = s;
    while (pos < e) {
      pos = exp.run(pos, e, OUT, MAX_REC);
      const cnt = i32[COUNT >> 2] as number;
      for (let i = 0, r = OUT_W; i < cnt; i++, r += 4) {
        const w0 = i32[r] as number;
        const w1 = i32[r + 1] as number;
        acc = (acc + (w0 & 0x7ff) + ((w0 >> 22) & 7) + ((w0 >> 25) & 7) + ((w1 >> 8) & 15) + ((w1 >> 12) & 15) + ((w0 >> 28) & 3) +
          (i32[r + 2] as number) + (i32[r + 3] as number) + ((w1 >> 16) & 7)) | 0;
      }
      n += cnt;
      if (cnt < MAX_REC && pos < e) {
        decode(code, pos, e, insn);
        n++;
        if (insn.status <= DecodeStatus.Unsupported) {
          pos += insn.len;
          acc = (acc + insn.entry + insn.reg + insn.rm + insn.base + insn.index + insn.scale + insn.disp + insn.imm + insn.seg) | 0;
        } else pos++;
      }
    }
    s = e;
  }
  sink = (sink + acc) | 0;
  return n;
}
/** The WASM batch alone (records not read, no JS fallback): the core's own speed on what it decodes. */
function wasmCoreSweep(): number {
  let n = 0;
  let s = CODE;
  for (let b = 0; b < ends.length; b++) {
    const e = ends[b] as number;
    let pos = s;
    while (pos < e) {
      pos = exp.run(pos, e, OUT, MAX_REC);
      const cnt = i32[COUNT >> 2] as number;
      n += cnt;
      if (cnt < MAX_REC && pos < e) pos++; // skip a byte: positions then differ from the real sweep
    }
    s = e;
  }
  return n;
}
function jsSweep(): number {
  let n = 0;
  let acc = 0;
  let s = CODE;
  for (let b = 0; b < ends.length; b++) {
    const e = ends[b] as number;
    let pos = s;
    while (pos < e) {
      decode(code, pos, e, insn);
      n++;
      if (insn.status <= DecodeStatus.Unsupported) {
        pos += insn.len;
        acc = (acc + insn.entry + insn.reg + insn.rm + insn.base + insn.index + insn.scale + insn.disp + insn.imm + insn.seg) | 0;
      } else pos++;
    }
    s = e;
  }
  sink = (sink + acc) | 0;
  return n;
}
const ins = new Instruction();
const decoders = ends.map((e, i) => new Decoder(32, u8.slice(i === 0 ? CODE : ends[i - 1], e), DecoderOptions.None));
function icedSweep(): number {
  let n = 0;
  for (const d of decoders) {
    d.position = 0;
    while (d.canDecode) {
      d.decodeOut(ins);
      n++;
    }
  }
  return n;
}

const cases: Array<[string, () => number]> = [['wasm batch + JS fallback, fields read', wasmSweep], ['wasm core alone (fast path only)', wasmCoreSweep],
  ['JS decode, fields read', jsSweep], ['iced decodeOut', icedSweep]];
const times = new Map<string, number[]>(cases.map(([k]) => [k, []]));
const rounds = Number(process.env['ROUNDS'] ?? 5);
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of cases) {
    f(); // warm
    const reps = 8;
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) n += f();
    const ns = Number(process.hrtime.bigint() - t0);
    times.get(k)?.push(ns / n);
  }
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const iced = med(times.get('iced decodeOut') ?? []);
for (const [k] of cases) {
  const t = med(times.get(k) ?? []);
  console.log(`${k.padEnd(40)} ${t.toFixed(2).padStart(6)} ns/insn  ${(iced / t).toFixed(2)}x iced decodeOut  (median of ${rounds})`);
}
if (sink === 12345) console.log('');
