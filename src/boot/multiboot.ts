// Multiboot v1 loading as QEMU's `-kernel` does it (hw/i386/multiboot.c): check the header and the
// image, place the segments by physical address through a PhysWriter, write the info block, the
// memory map, the command line and a GDT, and return the entry state as plain data.
import { assert } from '../common/assert.js';
import { PAGE_SIZE } from '../machine/memory.js';
import { hex0x } from '../common/hex.js';
import { ElfType, PF, PT } from './elf-defs.js';
import { parseElf32 } from './elf32.js';
import { ImageError } from './image-error.js';
import { multibootEntryState, BOOT_GDT, type InitialCpuState } from './initial-state.js';
import { MAX_RAM_BYTES, MIN_RAM_BYTES, memoryLayout } from './memory-map.js';
import { checkRequiredFlags, findMultibootHeader, type MultibootHeader } from './multiboot-header.js';
import {
  GDT_ADDR,
  INFO_ADDR,
  LOADER_AREA_END,
  LOADER_AREA_START,
  MMAP_ADDR,
  MMAP_ENTRY_SIZE,
  MMAP_ENTRY_STRIDE,
  MbInfo,
  MbInfoFlag,
  QEMU_BOOT_DEVICE,
} from './multiboot-defs.js';
import type { PhysWriter } from './phys-writer.js';

export interface MultibootOptions {
  /** The image path as the user gave it: labels errors and, as on QEMU, starts the command line. */
  readonly name?: string;
  /** Text after the name on the command line (QEMU's `-append`). */
  readonly cmdline?: string;
  /** The info block's boot_loader_name (QEMU says "qemu"). */
  readonly bootLoaderName?: string;
}

/** One piece of the image to place: `fileSize` bytes from `fileOffset`, zero-filled to `memSize`. */
export interface LoadSegment {
  /** Program header index, or -1 for an a.out-kludge image. */
  readonly index: number;
  readonly fileOffset: number;
  readonly fileSize: number;
  readonly addr: number;
  readonly memSize: number;
}

/** What the header and the ELF say, before any RAM is involved. */
export interface MultibootImage {
  readonly name: string;
  readonly header: MultibootHeader;
  readonly entry: number;
  readonly segments: readonly LoadSegment[];
  /** [loadStart, loadEnd): lowest and highest physical bytes of the kernel, bss included. */
  readonly loadStart: number;
  readonly loadEnd: number;
}

export interface LoadedKernel {
  readonly image: MultibootImage;
  readonly state: InitialCpuState;
  readonly infoAddr: number;
  readonly cmdlineAddr: number;
  readonly bootLoaderNameAddr: number;
  /** The command line as written to memory (without the NUL). */
  readonly cmdline: string;
}

export const DEFAULT_BOOT_LOADER_NAME = 'vtx-vmm';

const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
const TWO_32 = 2 ** 32;

/** Checks the header and the image (no RAM size yet) and says what to load where. */
export function parseMultiboot(bytes: Uint8Array, name = 'image'): MultibootImage {
  let header: MultibootHeader | undefined;
  let headerError: ImageError | undefined;
  try {
    header = findMultibootHeader(bytes, name);
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    headerError = e;
  }
  // An a.out-kludge header is used even on an ELF file (QEMU does not look at the ELF then).
  if (header?.addr) {
    checkRequiredFlags(header, name);
    return kludgeImage(bytes, name, header);
  }
  const elf = parseElf32(bytes, name);
  if (!header) throw headerError!;
  checkRequiredFlags(header, name);
  if (elf.type !== ElfType.EXEC) throw new ImageError(`${name}: not an executable ELF file (e_type ${elf.type}, expected 2 ET_EXEC)`);

  const segments: LoadSegment[] = [];
  let entry = elf.entry;
  elf.programHeaders.forEach((ph, index) => {
    if (ph.type !== PT.LOAD) return;
    if (ph.filesz > ph.memsz) {
      throw new ImageError(`${name}: program header ${index} has a file size ${hex0x(ph.filesz)} larger than its memory size ${hex0x(ph.memsz)}`);
    }
    if (ph.paddr + ph.memsz > TWO_32) {
      throw new ImageError(`${name}: program header ${index} wraps past 4 GiB (paddr ${hex0x(ph.paddr)} + size ${hex0x(ph.memsz)})`);
    }
    // QEMU load_elf: an entry inside an executable segment linked at vaddr != paddr is moved to paddr.
    if (ph.vaddr !== ph.paddr && ph.flags & PF.X && elf.entry >= ph.vaddr && elf.entry < ph.vaddr + ph.filesz) {
      entry = (elf.entry - ph.vaddr + ph.paddr) >>> 0;
    }
    segments.push({ index, fileOffset: ph.offset, fileSize: ph.filesz, addr: ph.paddr, memSize: ph.memsz });
  });
  if (segments.length === 0) throw new ImageError(`${name}: no loadable (PT_LOAD) program headers`);
  const sorted = segments.filter((s) => s.memSize > 0).sort((a, b) => a.addr - b.addr);
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (a.addr + a.memSize > b.addr) {
      throw new ImageError(
        `${name}: program headers ${a.index} and ${b.index} overlap in physical memory ` +
          `([${hex0x(a.addr)}, ${hex0x(a.addr + a.memSize)}) and [${hex0x(b.addr)}, ${hex0x(b.addr + b.memSize)}))`,
      );
    }
  }
  const loadStart = Math.min(...segments.map((s) => s.addr));
  const loadEnd = Math.max(...segments.map((s) => s.addr + s.memSize));
  return { name, header, entry, segments, loadStart, loadEnd };
}

