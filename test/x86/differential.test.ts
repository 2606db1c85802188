// Differential tests of the decoder and disassembler against iced-x86 (32-bit mode): (a) every
// opcode-table row with random ModRM/SIB/displacement/immediate/prefix combinations, (b) random
// byte strings (DECODER_FUZZ of them, default 1,000,000), (c) gcc -m32 -O2 code and, when
// scripts/extract-libc-text.sh has fetched it, libc6:i386; plus FUZZ/4 strings behind random
// prefixes and the 0F / 0F 38 / 0F 3A / x87 escapes. For each instruction: same length, same
// validity, same supported-or-not decision, same operands, same NASM text, same flags -- up to the
// divergences documented in iced-ref.ts (Divergence), each of which must actually occur.
import { afterAll, describe, expect, it } from 'vitest';
import { compiledCorpus, gccM32Problem, libcText } from '../../bench/corpus/corpus.js';
import { specificity } from '../../src/x86/decode-tables.js';
import { DecodeStatus } from '../../src/x86/decoded.js';
import { OPCODES } from '../../src/x86/opcodes.js';
import { Mnemonic } from 'iced-x86';
import { Differ, Divergence, type Mismatch, compareAt } from './iced-ref.js';
import { instance, rng } from './gen.js';

const seen = new Set<string>();
const FUZZ = Number(process.env['DECODER_FUZZ'] ?? 1_000_000);

function summarize(bad: Mismatch[]): string {
  const groups = new Map<string, { n: number; ex: string }>();
  for (const m of bad) {
    const g = groups.get(m.key);
    if (g) g.n++;
    else groups.set(m.key, { n: 1, ex: m.detail });
  }
  return [...groups].map(([k, g]) => `${g.n}x ${k}\n    ${g.ex}`).join('\n');
}

