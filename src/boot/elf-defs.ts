// ELF32 format constants. Source: System V ABI, "Object Files" chapter (gABI 4.1, TIS ELF 1.2 Book I),
// and the Intel386 psABI supplement for EM_386. Only what the reader and the loader use.

/** e_ident bytes and values (gABI "ELF Identification"). */
export const ElfIdent = {
  MAG0: 0x7f, // then 'E' 'L' 'F'
  CLASS: 4,
  DATA: 5,
  VERSION: 6,
  NIDENT: 16,
  CLASS32: 1,
  CLASS64: 2,
  DATA2LSB: 1,
  DATA2MSB: 2,
  EV_CURRENT: 1,
} as const;

/** e_type (gABI "ELF Header"). */
export const ElfType = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;

/** e_machine: EM_386 is the only one we run (gABI; psABI i386 §4). */
export const EM_386 = 3;

/** Sizes of the 32-bit structures (gABI: Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr). */
export const ELF32_EHDR_SIZE = 52;
export const ELF32_PHDR_SIZE = 32;
export const ELF32_SHDR_SIZE = 40;

/** p_type (gABI "Program Header"). */
export const PT = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, SHLIB: 5, PHDR: 6, TLS: 7 } as const;
/** p_flags bits. */
export const PF = { X: 1, W: 2, R: 4 } as const;

/** sh_type (gABI "Sections"). */
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
/** sh_flags bits. */
export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4 } as const;

/** Special section indexes and extended numbering (gABI "Sections", "Extended numbering"). */
export const SHN_UNDEF = 0;
export const SHN_XINDEX = 0xffff;
export const PN_XNUM = 0xffff;
