// The x86 instruction decoder (32-bit protected mode): bytes -> a reused DecodedInsn. Table-driven
// (decode-tables.ts), allocation-free, never throws and never reads at or past `limit`.
//
// Status contract (decoded.ts): Ok / Unsupported carry the exact length and the row in `entry`.
// Invalid: not an instruction; `len` is the number of bytes examined, and len > 15 means the
// instruction would exceed the 15-byte limit (SDM Vol. 2A §2.3.11: the CPU raises #GP(0) for that,
// #UD for every other Invalid). Truncated: the bytes up to `limit` end inside an instruction that
// could still be valid and at most 15 bytes long; decode again with more bytes.
import { DecodeStatus, NO_REG, Prefix, type DecodedInsn } from './decoded.js';
import {
  OPC, OPC_KEY_SHIFT, OPC_MODRM, OPC_OFFSET_MASK, OPC_SPECIAL, RI_CC_SHIFT, RI_HAS_CC, RI_IGNORE_MOD, RI_IMM_MASK,
  RI_LOCKABLE, RI_UNSUPPORTED, ROW_EVEX, ROW_INFO, ROW_VEX, ROW_XOP, SUB, SUFFIX_3DNOW,
} from './decode-tables.js';
import { ImmKind } from './operand-forms.js';
import { Reg, Seg } from './registers.js';

/** Architectural maximum instruction length (SDM Vol. 2A §2.3.11). */
export const MAX_INSN_LEN = 15;
/** Bytes the fast path may examine past `start`: 14 prefixes + the longest prefix-free
 *  instruction body (EVEX/XOP 4 + opcode + ModRM + SIB + disp32 + imm32) stays below this. */
const FAST_WINDOW = 32;

/** PFX[byte]: 0 = not a prefix; 1..6 = segment override (Seg + 1); then the others. */
const P_OPSIZE = 7;
const P_ADSIZE = 8;
const P_LOCK = 9;
const P_REPNE = 10;
const P_REP = 11;
const PFX = new Uint8Array(256);
PFX[0x26] = Seg.ES + 1;
PFX[0x2e] = Seg.CS + 1;
PFX[0x36] = Seg.SS + 1;
PFX[0x3e] = Seg.DS + 1;
PFX[0x64] = Seg.FS + 1;
PFX[0x65] = Seg.GS + 1;
PFX[0x66] = P_OPSIZE;
PFX[0x67] = P_ADSIZE;
PFX[0xf0] = P_LOCK;
PFX[0xf2] = P_REPNE;
PFX[0xf3] = P_REP;

/** 16-bit addressing (SDM Vol. 2A Table 2-1): base and index per ModRM.rm. */
const BASE16 = Int8Array.from([Reg.EBX, Reg.EBX, Reg.EBP, Reg.EBP, Reg.ESI, Reg.EDI, Reg.EBP, Reg.EBX]);
const INDEX16 = Int8Array.from([Reg.ESI, Reg.EDI, Reg.ESI, Reg.EDI, NO_REG, NO_REG, NO_REG, NO_REG]);

const scratch = new Uint8Array(FAST_WINDOW);

/**
 * Decodes the instruction at `bytes[start]` into `out`, reading only `bytes[start .. limit)`.
 */
export function decode(bytes: Uint8Array, start: number, limit: number, out: DecodedInsn): void {
  if (limit - start < FAST_WINDOW) {
    decodeNearLimit(bytes, start, limit, out);
    return;
  }
  decodeAt(bytes, start, out);
}

/** Near the end of the buffer: decode from a zero-padded copy; anything that needed a byte at or
 *  past `limit` (valid or not) is Truncated, unless it already ran past 15 bytes. */
function decodeNearLimit(bytes: Uint8Array, start: number, limit: number, out: DecodedInsn): void {
  const avail = limit > start ? limit - start : 0;
  for (let i = 0; i < FAST_WINDOW; i++) scratch[i] = i < avail ? (bytes[start + i] ?? 0) : 0;
  decodeAt(scratch, 0, out);
  if (out.len > avail && avail < MAX_INSN_LEN) {
    out.status = DecodeStatus.Truncated;
    out.len = avail;
  }
}

