// The trace tier's inline templates (src/cpu/trace-templates.ts) against the interpreter: random
// programs built from every templated form (ALU on registers, memory and immediates, MOV, LEA,
// INC/DEC, PUSH/POP, CALL/RET, JMP, all 16 Jcc) run in a hot loop, once with traces off and once
// with traces and templates on; registers, flags and the data buffer must end up identical.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEflags } from '../../src/cpu/flags.js';
import { tiers } from '../../src/cpu/run-block.js';
import { HOT_THRESHOLD, traceStats } from '../../src/cpu/trace.js';
import { machine } from './harness.js';

const BUF = 0x70000;
const DATA_REGS = ['eax', 'ecx', 'edx', 'esi', 'edi'];
const CONDS = ['o', 'no', 'b', 'ae', 'z', 'nz', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const ALU = ['add', 'sub', 'cmp', 'and', 'or', 'xor'];

function rng(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

function program(seed: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[r() % a.length]!;
  const reg = (): string => pick(DATA_REGS);
  const mem = (): string => (r() % 3 === 0 ? `[ebp + edi + ${(r() % 32) * 4}]` : `[ebp + ${(r() % 64) * 4}]`);
  const imm = (): string => (r() % 2 ? String((r() % 256) - 128) : `0x${r().toString(16)}`);
  const lines: string[] = [];
  for (let n = 0; n < 40; n++) {
    // keep EDI a small, aligned index for the [ebp + edi + d] forms
    lines.push('and edi, 0x3c');
    const k = r() % 14;
    const op = pick(ALU);
    switch (k) {
      case 0: lines.push(`${op} ${reg()}, ${reg()}`); break;
      case 1: lines.push(`${op} ${reg()}, dword ${mem()}`); break;
      case 2: lines.push(`${op} dword ${mem()}, ${reg()}`); break;
      case 3: lines.push(`${op} ${reg()}, ${imm()}`); break;
      case 4: lines.push(`${op} dword ${mem()}, ${imm()}`); break;
      case 5: lines.push(`mov ${reg()}, ${reg()}`); lines.push(`mov dword ${mem()}, ${reg()}`); break;
      case 6: lines.push(`mov ${reg()}, dword ${mem()}`); lines.push(`mov ${reg()}, ${imm()}`); break;
      case 7: lines.push(`lea ${reg()}, [${reg()} + ${reg()}*${pick([1, 2, 4, 8])} + ${imm()}]`); break;
      case 8: lines.push(`${pick(['inc', 'dec'])} ${reg()}`); break;
      case 9: lines.push(`push ${reg()}`); lines.push(`pop ${reg()}`); break;
      case 10: lines.push(`push dword ${imm()}`); lines.push(`pop ${reg()}`); break;
      case 11: lines.push('call f'); break;
      case 12: lines.push(`j${pick(CONDS)} s${n}`); lines.push(`xor ${reg()}, ${imm()}`); lines.push(`s${n}:`); break;
      default: lines.push(`test ${reg()}, ${reg()}`); lines.push(`mov dword ${mem()}, ${imm()}`); break;
    }
  }
  return [
    `mov ebp, ${BUF}`,
    'mov dword [ebp + 0x400], 120',
    'loop:',
    ...lines,
    'dec dword [ebp + 0x400]',
    'jnz loop',
    'jmp done',
    'f: add eax, ecx',
    'xor edx, eax',
    'ret',
    'done: hlt',
  ].join('\n');
}

function runWith(src: string, traces: boolean): { regs: number[]; flags: number; buf: number[] } {
  tiers.traces = traces;
  const m = machine(src);
  for (let i = 0; i < 0x100; i++) m.mem.write32(BUF + i * 4, (i * 0x9e3779b9) | 0);
  const stop = m.run(2_000_000);
  expect(stop.kind).toBe('halted-forever');
  return {
    regs: Array.from(m.cpu.regs.subarray(0, 8)),
    flags: readEflags(m.cpu) & 0x8d5,
    buf: Array.from({ length: 0x101 }, (_, i) => m.mem.read32(BUF + i * 4)),
  };
}

beforeEach(() => {
  tiers.hotThreshold = 50;
});

afterEach(() => {
  tiers.traces = true;
  tiers.hotThreshold = HOT_THRESHOLD;
});

describe('trace templates agree with the interpreter', () => {
  for (let p = 1; p <= 24; p++) {
    it(`random program ${p}`, () => {
      const src = program(p * 7919);
      const before = traceStats.compiled;
      const traced = runWith(src, true);
      expect(traceStats.compiled).toBeGreaterThan(before);
      const interp = runWith(src, false);
      expect(traced).toEqual(interp);
    });
  }
});
