// Parsing what the user types after a command name: addresses and numbers (gdb habits: 0x hex,
// decimal, `*ADDR`, `$reg`, sums), and gdb's `x/NFU` format letters.
import type { GuestRegisters } from './target.js';

const REG_INDEX: Record<string, number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };

/** A value from `0x1f`, `31`, `$eax`, `eip`, `$esp+8`, `*0x101000`; null with no message if invalid. */
export function parseValue(text: string, regs?: () => GuestRegisters): number | null {
  let t = text.trim();
  if (t.startsWith('*')) t = t.slice(1).trim();
  if (t === '') return null;
  // Sums and differences of terms, left to right.
  const terms = t.split(/(?=[+-])/);
  let total = 0;
  for (const raw of terms) {
    let term = raw.trim();
    let sign = 1;
    if (term.startsWith('+')) term = term.slice(1).trim();
    else if (term.startsWith('-')) {
      sign = -1;
      term = term.slice(1).trim();
    }
    const v = parseTerm(term, regs);
    if (v === null) return null;
    total += sign * v;
  }
  return total >>> 0;
}

function parseTerm(term: string, regs?: () => GuestRegisters): number | null {
  if (/^0x[0-9a-f]+$/i.test(term)) return parseInt(term.slice(2), 16);
  if (/^[0-9]+$/.test(term)) return parseInt(term, 10);
  if (/^[0-9a-f]+h$/i.test(term)) return parseInt(term.slice(0, -1), 16);
  const name = term.replace(/^\$/, '').toLowerCase();
  if (!regs) return null;
  const r = regs();
  if (name in REG_INDEX) return r.gpr[REG_INDEX[name]!] ?? null;
  if (name === 'eip' || name === 'pc') return r.eip;
  if (name === 'eflags') return r.eflags;
  if (name === 'cr0') return r.cr0;
  if (name === 'cr2') return r.cr2;
  if (name === 'cr3') return r.cr3;
  if (name === 'cr4') return r.cr4;
  return null;
}

/** A whole number in [min, max], or null. */
export function parseCount(text: string, min: number, max: number): number | null {
  const v = /^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim()) ? Number(text.trim()) : NaN;
  return Number.isSafeInteger(v) && v >= min && v <= max ? v : null;
}

/** gdb's `x` formats: hex, decimal, unsigned, octal, binary, char, address, string, instruction. */
export type XFormat = 'x' | 'd' | 'u' | 'o' | 't' | 'c' | 'a' | 's' | 'i';
export type XUnit = 1 | 2 | 4 | 8;

export interface XSpec {
  readonly count: number;
  readonly format: XFormat;
  readonly unit: XUnit;
}

const UNITS: Record<string, XUnit> = { b: 1, h: 2, w: 4, g: 8 };

/** Parses the `/NFU` after `x` or `xp` (all parts optional; gdb's defaults: 1, x, w). */
export function parseXSpec(suffix: string): XSpec | string {
  if (suffix === '') return { count: 1, format: 'x', unit: 4 };
  const m = /^\/(\d*)([xduotcasi]?)([bhwg]?)([xduotcasi]?)$/.exec(suffix);
  if (!m) return `bad format "${suffix}": use /NFU, e.g. /8xw (N count, F one of x d u o t c a s i, U one of b h w g)`;
  const count = m[1] ? Number(m[1]) : 1;
  if (count < 1 || count > 4096) return 'count must be from 1 to 4096';
  const format = (m[2] || m[4] || 'x') as XFormat;
  let unit: XUnit = m[3] ? UNITS[m[3]]! : 4;
  if (!m[3] && format === 'c') unit = 1;
  if (!m[3] && format === 'a') unit = 4;
  return { count, format, unit };
}
