// Dense lookup arrays derived from OPCODES at load time: the decoder's hot path reads only these.
// Built once; a conflicting or ambiguous table is a host bug and throws here, at start-up.
import { HostBugError } from '../common/assert.js';
import { type Encoding, type OpcodeRow } from './opcode-row.js';
import { OPCODES } from './opcodes.js';
import { ImmKind, immKindOf } from './operand-forms.js';

/**
 * OPC[map * 256 + opcode] packs: bits 0-19 offset into SUB; bits 20-28 the mask applied to the
 * selection key; bit 29 the opcode has a ModRM byte; bit 30 special handling (VEX/EVEX/XOP escapes,
 * 3DNow!). The selection key is `reg | isReg << 3 | prefixSel << 4 | rm << 6` where prefixSel is
 * 0 none, 1 = 66, 2 = F3, 3 = F2 (the last of F2/F3 wins over 66; SDM Vol. 2A §2.1.2). A key masked
 * with the opcode's mask indexes that opcode's slice of SUB, so an opcode that depends on nothing
 * has one slot, a group 16, a prefix-selected group 64 and an rm-selected one 512.
 */
export const OPC = new Int32Array(1024);
export const OPC_OFFSET_MASK = 0xfffff;
export const OPC_KEY_SHIFT = 20;
export const OPC_MODRM = 1 << 29;
export const OPC_SPECIAL = 1 << 30;


/** Per row: bits 0-3 ImmKind, bit 4 lockable, bit 5 unsupported, bit 6 ModRM.mod ignored (MOV
 *  CR/DR: always a register), bit 7 has a condition code, bits 8-11 the condition code. */
export const ROW_INFO = new Int32Array(OPCODES.length);
export const RI_IMM_MASK = 0xf;
export const RI_LOCKABLE = 1 << 4;
export const RI_UNSUPPORTED = 1 << 5;
export const RI_IGNORE_MOD = 1 << 6;
export const RI_HAS_CC = 1 << 7;
export const RI_CC_SHIFT = 8;

/** 3DNow! rows by their imm8 suffix (-1 = not an instruction). */
export const SUFFIX_3DNOW = new Int16Array(256).fill(-1);

/** Rows for whole escape spaces decoded by length only. */
export const ROW_VEX = indexOf('vex');
export const ROW_EVEX = indexOf('evex');
export const ROW_XOP = indexOf('xop');

function indexOf(name: string): number {
  const i = OPCODES.findIndex((r) => r.name === name);
  if (i < 0) throw new HostBugError(`opcode table lacks row ${name}`);
  return i;
}

const PSEL: Readonly<Record<Encoding['prefix'], readonly number[]>> = {
  any: [0, 1, 2, 3], NP: [0], '66': [1], F3: [2], F2: [3],
};

/** How constrained an encoding is: when several rows match the same bytes, the most specific wins. */
export function specificity(e: Encoding): number {
  return (e.plusReg ? 0 : 32) + (e.rm >= 0 ? 16 : 0) + (e.prefix !== 'any' ? 8 : 0) + (e.reg >= 0 ? 4 : 0) + (e.mod !== 'any' ? 2 : 0);
}

function matches(e: Encoding, key: number): boolean {
  const reg = key & 7;
  const isReg = (key >> 3) & 1;
  const ps = (key >> 4) & 3;
  const rm = (key >> 6) & 7;
  if (!PSEL[e.prefix].includes(ps)) return false;
  if (!e.modrm) return true;
  if (e.reg >= 0 && e.reg !== reg) return false;
  if (e.mod === 'mem' && isReg) return false;
  if (e.mod === 'reg' && !isReg) return false;
  if (e.rm >= 0 && e.rm !== rm) return false;
  return true;
}

function build(): Int16Array {
  const byIdx = new Map<number, Array<{ row: number; enc: Encoding }>>();
  OPCODES.forEach((row: OpcodeRow, ri) => {
    const rd = row.operands.some((f) => f === 'Cd' || f === 'Dd');
    ROW_INFO[ri] = immKindOf(row.operands) | (row.lockable ? RI_LOCKABLE : 0) | (row.supported ? 0 : RI_UNSUPPORTED) |
      (rd ? RI_IGNORE_MOD : 0) | (row.cc >= 0 ? RI_HAS_CC | (row.cc << RI_CC_SHIFT) : 0);
    for (const enc of row.encodings) {
      if (enc.suffix >= 0) {
        SUFFIX_3DNOW[enc.suffix] = ri;
        continue;
      }
      const n = enc.plusReg ? 8 : 1;
      for (let k = 0; k < n; k++) {
        const idx = enc.map * 256 + enc.opcode + k;
        let list = byIdx.get(idx);
        if (!list) byIdx.set(idx, (list = []));
        list.push({ row: ri, enc });
      }
    }
  });
  const sub: number[] = [-1]; // slot 0: the shared "no instruction" slot
  for (const [idx, list] of byIdx) {
    const modrm = list[0]?.enc.modrm ?? false;
    if (list.some((x) => x.enc.modrm !== modrm)) throw new HostBugError(`opcode ${idx.toString(16)}: rows disagree on ModRM`);
    const slots = new Int16Array(512).fill(-1);
    const spec = new Int8Array(512).fill(-1);
    for (const { row, enc } of list) {
      const s = specificity(enc);
      for (let key = 0; key < 512; key++) {
        if (!matches(enc, key)) continue;
        if (spec[key] === s && slots[key] !== row) {
          throw new HostBugError(`opcode ${idx.toString(16)} key ${key}: ${OPCODES[slots[key] ?? 0]?.name} vs ${OPCODES[row]?.name}`);
        }
        if ((spec[key] ?? -1) < s) {
          spec[key] = s;
          slots[key] = row;
        }
      }
    }
    let mask = 0x1ff;
    for (const m of [0, 0xf, 0x3f]) {
      let ok = true;
      for (let key = 0; key < 512 && ok; key++) ok = slots[key] === slots[key & m];
      if (ok) {
        mask = m;
        break;
      }
    }
    const off = sub.length;
    for (let key = 0; key <= mask; key++) sub.push(slots[key] ?? -1);
    OPC[idx] = off | (mask << OPC_KEY_SHIFT) | (modrm ? OPC_MODRM : 0);
  }
  for (const b of [0xc4, 0xc5, 0x62, 0x8f]) OPC[b] = (OPC[b] ?? 0) | OPC_SPECIAL;
  OPC[0x10f] = OPC_MODRM | OPC_SPECIAL; // 0F 0F: 3DNow!, selected by the imm8 suffix
  return Int16Array.from(sub);
}