/** Multiboot §3.1.3 address fields, with QEMU's checks (multiboot.c, MULTIBOOT_HEADER_HAS_ADDR). */
function kludgeImage(bytes: Uint8Array, name: string, header: MultibootHeader): MultibootImage {
  const a = header.addr!;
  const fail = (msg: string): never => {
    throw new ImageError(`${name}: Multiboot header address fields: ${msg}`);
  };
  if (a.headerAddr < a.loadAddr) fail(`header_addr ${hex0x(a.headerAddr)} is below load_addr ${hex0x(a.loadAddr)}`);
  if (a.headerAddr - a.loadAddr > header.offset) {
    fail(`load_addr ${hex0x(a.loadAddr)} would start ${hex0x(a.headerAddr - a.loadAddr - header.offset)} bytes before the file (header at offset ${hex0x(header.offset)}, header_addr ${hex0x(a.headerAddr)})`);
  }
  const textOffset = header.offset - (a.headerAddr - a.loadAddr);
  let loadSize: number;
  if (a.loadEndAddr !== 0) {
    if (a.loadEndAddr < a.loadAddr) fail(`load_end_addr ${hex0x(a.loadEndAddr)} is below load_addr ${hex0x(a.loadAddr)}`);
    loadSize = a.loadEndAddr - a.loadAddr;
    if (textOffset + loadSize > bytes.length) {
      fail(`load_end_addr asks for ${hex0x(loadSize)} bytes from file offset ${hex0x(textOffset)}, past the end of the file (${hex0x(bytes.length)})`);
    }
  } else {
    loadSize = bytes.length - textOffset;
  }
  if (loadSize > TWO_32 - a.loadAddr) fail(`the image (${hex0x(loadSize)} bytes at ${hex0x(a.loadAddr)}) wraps past 4 GiB`);
  let memSize = loadSize;
  if (a.bssEndAddr !== 0) {
    if (a.bssEndAddr < a.loadAddr + loadSize) {
      fail(`bss_end_addr ${hex0x(a.bssEndAddr)} is below the end of the loaded image ${hex0x(a.loadAddr + loadSize)}`);
    }
    memSize = a.bssEndAddr - a.loadAddr;
  }
  return {
    name,
    header,
    entry: a.entryAddr,
    segments: [{ index: -1, fileOffset: textOffset, fileSize: loadSize, addr: a.loadAddr, memSize }],
    loadStart: a.loadAddr,
    loadEnd: a.loadAddr + memSize,
  };
}

function describe(seg: LoadSegment): string {
  return seg.index >= 0 ? `program header ${seg.index}` : 'the a.out-kludge image';
}

/**
 * Loads a Multiboot kernel into `ram` as QEMU would, and returns its entry state. All checks run
 * before the first write, so a rejected image leaves RAM untouched.
 */
