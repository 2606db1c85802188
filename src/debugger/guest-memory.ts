// Reading and writing guest memory for the debugger: guest-virtual accesses translated page by page
// through the guest's own tables (no side effects), guest-physical ones straight to the target, and
// disassembly of guest code with the project's decoder and NASM-syntax formatter.
import { hex } from '../common/hex.js';
import { DecodeStatus, DecodedInsn } from '../x86/decoded.js';
import { MAX_INSN_LEN, decode } from '../x86/decoder.js';
import { formatInsn } from '../x86/disasm.js';
import type { DebugTarget } from './target.js';

const PAGE = 4096;

/** Bytes read, or where the read stopped (an unmapped page or memory outside the guest's RAM). */
export interface ReadResult {
  readonly bytes: Uint8Array;
  /** The first address that could not be read, when the read is short. */
  readonly failedAt?: number;
  readonly why?: string;
}

/** Reads `len` bytes at guest-virtual (linear) `addr`, stopping at the first unreadable page. */
export function readVirtual(t: DebugTarget, addr: number, len: number): ReadResult {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const lin = (addr + done) >>> 0;
    const chunk = Math.min(len - done, PAGE - (lin & (PAGE - 1)));
    const gpa = t.translate(lin);
    if (gpa === null) return { bytes: out.slice(0, done), failedAt: lin, why: `guest-virtual address 0x${hex(lin)} is not mapped` };
    const b = t.readPhysical(gpa, chunk);
    if (b === null) return { bytes: out.slice(0, done), failedAt: lin, why: `0x${hex(lin)} maps to guest-physical 0x${hex(gpa)}, outside guest RAM` };
    out.set(b, done);
    done += chunk;
  }
  return { bytes: out };
}

/** Reads `len` bytes of guest-physical memory. */
export function readPhysical(t: DebugTarget, addr: number, len: number): ReadResult {
  addr >>>= 0;
  const b = t.readPhysical(addr, len);
  if (b !== null) return { bytes: b };
  // Return what lies inside RAM, then say where it ended.
  const avail = Math.max(0, Math.min(len, t.ramSize - addr));
  const part = avail > 0 ? (t.readPhysical(addr, avail) ?? new Uint8Array(0)) : new Uint8Array(0);
  const at = (addr + part.length) >>> 0;
  return { bytes: part, failedAt: at, why: `guest-physical address 0x${hex(at)} is outside guest RAM (${t.ramSize / 1048576} MiB)` };
}

/** Writes bytes at a guest-virtual address; returns an error message or null. */
export function writeVirtual(t: DebugTarget, addr: number, bytes: Uint8Array): string | null {
  // Translate everything first so a write is all or nothing.
  const parts: [number, number, number][] = [];
  let done = 0;
  while (done < bytes.length) {
    const lin = (addr + done) >>> 0;
    const chunk = Math.min(bytes.length - done, PAGE - (lin & (PAGE - 1)));
    const gpa = t.translate(lin);
    if (gpa === null) return `guest-virtual address 0x${hex(lin)} is not mapped`;
    if (gpa + chunk > t.ramSize) return `0x${hex(lin)} maps outside guest RAM`;
    parts.push([gpa, done, chunk]);
    done += chunk;
  }
  for (const [gpa, off, n] of parts) t.writePhysical(gpa, bytes.subarray(off, off + n));
  return null;
}

/** One disassembled instruction. */
export interface DisasmLine {
  readonly addr: number;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** Length in bytes (1 for undecodable bytes, shown as `db`). */
  readonly len: number;
}

const scratch = new DecodedInsn();

/** Disassembles `count` instructions at guest-virtual `addr` (fewer if memory runs out). */
export function disassemble(t: DebugTarget, addr: number, count: number): { lines: DisasmLine[]; error?: string } {
  const lines: DisasmLine[] = [];
  let at = addr >>> 0;
  for (let i = 0; i < count; i++) {
    const r = readVirtual(t, at, MAX_INSN_LEN);
    if (r.bytes.length === 0) return { lines, error: r.why };
    decode(r.bytes, 0, r.bytes.length, scratch);
    const ok = scratch.status === DecodeStatus.Ok || scratch.status === DecodeStatus.Unsupported;
    const len = ok ? scratch.len : 1;
    const text = formatInsn(scratch, at, r.bytes[0] ?? 0);
    lines.push({ addr: at, bytes: r.bytes.slice(0, len), text, len });
    at = (at + len) >>> 0;
  }
  return { lines };
}

/** The instruction at `addr` as text, or a note that it cannot be read. */
export function instructionAt(t: DebugTarget, addr: number): string {
  const d = disassemble(t, addr, 1);
  return d.lines[0]?.text ?? `<${d.error ?? 'unreadable'}>`;
}
