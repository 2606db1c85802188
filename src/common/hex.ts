// Hex formatting shared by the disassembler, the debugger and the CLI.

/** `n` as lowercase hex, zero-padded to `digits` (unsigned 32-bit view). */
export function hex(n: number, digits = 8): string {
  return (n >>> 0).toString(16).padStart(digits, '0');
}

/** `0x`-prefixed lowercase hex, no padding (NASM style for immediates and displacements). */
export function hex0x(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

/** Bytes as one lowercase hex string, e.g. `8b4508`. */
export function hexBytes(bytes: ArrayLike<number>, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += ((bytes[i] ?? 0) & 0xff).toString(16).padStart(2, '0');
  return s;
}
