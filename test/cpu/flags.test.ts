// Arithmetic flags of every ALU, shift and rotate family at 8, 16 and 32 bits, run as real
// instructions and checked against a reference written straight from the SDM's definitions (BigInt,
// no lazy evaluation), on random operands plus the edge values. Flags the SDM leaves undefined for
// an instruction are masked out of the comparison.
import { describe, expect, it } from 'vitest';
import { machine, rerun } from './harness.js';

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;
const IN = 0x6000;

type Ref = (a: bigint, b: bigint, cin: bigint, w: number) => { res: bigint; flags: number; undef: number };

const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;
const msb = (v: bigint, w: number): number => Number((v >> BigInt(w - 1)) & 1n);
function szp(res: bigint, w: number): number {
  let f = 0;
  if (res === 0n) f |= ZF;
  if (msb(res, w)) f |= SF;
  let ones = 0;
  for (let i = 0n; i < 8n; i++) ones += Number((res >> i) & 1n);
  if (ones % 2 === 0) f |= PF;
  return f;
}

const addLike = (sub: boolean, useCarry: boolean): Ref => (a, b, cin, w) => {
  const c = useCarry ? cin : 0n;
  const full = sub ? a - b - c : a + b + c;
  const res = full & mask(w);
  let f = szp(res, w);
  if (sub ? a < b + c : full > mask(w)) f |= CF;
  if (((a ^ b ^ res) & 0x10n) !== 0n) f |= AF;
  const sa = msb(a, w), sb = msb(b, w), sr = msb(res, w);
  if (sub ? sa !== sb && sr !== sa : sa === sb && sr !== sa) f |= OF;
  return { res, flags: f, undef: 0 };
};
const logic = (op: (a: bigint, b: bigint) => bigint): Ref => (a, b, _c, w) => {
  const res = op(a, b) & mask(w);
  return { res, flags: szp(res, w), undef: AF };
};

interface Case {
  name: string;
  /** The instruction under test, operands eax/ebx (or ax/bx, al/bl) and cl for counts. */
  insn: (w: number) => string;
  ref: Ref;
  /** Flags the instruction leaves unchanged (checked to stay at their preset value). */
  keeps?: number;
  /** Counts: b is a shift count in [1, w) (8/16-bit) or [1, 31]. */
  count?: boolean;
}

const r = (w: number, n: 'a' | 'b'): string => (w === 32 ? (n === 'a' ? 'eax' : 'ebx') : w === 16 ? (n === 'a' ? 'ax' : 'bx') : n === 'a' ? 'al' : 'bl');

const shiftRef = (kind: 'shl' | 'shr' | 'sar'): Ref => (a, b, _c, w) => {
  const n = Number(b);
  let res: bigint;
  let cf: number;
  if (kind === 'shl') {
    res = (a << b) & mask(w);
    cf = Number((a >> BigInt(w - n)) & 1n);
  } else if (kind === 'shr') {
    res = a >> b;
    cf = Number((a >> BigInt(n - 1)) & 1n);
  } else {
    const s = msb(a, w) ? a - (1n << BigInt(w)) : a;
    res = (s >> b) & mask(w);
    cf = Number((s >> BigInt(n - 1)) & 1n);
  }
  let f = szp(res, w) | (cf ? CF : 0);
  let of = 0;
  if (kind === 'shl') of = msb(res, w) ^ cf;
  else if (kind === 'shr') of = msb(a, w);
  if (of) f |= OF;
  return { res, flags: f, undef: AF | (n > 1 ? OF : 0) };
};

const rotRef = (kind: 'rol' | 'ror' | 'rcl' | 'rcr'): Ref => (a, b, cin, w) => {
  let res = a;
  let c = cin;
  const n = Number(b);
  for (let i = 0; i < n; i++) {
    if (kind === 'rol') res = ((res << 1n) | (res >> BigInt(w - 1))) & mask(w);
    else if (kind === 'ror') res = ((res >> 1n) | ((res & 1n) << BigInt(w - 1))) & mask(w);
    else if (kind === 'rcl') {
      const out = res >> BigInt(w - 1);
      res = ((res << 1n) | c) & mask(w);
      c = out;
    } else {
      const out = res & 1n;
      res = (res >> 1n) | (c << BigInt(w - 1));
      c = out;
    }
  }
  let cf: number;
  let of: number;
  if (kind === 'rol') {
    cf = Number(res & 1n);
    of = msb(res, w) ^ cf;
  } else if (kind === 'ror') {
    cf = msb(res, w);
    of = msb(res, w) ^ Number((res >> BigInt(w - 2)) & 1n);
  } else if (kind === 'rcl') {
    cf = Number(c);
    of = msb(res, w) ^ cf;
  } else {
    cf = Number(c);
    of = msb(res, w) ^ Number((res >> BigInt(w - 2)) & 1n);
  }
  return { res, flags: (cf ? CF : 0) | (of ? OF : 0), undef: n > 1 ? OF : 0 };
};

