// Lazy EFLAGS: arithmetic instructions record (operation, operands, result, width) and the six status
// flags are computed only when something reads them (Jcc, SETcc, PUSHF...). SDM Vol. 1 §3.4.3.1 and
// Appendix A define which instruction sets which flag; flags the SDM leaves undefined are given one
// fixed, deterministic value here (documented at each recorder).
import { ARITH, AF, CF, FIXED1, OF, PF, SF, ZF, WRITABLE } from './eflags.js';
import type { Cpu } from './state.js';

/** Recorded operation kinds. ADC/SBB with carry-in 0 are recorded as ADD/SUB (same flags). */
export const LzOp = {
  ADD: 0,
  /** ADD with carry-in 1 (ADC when CF was set). */
  ADC1: 1,
  SUB: 2,
  /** SUB with borrow-in 1 (SBB when CF was set). */
  SBB1: 3,
  /** AND/OR/XOR/TEST and the result-only flags of shifts and multiplies: CF = OF = AF = 0. */
  LOGIC: 4,
} as const;

const ALL_BUT_CF = ARITH & ~CF;
const SZP = SF | ZF | PF;

function widthMask(bits: number): number {
  return bits === 32 ? -1 : (1 << bits) - 1;
}

/** Records an ADD/SUB-family result. `res` must already be truncated to `bits`. */
export function setArith(cpu: Cpu, op: number, dst: number, src: number, res: number, bits: number): void {
  cpu.lzOp = op;
  cpu.lzDst = dst;
  cpu.lzSrc = src;
  cpu.lzRes = res;
  cpu.lzBits = bits;
  cpu.lazy = ARITH;
}

/** INC/DEC: like ADD/SUB with 1 but CF is kept (SDM INC/DEC "Flags Affected"). */
export function setIncDec(cpu: Cpu, op: number, dst: number, res: number, bits: number): void {
  if (cpu.lazy & CF) cpu.flags = (cpu.flags & ~CF) | getCF(cpu);
  cpu.lzOp = op;
  cpu.lzDst = dst;
  cpu.lzSrc = 1;
  cpu.lzRes = res;
  cpu.lzBits = bits;
  cpu.lazy = ALL_BUT_CF;
}

/** Logic ops: CF = OF = 0, SF/ZF/PF from the result; AF is undefined and given 0. */
export function setLogic(cpu: Cpu, res: number, bits: number): void {
  cpu.lzOp = LzOp.LOGIC;
  cpu.lzRes = res;
  cpu.lzBits = bits;
  cpu.lazy = ARITH;
}

/** Sets CF, OF and AF eagerly and SF/ZF/PF lazily from `res` (shifts, multiplies). */
export function setResultWithCfOf(cpu: Cpu, res: number, bits: number, cfOf: number): void {
  cpu.flags = (cpu.flags & ~(CF | OF | AF)) | cfOf;
  cpu.lzOp = LzOp.LOGIC;
  cpu.lzRes = res;
  cpu.lzBits = bits;
  cpu.lazy = SZP;
}

export function getCF(cpu: Cpu): number {
  if ((cpu.lazy & CF) === 0) return cpu.flags & CF;
  const m = widthMask(cpu.lzBits);
  const d = (cpu.lzDst & m) >>> 0;
  switch (cpu.lzOp) {
    case LzOp.ADD:
      return (cpu.lzRes & m) >>> 0 < d ? CF : 0;
    case LzOp.ADC1:
      return (cpu.lzRes & m) >>> 0 <= d ? CF : 0;
    case LzOp.SUB:
      return d < (cpu.lzSrc & m) >>> 0 ? CF : 0;
    case LzOp.SBB1:
      return d <= (cpu.lzSrc & m) >>> 0 ? CF : 0;
    default:
      return 0;
  }
}

export function getZF(cpu: Cpu): number {
  if ((cpu.lazy & ZF) === 0) return cpu.flags & ZF;
  return cpu.lzRes === 0 ? ZF : 0;
}

export function getSF(cpu: Cpu): number {
  if ((cpu.lazy & SF) === 0) return cpu.flags & SF;
  return (cpu.lzRes >>> (cpu.lzBits - 1)) & 1 ? SF : 0;
}

