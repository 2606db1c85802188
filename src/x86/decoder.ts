// The x86 instruction decoder (32-bit protected mode): bytes -> a reused DecodedInsn. Table-driven
// (decode-tables.ts, addressing-tables.ts), allocation-free, never throws and never reads at or
// past `limit`.
//
// Status contract (decoded.ts): Ok / Unsupported carry the exact length and the row in `entry`.
// Invalid: not an instruction; `len` is the number of bytes examined, and len > 15 means the
// instruction would exceed the 15-byte limit (SDM Vol. 2A §2.3.11: the CPU raises #GP(0) for that,
// #UD for every other Invalid). Truncated: the bytes up to `limit` end inside an instruction that
// could still be valid and at most 15 bytes long; decode again with more bytes.
import { HostBugError } from '../common/assert.js';
import * as Addressing from './addressing-tables.js';
import * as Tables from './decode-tables.js';
import * as Decoded from './decoded.js';
import { type DecodeStatus, type DecodedInsn } from './decoded.js';
import * as Forms from './operand-forms.js';
import * as Regs from './registers.js';

/** Architectural maximum instruction length (SDM Vol. 2A §2.3.11). */
export const MAX_INSN_LEN = 15;

/** Decodes the instruction at `bytes[start]` into `out`, reading only `bytes[start .. limit)`. */
export const decode: (bytes: Uint8Array, start: number, limit: number, out: DecodedInsn) => void = createDecoder();

/**
 * Builds the decoder. Everything the hot path reads (tables, masks, enum values) is a `const` of
 * this function's scope: TurboFan then embeds them in the compiled code as constants. Module-level
 * bindings do not get that once esbuild bundles the modules (it turns top-level `const` into `var`,
 * a mutable slot reloaded and checked at every use).
 */
