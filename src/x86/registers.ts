// Register numbering as the ModRM/SIB encodings use it (SDM Vol. 2A §2.1.5, Table 2-1/2-2).

/** 32-bit general registers, in encoding order. 16- and 8-bit names share the numbers. */
export const Reg = { EAX: 0, ECX: 1, EDX: 2, EBX: 3, ESP: 4, EBP: 5, ESI: 6, EDI: 7 } as const;
export const REG32_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export const REG16_NAMES = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] as const;
/** 8-bit registers: 0-3 are the low bytes of EAX..EBX, 4-7 the high bytes (AH, CH, DH, BH). */
export const REG8_NAMES = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'] as const;

/** Segment registers in the Sreg encoding order (SDM Vol. 2A §3.1.1.2, Table 3-?: "Sreg"). */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