export function loadMultiboot(bytes: Uint8Array, ram: PhysWriter, opts: MultibootOptions = {}): LoadedKernel {
  const name = opts.name ?? 'image';
  assert(ram.size >= MIN_RAM_BYTES && ram.size <= MAX_RAM_BYTES && ram.size % PAGE_SIZE === 0, `RAM size ${ram.size} out of range`);
  const image = parseMultiboot(bytes, name);
  const mib = (n: number): string => `${n / (1024 * 1024)} MiB`;

  for (const seg of image.segments) {
    const end = seg.addr + seg.memSize;
    if (seg.memSize > 0 && seg.addr >= ram.size) {
      throw new ImageError(`${name}: ${describe(seg)} loads at ${hex0x(seg.addr)}, outside RAM (${mib(ram.size)} ends at ${hex0x(ram.size)})`);
    }
    if (end > ram.size) {
      throw new ImageError(`${name}: image too large for ${mib(ram.size)} of RAM: ${describe(seg)} ends at ${hex0x(end)}, past ${hex0x(ram.size)}`);
    }
    if (seg.memSize > 0 && seg.addr < LOADER_AREA_END && end > LOADER_AREA_START) {
      throw new ImageError(
        `${name}: ${describe(seg)} ([${hex0x(seg.addr)}, ${hex0x(end)})) overlaps the Multiboot info area [${hex0x(LOADER_AREA_START)}, ${hex0x(LOADER_AREA_END)})`,
      );
    }
  }
  if (image.entry >= ram.size) {
    throw new ImageError(`${name}: entry point ${hex0x(image.entry)} is outside RAM (${mib(ram.size)} ends at ${hex0x(ram.size)})`);
  }

  // QEMU's buffer: the kernel, page-aligned, then the command line and the loader name right after.
  const enc = new TextEncoder();
  const cmdline = `${name} ${opts.cmdline ?? ''}`;
  const cmdBytes = enc.encode(cmdline + '\0');
  const blBytes = enc.encode((opts.bootLoaderName ?? DEFAULT_BOOT_LOADER_NAME) + '\0');
  const cmdlineAddr = image.loadStart + pageAlign(image.loadEnd - image.loadStart);
  const bootLoaderNameAddr = cmdlineAddr + cmdBytes.length;
  const bufEnd = image.loadStart + pageAlign(cmdlineAddr - image.loadStart + cmdBytes.length + blBytes.length);
  if (bufEnd > ram.size) {
    throw new ImageError(
      `${name}: image too large for ${mib(ram.size)} of RAM: the kernel and its command line end at ${hex0x(bufEnd)}, past ${hex0x(ram.size)}`,
    );
  }
  if (image.loadStart < LOADER_AREA_END && bufEnd > LOADER_AREA_START) {
    throw new ImageError(
      `${name}: the command line after the kernel ([${hex0x(cmdlineAddr)}, ${hex0x(bufEnd)})) overlaps the Multiboot info area [${hex0x(LOADER_AREA_START)}, ${hex0x(LOADER_AREA_END)})`,
    );
  }

  ram.fill(image.loadStart, bufEnd - image.loadStart, 0);
  for (const seg of image.segments) {
    if (seg.fileSize > 0) ram.write(seg.addr, bytes.subarray(seg.fileOffset, seg.fileOffset + seg.fileSize));
  }
  ram.write(cmdlineAddr, cmdBytes);
  ram.write(bootLoaderNameAddr, blBytes);
  writeInfo(ram, cmdlineAddr, bootLoaderNameAddr);
  ram.write(GDT_ADDR, BOOT_GDT);

  return {
    image,
    state: multibootEntryState(image.entry, INFO_ADDR),
    infoAddr: INFO_ADDR,
    cmdlineAddr,
    bootLoaderNameAddr,
    cmdline,
  };
}

/** The info block at INFO_ADDR and the memory map at MMAP_ADDR (QEMU + SeaBIOS values). */
function writeInfo(ram: PhysWriter, cmdlineAddr: number, bootLoaderNameAddr: number): void {
  const layout = memoryLayout(ram.size);
  const mmap = new Uint8Array(layout.map.length * MMAP_ENTRY_STRIDE);
  const mv = new DataView(mmap.buffer);
  layout.map.forEach((e, i) => {
    const o = i * MMAP_ENTRY_STRIDE;
    mv.setUint32(o, MMAP_ENTRY_SIZE, true);
    mv.setUint32(o + 4, e.base, true);
    mv.setUint32(o + 8, 0, true);
    mv.setUint32(o + 12, e.length, true);
    mv.setUint32(o + 16, 0, true);
    mv.setUint32(o + 20, e.type, true);
  });
  const info = new Uint8Array(MbInfo.SIZE);
  const iv = new DataView(info.buffer);
  iv.setUint32(
    MbInfo.FLAGS,
    MbInfoFlag.MEMORY | MbInfoFlag.BOOT_DEVICE | MbInfoFlag.CMDLINE | MbInfoFlag.MODS | MbInfoFlag.MMAP | MbInfoFlag.BOOT_LOADER_NAME,
    true,
  );
  iv.setUint32(MbInfo.MEM_LOWER, layout.memLowerKiB, true);
  iv.setUint32(MbInfo.MEM_UPPER, layout.memUpperKiB, true);
  iv.setUint32(MbInfo.BOOT_DEVICE, QEMU_BOOT_DEVICE, true);
  iv.setUint32(MbInfo.CMDLINE, cmdlineAddr, true);
  // QEMU reports zero modules at the (empty) module array, which starts where the command line does.
  iv.setUint32(MbInfo.MODS_COUNT, 0, true);
  iv.setUint32(MbInfo.MODS_ADDR, cmdlineAddr, true);
  iv.setUint32(MbInfo.MMAP_LENGTH, mmap.length, true);
  iv.setUint32(MbInfo.MMAP_ADDR, MMAP_ADDR, true);
  iv.setUint32(MbInfo.BOOT_LOADER_NAME, bootLoaderNameAddr, true);
  ram.write(MMAP_ADDR, mmap);
  ram.write(INFO_ADDR, info);
}
