// Golden disassembly listings (test/golden/disasm/*.txt, accepted as described in the README
// there) for frozen copies of guest kernels (test/fixtures/disasm/*.elf) and a NASM-assembled
// fixture; and a round trip through NASM of those listings, of every current guests/bin/*.elf and
// of the gcc corpus: every supported instruction line, assembled at its own address, must
// disassemble to the same line again (NASM is the outside reference for the syntax).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listElf } from '../../src/cli/disasm.js';
import { listRange } from '../../src/x86/listing.js';
import { compiledCorpus, gccM32Problem } from '../../bench/corpus/corpus.js';

const ROOT = resolve(__dirname, '../..');
const GOLDEN = join(ROOT, 'test/golden/disasm');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
/** Frozen copies of guests/bin images (so a rebuilt guest does not invalidate its listing). */
const FROZEN = ['hello', 'popek', 'cwork', 'rings'];

function nasm(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'disasm-golden-'));
  try {
    writeFileSync(join(dir, 'in.asm'), source);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'out.bin'), join(dir, 'in.asm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return new Uint8Array(readFileSync(join(dir, 'out.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listing(name: string): string {
  const lines: string[] = [];
  if (name === 'sample') {
    const bin = nasm(readFileSync(join(ROOT, 'test/fixtures/disasm/sample.asm'), 'utf8'));
    listRange(bin, 0, bin.length, 0x1000, (l) => lines.push(l));
  } else {
    const file = `test/fixtures/disasm/${name}.elf`;
    listElf(new Uint8Array(readFileSync(join(ROOT, file))), file, (l) => lines.push(l));
  }
  return lines.join('\n') + '\n';
}

interface Line { addr: number; bytes: string; text: string }

/** Splits a listing into blocks of consecutive lines (one per section). */
function blocks(text: string): Line[][] {
  const out: Line[][] = [[]];
  for (const l of text.split('\n')) {
    if (l === '') continue;
    if (l.startsWith(';')) {
      out.push([]);
      continue;
    }
    const m = /^([0-9a-f]{8})  ([0-9a-f]+)  (.*)$/.exec(l);
    if (!m) throw new Error(`bad listing line: ${l}`);
    out[out.length - 1]?.push({ addr: parseInt(m[1] ?? '', 16), bytes: m[2] ?? '', text: m[3] ?? '' });
  }
  return out.filter((b) => b.length > 0);
}

/** Reassembles a block with NASM, each instruction at its original address; returns the lines
 *  whose text does not come back the same. */
function roundTrip(block: Line[]): string[] {
  const first = block[0];
  if (!first) return [];
  const src = ['bits 32', `org 0x${first.addr.toString(16)}`];
  const asText = (l: Line): boolean => !l.text.startsWith('db ') && !l.text.includes('; unsupported');
  // NASM picks the short form of a jump only for a section-relative target, so numeric branch
  // targets are rewritten as $$-relative expressions (the same address).
  const rel = (t: string): string =>
    t.replace(/^((?:\w+ )*(?:j\w+|loop\w*|call)) 0x([0-9a-f]+)(,|$)/, (_, op: string, target: string, rest: string) => {
      const d = parseInt(target, 16) - first.addr;
      return `${op} $$${d < 0 ? '-' : '+'}0x${Math.abs(d).toString(16)}${rest}`;
    });
  for (const l of block) {
    src.push(`times 0x${(l.addr - first.addr).toString(16)} - ($ - $$) db 0x90`);
    src.push(asText(l) ? rel(l.text) : `db ${l.bytes.match(/../g)?.map((b) => '0x' + b).join(', ')}`);
  }
  const bin = nasm(src.join('\n') + '\n');
  const bad: string[] = [];
  for (const l of block) {
    if (!asText(l)) continue;
    const again: string[] = [];
    const off = l.addr - first.addr;
    listRange(bin, off, Math.min(bin.length, off + 15), l.addr, (x) => again.push(x));
    const text = (again[0] ?? '').replace(/^[0-9a-f]{8}  [0-9a-f]+  /, '');
    if (text !== l.text) bad.push(`${l.addr.toString(16)}: ${l.text}  ->  ${text}`);
  }
  return bad;
}

describe('golden disassembly', () => {
  const names = ['sample', ...FROZEN];
  it('has a golden listing for every case (and no stale ones)', () => {
    if (UPDATE) return;
    const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)).sort();
    expect(files).toEqual([...names].sort());
  });
  for (const name of names) {
    it(`${name}: matches test/golden/disasm/${name}.txt and survives a NASM round trip`, () => {
      const got = listing(name);
      const file = join(GOLDEN, `${name}.txt`);
      if (UPDATE) writeFileSync(file, got);
      const want = existsSync(file) ? readFileSync(file, 'utf8') : '(missing: run UPDATE_GOLDEN=1 npx vitest run test/x86/golden.test.ts)';
      expect(got, `listing of ${name} changed; if intended, re-accept with UPDATE_GOLDEN=1 npx vitest run test/x86/golden.test.ts`).toBe(want);
      const bad = blocks(got).flatMap(roundTrip);
      expect(bad.join('\n')).toBe('');
    }, 60_000);
  }
  it('every current guests/bin/*.elf survives a NASM round trip', () => {
    const dir = join(ROOT, 'guests/bin');
    const bad: string[] = [];
    for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.elf')) : []) {
      const lines: string[] = [];
      listElf(new Uint8Array(readFileSync(join(dir, f))), f, (l) => lines.push(l));
      bad.push(...blocks(lines.join('\n')).flatMap(roundTrip).map((b) => `${f}: ${b}`));
    }
    expect(bad.join('\n')).toBe('');
  }, 60_000);
  const gcc = gccM32Problem();
  it.skipIf(gcc !== null)('gcc -m32 -O2 corpus: every listed instruction survives a NASM round trip', () => {
    const bad: string[] = [];
    for (const blob of compiledCorpus()) {
      const lines: string[] = [];
      listRange(blob.bytes, 0, blob.bytes.length, 0x08048000, (l) => lines.push(l));
      bad.push(...blocks(lines.join('\n')).flatMap(roundTrip).map((b) => `${blob.name}: ${b}`));
    }
    expect(bad.join('\n')).toBe('');
  }, 60_000);
  it('the fixture lists back exactly as written', () => {
    const src = readFileSync(join(ROOT, 'test/fixtures/disasm/sample.asm'), 'utf8').split('\n')
      .filter((l) => l && !l.startsWith(';') && !/^(bits|org) /.test(l) && !l.endsWith(':'));
    const got = listing('sample').trim().split('\n').map((l) => l.replace(/^[0-9a-f]{8}  [0-9a-f]+  /, ''));
    expect(got).toEqual(src);
  });
});
