// Random instances of opcode-table encodings for the differential tests: prefixes, the opcode,
// a ModRM byte meeting the row's constraints, then random bytes for SIB/displacement/immediates.
import type { Encoding, OpcodeRow } from '../../src/x86/opcodes.js';
import { InsnClass } from '../../src/x86/insn-class.js';

/** xorshift32: deterministic, seeded. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const SEGS = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const ESCAPE: readonly (readonly number[])[] = [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a]];

/** One instance of `enc` (of `row`), 32 bytes long (the instruction, then random filler). */
export function instance(row: OpcodeRow, enc: Encoding, r: () => number): Uint8Array {
  const out: number[] = [];
  const lock = row.lockable && r() % 3 === 0;
  if (r() % 4 === 0) out.push(0x67);
  if (r() % 4 === 0) out.push(SEGS[r() % SEGS.length] ?? 0x2e);
  if (enc.prefix === 'any' && r() % 3 === 0) out.push(0x66);
  if ((row.cls & InsnClass.String) !== 0 && r() % 3 === 0) out.push(r() & 1 ? 0xf3 : 0xf2);
  if (lock) out.push(0xf0);
  if (enc.prefix === '66') out.push(0x66);
  else if (enc.prefix === 'F3') out.push(0xf3);
  else if (enc.prefix === 'F2') out.push(0xf2);
  out.push(...(ESCAPE[enc.map] ?? []));
  out.push(enc.plusReg ? enc.opcode + (r() & 7) : enc.opcode);
  let mod = -1;
  if (enc.modrm) {
    mod = enc.mod === 'reg' ? 3 : enc.mod === 'mem' || lock ? r() % 3 : r() & 3;
    if (enc.suffix >= 0) mod = 3;
    const reg = enc.reg >= 0 ? enc.reg : r() & 7;
    const rm = enc.rm >= 0 ? enc.rm : r() & 7;
    out.push((mod << 6) | (reg << 3) | rm);
  }
  if (enc.suffix >= 0) out.push(enc.suffix);
  while (out.length < 32) out.push(r() & 0xff);
  return Uint8Array.from(out);
}