describe('decoder and disassembler vs iced-x86', () => {
  it('(a) every opcode-table row, many random instances each', () => {
    const r = rng(0x5eed);
    const d = new Differ(new Uint8Array(32));
    const bad: Mismatch[] = [];
    let n = 0;
    OPCODES.forEach((row, ri) => {
      for (const enc of row.encodings) {
        for (let k = 0; k < 60; k++) {
          const buf = instance(row, enc, r);
          d.setBuffer(buf);
          n++;
          const m = compareAt(d, 0, 0x1000, buf.length, seen);
          if (m) {
            bad.push({ key: `${row.name}: ${m.key}`, detail: m.detail });
            continue;
          }
          const got = d.ours;
          if (got.status !== DecodeStatus.Ok && got.status !== DecodeStatus.Unsupported) {
            bad.push({ key: `${row.name}: decoded as invalid by both`, detail: Buffer.from(buf.subarray(0, 8)).toString('hex') });
            continue;
          }
          if (got.entry !== ri) {
            // Only a more specific row (0F 1F /0 NOP inside the hint-NOP space...) may take the bytes.
            const other = OPCODES[got.entry];
            const ok = other?.encodings.some((e) => e.map === enc.map && (e.opcode & ~7) === (enc.opcode & ~7) && specificity(e) > specificity(enc));
            if (!ok) bad.push({ key: `${row.name}: decoded as ${other?.name}`, detail: Buffer.from(buf.subarray(0, 8)).toString('hex') });
            continue;
          }
          if (!row.supported && !d.ins.isInvalid) {
            const mn = (Mnemonic[d.ins.mnemonic] ?? '?').toLowerCase();
            if (mn !== row.mnemonic) bad.push({ key: `${row.name}: iced calls it ${mn}`, detail: Buffer.from(buf.subarray(0, 8)).toString('hex') });
          }
          // The limit contract: any shorter window is Truncated, the exact one gives the same result.
          const len = got.len;
          const entry = got.entry;
          for (let lim = 0; lim < len; lim++) {
            d.mine(0, 0x1000, lim);
            if (d.ours.status !== DecodeStatus.Truncated) bad.push({ key: `${row.name}: limit ${lim} < ${len} not Truncated`, detail: Buffer.from(buf.subarray(0, len)).toString('hex') });
          }
          d.mine(0, 0x1000, len);
          if (d.ours.len !== len || d.ours.entry !== entry) bad.push({ key: `${row.name}: exact limit differs`, detail: Buffer.from(buf.subarray(0, len)).toString('hex') });
        }
      }
    });
    d.setBuffer(new Uint8Array(1));
    expect(n).toBeGreaterThan(50_000);
    expect(summarize(bad)).toBe('');
  });

  it('(a) the VEX, EVEX and XOP escape spaces decode to iced\'s length', () => {
    const r = rng(0xe5c);
    const buf = new Uint8Array(40_000 * 16 + 32);
    for (let i = 0; i < buf.length; i++) buf[i] = r() & 0xff;
    const starts: number[] = [];
    for (let k = 0; k < 40_000; k++) {
      const o = k * 16;
      buf[o] = [0xc4, 0xc5, 0x62, 0x8f][k & 3] ?? 0xc4;
      buf[o + 1] = ((buf[o + 1] ?? 0) | 0xc0) & (k % 7 === 0 ? 0xff : 0xe3); // mod 11; mostly valid maps
      starts.push(o);
    }
    const d = new Differ(buf);
    const bad = starts.map((s) => compareAt(d, s, 0x1000, buf.length, seen)).filter((m): m is Mismatch => m !== null);
    expect(summarize(bad)).toBe('');
  });

  it(`(b) ${FUZZ.toLocaleString('en')} random byte strings`, () => {
    const r = rng(0xf00d);
    const CHUNK = 200_000;
    const bad: Mismatch[] = [];
    const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x0f, 0x0f, 0x0f];
    for (let done = 0; done < FUZZ; done += CHUNK) {
      const n = Math.min(CHUNK, FUZZ - done);
      const buf = new Uint8Array(n + 32);
      for (let i = 0; i < buf.length; i++) buf[i] = r() & 0xff;
      // Every third position: bias toward prefixes and the 0F escape so the rare paths get exercised.
      for (let i = 0; i < n; i += 3) if ((r() & 0xff) < 80) buf[i] = PREFIXES[r() % PREFIXES.length] ?? 0x0f;
      const d = new Differ(buf);
      for (let i = 0; i < n; i++) {
        const m = compareAt(d, i, 0x400000 + i, buf.length, seen);
        if (m) bad.push(m);
      }
    }
    expect(summarize(bad)).toBe('');
  }, 300_000);

  it(`(b) ${(FUZZ / 4).toLocaleString('en')} random strings behind random prefixes and the 0F, 0F 38, 0F 3A and x87 escapes`, () => {
    const r = rng(0xbeef);
    const N = Math.floor(FUZZ / 4);
    const CHUNK = 100_000;
    const PREFIXES = [0x66, 0xf2, 0xf3, 0x67, 0xf0, 0x2e, 0x3e, 0x64];
    const bad: Mismatch[] = [];
    for (let done = 0; done < N; done += CHUNK) {
      const n = Math.min(CHUNK, N - done);
      const buf = new Uint8Array(n * 20 + 32);
      for (let i = 0; i < buf.length; i++) buf[i] = r() & 0xff;
      for (let k = 0; k < n; k++) {
        let q = k * 20;
        for (let j = r() % 4; j > 0; j--) buf[q++] = PREFIXES[r() % PREFIXES.length] ?? 0x66;
        const e = r() % 16;
        if (e < 12) {
          buf[q++] = 0x0f;
          if (e >= 8) buf[q++] = e >= 10 ? 0x3a : 0x38;
        } else if (e < 14) buf[q++] = 0xd8 + (r() & 7);
      }
      const d = new Differ(buf);
      for (let k = 0; k < n; k++) {
        const m = compareAt(d, k * 20, 0x1000, buf.length, seen);
        if (m) bad.push(m);
      }
    }
    expect(summarize(bad)).toBe('');
  }, 300_000);

  const gccProblem = gccM32Problem();
  if (gccProblem) console.warn(`SKIPPING the compiled-corpus differential test: ${gccProblem}`);
  it.skipIf(gccProblem !== null)('(c) gcc -m32 -O2 code (and libc6:i386 .text when fetched)', () => {
    const blobs = compiledCorpus();
    const libc = libcText(false);
    if (libc) blobs.push(libc);
    else console.warn('libc6:i386 .text not fetched: run scripts/extract-libc-text.sh to include it');
    const bad: Mismatch[] = [];
    let insns = 0;
    for (const b of blobs) {
      const d = new Differ(b.bytes);
      for (let pos = 0; pos < b.bytes.length; insns++) {
        const m = compareAt(d, pos, 0x08048000 + pos, b.bytes.length, seen);
        if (m) bad.push({ key: `${b.name}: ${m.key}`, detail: m.detail });
        pos += d.ours.status === DecodeStatus.Ok || d.ours.status === DecodeStatus.Unsupported ? d.ours.len : 1;
      }
    }
    expect(insns).toBeGreaterThan(1000);
    expect(summarize(bad)).toBe('');
  }, 120_000);

  afterAll(() => {
    // Every documented divergence must still be needed (or it is stale documentation).
    if (FUZZ >= 1_000_000) expect([...seen].sort()).toEqual(Object.values(Divergence).sort());
  });
});