const CASES: Case[] = [
  { name: 'add', insn: (w) => `add ${r(w, 'a')}, ${r(w, 'b')}`, ref: addLike(false, false) },
  { name: 'adc', insn: (w) => `adc ${r(w, 'a')}, ${r(w, 'b')}`, ref: addLike(false, true) },
  { name: 'sub', insn: (w) => `sub ${r(w, 'a')}, ${r(w, 'b')}`, ref: addLike(true, false) },
  { name: 'sbb', insn: (w) => `sbb ${r(w, 'a')}, ${r(w, 'b')}`, ref: addLike(true, true) },
  { name: 'cmp', insn: (w) => `cmp ${r(w, 'a')}, ${r(w, 'b')}`, ref: (a, b, c, w) => ({ ...addLike(true, false)(a, b, c, w), res: a }) },
  { name: 'and', insn: (w) => `and ${r(w, 'a')}, ${r(w, 'b')}`, ref: logic((a, b) => a & b) },
  { name: 'or', insn: (w) => `or ${r(w, 'a')}, ${r(w, 'b')}`, ref: logic((a, b) => a | b) },
  { name: 'xor', insn: (w) => `xor ${r(w, 'a')}, ${r(w, 'b')}`, ref: logic((a, b) => a ^ b) },
  { name: 'test', insn: (w) => `test ${r(w, 'a')}, ${r(w, 'b')}`, ref: (a, b, c, w) => ({ ...logic((x, y) => x & y)(a, b, c, w), res: a }) },
  { name: 'inc', insn: (w) => `inc ${r(w, 'a')}`, ref: (a, _b, c, w) => addLike(false, false)(a, 1n, c, w), keeps: CF },
  { name: 'dec', insn: (w) => `dec ${r(w, 'a')}`, ref: (a, _b, c, w) => addLike(true, false)(a, 1n, c, w), keeps: CF },
  {
    name: 'neg',
    insn: (w) => `neg ${r(w, 'a')}`,
    ref: (a, _b, _c, w) => {
      const x = addLike(true, false)(0n, a, 0n, w);
      return x;
    },
  },
  { name: 'shl', insn: (w) => `shl ${r(w, 'a')}, cl`, ref: shiftRef('shl'), count: true },
  { name: 'shr', insn: (w) => `shr ${r(w, 'a')}, cl`, ref: shiftRef('shr'), count: true },
  { name: 'sar', insn: (w) => `sar ${r(w, 'a')}, cl`, ref: shiftRef('sar'), count: true },
  { name: 'rol', insn: (w) => `rol ${r(w, 'a')}, cl`, ref: rotRef('rol'), count: true, keeps: SF | ZF | PF | AF },
  { name: 'ror', insn: (w) => `ror ${r(w, 'a')}, cl`, ref: rotRef('ror'), count: true, keeps: SF | ZF | PF | AF },
  { name: 'rcl', insn: (w) => `rcl ${r(w, 'a')}, cl`, ref: rotRef('rcl'), count: true, keeps: SF | ZF | PF | AF },
  { name: 'rcr', insn: (w) => `rcr ${r(w, 'a')}, cl`, ref: rotRef('rcr'), count: true, keeps: SF | ZF | PF | AF },
];

/** Deterministic pseudo-random operands (xorshift), plus the edges every width must get right. */
function* operands(w: number, count: boolean): Generator<[bigint, bigint, bigint]> {
  const m = mask(w);
  const edges = [0n, 1n, m, m >> 1n, (m >> 1n) + 1n, 0x0fn, 0x10n];
  let s = 0x9e3779b9 ^ w;
  const rnd = (): bigint => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return BigInt(s >>> 0);
  };
  for (const a of edges) for (const b of count ? [1n, 2n, BigInt(w - 1)] : edges) for (const c of [0n, 1n]) yield [a & m, b & m, c];
  for (let i = 0; i < 150; i++) {
    const a = ((rnd() << 32n) | rnd()) & m;
    const b = count ? 1n + (rnd() % BigInt(w === 32 ? 31 : w - 1)) : ((rnd() << 32n) | rnd()) & m;
    yield [a, b, rnd() & 1n];
  }
}

describe('arithmetic flags (SDM definitions, undefined flags masked)', () => {
  for (const c of CASES) {
    for (const w of [8, 16, 32]) {
      it(`${c.name} ${w}-bit`, () => {
        // Preset flags from [IN+8] (CF and the kept flags) with POPFD, run the instruction, capture.
        const m = machine(
          `mov eax, [${IN}]\nmov ebx, [${IN + 4}]\nmov ecx, ebx\npush dword [${IN + 8}]\npopfd\n${c.insn(w)}\npushfd\npop edx\nhlt`,
        );
        for (const [a, b, cin] of operands(w, c.count ?? false)) {
          const preset = 2 | Number(cin) | (cin ? (c.keeps ?? 0) & ~CF : 0);
          m.w32(IN, Number(a));
          m.w32(IN + 4, Number(b));
          m.w32(IN + 8, preset);
          const stop = rerun(m);
          expect(stop.kind).toBe('halted-forever');
          const want = c.ref(a, b, cin, w);
          const got = m.cpu.regs[2]! & ARITH;
          const wantFlags = (want.flags & ~(c.keeps ?? 0)) | (preset & (c.keeps ?? 0));
          const care = ARITH & ~want.undef;
          const label = `${c.name}${w} a=${a.toString(16)} b=${b.toString(16)} cin=${cin}`;
          expect((got & care).toString(16), label).toBe((wantFlags & care).toString(16));
          const res = BigInt(m.cpu.regs[0]! >>> 0) & mask(w);
          expect(res.toString(16), label).toBe((want.res & mask(w)).toString(16));
        }
      });
    }
  }
});
