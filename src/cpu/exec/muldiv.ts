// MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM Vol. 2). 64-bit products and
// dividends are done in 16-bit pieces with exact double arithmetic (no BigInt on the hot path).
// Flags: CF = OF = "the result did not fit"; SF/ZF/PF are undefined and computed from the low half,
// AF undefined and 0 (as QEMU does); DIV/IDIV leave every flag unchanged (all undefined).
import { CF, OF } from '../eflags.js';
import { setResultWithCfOf } from '../flags.js';
import { raise } from '../fault.js';
import type { Handler, Insn } from '../insn.js';
import type { Cpu } from '../state.js';
import { Vec } from '../vectors.js';
import { getReg8, readE16, readE32, readE8, setReg16, setReg8, writeGv } from './operands.js';

/** Results of the 64-bit helpers (module scratch: no allocation). */
let resLo = 0;
let resHi = 0;

/** Unsigned 32x32 -> 64 product into resLo/resHi (as int32 bit patterns). */
function mulu32(a: number, b: number): void {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const p0 = aL * bL;
  const mid = aH * bL + aL * bH;
  const t = p0 + (mid % 65536) * 65536;
  resLo = t | 0;
  resHi = (aH * bH + Math.floor(mid / 65536) + Math.floor(t / 4294967296)) | 0;
}

