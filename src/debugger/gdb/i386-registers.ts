// The i386 register file as gdb numbers it without a target description (`set architecture i386`;
// gdb/i386-tdep.c i386_register_names, and the order of org.gnu.gdb.i386.core in
// gdb/features/i386/32bit-core.xml): 16 four-byte registers, then the x87 and SSE state, which this
// processor does not implement and which we report as unavailable.

/** gdb register numbers 0..15, in g-packet order. */
export const GDB_I386_REGS = [
  'eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi',
  'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs',
] as const;
export type GdbI386Reg = (typeof GDB_I386_REGS)[number];

/** Register numbers the stop reply carries (expedited registers, as gdbserver sends for i386). */
export const GDB_EIP = 8;
export const GDB_ESP = 4;
export const GDB_EBP = 5;

/**
 * Byte sizes of the registers after the core 16 in gdb's default i386 description (i386 with SSE,
 * gdb/features/i386/32bit-{core,sse}.xml): st0-st7 (10 bytes), fctrl fstat ftag fiseg fioff foseg
 * fooff fop (4), xmm0-xmm7 (16), mxcsr (4). `p` requests for them are answered "unavailable" (x..x).
 */
const EXTRA_SIZES: readonly number[] = [
  ...Array<number>(8).fill(10),
  ...Array<number>(8).fill(4),
  ...Array<number>(8).fill(16),
  4,
];

/** Size in bytes of gdb register `n`, or 0 if the number is beyond the default i386 set. */
export function gdbRegisterSize(n: number): number {
  if (n >= 0 && n < GDB_I386_REGS.length) return 4;
  return EXTRA_SIZES[n - GDB_I386_REGS.length] ?? 0;
}