export function getPF(cpu: Cpu): number {
  if ((cpu.lazy & PF) === 0) return cpu.flags & PF;
  const v = cpu.lzRes & 0xff;
  // 0x9669 is the even-parity table for a nibble; PF is set for an even number of 1 bits.
  return (0x9669 >>> ((v ^ (v >>> 4)) & 0xf)) & 1 ? PF : 0;
}

export function getAF(cpu: Cpu): number {
  if ((cpu.lazy & AF) === 0) return cpu.flags & AF;
  if (cpu.lzOp === LzOp.LOGIC) return 0;
  return (cpu.lzDst ^ cpu.lzSrc ^ cpu.lzRes) & AF;
}

export function getOF(cpu: Cpu): number {
  if ((cpu.lazy & OF) === 0) return cpu.flags & OF;
  const sh = cpu.lzBits - 1;
  switch (cpu.lzOp) {
    case LzOp.ADD:
    case LzOp.ADC1:
      return (((cpu.lzDst ^ cpu.lzRes) & (cpu.lzSrc ^ cpu.lzRes)) >>> sh) & 1 ? OF : 0;
    case LzOp.SUB:
    case LzOp.SBB1:
      return (((cpu.lzDst ^ cpu.lzSrc) & (cpu.lzDst ^ cpu.lzRes)) >>> sh) & 1 ? OF : 0;
    default:
      return 0;
  }
}

/** The full EFLAGS value (lazy bits materialised). */
export function readEflags(cpu: Cpu): number {
  if (cpu.lazy === 0) return cpu.flags | FIXED1;
  return (
    (cpu.flags & ~cpu.lazy) |
    (cpu.lazy & CF ? getCF(cpu) : 0) |
    (cpu.lazy & PF ? getPF(cpu) : 0) |
    (cpu.lazy & AF ? getAF(cpu) : 0) |
    (cpu.lazy & ZF ? getZF(cpu) : 0) |
    (cpu.lazy & SF ? getSF(cpu) : 0) |
    (cpu.lazy & OF ? getOF(cpu) : 0) |
    FIXED1
  );
}

/** Folds the lazy bits into `flags` (before an instruction that sets some flags and keeps others). */
export function materialize(cpu: Cpu): void {
  if (cpu.lazy !== 0) {
    cpu.flags = readEflags(cpu);
    cpu.lazy = 0;
  }
}

/** Writes the bits of `value` selected by `mask` (callers decide which bits the privilege level may
 *  change: POPF, IRET); reserved bits keep their fixed values. */
export function writeEflags(cpu: Cpu, value: number, mask: number): void {
  const cur = readEflags(cpu);
  const m = mask & WRITABLE;
  cpu.flags = ((cur & ~m) | (value & m)) | FIXED1;
  cpu.lazy = 0;
}

/** Sets or clears single flags that are never lazy-only (DF, IF, TF...) or after materialize(). */
export function setFlagBits(cpu: Cpu, bits: number, on: boolean): void {
  materialize(cpu);
  cpu.flags = on ? cpu.flags | bits : cpu.flags & ~bits;
}

/** Condition codes (the low nibble of Jcc/SETcc/CMOVcc opcodes; SDM Vol. 1 Appendix B). */
export function testCond(cpu: Cpu, cc: number): boolean {
  switch (cc) {
    case 0x0:
      return getOF(cpu) !== 0;
    case 0x1:
      return getOF(cpu) === 0;
    case 0x2:
      return getCF(cpu) !== 0;
    case 0x3:
      return getCF(cpu) === 0;
    case 0x4:
      return getZF(cpu) !== 0;
    case 0x5:
      return getZF(cpu) === 0;
    case 0x6:
      return (getCF(cpu) | getZF(cpu)) !== 0;
    case 0x7:
      return (getCF(cpu) | getZF(cpu)) === 0;
    case 0x8:
      return getSF(cpu) !== 0;
    case 0x9:
      return getSF(cpu) === 0;
    case 0xa:
      return getPF(cpu) !== 0;
    case 0xb:
      return getPF(cpu) === 0;
    case 0xc:
      return getSF(cpu) !== 0 !== (getOF(cpu) !== 0);
    case 0xd:
      return getSF(cpu) !== 0 === (getOF(cpu) !== 0);
    case 0xe:
      return getZF(cpu) !== 0 || getSF(cpu) !== 0 !== (getOF(cpu) !== 0);
    default:
      return getZF(cpu) === 0 && getSF(cpu) !== 0 === (getOF(cpu) !== 0);
  }
}