function invalid(out: DecodedInsn, len: number): void {
  out.status = DecodeStatus.Invalid;
  out.len = len;
  out.entry = 0;
}

/** Decodes at `p0`; the caller guarantees FAST_WINDOW readable bytes. */
function decodeAt(b: Uint8Array, p0: number, out: DecodedInsn): void {
  let p = p0;
  let pre = 0;
  let segOv = -1;
  let rep = 0; // prefixSel of the last F2/F3: 2 = F3, 3 = F2
  let x = b[p] as number;
  let k = PFX[x] as number;
  while (k !== 0) {
    if (k <= 6) {
      segOv = k - 1;
      pre |= Prefix.SEG;
    } else if (k === P_OPSIZE) pre |= Prefix.OPSIZE;
    else if (k === P_ADSIZE) pre |= Prefix.ADSIZE;
    else if (k === P_LOCK) pre |= Prefix.LOCK;
    else if (k === P_REPNE) {
      pre = (pre & ~Prefix.REP) | Prefix.REPNE;
      rep = 3;
    } else {
      pre = (pre & ~Prefix.REPNE) | Prefix.REP;
      rep = 2;
    }
    if (++p - p0 >= MAX_INSN_LEN) {
      invalid(out, MAX_INSN_LEN + 1);
      return;
    }
    x = b[p] as number;
    k = PFX[x] as number;
  }
  const opSize = (pre & Prefix.OPSIZE) !== 0 ? 2 : 4;
  const addrSize = (pre & Prefix.ADSIZE) !== 0 ? 2 : 4;
  const psel = rep !== 0 ? rep : opSize === 2 ? 1 : 0;
  p++;
  let idx = x;
  if (x === 0x0f) {
    x = b[p++] as number;
    idx = 0x100 | x;
    if (x === 0x38) {
      x = b[p++] as number;
      idx = 0x200 | x;
    } else if (x === 0x3a) {
      x = b[p++] as number;
      idx = 0x300 | x;
    }
  }
  const opc = OPC[idx] as number;
  if ((opc & OPC_SPECIAL) !== 0 && decodeEscape(b, p0, p, idx, pre, segOv, out)) return;

  let mod = 0;
  let reg = 0;
  let rm = 0;
  let key = psel << 4;
  if ((opc & OPC_MODRM) !== 0) {
    const m = b[p++] as number;
    mod = m >> 6;
    reg = (m >> 3) & 7;
    rm = m & 7;
    key |= reg | (mod === 3 ? 8 : 0) | (rm << 6);
  }
  const entry = SUB[(opc & OPC_OFFSET_MASK) + (key & (opc >>> OPC_KEY_SHIFT))] as number;
  if (entry < 0) {
    invalid(out, p - p0);
    return;
  }
  const info = ROW_INFO[entry] as number;

  out.base = NO_REG;
  out.index = NO_REG;
  out.scale = 0;
  out.disp = 0;
  out.seg = segOv >= 0 ? segOv : Seg.DS;
  if ((opc & OPC_MODRM) !== 0) {
    if ((info & RI_IGNORE_MOD) !== 0) mod = 3;
    else if (mod !== 3) p = decodeMem(b, p, mod, rm, addrSize, segOv, out);
  }
  if ((pre & Prefix.LOCK) !== 0 && ((info & RI_LOCKABLE) === 0 || mod === 3)) {
    invalid(out, p - p0);
    return;
  }

  let imm = 0;
  let imm2 = 0;
  switch (info & RI_IMM_MASK) {
    case ImmKind.None:
      break;
    case ImmKind.Ib:
      imm = b[p++] as number;
      break;
    case ImmKind.Ibs:
    case ImmKind.Jb:
      imm = ((b[p++] as number) << 24) >> 24;
      break;
    case ImmKind.Iw:
      imm = (b[p] as number) | ((b[p + 1] as number) << 8);
      p += 2;
      break;
    case ImmKind.Iz:
      if (opSize === 2) {
        imm = (b[p] as number) | ((b[p + 1] as number) << 8);
        p += 2;
      } else {
        imm = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
        p += 4;
      }
      break;
    case ImmKind.Jz:
      if (opSize === 2) {
        imm = (((b[p] as number) | ((b[p + 1] as number) << 8)) << 16) >> 16;
        p += 2;
      } else {
        imm = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
        p += 4;
      }
      break;
    case ImmKind.Ap:
      if (opSize === 2) {
        imm = (b[p] as number) | ((b[p + 1] as number) << 8);
        p += 2;
      } else {
        imm = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
        p += 4;
      }
      imm2 = (b[p] as number) | ((b[p + 1] as number) << 8);
      p += 2;
      break;
    case ImmKind.IwIb:
      imm = (b[p] as number) | ((b[p + 1] as number) << 8);
      imm2 = b[p + 2] as number;
      p += 3;
      break;
    case ImmKind.Moffs:
      if (addrSize === 2) {
        out.disp = (b[p] as number) | ((b[p + 1] as number) << 8);
        p += 2;
      } else {
        out.disp = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
        p += 4;
      }
      break;
    case ImmKind.IbIb:
      imm = b[p] as number;
      imm2 = b[p + 1] as number;
      p += 2;
      break;
  }
  let len = p - p0;
  if (len > MAX_INSN_LEN) {
    invalid(out, len);
    return;
  }
  out.entry = entry;
  out.status = (info & RI_UNSUPPORTED) !== 0 ? DecodeStatus.Unsupported : DecodeStatus.Ok;
  out.len = len;
  out.prefixes = pre;
  out.opSize = opSize;
  out.addrSize = addrSize;
  out.mod = mod;
  out.reg = (opc & OPC_MODRM) !== 0 ? reg : x & 7;
  out.rm = rm;
  out.imm = imm;
  out.imm2 = imm2;
  out.cc = (info & RI_HAS_CC) !== 0 ? (info >> RI_CC_SHIFT) & 15 : 0;
  out.opcode = x;
}

