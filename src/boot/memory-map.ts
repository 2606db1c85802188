// The memory a Multiboot kernel is told about: mem_lower, mem_upper and the e820 map, exactly as
// QEMU 7.2 with SeaBIOS reports them for a given RAM size on the i440fx PC (measured with
// test/fixtures/boot/mbinfo-dump.asm at -m 2..3072; see test/boot/multiboot-qemu.test.ts).
import { E820 } from './multiboot-defs.js';

export interface MemoryMapEntry {
  readonly base: number;
  readonly length: number;
  readonly type: number;
}

/** SeaBIOS: conventional memory ends under a 1 KiB EBDA at 0x9fc00 (int 12h reports 639 KiB). */
const EBDA_START = 0x9fc00;
const EBDA_END = 0xa0000;
/** The BIOS ROM image below 1 MiB and its 256 KiB alias below 4 GiB, both reserved. */
const BIOS_LOW_START = 0xf0000;
const HIGH_MEMORY_START = 0x100000;
const BIOS_HIGH_START = 0xfffc0000;
const BIOS_HIGH_LENGTH = 0x40000;
/** SeaBIOS keeps the top 128 KiB of RAM for its own tables and marks it reserved. */
const SEABIOS_HIGH_RESERVED = 0x20000;

/** RAM sizes this map is valid for: QEMU's i440fx keeps all RAM below 4 GiB up to 3.5 GiB, and
 *  the kernel needs RAM at 1 MiB; we cap at 3 GiB (a single ArrayBuffer). */
export const MIN_RAM_BYTES = 2 * 1024 * 1024;
export const MAX_RAM_BYTES = 3072 * 1024 * 1024;

export interface MemoryLayout {
  /** KiB of conventional memory (info field mem_lower). */
  readonly memLowerKiB: number;
  /** KiB of contiguous RAM from 1 MiB (info field mem_upper). */
  readonly memUpperKiB: number;
  readonly map: readonly MemoryMapEntry[];
}

/** The layout for `ramBytes` of RAM (MIN_RAM_BYTES..MAX_RAM_BYTES, a multiple of 4 KiB). */
export function memoryLayout(ramBytes: number): MemoryLayout {
  const usableTop = ramBytes - SEABIOS_HIGH_RESERVED;
  return {
    memLowerKiB: EBDA_START >>> 10,
    memUpperKiB: (usableTop - HIGH_MEMORY_START) / 1024,
    map: [
      { base: 0, length: EBDA_START, type: E820.RAM },
      { base: EBDA_START, length: EBDA_END - EBDA_START, type: E820.RESERVED },
      { base: BIOS_LOW_START, length: HIGH_MEMORY_START - BIOS_LOW_START, type: E820.RESERVED },
      { base: HIGH_MEMORY_START, length: usableTop - HIGH_MEMORY_START, type: E820.RAM },
      { base: usableTop, length: SEABIOS_HIGH_RESERVED, type: E820.RESERVED },
      { base: BIOS_HIGH_START, length: BIOS_HIGH_LENGTH, type: E820.RESERVED },
    ],
  };
}
