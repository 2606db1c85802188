// Multiboot v1 constants, and where QEMU's loader puts things. Sources: the Multiboot Specification
// 0.6.96 (§3.1.1 header layout, §3.1.2 magic, §3.2 machine state, §3.3 boot information format), and
// QEMU 7.2 hw/i386/multiboot.c + pc-bios/optionrom/multiboot.S (addresses, flags, GDT), checked by
// running test/fixtures/boot/mbinfo-dump.asm on qemu-system-i386 (test/boot/multiboot-qemu.test.ts).

/** §3.1.2: the header magic, and §3.2: the value EAX holds at entry. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;

/** §3.1.1: the header must lie 32-bit aligned within the first 8192 bytes. QEMU scans offsets
 *  below 8192 - 48 so the full 48-byte header fits in its 8 KiB buffer; we do the same. */
export const MULTIBOOT_SEARCH_BYTES = 8192;
export const MULTIBOOT_HEADER_MAX = 48;

/** §3.1.1 header field offsets (the address fields are valid when flag bit 16 is set). */
export const MbHeader = {
  MAGIC: 0,
  FLAGS: 4,
  CHECKSUM: 8,
  HEADER_ADDR: 12,
  LOAD_ADDR: 16,
  LOAD_END_ADDR: 20,
  BSS_END_ADDR: 24,
  ENTRY_ADDR: 28,
  /** Bytes needed when the address fields are used. */
  SIZE_WITH_ADDR: 32,
  SIZE: 12,
} as const;

/** §3.1.2 header flags. Bits 0-15 are requirements: a loader that cannot honour one must fail. */
export const MbHeaderFlag = {
  PAGE_ALIGN: 1 << 0, // modules page-aligned: we load no modules, so trivially honoured
  MEMORY_INFO: 1 << 1, // mem_* fields: always provided
  VIDEO_MODE: 1 << 2, // graphics mode table: we have no display (QEMU only warns)
  REQUIRED_MASK: 0xffff,
  AOUT_KLUDGE: 1 << 16, // use the header's address fields instead of the ELF headers
} as const;

/** §3.3 boot information field offsets. QEMU's block is 88 bytes (up to the VBE fields). */
export const MbInfo = {
  FLAGS: 0,
  MEM_LOWER: 4,
  MEM_UPPER: 8,
  BOOT_DEVICE: 12,
  CMDLINE: 16,
  MODS_COUNT: 20,
  MODS_ADDR: 24,
  MMAP_LENGTH: 44,
  MMAP_ADDR: 48,
  BOOT_LOADER_NAME: 64,
  SIZE: 88,
} as const;

/** §3.3 info flags: the set QEMU reports (memory, boot device, cmdline, modules, mmap, loader name). */
export const MbInfoFlag = {
  MEMORY: 1 << 0,
  BOOT_DEVICE: 1 << 1,
  CMDLINE: 1 << 2,
  MODS: 1 << 3,
  MMAP: 1 << 6,
  BOOT_LOADER_NAME: 1 << 9,
} as const;

/** QEMU: boot_device "XXX: use the -boot switch?" — first BIOS hard disk, no partition. */
export const QEMU_BOOT_DEVICE = 0x8000ffff;

/** QEMU multiboot.c: MULTIBOOT_STRUCT_ADDR 0x9000 holds the memory map, the info block at +0x500.
 *  We put a copy of the option ROM's GDT right after the info block (QEMU's is in ROM at 0xcb2b8). */
export const MMAP_ADDR = 0x9000;
export const INFO_ADDR = 0x9500;
export const GDT_ADDR = 0x9560;
/** The page [0x9000, 0xa000) is the loader's: no image byte may land in it. */
export const LOADER_AREA_START = 0x9000;
export const LOADER_AREA_END = 0xa000;

/** §3.3 memory map entry: size (of the rest, 20), base_addr u64, length u64, type u32. */
export const MMAP_ENTRY_SIZE = 20;
export const MMAP_ENTRY_STRIDE = 24;
/** §3.3 / ACPI e820 types. */
export const E820 = { RAM: 1, RESERVED: 2 } as const;