/** Decodes a ModRM memory operand (mod != 3) from `p` (just past ModRM); returns the new position. */
function decodeMem(b: Uint8Array, p: number, mod: number, rm: number, addrSize: number, segOv: number, out: DecodedInsn): number {
  let base: number;
  let index = NO_REG;
  let scale = 0;
  let disp = 0;
  if (addrSize === 4) {
    if (rm === 4) {
      const sib = b[p++] as number;
      scale = sib >> 6;
      const i = (sib >> 3) & 7;
      if (i !== Reg.ESP) index = i;
      base = sib & 7;
      if (base === Reg.EBP && mod === 0) {
        base = NO_REG;
        mod = 2; // disp32, no base (SDM Vol. 2A Table 2-3 note 1)
      }
    } else if (rm === Reg.EBP && mod === 0) {
      base = NO_REG;
      mod = 2;
    } else base = rm;
    if (mod === 1) disp = ((b[p++] as number) << 24) >> 24;
    else if (mod === 2) {
      disp = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
      p += 4;
    }
  } else {
    base = BASE16[rm] as number;
    index = INDEX16[rm] as number;
    if (rm === 6 && mod === 0) {
      base = NO_REG;
      disp = (b[p] as number) | ((b[p + 1] as number) << 8);
      p += 2;
    } else if (mod === 1) disp = ((b[p++] as number) << 24) >> 24;
    else if (mod === 2) {
      disp = (((b[p] as number) | ((b[p + 1] as number) << 8)) << 16) >> 16;
      p += 2;
    }
  }
  out.base = base;
  out.index = index;
  out.scale = scale;
  out.disp = disp;
  // SS is the default for EBP/ESP-based (BP-based in 16-bit) addressing (SDM Vol. 1 §3.7.4).
  out.seg = segOv >= 0 ? segOv : base === Reg.EBP || (base === Reg.ESP && addrSize === 4) ? Seg.SS : Seg.DS;
  return p;
}

/**
 * The escapes that share an opcode with an IA-32 instruction: C4/C5 (LES/LDS unless the next
 * byte has mod = 3: VEX), 62 (BOUND unless mod = 3: EVEX), 8F (POP Ev unless the next byte's low
 * five bits are >= 8: XOP), and 0F 0F (3DNow!, selected by a trailing imm8). Returns false to let
 * the ordinary path decode the IA-32 instruction. Cold path.
 */
