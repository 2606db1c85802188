// ELF32 reader against GNU readelf's view of real nasm+ld output, and its errors on corrupted copies.
import { describe, expect, it } from 'vitest';
import { parseElf32, sectionBytes } from '../../src/boot/elf32.js';
import { ImageError } from '../../src/boot/image-error.js';
import { HAVE_TOOLCHAIN, buildElf, readBytes, readelf } from './build-fixture.js';

const hexNum = (s: string): number => parseInt(s, 16);

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return (e as Error).message;
  }
  throw new Error('expected an ImageError');
}

describe.skipIf(!HAVE_TOOLCHAIN)('parseElf32 on a real kernel', () => {
  const path = HAVE_TOOLCHAIN ? buildElf('mb-elf') : '';
  const bytes = HAVE_TOOLCHAIN ? readBytes(path) : new Uint8Array();

  it('reads the header as readelf does', () => {
    const img = parseElf32(bytes, 'mb.elf');
    const h = readelf(['-h'], path);
    expect(img.entry).toBe(hexNum(/Entry point address:\s+0x([0-9a-f]+)/.exec(h)![1]!));
    expect(img.machine).toBe(3);
    expect(h).toMatch(/Type:\s+EXEC/);
    expect(img.type).toBe(2);
  });

  it('reads the program headers as readelf does', () => {
    const img = parseElf32(bytes, 'mb.elf');
    const rows = readelf(['-l'], path)
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0] === 'LOAD' || f[0] === 'GNU_STACK' || f[0] === 'NOTE');
    expect(img.programHeaders.length).toBe(rows.length);
    rows.forEach((f, i) => {
      const ph = img.programHeaders[i]!;
      expect([ph.offset, ph.vaddr, ph.paddr, ph.filesz, ph.memsz]).toEqual(f.slice(1, 6).map(hexNum));
      const flg = (ph.flags & 4 ? 'R' : '') + (ph.flags & 2 ? 'W' : '') + (ph.flags & 1 ? 'E' : '');
      expect(flg).toBe(f.slice(6, -1).join(''));
    });
  });

  it('reads the section headers and names as readelf does', () => {
    const img = parseElf32(bytes, 'mb.elf');
    const rows = readelf(['-S'], path)
      .split('\n')
      .map((l) => /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]{8})\s+([0-9a-f]{6})\s+([0-9a-f]{6})/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(img.sections.length).toBe(rows.length);
    for (const m of rows) {
      const s = img.sections[Number(m[1])]!;
      expect(s.name).toBe(m[3] === 'NULL' ? '' : m[2]);
      expect([s.addr, s.offset, s.size]).toEqual([hexNum(m[4]!), hexNum(m[5]!), hexNum(m[6]!)]);
    }
    const text = img.sections.find((s) => s.name === '.text')!;
    expect(text.flags & 4).toBe(4); // SHF_EXECINSTR
    // The Multiboot magic is the first dword of .text (linker script puts .multiboot first).
    const tb = sectionBytes(img, text);
    expect(new DataView(tb.buffer, tb.byteOffset).getUint32(0, true)).toBe(0x1badb002);
    expect(sectionBytes(img, img.sections.find((s) => s.name === '.bss')!).length).toBe(0);
  });
});

describe.skipIf(!HAVE_TOOLCHAIN)('parseElf32 errors (one per class, on corrupted copies)', () => {
  const good = HAVE_TOOLCHAIN ? readBytes(buildElf('mb-elf')) : new Uint8Array();
  const corrupt = (edit: (b: Uint8Array, dv: DataView) => void, len = good.length): Uint8Array => {
    const b = good.slice(0, len);
    edit(b, new DataView(b.buffer));
    return b;
  };

  it('not ELF', () => {
    expect(errorOf(() => parseElf32(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'x.sh'))).toBe(
      'x.sh: not an ELF file (no \\x7fELF magic)',
    );
  });
  it('empty file', () => {
    expect(errorOf(() => parseElf32(new Uint8Array(0), 'e'))).toMatch(/^e: not an ELF file/);
  });
  it('truncated header', () => {
    expect(errorOf(() => parseElf32(good.slice(0, 40), 'k.elf'))).toBe('k.elf: truncated ELF header (40 bytes, need 52)');
  });
  it('64-bit class', () => {
    expect(errorOf(() => parseElf32(corrupt((b) => (b[4] = 2)), 'k.elf'))).toMatch(/64-bit ELF file \(ELFCLASS64\)/);
  });
  it('bad class', () => {
    expect(errorOf(() => parseElf32(corrupt((b) => (b[4] = 7)), 'k.elf'))).toBe('k.elf: unknown ELF class 7 (expected 1, ELFCLASS32)');
  });
  it('big-endian', () => {
    expect(errorOf(() => parseElf32(corrupt((b) => (b[5] = 2)), 'k.elf'))).toMatch(/big-endian/);
  });
  it('bad ELF version', () => {
    expect(errorOf(() => parseElf32(corrupt((b) => (b[6] = 0)), 'k.elf'))).toMatch(/unsupported ELF version 0/);
  });
  it('non-i386 machine', () => {
    expect(errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint16(18, 62, true)), 'k.elf'))).toBe(
      'k.elf: not an i386 image (e_machine 62, expected 3 EM_386)',
    );
  });
  it('program header table past the end', () => {
    expect(errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint32(28, good.length - 8, true)), 'k.elf'))).toMatch(
      /program header table extends past the end of the file/,
    );
  });
  it('segment past the end of a truncated file', () => {
    const ph = parseElf32(good).programHeaders[1]!;
    const cut = ph.offset + (ph.filesz >>> 1);
    expect(errorOf(() => parseElf32(good.slice(0, cut), 'k.elf'))).toBe(
      `k.elf: program header 1 extends past the end of the file (offset 0x${ph.offset.toString(16)} + size 0x${ph.filesz.toString(16)} > 0x${cut.toString(16)})`,
    );
  });
  it('program header with a file range past the end', () => {
    const phoff = new DataView(good.buffer, good.byteOffset).getUint32(28, true);
    const msg = errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint32(phoff + 16, 0x100000, true)), 'hello.elf'));
    expect(msg).toBe(`hello.elf: program header 0 extends past the end of the file (offset 0x1000 + size 0x100000 > 0x${good.length.toString(16)})`);
  });
  it('bad program header entry size', () => {
    expect(errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint16(42, 56, true)), 'k.elf'))).toBe(
      'k.elf: program header size 56 (expected 32)',
    );
  });
  it('section header table past the end', () => {
    expect(errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint32(32, good.length - 10, true)), 'k.elf'))).toMatch(
      /section header table extends past the end of the file/,
    );
  });
  it('section-name string table index out of range', () => {
    expect(errorOf(() => parseElf32(corrupt((_b, dv) => dv.setUint16(50, 99, true)), 'k.elf'))).toMatch(
      /section-name string table index 99 is out of range/,
    );
  });
});