/** Signed 32x32 -> 64 product into resLo/resHi. */
function muls32(a: number, b: number): void {
  mulu32(a, b);
  // signed high = unsigned high - (a < 0 ? b : 0) - (b < 0 ? a : 0), modulo 2^32
  resHi = (resHi - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** Unsigned (hi:lo) / d with hi < d (checked by the caller): quotient in resLo, remainder in resHi. */
function divu64(hi: number, lo: number, d: number): void {
  hi >>>= 0;
  d >>>= 0;
  const num1 = hi * 65536 + (lo >>> 16);
  let q1 = Math.floor(num1 / d);
  let r1 = num1 - q1 * d;
  if (r1 < 0) {
    q1--;
    r1 += d;
  }
  const num2 = r1 * 65536 + (lo & 0xffff);
  let q2 = Math.floor(num2 / d);
  let r2 = num2 - q2 * d;
  if (r2 < 0) {
    q2--;
    r2 += d;
  } else if (r2 >= d) {
    q2++;
    r2 -= d;
  }
  resLo = (q1 * 65536 + q2) | 0;
  resHi = r2 | 0;
}

function mulFlags(cpu: Cpu, low: number, bits: number, overflow: boolean): void {
  setResultWithCfOf(cpu, low, bits, overflow ? CF | OF : 0);
}

// ---- one-operand MUL / IMUL

const mul_Eb: Handler = (cpu, insn) => {
  const r = (cpu.regs[0]! & 0xff) * readE8(cpu, insn);
  setReg16(cpu, 0, r);
  mulFlags(cpu, r & 0xff, 8, r > 0xff);
};

const mul_Ev: Handler = (cpu, insn) => {
  if (insn.opSize === 2) {
    const r = (cpu.regs[0]! & 0xffff) * readE16(cpu, insn);
    setReg16(cpu, 0, r);
    setReg16(cpu, 2, r >>> 16);
    mulFlags(cpu, r & 0xffff, 16, r > 0xffff);
    return;
  }
  mulu32(cpu.regs[0]!, readE32(cpu, insn));
  cpu.regs[0] = resLo;
  cpu.regs[2] = resHi;
  mulFlags(cpu, resLo, 32, resHi !== 0);
};

const imul_Eb: Handler = (cpu, insn) => {
  const r = ((cpu.regs[0]! << 24) >> 24) * ((readE8(cpu, insn) << 24) >> 24);
  setReg16(cpu, 0, r);
  mulFlags(cpu, r & 0xff, 8, r !== (r << 24) >> 24);
};

const imul_Ev: Handler = (cpu, insn) => {
  if (insn.opSize === 2) {
    const r = ((cpu.regs[0]! << 16) >> 16) * ((readE16(cpu, insn) << 16) >> 16);
    setReg16(cpu, 0, r);
    setReg16(cpu, 2, r >> 16);
    mulFlags(cpu, r & 0xffff, 16, r !== (r << 16) >> 16);
    return;
  }
  muls32(cpu.regs[0]!, readE32(cpu, insn));
  cpu.regs[0] = resLo;
  cpu.regs[2] = resHi;
  mulFlags(cpu, resLo, 32, resHi !== resLo >> 31);
};

/** Two- and three-operand IMUL: dest = truncated product (SDM IMUL "Operation"). */
function imulTrunc(cpu: Cpu, insn: Insn, a: number, b: number): void {
  if (insn.opSize === 2) {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    writeGv(cpu, insn, r);
    mulFlags(cpu, r & 0xffff, 16, r !== (r << 16) >> 16);
    return;
  }
  muls32(a, b);
  cpu.regs[insn.reg] = resLo;
  mulFlags(cpu, resLo, 32, resHi !== resLo >> 31);
}

const imul_Gv_Ev: Handler = (cpu, insn) => {
  const src = insn.opSize === 4 ? readE32(cpu, insn) : readE16(cpu, insn);
  imulTrunc(cpu, insn, cpu.regs[insn.reg]!, src);
};

const imul_Gv_Ev_I: Handler = (cpu, insn) => {
  const src = insn.opSize === 4 ? readE32(cpu, insn) : readE16(cpu, insn);
  imulTrunc(cpu, insn, src, insn.imm);
};

// ---- DIV / IDIV: #DE on a zero divisor or a quotient that does not fit (SDM DIV "Exceptions")

const div_Eb: Handler = (cpu, insn) => {
  const d = readE8(cpu, insn);
  if (d === 0) raise(Vec.DE);
  const n = cpu.regs[0]! & 0xffff;
  const q = Math.floor(n / d);
  if (q > 0xff) raise(Vec.DE);
  setReg16(cpu, 0, q | ((n % d) << 8));
};

const div_Ev: Handler = (cpu, insn) => {
  if (insn.opSize === 2) {
    const d = readE16(cpu, insn);
    if (d === 0) raise(Vec.DE);
    const n = ((cpu.regs[2]! & 0xffff) << 16 | (cpu.regs[0]! & 0xffff)) >>> 0;
    const q = Math.floor(n / d);
    if (q > 0xffff) raise(Vec.DE);
    setReg16(cpu, 0, q);
    setReg16(cpu, 2, n % d);
    return;
  }
  const d = readE32(cpu, insn) >>> 0;
  if (d === 0) raise(Vec.DE);
  const hi = cpu.regs[2]! >>> 0;
  if (hi >= d) raise(Vec.DE);
  divu64(hi, cpu.regs[0]!, d);
  cpu.regs[0] = resLo;
  cpu.regs[2] = resHi;
};

const idiv_Eb: Handler = (cpu, insn) => {
  const d = (readE8(cpu, insn) << 24) >> 24;
  if (d === 0) raise(Vec.DE);
  const n = (cpu.regs[0]! << 16) >> 16;
  const q = Math.trunc(n / d);
  if (q > 127 || q < -128) raise(Vec.DE);
  setReg8(cpu, 0, q);
  setReg8(cpu, 4, n - q * d);
};

const idiv_Ev: Handler = (cpu, insn) => {
  if (insn.opSize === 2) {
    const d = (readE16(cpu, insn) << 16) >> 16;
    if (d === 0) raise(Vec.DE);
    const n = ((cpu.regs[2]! & 0xffff) << 16) | (cpu.regs[0]! & 0xffff);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) raise(Vec.DE);
    setReg16(cpu, 0, q);
    setReg16(cpu, 2, n - q * d);
    return;
  }
  const d = readE32(cpu, insn);
  if (d === 0) raise(Vec.DE);
  const hi = cpu.regs[2]!;
  const lo = cpu.regs[0]!;
  const negN = hi < 0;
  // |dividend| as a 64-bit magnitude (two's complement negate of hi:lo when negative)
  let mHi = hi;
  let mLo = lo;
  if (negN) {
    mLo = (~lo + 1) | 0;
    mHi = (~hi + (mLo === 0 ? 1 : 0)) | 0;
  }
  const mD = d < 0 ? -d : d; // up to 2^31 as a positive double
  if (mHi >>> 0 >= mD) raise(Vec.DE);
  divu64(mHi, mLo, mD);
  const qMag = resLo >>> 0;
  const rMag = resHi >>> 0;
  const negQ = negN !== d < 0;
  if (negQ ? qMag > 0x80000000 : qMag > 0x7fffffff) raise(Vec.DE);
  cpu.regs[0] = negQ ? -qMag | 0 : qMag | 0;
  cpu.regs[2] = negN ? -rMag | 0 : rMag | 0;
};

export const MULDIV_HANDLERS: Record<string, Handler> = {
  mul_Eb,
  mul_Ev,
  imul_Eb,
  imul_Ev,
  imul_Gv_Ev,
  imul_Gv_Ev_Iz: imul_Gv_Ev_I,
  imul_Gv_Ev_Ibs: imul_Gv_Ev_I,
  div_Eb,
  div_Ev,
  idiv_Eb,
  idiv_Ev,
};

/** Exposed for the unit tests of the 64-bit helpers. */
export function mul64ForTest(a: number, b: number, signed: boolean): [number, number] {
  if (signed) muls32(a, b);
  else mulu32(a, b);
  return [resLo, resHi];
}
export function div64ForTest(hi: number, lo: number, d: number): [number, number] {
  divu64(hi, lo, d);
  return [resLo, resHi];
}
