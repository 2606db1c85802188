// An ELF32 little-endian reader: the file header, program headers and section headers with names.
// Reads only; checks every offset against the file so a truncated or corrupt image is an ImageError
// with one specific line, never an out-of-bounds read. Loading lives in multiboot.ts.
import { hex0x } from '../common/hex.js';
import {
  EM_386,
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_SHDR_SIZE,
  ElfIdent,
  PN_XNUM,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT,
} from './elf-defs.js';
import { ImageError } from './image-error.js';

export interface Elf32ProgramHeader {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
  readonly align: number;
}

export interface Elf32Section {
  /** The name from the section-name string table ('' when there is none). */
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
}

export interface Elf32Image {
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly flags: number;
  readonly programHeaders: readonly Elf32ProgramHeader[];
  readonly sections: readonly Elf32Section[];
  /** The whole file (sections and segments are read from it by offset). */
  readonly bytes: Uint8Array;
}

/** The bytes of a section from the file (empty for SHT_NOBITS). */
export function sectionBytes(image: Elf32Image, section: Elf32Section): Uint8Array {
  if (section.type === SHT.NOBITS) return new Uint8Array(0);
  return image.bytes.subarray(section.offset, section.offset + section.size);
}

/**
 * Parses an ELF32 little-endian i386 file. `name` only labels error messages.
 * Throws ImageError for anything that is not a well-formed ELF32 LSB EM_386 file.
 */
export function parseElf32(bytes: Uint8Array, name = 'image'): Elf32Image {
  const fail = (msg: string): never => {
    throw new ImageError(`${name}: ${msg}`);
  };
  const len = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (off: number): number => dv.getUint16(off, true);
  const u32 = (off: number): number => dv.getUint32(off, true);

  if (len < 4 || bytes[0] !== ElfIdent.MAG0 || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('not an ELF file (no \\x7fELF magic)');
  }
  if (len < ElfIdent.NIDENT) fail(`truncated ELF identification (${len} bytes, need ${ElfIdent.NIDENT})`);
  const cls = bytes[ElfIdent.CLASS]!;
  if (cls === ElfIdent.CLASS64) fail('is a 64-bit ELF file (ELFCLASS64); an i386 ELF32 image is needed');
  if (cls !== ElfIdent.CLASS32) fail(`unknown ELF class ${cls} (expected 1, ELFCLASS32)`);
  const data = bytes[ElfIdent.DATA]!;
  if (data === ElfIdent.DATA2MSB) fail('is a big-endian ELF file (ELFDATA2MSB); i386 is little-endian');
  if (data !== ElfIdent.DATA2LSB) fail(`unknown ELF data encoding ${data} (expected 1, ELFDATA2LSB)`);
  if (bytes[ElfIdent.VERSION] !== ElfIdent.EV_CURRENT) {
    fail(`unsupported ELF version ${bytes[ElfIdent.VERSION]!} (expected 1)`);
  }
  if (len < ELF32_EHDR_SIZE) fail(`truncated ELF header (${len} bytes, need ${ELF32_EHDR_SIZE})`);

  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_386) fail(`not an i386 image (e_machine ${machine}, expected ${EM_386} EM_386)`);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const flags = u32(36);
  const phentsize = u16(42);
  let phnum = u16(44);
  const shentsize = u16(46);
  let shnum = u16(48);
  let shstrndx = u16(50);

  // Extended numbering: the real counts live in section header 0 (gABI "Extended numbering").
  if (shoff !== 0 && (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX)) {
    if (shentsize !== ELF32_SHDR_SIZE) fail(`section header size ${shentsize} (expected ${ELF32_SHDR_SIZE})`);
    if (shoff + ELF32_SHDR_SIZE > len) {
      fail(`section header 0 extends past the end of the file (offset ${hex0x(shoff)} + size ${hex0x(ELF32_SHDR_SIZE)} > ${hex0x(len)})`);
    }
    if (shnum === 0) shnum = u32(shoff + 20);
    if (phnum === PN_XNUM) phnum = u32(shoff + 28);
    if (shstrndx === SHN_XINDEX) shstrndx = u32(shoff + 24);
  }

  const programHeaders: Elf32ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize !== ELF32_PHDR_SIZE) fail(`program header size ${phentsize} (expected ${ELF32_PHDR_SIZE})`);
    const end = phoff + phnum * ELF32_PHDR_SIZE;
    if (end > len) {
      fail(`program header table extends past the end of the file (offset ${hex0x(phoff)} + ${phnum} x ${ELF32_PHDR_SIZE} > ${hex0x(len)})`);
    }
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * ELF32_PHDR_SIZE;
      const ph: Elf32ProgramHeader = {
        type: u32(o),
        offset: u32(o + 4),
        vaddr: u32(o + 8),
        paddr: u32(o + 12),
        filesz: u32(o + 16),
        memsz: u32(o + 20),
        flags: u32(o + 24),
        align: u32(o + 28),
      };
      if (ph.offset + ph.filesz > len) {
        fail(`program header ${i} extends past the end of the file (offset ${hex0x(ph.offset)} + size ${hex0x(ph.filesz)} > ${hex0x(len)})`);
      }
      programHeaders.push(ph);
    }
  }

  const raw: { nameOff: number; type: number; flags: number; addr: number; offset: number; size: number }[] = [];
  if (shnum > 0) {
    if (shentsize !== ELF32_SHDR_SIZE) fail(`section header size ${shentsize} (expected ${ELF32_SHDR_SIZE})`);
    const end = shoff + shnum * ELF32_SHDR_SIZE;
    if (end > len) {
      fail(`section header table extends past the end of the file (offset ${hex0x(shoff)} + ${shnum} x ${ELF32_SHDR_SIZE} > ${hex0x(len)})`);
    }
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * ELF32_SHDR_SIZE;
      const s = { nameOff: u32(o), type: u32(o + 4), flags: u32(o + 8), addr: u32(o + 12), offset: u32(o + 16), size: u32(o + 20) };
      if (s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.offset + s.size > len) {
        fail(`section header ${i} extends past the end of the file (offset ${hex0x(s.offset)} + size ${hex0x(s.size)} > ${hex0x(len)})`);
      }
      raw.push(s);
    }
  }

  let strtab: Uint8Array | undefined;
  if (shstrndx !== SHN_UNDEF && raw.length > 0) {
    const st = raw[shstrndx];
    if (!st) fail(`section-name string table index ${shstrndx} is out of range (${raw.length} sections)`);
    else if (st.type !== SHT.STRTAB) fail(`section-name string table (section ${shstrndx}) is not SHT_STRTAB (type ${st.type})`);
    else strtab = bytes.subarray(st.offset, st.offset + st.size);
  }
  const sectionName = (idx: number, off: number): string => {
    if (!strtab || off === 0) return '';
    if (off >= strtab.length) fail(`section ${idx} name offset ${hex0x(off)} is outside the string table (${hex0x(strtab.length)} bytes)`);
    let end = off;
    while (end < strtab.length && strtab[end] !== 0) end++;
    if (end === strtab.length) fail(`section ${idx} name is not NUL-terminated in the string table`);
    let s = '';
    for (let k = off; k < end; k++) s += String.fromCharCode(strtab[k]!);
    return s;
  };
  const sections: Elf32Section[] = raw.map((s, i) => ({
    name: sectionName(i, s.nameOff),
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
  }));

  return { type, machine, entry, flags, programHeaders, sections, bytes };
}
