// ModRM/SIB addressing as lookup tables, so the decoder finds a memory operand's registers,
// displacement size and default segment without a branch per byte (SDM Vol. 2A §2.1.5, Tables
// 2-1, 2-2 and 2-3; default segment: SDM Vol. 1 §3.7.4). Built once at load time.
import { NO_REG } from './decoded.js';
import { Reg } from './registers.js';

/**
 * MEM_LINK[as16 << 8 | modrm] says where the operand's MEM entry is: bits 0-10 an index into MEM,
 * bits 16-23 a mask for the SIB byte that is added to it (0xff when a SIB byte follows, else 0).
 * So `MEM[(l & 0x7ff) + (sib & (l >>> 16))]`. ModRM bytes with mod = 3 link to a "no memory" entry.
 */
export const MEM_LINK = new Int32Array(512);
export const MEM_LINK_INDEX = 0x7ff;
export const MEM_LINK_SIB_SHIFT = 16;

/**
 * MEM entry: bits 0-3 base + 1 (0 = none), bits 4-7 index + 1, bits 8-9 log2 scale, bit 10 a SIB
 * byte follows ModRM, bits 11-13 displacement size in bytes, bits 14-18 the shift that sign-extends
 * it from the low bits of a 32-bit read, bits 19-20 its mask (MEM_DISP_MASK), bit 21 SS is the
 * default segment (else DS).
 */
export const MEM = new Int32Array(1024 + 256);
export const MEM_INDEX_SHIFT = 4;
export const MEM_SCALE_SHIFT = 8;
export const MEM_SIB_SHIFT = 10;
export const MEM_DSIZE_SHIFT = 11;
export const MEM_DSHIFT_SHIFT = 14;
export const MEM_DMASK_SHIFT = 19;
export const MEM_SS_SHIFT = 21;
/** Displacement masks by the MEM entry's mask code: none, signed (already extended), 16-bit zero-extended. */
export const MEM_DISP_MASK = Int32Array.from([0, -1, 0xffff, 0]);

const DISP_NONE = 0;
const DISP8 = 1;
const DISP16 = 2; // sign-extended (mod = 2 with 16-bit addressing)
const DISP16_ZX = 3; // zero-extended (mod = 0, rm = 6 with 16-bit addressing: an absolute offset)
const DISP32 = 4;

function entry(base: number, index: number, scale: number, sib: boolean, disp: number, ss: boolean): number {
  const size = [0, 1, 2, 2, 4][disp] ?? 0;
  const shift = [0, 24, 16, 16, 0][disp] ?? 0;
  const mask = disp === DISP_NONE ? 0 : disp === DISP16_ZX ? 2 : 1;
  return (base + 1) | ((index + 1) << MEM_INDEX_SHIFT) | (scale << MEM_SCALE_SHIFT) | ((sib ? 1 : 0) << MEM_SIB_SHIFT) |
    (size << MEM_DSIZE_SHIFT) | (shift << MEM_DSHIFT_SHIFT) | (mask << MEM_DMASK_SHIFT) | ((ss ? 1 : 0) << MEM_SS_SHIFT);
}

/** Layout of MEM: 0-255 32-bit ModRM without SIB, 256-1023 32-bit SIB forms by (mod << 8 | sib),
 *  1024-1279 16-bit ModRM. Entry 0xc0 (a mod = 3 byte) is the "no memory operand" entry. */
const NO_MEMORY = 0xc0;
const SIB_BASE = 256;
const MEM16_BASE = 1024;

function build(): void {
  const dispFor = (mod: number): number => (mod === 1 ? DISP8 : mod === 2 ? DISP32 : DISP_NONE);
  for (let m = 0; m < 256; m++) {
    const mod = m >> 6;
    const rm = m & 7;
    if (mod === 3) {
      MEM[m] = entry(NO_REG, NO_REG, 0, false, DISP_NONE, false);
      MEM_LINK[m] = m;
      MEM_LINK[256 | m] = m;
      continue;
    }
    // 32-bit (Table 2-2): rm = 4 means a SIB byte; mod = 0, rm = 5 is disp32 with no base.
    if (rm === 4) MEM_LINK[m] = (SIB_BASE + (mod << 8)) | (0xff << MEM_LINK_SIB_SHIFT);
    else {
      MEM_LINK[m] = m;
      MEM[m] = mod === 0 && rm === Reg.EBP
        ? entry(NO_REG, NO_REG, 0, false, DISP32, false)
        : entry(rm, NO_REG, 0, false, dispFor(mod), rm === Reg.EBP);
    }
    // 16-bit (Table 2-1): BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (or disp16 when mod = 0), BX.
    const base16 = [Reg.EBX, Reg.EBX, Reg.EBP, Reg.EBP, Reg.ESI, Reg.EDI, Reg.EBP, Reg.EBX][rm] ?? NO_REG;
    const index16 = [Reg.ESI, Reg.EDI, Reg.ESI, Reg.EDI, NO_REG, NO_REG, NO_REG, NO_REG][rm] ?? NO_REG;
    MEM_LINK[256 | m] = MEM16_BASE + m;
    MEM[MEM16_BASE + m] = mod === 0 && rm === 6
      ? entry(NO_REG, NO_REG, 0, false, DISP16_ZX, false)
      : entry(base16, index16, 0, false, mod === 1 ? DISP8 : mod === 2 ? DISP16 : DISP_NONE, base16 === Reg.EBP);
  }
  // SIB (Table 2-3): index 4 means none; base 5 with mod = 0 means disp32 and no base.
  for (let mod = 0; mod < 3; mod++) {
    for (let sib = 0; sib < 256; sib++) {
      const scale = sib >> 6;
      const index = ((sib >> 3) & 7) === Reg.ESP ? NO_REG : (sib >> 3) & 7;
      const base = sib & 7;
      MEM[SIB_BASE + (mod << 8) + sib] = mod === 0 && base === Reg.EBP
        ? entry(NO_REG, index, scale, true, DISP32, false)
        : entry(base, index, scale, true, dispFor(mod), base === Reg.EBP || base === Reg.ESP);
    }
  }
}
build();

export const MEM_NO_MEMORY = NO_MEMORY;
