// A disassembly listing of a byte range: one line per instruction, `ADDRESS  BYTES  INSTRUCTION`
// (address as 8 hex digits, the bytes as one lowercase hex string, NASM syntax). Invalid or
// truncated bytes list as `db 0x..` one byte at a time, and decoding resumes at the next byte.
import { hex, hexBytes } from '../common/hex.js';
import { DecodeStatus, DecodedInsn } from './decoded.js';
import { decode } from './decoder.js';
import { formatInsn } from './disasm.js';

/** Calls `emit` with each line for `bytes[start..end)`, the first byte at address `base`. */
export function listRange(bytes: Uint8Array, start: number, end: number, base: number, emit: (line: string) => void): void {
  const insn = new DecodedInsn();
  for (let pos = start; pos < end; ) {
    const addr = (base + (pos - start)) >>> 0;
    decode(bytes, pos, end, insn);
    const ok = insn.status === DecodeStatus.Ok || insn.status === DecodeStatus.Unsupported;
    const len = ok ? insn.len : 1;
    const text = ok ? formatInsn(insn, addr) : `db ${'0x' + (bytes[pos] ?? 0).toString(16).padStart(2, '0')}`;
    emit(`${hex(addr)}  ${hexBytes(bytes, pos, pos + len)}  ${text}`);
    pos += len;
  }
}