/** Row index per selection slot, -1 = no instruction. */
export const SUB: Int16Array = build();

/** SUB with the row's ROW_INFO packed in, so one load gives both: bits 0-10 the row,
 *  ROW_INFO << SEL_INFO_SHIFT above them; -1 = no instruction. */
export const SEL_ROW_MASK = 0x7ff;
export const SEL_INFO_SHIFT = 11;
if (OPCODES.length > SEL_ROW_MASK + 1) throw new HostBugError('SEL packs row indexes in 11 bits');
export const SEL: Int32Array = Int32Array.from(SUB, (r) => (r < 0 ? -1 : r | ((ROW_INFO[r] ?? 0) << SEL_INFO_SHIFT)));

/**
 * OPX[map * 256 + opcode] for the one- and two-byte maps: what the decoder's fast path needs from
 * the opcode, in one load. Bits 0-14 the opcode's offset into SEL, bits 15-23 the selection-key
 * mask (as in OPC), bit 24 a ModRM byte follows, bit 25 take the general path (VEX/EVEX/XOP,
 * 3DNow!, the 0F 38 / 0F 3A maps, and the immediates Ap, IwIb, Moffs, IbIb), bits 26-29 the
 * ImmKind, or OPX_IMM_FROM_ROW when the opcode's rows differ in it (F6/F7: only TEST has one).
 * Padded to 1024 entries.
 */
export const OPX = new Int32Array(1024);
export const OPX_OFFSET_MASK = 0x7fff;
export const OPX_KEY_SHIFT = 15;
export const OPX_MODRM_SHIFT = 24;
export const OPX_GENERAL = 1 << 25;
export const OPX_IMM_SHIFT = 26;
export const OPX_IMM_FROM_ROW = 15;

/** Immediate size with 32-bit operand size, and whether a 66 prefix shrinks it by 2. */
export function immSize(k: ImmKind): { size: number; shrinks: boolean } {
  switch (k) {
    case ImmKind.None: return { size: 0, shrinks: false };
    case ImmKind.Ib: case ImmKind.Ibs: case ImmKind.Jb: return { size: 1, shrinks: false };
    case ImmKind.Iw: return { size: 2, shrinks: false };
    case ImmKind.Iz: case ImmKind.Jz: return { size: 4, shrinks: true };
    case ImmKind.Ap: return { size: 6, shrinks: true };
    case ImmKind.IwIb: return { size: 3, shrinks: false };
    case ImmKind.Moffs: return { size: 4, shrinks: false };
    case ImmKind.IbIb: return { size: 2, shrinks: false };
  }
}

function buildOpx(): void {
  for (let idx = 0; idx < 0x200; idx++) {
    const opc = OPC[idx] ?? 0;
    const mask = (opc >>> OPC_KEY_SHIFT) & 0x1ff;
    const off = opc & OPC_OFFSET_MASK;
    if (off > OPX_OFFSET_MASK) throw new HostBugError('OPX packs SEL offsets in 15 bits');
    const kinds = new Set<number>();
    for (let key = 0; key <= mask; key++) {
      const row = SUB[off + key] ?? -1;
      if (row >= 0) kinds.add((ROW_INFO[row] ?? 0) & RI_IMM_MASK);
    }
    const [only] = kinds;
    const kind = kinds.size <= 1 ? (only ?? ImmKind.None) : OPX_IMM_FROM_ROW;
    const general = (opc & OPC_SPECIAL) !== 0 || idx === 0x138 || idx === 0x13a ||
      [...kinds].some((k) => k === ImmKind.Ap || k === ImmKind.IwIb || k === ImmKind.Moffs || k === ImmKind.IbIb);
    OPX[idx] = off | (mask << OPX_KEY_SHIFT) | ((opc & OPC_MODRM) !== 0 ? 1 << OPX_MODRM_SHIFT : 0) |
      (general ? OPX_GENERAL : 0) | (kind << OPX_IMM_SHIFT);
  }
}
buildOpx();
