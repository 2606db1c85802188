// gdb-style memory display for `x/NFU` and `xp/NFU`: a label, then as many units per line as gdb
// puts there (8 bytes, 8 halfwords, 4 words or 2 giant words), in the chosen format.
import { hex } from '../common/hex.js';
import type { XSpec } from './command-args.js';

function unitValue(b: Uint8Array, off: number, unit: number): bigint {
  let v = 0n;
  for (let i = unit - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function signed(v: bigint, unit: number): bigint {
  const bits = BigInt(unit * 8);
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

function charText(v: number): string {
  if (v >= 0x20 && v < 0x7f) return `'${String.fromCharCode(v)}'`;
  const esc: Record<number, string> = { 0: '\\000', 9: '\\t', 10: '\\n', 13: '\\r' };
  return `'${esc[v] ?? `\\${v.toString(8).padStart(3, '0')}`}'`;
}

function formatUnit(v: bigint, spec: XSpec): string {
  const digits = spec.unit * 2;
  switch (spec.format) {
    case 'x':
    case 'a':
      return '0x' + v.toString(16).padStart(digits, '0');
    case 'd':
      return signed(v, spec.unit).toString();
    case 'u':
      return v.toString();
    case 'o':
      return '0' + v.toString(8);
    case 't':
      return v.toString(2).padStart(spec.unit * 8, '0');
    case 'c':
      return `${Number(signed(v & 0xffn, 1))} ${charText(Number(v & 0xffn))}`;
    case 's':
    case 'i':
      return '';
  }
}

const PER_LINE: Record<number, number> = { 1: 8, 2: 8, 4: 4, 8: 2 };

/** Lines for `count` units read into `bytes` from address `addr` (fewer if `bytes` is short). */
export function formatMemory(bytes: Uint8Array, addr: number, spec: XSpec): string[] {
  const lines: string[] = [];
  const per = spec.format === 'c' ? 8 : PER_LINE[spec.unit]!;
  const units = Math.floor(bytes.length / spec.unit);
  for (let i = 0; i < units; i += per) {
    const parts: string[] = [];
    for (let k = i; k < Math.min(units, i + per); k++) parts.push(formatUnit(unitValue(bytes, k * spec.unit, spec.unit), spec));
    lines.push(`0x${hex(addr + i * spec.unit)}:\t${parts.join('\t')}`);
  }
  return lines;
}

/** `x/s`: the NUL-terminated string at the start of `bytes` (cut at 200 characters, as gdb does). */
export function formatString(bytes: Uint8Array, addr: number): { line: string; len: number } {
  let s = '';
  let n = 0;
  for (; n < bytes.length && n < 200; n++) {
    const c = bytes[n]!;
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\${c === 10 ? 'n' : c === 9 ? 't' : c === 13 ? 'r' : c.toString(8).padStart(3, '0')}`;
  }
  const cut = n === 200 && bytes[n] !== 0 ? '...' : '';
  return { line: `0x${hex(addr)}:\t"${s}"${cut}`, len: n + 1 };
}