function createDecoder(): (bytes: Uint8Array, start: number, limit: number, out: DecodedInsn) => void {
  const { OPC, OPC_KEY_SHIFT, OPC_MODRM, OPC_OFFSET_MASK, OPC_SPECIAL, RI_CC_SHIFT, RI_HAS_CC, RI_IGNORE_MOD, RI_IMM_MASK,
    RI_LOCKABLE, RI_UNSUPPORTED, ROW_EVEX, ROW_INFO, ROW_VEX, ROW_XOP, SUB, SUFFIX_3DNOW, SEL, SEL_INFO_SHIFT, SEL_ROW_MASK,
    OPX, OPX_OFFSET_MASK, OPX_KEY_SHIFT, OPX_MODRM_SHIFT, OPX_GENERAL, OPX_IMM_SHIFT, OPX_IMM_FROM_ROW } = Tables;
  const { MEM, MEM_LINK, MEM_LINK_INDEX, MEM_LINK_SIB_SHIFT, MEM_INDEX_SHIFT, MEM_SCALE_SHIFT, MEM_SIB_SHIFT,
    MEM_DSIZE_SHIFT, MEM_DSHIFT_SHIFT, MEM_DMASK_SHIFT, MEM_SS_SHIFT, MEM_NO_MEMORY } = Addressing;
  const { Ok, Unsupported, Invalid, Truncated } = Decoded.DecodeStatus;
  const { LOCK: P_LOCK, REPNE: P_REPNE, REP: P_REP, OPSIZE: P_OPSIZE, ADSIZE: P_ADSIZE, SEG: P_SEG } = Decoded.Prefix;
  const NO_REG = Decoded.NO_REG;
  const { EBP, ESP } = Regs.Reg;
  const { ES, CS, SS, DS, FS, GS } = Regs.Seg;
  const { Ib, Ibs, Iw, Iz, Jb, Jz, Ap, IwIb, Moffs, IbIb } = Forms.ImmKind;
  const MAX_LEN = MAX_INSN_LEN;

  // The packings the fast path computes with instead of branching on.
  const RI_UNSUPPORTED_SHIFT = 5;
  if (RI_UNSUPPORTED !== 1 << RI_UNSUPPORTED_SHIFT || Ok !== 0 || Unsupported !== 1) throw new HostBugError('status packing');
  if (SS !== DS - 1) throw new HostBugError('segment packing');
  const MEM_NONE = MEM[MEM_NO_MEMORY] as number;

  /** Bytes the fast path may read past `start`: 14 prefixes + the longest prefix-free instruction
   *  body (EVEX/XOP 4 + opcode + ModRM + SIB + disp32 + imm32), and the 4-byte reads it makes at
   *  the displacement and immediate positions whether or not they are there, stay below this. */
  const FAST_WINDOW = 32;

  /** PFX[byte]: 0 = not a prefix; 1..6 = segment override (Seg + 1); then the others. */
  const K_OPSIZE = 7;
  const K_ADSIZE = 8;
  const K_LOCK = 9;
  const K_REPNE = 10;
  const K_REP = 11;
  const PFX = new Uint8Array(256);
  PFX[0x26] = ES + 1;
  PFX[0x2e] = CS + 1;
  PFX[0x36] = SS + 1;
  PFX[0x3e] = DS + 1;
  PFX[0x64] = FS + 1;
  PFX[0x65] = GS + 1;
  PFX[0x66] = K_OPSIZE;
  PFX[0x67] = K_ADSIZE;
  PFX[0xf0] = K_LOCK;
  PFX[0xf2] = K_REPNE;
  PFX[0xf3] = K_REP;

  /** Per ImmKind up to Jz, with 32-bit operand size (the fast path has no 66 prefix): IMM_SIZE the
   *  size; IMM_SHIFT the shift that sign-extends it from the low bits of a 32-bit read; IMM_MASK
   *  then clears the sign for the zero-extended kinds (Ib, Iw, Iz) and everything for None.
   *  64 entries each: typed arrays of 64 bytes or less live in the moving heap, and TurboFan does
   *  not embed their data address as a constant. */
  const IMM_SIZE = new Int32Array(64);
  const IMM_SHIFT = new Int32Array(64);
  const IMM_MASK = new Int32Array(64);
  for (const [kind, zx] of [[Ib, true], [Ibs, false], [Jb, false], [Iw, true], [Iz, true], [Jz, false]] as const) {
    const { size } = Tables.immSize(kind);
    IMM_SIZE[kind] = size;
    IMM_SHIFT[kind] = 32 - 8 * size;
    IMM_MASK[kind] = zx && size < 4 ? (1 << (8 * size)) - 1 : -1;
  }
  /** Displacement masks by a MEM entry's mask code (addressing-tables.ts), padded likewise. */
  const DISP_MASK = new Int32Array(64);
  DISP_MASK.set(Addressing.MEM_DISP_MASK);

  /** 16-bit addressing (SDM Vol. 2A Table 2-1), for the general path. */
  const BASE16 = Int8Array.from([3, 3, EBP, EBP, 6, 7, EBP, 3]);
  const INDEX16 = Int8Array.from([6, 7, 6, 7, NO_REG, NO_REG, NO_REG, NO_REG]);

  const scratch = new Uint8Array(FAST_WINDOW);
  const scratchView = new DataView(scratch.buffer);
  /** A DataView on the last buffer decoded from: one unaligned 32-bit read then replaces four byte
   *  reads, each with its own bounds check. Made again only when the caller changes buffers. */
  let viewOf: Uint8Array = scratch;
  let view: DataView = scratchView;

  function decode(bytes: Uint8Array, start: number, limit: number, out: DecodedInsn): void {
    if (limit - start < FAST_WINDOW || start < 0 || limit > bytes.length) {
      decodeNearLimit(bytes, start, limit, out);
      return;
    }
    if (bytes !== viewOf) {
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      viewOf = bytes;
    }
    decodeFast(bytes, view, start, out);
  }

  /** Near the end of the buffer: decode from a zero-padded copy; anything that needed a byte at or
   *  past `limit` (valid or not) is Truncated, unless it already ran past 15 bytes. */
  function decodeNearLimit(bytes: Uint8Array, start: number, limit: number, out: DecodedInsn): void {
    const end = Math.min(limit, bytes.length);
    const avail = end > start && start >= 0 ? end - start : 0;
    for (let i = 0; i < FAST_WINDOW; i++) scratch[i] = i < avail ? (bytes[start + i] ?? 0) : 0;
    decodeFast(scratch, scratchView, 0, out);
    if (out.len > avail && avail < MAX_LEN) {
      out.status = Truncated;
      out.len = avail;
    }
  }

  function invalid(out: DecodedInsn, len: number): void {
    out.status = Invalid;
    out.len = len;
    out.entry = 0;
  }

  /**
   * Decodes at `p0`; the caller guarantees FAST_WINDOW readable bytes. Handles what real code is
   * made of, prefix-free instructions of the one- and two-byte maps, and hands everything else to
   * decodeGeneral. The length, row, registers, displacement and immediate come from table lookups,
   * shifts and masks, not from branches on the bytes: real code mixes instruction forms
   * unpredictably, and one mispredicted branch costs more than all of that arithmetic. Bytes that
   * turn out not to be part of the instruction (a "ModRM" of an opcode without one, a displacement
   * of size 0) are read anyway and masked off.
   */
  function decodeFast(b: Uint8Array, dv: DataView, p0: number, out: DecodedInsn): void {
    let w = dv.getInt32(p0, true);
    if (PFX[w & 0xff] !== 0) {
      decodeGeneral(b, p0, out);
      return;
    }
    // Opcode, ModRM and SIB from one read; a 0F escape shifts them by a byte.
    const esc = (((w & 0xff) ^ 0x0f) - 1) >>> 31; // 1 when the first byte is 0F
    w >>>= esc << 3;
    const x = w & 0xff;
    const opx = OPX[x | (esc << 8)] as number;
    if ((opx & OPX_GENERAL) !== 0) {
      decodeGeneral(b, p0, out);
      return;
    }
    const m = (w >>> 8) & 0xff;
    const hm = (opx >> OPX_MODRM_SHIFT) & 1;
    // Selection key (decode-tables.ts): reg | isReg << 3 | prefixSel << 4 | rm << 6 (prefixSel 0).
    const key = ((m >> 3) & 7) | (((m + 0x40) >> 5) & 8) | ((m & 7) << 6);
    const sel = SEL[(opx & OPX_OFFSET_MASK) + (key & ((opx >> OPX_KEY_SHIFT) & 0x1ff))] as number;
    if (sel < 0) {
      invalid(out, 1 + esc + hm);
      return;
    }
    const info = sel >> SEL_INFO_SHIFT;
    // Stored as soon as known (fewer values live at once): Invalid only promises status, len, entry.
    out.entry = sel & SEL_ROW_MASK;
    out.status = ((info >> RI_UNSUPPORTED_SHIFT) & 1) as DecodeStatus; // Ok = 0, Unsupported = 1
    out.prefixes = 0;
    out.opSize = 4;
    out.addrSize = 4;
    out.cc = (info >> RI_CC_SHIFT) & 15;
    out.opcode = x;
    // Without ModRM, reg is the register in the opcode's low bits (+r forms, e.g. 50+r PUSH).
    out.reg = (((m >> 3) & -hm) | (x & (hm - 1))) & 7;
    out.rm = m & 7 & -hm;
    const link = MEM_LINK[m] as number;
    let mem = ((MEM[(link & MEM_LINK_INDEX) + (((w >>> 16) & 0xff) & (link >>> MEM_LINK_SIB_SHIFT))] as number) & -hm) | (MEM_NONE & (hm - 1));
    let mod = (m >> 6) & -hm;
    if ((info & RI_IGNORE_MOD) !== 0) {
      // MOV to/from CR/DR: the r/m operand is a register whatever mod says.
      mod = 3;
      mem = MEM_NONE;
    }
    out.mod = mod;
    out.base = (mem & 15) - 1;
    out.index = ((mem >> MEM_INDEX_SHIFT) & 15) - 1;
    out.scale = (mem >> MEM_SCALE_SHIFT) & 3;
    out.seg = DS - ((mem >> MEM_SS_SHIFT) & 1);
    let o = 1 + esc + hm + ((mem >> MEM_SIB_SHIFT) & 1);
    const dsh = (mem >> MEM_DSHIFT_SHIFT) & 31;
    out.disp = ((dv.getInt32((p0 + o) | 0, true) << dsh) >> dsh) & (DISP_MASK[(mem >> MEM_DMASK_SHIFT) & 3] as number);
    o += (mem >> MEM_DSIZE_SHIFT) & 7;
    let ik = opx >>> OPX_IMM_SHIFT;
    if (ik === OPX_IMM_FROM_ROW) ik = info & RI_IMM_MASK;
    const ish = IMM_SHIFT[ik] as number;
    out.imm = ((dv.getInt32((p0 + o) | 0, true) << ish) >> ish) & (IMM_MASK[ik] as number);
    out.imm2 = 0;
    // At most 0F + opcode + ModRM + SIB + disp32 + imm32 = 12 bytes: never over the limit.
    out.len = o + (IMM_SIZE[ik] as number);
  }

  /** Decodes at `p0` one byte at a time, for what the fast path leaves out: prefixes, the 0F 38 /
   *  0F 3A maps, the escapes decodeEscape handles, the immediates Ap, IwIb, Moffs and IbIb, and
   *  bytes that are no instruction. Correct for every input (the caller guarantees FAST_WINDOW
   *  readable bytes). */
  function decodeGeneral(b: Uint8Array, p0: number, out: DecodedInsn): void {
    let p = p0;
    let pre = 0;
    let segOv = -1;
    let rep = 0;
    let x = b[p] as number;
    let k = PFX[x] as number;
    while (k !== 0) {
      if (k <= 6) {
        segOv = k - 1;
        pre |= P_SEG;
      } else if (k === K_OPSIZE) pre |= P_OPSIZE;
      else if (k === K_ADSIZE) pre |= P_ADSIZE;
      else if (k === K_LOCK) pre |= P_LOCK;
      else if (k === K_REPNE) {
        pre = (pre & ~P_REP) | P_REPNE;
        rep = 3;
      } else {
        pre = (pre & ~P_REPNE) | P_REP;
        rep = 2;
      }
      if (++p - p0 >= MAX_LEN) {
        invalid(out, MAX_LEN + 1);
        return;
      }
      x = b[p] as number;
      k = PFX[x] as number;
    }
    const opSize = (pre & P_OPSIZE) !== 0 ? 2 : 4;
    const addrSize = (pre & P_ADSIZE) !== 0 ? 2 : 4;
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
    out.seg = segOv >= 0 ? segOv : DS;
    if ((opc & OPC_MODRM) !== 0) {
      if ((info & RI_IGNORE_MOD) !== 0) mod = 3;
      else if (mod !== 3) p = decodeMem(b, p, mod, rm, addrSize, segOv, out);
    }
    if ((pre & P_LOCK) !== 0 && ((info & RI_LOCKABLE) === 0 || mod === 3)) {
      invalid(out, p - p0);
      return;
    }

    let imm = 0;
    let imm2 = 0;
    const ik = info & RI_IMM_MASK;
    if (ik === Ib) imm = b[p++] as number;
    else if (ik === Ibs || ik === Jb) imm = ((b[p++] as number) << 24) >> 24;
    else if (ik === Iw || ((ik === Iz || ik === Jz) && opSize === 2)) {
      imm = (b[p] as number) | ((b[p + 1] as number) << 8);
      if (ik === Jz) imm = (imm << 16) >> 16;
      p += 2;
    } else if (ik === Iz || ik === Jz) {
      imm = rd32(b, p);
      p += 4;
    } else if (ik === Ap) {
      imm = opSize === 2 ? (b[p] as number) | ((b[p + 1] as number) << 8) : rd32(b, p);
      p += opSize;
      imm2 = (b[p] as number) | ((b[p + 1] as number) << 8);
      p += 2;
    } else if (ik === IwIb || ik === IbIb) {
      imm = ik === IwIb ? (b[p] as number) | ((b[p + 1] as number) << 8) : (b[p] as number);
      p += ik === IwIb ? 2 : 1;
      imm2 = b[p++] as number;
    } else if (ik === Moffs) {
      out.disp = addrSize === 2 ? (b[p] as number) | ((b[p + 1] as number) << 8) : rd32(b, p);
      p += addrSize;
    }
    const len = p - p0;
    if (len > MAX_LEN) {
      invalid(out, len);
      return;
    }
    out.entry = entry;
    out.status = (info & RI_UNSUPPORTED) !== 0 ? Unsupported : Ok;
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

  function rd32(b: Uint8Array, p: number): number {
    return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
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
        if (i !== ESP) index = i;
        base = sib & 7;
        if (base === EBP && mod === 0) {
          base = NO_REG;
          mod = 2; // disp32, no base (SDM Vol. 2A Table 2-3 note 1)
        }
      } else if (rm === EBP && mod === 0) {
        base = NO_REG;
        mod = 2;
      } else base = rm;
      if (mod === 1) disp = ((b[p++] as number) << 24) >> 24;
      else if (mod === 2) {
        disp = rd32(b, p);
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
    out.seg = segOv >= 0 ? segOv : base === EBP || (base === ESP && addrSize === 4) ? SS : DS;
    return p;
  }

  /**
   * The escapes that share an opcode with an IA-32 instruction: C4/C5 (LES/LDS unless the next
   * byte has mod = 3: VEX), 62 (BOUND unless mod = 3: EVEX), 8F (POP Ev unless the next byte's low
   * five bits are >= 8: XOP), and 0F 0F (3DNow!, selected by a trailing imm8). Returns false to let
   * the ordinary path decode the IA-32 instruction. Cold path.
   */
  function decodeEscape(b: Uint8Array, p0: number, p: number, idx: number, pre: number, segOv: number, out: DecodedInsn): boolean {
    const addrSize = (pre & P_ADSIZE) !== 0 ? 2 : 4;
    const opSize = (pre & P_OPSIZE) !== 0 ? 2 : 4;
    const n1 = b[p] as number;
    out.seg = segOv >= 0 ? segOv : DS;
    out.base = NO_REG;
    out.index = NO_REG;
    out.scale = 0;
    out.disp = 0;
    let row: number;
    let map: number;
    if (idx === 0x10f) {
      const m = b[p++] as number;
      if (m >> 6 !== 3) p = decodeMem(b, p, m >> 6, m & 7, addrSize, segOv, out);
      const sfx = b[p++] as number;
      row = SUFFIX_3DNOW[sfx] as number;
      if (row < 0 || (pre & P_LOCK) !== 0 || p - p0 > MAX_LEN) {
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
    const bad = (pre & (P_OPSIZE | P_REP | P_REPNE | P_LOCK)) !== 0;
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
    const op = b[p++] as number;
    let m = 0;
    const noModrm = row === ROW_VEX && map === 1 && op === 0x77; // VZEROUPPER / VZEROALL
    if (!noModrm) {
      m = b[p++] as number;
      if (m >> 6 !== 3) p = decodeMem(b, p, m >> 6, m & 7, addrSize, segOv, out);
    }
    if (row === ROW_XOP) {
      if (map === 8) imm = b[p++] as number;
      else if (map === 10) {
        imm = rd32(b, p);
        p += 4;
      }
    } else if (map === 3 || (map === 1 && (op & 0xfc) === 0x70) || (map === 1 && op >= 0xc2 && op <= 0xc6 && op !== 0xc3)) {
      imm = b[p++] as number;
    }
    if (bad || p - p0 > MAX_LEN) {
      invalid(out, p - p0);
      return true;
    }
    finish(out, row, p - p0, pre, opSize, addrSize, m, op, imm);
    return true;
  }

  function finish(out: DecodedInsn, row: number, len: number, pre: number, opSize: number, addrSize: number, modrm: number, op: number, imm: number): void {
    out.entry = row;
    out.status = ((ROW_INFO[row] as number) & RI_UNSUPPORTED) !== 0 ? Unsupported : Ok;
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

  return decode;
}
