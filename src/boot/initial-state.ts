// The processor state a Multiboot kernel starts in (Multiboot 0.6.96 §3.2), as plain data the CPU
// (native runs) or the hypervisor (VMCS guest-state fields) applies. Values follow what QEMU 7.2's
// option ROM (pc-bios/optionrom/multiboot.S) leaves, where that is a property of the loader rather
// than leftover BIOS scratch; see docs/machine.md "Boot state" for the registers that differ.
import { GDT_ADDR, MULTIBOOT_BOOTLOADER_MAGIC } from './multiboot-defs.js';

/** A segment register with its hidden (cached) part. `attrs` uses the VMCS access-rights layout
 *  (SDM Vol. 3C §24.4.1, Table 24-2): type 3:0, S 4, DPL 6:5, P 7, AVL 12, D/B 14, G 15,
 *  unusable 16. `limit` is the expanded byte limit (0xffffffff for a 4 GiB G=1 segment). */
export interface SegmentRegisterState {
  readonly selector: number;
  readonly base: number;
  readonly limit: number;
  readonly attrs: number;
}

export interface DescriptorTableState {
  readonly base: number;
  readonly limit: number;
}

export interface InitialCpuState {
  readonly eax: number;
  readonly ecx: number;
  readonly edx: number;
  readonly ebx: number;
  readonly esp: number;
  readonly ebp: number;
  readonly esi: number;
  readonly edi: number;
  readonly eip: number;
  readonly eflags: number;
  readonly cr0: number;
  readonly cr2: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly es: SegmentRegisterState;
  readonly cs: SegmentRegisterState;
  readonly ss: SegmentRegisterState;
  readonly ds: SegmentRegisterState;
  readonly fs: SegmentRegisterState;
  readonly gs: SegmentRegisterState;
  readonly ldtr: SegmentRegisterState;
  readonly tr: SegmentRegisterState;
  readonly gdtr: DescriptorTableState;
  readonly idtr: DescriptorTableState;
}

/** Access-rights bits (SDM Vol. 3C Table 24-2; descriptor fields per Vol. 3A §3.4.5). */
const AR = {
  TYPE_CODE_EXEC_READ_ACCESSED: 0xb,
  TYPE_DATA_READ_WRITE_ACCESSED: 0x3,
  TYPE_LDT: 0x2,
  TYPE_TSS32_BUSY: 0xb,
  S: 1 << 4,
  P: 1 << 7,
  DB: 1 << 14,
  G: 1 << 15,
} as const;

/** CR0.PE | CR0.ET (SDM Vol. 3A §2.5): the ROM writes 1 to CR0 and ET reads as 1 on a CPU with an FPU. */
const CR0_PE_ET = 0x11;
/** EFLAGS bit 1 is reserved and always 1 (SDM Vol. 1 §3.4.3); everything else clear (IF=0, §3.2). */
const EFLAGS_RESERVED = 0x2;

/** The real-mode interrupt vector table the BIOS leaves in IDTR: 256 vectors x 4 bytes at 0. */
const REAL_MODE_IVT_LIMIT = 0x3ff;

/** The option ROM's GDT selectors (multiboot.S `gdt`): 0x08 flat code, 0x10 flat data. */
export const BOOT_CS = 0x08;
export const BOOT_DS = 0x10;

/**
 * The option ROM's 5-entry GDT, as it is in memory once the kernel runs: QEMU's far jump into CS
 * leaves the code descriptor's accessed bit clear, the data-segment loads set theirs (LAR on QEMU
 * reads 0x00c09a00 and 0x00c09300). Entries: null, flat code, flat data, 16-bit code, 16-bit data.
 */
export const BOOT_GDT = Uint8Array.of(
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9e, 0x00, 0x00,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00,
);

const flat = (selector: number, type: number): SegmentRegisterState => ({
  selector,
  base: 0,
  limit: 0xffffffff,
  attrs: type | AR.S | AR.P | AR.DB | AR.G,
});

/** SDM Vol. 3A Table 9-1 (state after reset), as QEMU's reset loads it: LDTR and TR unused. */
const RESET_LDTR: SegmentRegisterState = { selector: 0, base: 0, limit: 0xffff, attrs: AR.TYPE_LDT | AR.P };
const RESET_TR: SegmentRegisterState = { selector: 0, base: 0, limit: 0xffff, attrs: AR.TYPE_TSS32_BUSY | AR.P };

/**
 * The Multiboot entry state: EAX magic, EBX info address, EIP entry, flat 4 GiB CS (execute/read)
 * and data segments, CR0 = PE|ET, EFLAGS = 2. ECX = entry as on QEMU (its ROM jumps through ECX).
 * The cached CS type is "accessed" (0xb) as a real far jump leaves it, and as VM entry requires
 * (SDM Vol. 3C §26.3.1.2); a guest cannot observe the cache, only the GDT copy in memory.
 */
export function multibootEntryState(entry: number, infoAddr: number): InitialCpuState {
  const data = flat(BOOT_DS, AR.TYPE_DATA_READ_WRITE_ACCESSED);
  return {
    eax: MULTIBOOT_BOOTLOADER_MAGIC,
    ebx: infoAddr >>> 0,
    ecx: entry >>> 0,
    edx: 0,
    esp: 0,
    ebp: 0,
    esi: 0,
    edi: 0,
    eip: entry >>> 0,
    eflags: EFLAGS_RESERVED,
    cr0: CR0_PE_ET,
    cr2: 0,
    cr3: 0,
    cr4: 0,
    cs: flat(BOOT_CS, AR.TYPE_CODE_EXEC_READ_ACCESSED),
    ds: data,
    es: data,
    fs: data,
    gs: data,
    ss: data,
    ldtr: RESET_LDTR,
    tr: RESET_TR,
    gdtr: { base: GDT_ADDR, limit: BOOT_GDT.length - 1 },
    // The BIOS's real-mode IVT is still loaded, as on QEMU: a kernel must LIDT before STI.
    idtr: { base: 0, limit: REAL_MODE_IVT_LIMIT },
  };
}
