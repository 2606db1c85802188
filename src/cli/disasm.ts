// `vmm disasm FILE` lists an ELF's executable sections (or, without section headers, its
// executable PT_LOAD segments); `vmm disasm --raw FILE [--base ADDR]` lists a flat binary. Output
// lines come from x86/listing.ts; a bad file is one line on stderr and exit status 2.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { PF, PT, SHF, SHT } from '../boot/elf-defs.js';
import { type Elf32Image, parseElf32, sectionBytes } from '../boot/elf32.js';
import { ImageError } from '../boot/image-error.js';
import { hex } from '../common/hex.js';
import { listRange } from '../x86/listing.js';
import { ExitCode } from './exit-codes.js';

interface DisasmOptions {
  raw?: boolean;
  base?: number;
}

function address(v: string): number {
  const t = v.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
    throw new InvalidArgumentError('--base must be an address from 0 to 0xffffffff (decimal or 0x-prefixed hex)');
  }
  return n;
}

export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('disassemble an ELF\'s executable sections, or a flat binary with --raw (NASM syntax)')
    .argument('<file>', 'ELF32 i386 file, or a flat binary with --raw')
    .option('--raw', 'the file is a flat binary, not ELF')
    .option('--base <addr>', 'load address of a --raw file (default 0)', address)
    .action((file: string, opts: DisasmOptions) => {
      process.exitCode = disasmCommand(file, opts);
    });
}

/** Chunked stdout writer: a big listing is written in a few large writes. */
class Out {
  private buf: string[] = [];
  private size = 0;
  line = (s: string): void => {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  };
  flush(): void {
    if (this.buf.length) process.stdout.write(this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
}

function disasmCommand(file: string, opts: DisasmOptions): number {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    process.stderr.write(`vmm: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return ExitCode.BadInput;
  }
  const out = new Out();
  if (opts.raw) {
    listRange(bytes, 0, bytes.length, opts.base ?? 0, out.line);
    out.flush();
    return ExitCode.Ok;
  }
  if (opts.base !== undefined) {
    process.stderr.write('vmm: --base applies only to --raw files (an ELF file carries its own addresses)\n');
    return ExitCode.BadInput;
  }
  try {
    listElf(bytes, file, out.line);
  } catch (e) {
    if (e instanceof ImageError) {
      out.flush();
      process.stderr.write(`vmm: ${e.message}\n`);
      return ExitCode.BadInput;
    }
    throw e;
  }
  out.flush();
  return ExitCode.Ok;
}

/**
 * Lists an ELF's executable sections (SHT_PROGBITS with SHF_EXECINSTR), each after a `; section`
 * comment line, or without section headers its executable PT_LOAD segments. Throws ImageError
 * for a malformed file or one with nothing executable.
 */
export function listElf(bytes: Uint8Array, file: string, emit: (line: string) => void): void {
  const image: Elf32Image = parseElf32(bytes, file);
  const sections = image.sections.filter((s) => s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0);
  for (const s of sections) {
    if (s.offset + s.size > bytes.length) throw new ImageError(`${file}: section ${s.name || '(unnamed)'} extends past the end of the file`);
    emit(`; section ${s.name || '(unnamed)'} at 0x${hex(s.addr)}, ${s.size} bytes`);
    const code = sectionBytes(image, s);
    listRange(code, 0, code.length, s.addr, emit);
  }
  if (sections.length > 0) return;
  const segs = image.programHeaders.filter((p) => p.type === PT.LOAD && (p.flags & PF.X) !== 0 && p.filesz > 0);
  if (segs.length === 0) throw new ImageError(`${file}: no executable sections or segments to disassemble`);
  for (const p of segs) {
    if (p.offset + p.filesz > bytes.length) throw new ImageError(`${file}: segment at 0x${hex(p.vaddr)} extends past the end of the file`);
    emit(`; segment at 0x${hex(p.vaddr)}, ${p.filesz} bytes`);
    listRange(bytes, p.offset, p.offset + p.filesz, p.vaddr, emit);
  }
}