function decodeEscape(b: Uint8Array, p0: number, p: number, idx: number, pre: number, segOv: number, out: DecodedInsn): boolean {
  const addrSize = (pre & Prefix.ADSIZE) !== 0 ? 2 : 4;
  const opSize = (pre & Prefix.OPSIZE) !== 0 ? 2 : 4;
  const n1 = b[p] as number;
  out.seg = segOv >= 0 ? segOv : Seg.DS;
  out.base = NO_REG;
  out.index = NO_REG;
  out.scale = 0;
  out.disp = 0;
  let row: number;
  let map: number;
  let op: number;
  if (idx === 0x10f) {
    const m = b[p++] as number;
    if (m >> 6 !== 3) p = decodeMem(b, p, m >> 6, m & 7, addrSize, segOv, out);
    const sfx = b[p++] as number;
    row = SUFFIX_3DNOW[sfx] as number;
    if (row < 0 || (pre & Prefix.LOCK) !== 0 || p - p0 > MAX_INSN_LEN) {
      invalid(out, p - p0);
      return true;
    }
    finish(out, row, p - p0, pre, opSize, addrSize, m, 0x0f, sfx);
    return true;
  }
  if (idx === 0x8f) {
    if ((n1 & 0x1f) < 8) return false;
  } else if (n1 >> 6 !== 3) return false;
  // VEX/EVEX/XOP: legacy 66/F2/F3/LOCK prefixes before them are #UD (SDM Vol. 2A §2.3.2).
  const bad = (pre & (Prefix.OPSIZE | Prefix.REP | Prefix.REPNE | Prefix.LOCK)) !== 0;
  let imm = 0;
  if (idx === 0xc5) {
    row = ROW_VEX;
    map = 1;
    p += 1;
  } else if (idx === 0xc4) {
    row = ROW_VEX;
    map = n1 & 0x1f;
    p += 2;
    if (map < 1 || map > 3) {
      invalid(out, p - p0);
      return true;
    }
  } else if (idx === 0x62) {
    row = ROW_EVEX;
    map = n1 & 7;
    const p1 = b[p + 1] as number;
    p += 3;
    if ((n1 & 8) !== 0 || (p1 & 4) === 0 || map === 0 || map === 4 || map === 7) {
      invalid(out, p - p0);
      return true;
    }
  } else {
    row = ROW_XOP;
    map = n1 & 0x1f;
    p += 2;
    if (map < 8 || map > 10) {
      invalid(out, p - p0);
      return true;
    }
  }
  op = b[p++] as number;
  let m = 0;
  const noModrm = row === ROW_VEX && map === 1 && op === 0x77; // VZEROUPPER / VZEROALL
  if (!noModrm) {
    m = b[p++] as number;
    if (m >> 6 !== 3) p = decodeMem(b, p, m >> 6, m & 7, addrSize, segOv, out);
  }
  if (row === ROW_XOP) {
    if (map === 8) imm = b[p++] as number;
    else if (map === 10) {
      imm = (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
      p += 4;
    }
  } else if (map === 3 || (map === 1 && (op & 0xfc) === 0x70) || (map === 1 && op >= 0xc2 && op <= 0xc6 && op !== 0xc3)) {
    imm = b[p++] as number;
  }
  if (bad || p - p0 > MAX_INSN_LEN) {
    invalid(out, p - p0);
    return true;
  }
  finish(out, row, p - p0, pre, opSize, addrSize, m, op, imm);
  return true;
}

function finish(out: DecodedInsn, row: number, len: number, pre: number, opSize: number, addrSize: number, modrm: number, op: number, imm: number): void {
  out.entry = row;
  out.status = (ROW_INFO[row] as number) & RI_UNSUPPORTED ? DecodeStatus.Unsupported : DecodeStatus.Ok;
  out.len = len;
  out.prefixes = pre;
  out.opSize = opSize;
  out.addrSize = addrSize;
  out.mod = modrm >> 6;
  out.reg = (modrm >> 3) & 7;
  out.rm = modrm & 7;
  out.imm = imm;
  out.imm2 = 0;
  out.cc = 0;
  out.opcode = op;
}
