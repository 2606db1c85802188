// Finds and reads the Multiboot v1 header (Multiboot 0.6.96 §3.1): the first 32-bit aligned magic
// with a valid checksum in the first 8192 bytes, scanned as QEMU does (offsets below 8192 - 48).
import { hex0x } from '../common/hex.js';
import { ImageError } from './image-error.js';
import { MULTIBOOT_HEADER_MAGIC, MULTIBOOT_HEADER_MAX, MULTIBOOT_SEARCH_BYTES, MbHeader, MbHeaderFlag } from './multiboot-defs.js';

export interface MultibootHeader {
  /** File offset of the magic. */
  readonly offset: number;
  readonly flags: number;
  /** The a.out-kludge address fields, present when flag bit 16 is set. */
  readonly addr?: {
    readonly headerAddr: number;
    readonly loadAddr: number;
    readonly loadEndAddr: number;
    readonly bssEndAddr: number;
    readonly entryAddr: number;
  };
}

function u32(bytes: Uint8Array, off: number): number {
  return (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24)) >>> 0;
}

/** The header, or an ImageError saying why there is none (with the first bad checksum seen). */
export function findMultibootHeader(bytes: Uint8Array, name: string): MultibootHeader {
  const limit = Math.min(MULTIBOOT_SEARCH_BYTES - MULTIBOOT_HEADER_MAX, bytes.length - MbHeader.SIZE + 1);
  let badChecksumAt = -1;
  for (let i = 0; i < limit; i += 4) {
    if (u32(bytes, i) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(bytes, i + MbHeader.FLAGS);
    const checksum = u32(bytes, i + MbHeader.CHECKSUM);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      if (badChecksumAt < 0) badChecksumAt = i;
      continue;
    }
    if ((flags & MbHeaderFlag.AOUT_KLUDGE) === 0) return { offset: i, flags };
    if (i + MbHeader.SIZE_WITH_ADDR > bytes.length) {
      throw new ImageError(`${name}: Multiboot header at offset ${hex0x(i)} sets flag bit 16 but its address fields run past the end of the file`);
    }
    return {
      offset: i,
      flags,
      addr: {
        headerAddr: u32(bytes, i + MbHeader.HEADER_ADDR),
        loadAddr: u32(bytes, i + MbHeader.LOAD_ADDR),
        loadEndAddr: u32(bytes, i + MbHeader.LOAD_END_ADDR),
        bssEndAddr: u32(bytes, i + MbHeader.BSS_END_ADDR),
        entryAddr: u32(bytes, i + MbHeader.ENTRY_ADDR),
      },
    };
  }
  if (badChecksumAt >= 0) {
    const flags = u32(bytes, badChecksumAt + MbHeader.FLAGS);
    const checksum = u32(bytes, badChecksumAt + MbHeader.CHECKSUM);
    throw new ImageError(
      `${name}: Multiboot header at offset ${hex0x(badChecksumAt)} has a bad checksum ` +
        `(magic 0x1badb002 + flags ${hex0x(flags)} + checksum ${hex0x(checksum)} = ${hex0x(MULTIBOOT_HEADER_MAGIC + flags + checksum)}, not 0)`,
    );
  }
  throw new ImageError(`${name}: no Multiboot header (magic 0x1badb002) in the first ${MULTIBOOT_SEARCH_BYTES} bytes`);
}

const FLAG_NAMES: Record<number, string> = { 2: 'video mode table' };

/** Multiboot §3.1.2: a required bit (0-15) we cannot honour makes the image unbootable here. */
export function checkRequiredFlags(header: MultibootHeader, name: string): void {
  const unsupported = header.flags & MbHeaderFlag.REQUIRED_MASK & ~(MbHeaderFlag.PAGE_ALIGN | MbHeaderFlag.MEMORY_INFO);
  if (unsupported === 0) return;
  const bits: string[] = [];
  for (let b = 0; b < 16; b++) if (unsupported & (1 << b)) bits.push(FLAG_NAMES[b] ? `${b} (${FLAG_NAMES[b]})` : String(b));
  throw new ImageError(
    `${name}: Multiboot header requires feature bit${bits.length > 1 ? 's' : ''} ${bits.join(', ')} that this loader does not provide (flags ${hex0x(header.flags)})`,
  );
}
