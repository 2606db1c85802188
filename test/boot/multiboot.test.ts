// The Multiboot loader on real nasm+ld images: what lands where in RAM, the entry state, the
// a.out kludge, higher-half entry translation, and one ImageError per class of bad image.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseElf32 } from '../../src/boot/elf32.js';
import { ImageError } from '../../src/boot/image-error.js';
import { loadMultiboot, parseMultiboot } from '../../src/boot/multiboot.js';
import { physWriterFor } from '../../src/boot/phys-writer.js';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { HAVE_TOOLCHAIN, buildBin, buildElf, readBytes } from './build-fixture.js';

const MIB = 1024 * 1024;
const POISON = 0xaa;

function poisonedRam(mib: number): PhysicalMemory {
  const mem = new PhysicalMemory(mib * MIB);
  mem.u8.fill(POISON);
  return mem;
}

function loadError(bytes: Uint8Array, mib = 2, name = 'k.elf'): string {
  const mem = poisonedRam(mib);
  try {
    loadMultiboot(bytes, physWriterFor(mem), { name });
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    // Every check runs before the first write.
    expect(Buffer.from(mem.u8).equals(Buffer.alloc(mem.size, POISON))).toBe(true);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected an ImageError');
}

/** The symbol table as GNU nm sees it (an outside reference for addresses). */
function nm(path: string): Map<string, number> {
  const out = execFileSync('nm', [path], { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => [l.split(' ')[2]!, parseInt(l.split(' ')[0]!, 16)]));
}

describe.skipIf(!HAVE_TOOLCHAIN)('loading an ELF Multiboot kernel', () => {
  const path = HAVE_TOOLCHAIN ? buildElf('mb-elf') : '';
  const bytes = HAVE_TOOLCHAIN ? readBytes(path) : new Uint8Array();

  it('places every PT_LOAD segment at p_paddr, zeroes the bss, and touches nothing else', () => {
    const mem = poisonedRam(16);
    const k = loadMultiboot(bytes, physWriterFor(mem), { name: 'mb.elf', cmdline: 'quiet' });
    const elf = parseElf32(bytes);
    const syms = nm(path);
    for (const ph of elf.programHeaders.filter((p) => p.type === 1)) {
      expect(mem.readBytes(ph.paddr, ph.filesz)).toEqual(bytes.subarray(ph.offset, ph.offset + ph.filesz));
      expect(mem.readBytes(ph.paddr + ph.filesz, ph.memsz - ph.filesz).every((b) => b === 0)).toBe(true);
    }
    // .data's "answer: dd 42" at the address nm reports.
    expect(mem.read32(syms.get('answer')!)).toBe(42);
    expect(mem.readBytes(syms.get('stack')!, 8192).every((b) => b === 0)).toBe(true);
    expect(k.state.eip).toBe(syms.get('_start'));
    expect(k.image.loadStart).toBe(0x100000);
    expect(k.image.loadEnd).toBe(syms.get('stack_top'));
    // Outside the kernel buffer and the loader's page, RAM is as it was.
    const bufEnd = k.image.loadStart + Math.ceil((k.bootLoaderNameAddr + 8 - k.image.loadStart) / 4096) * 4096;
    for (let a = 0; a < mem.size; a += 512) {
      const inKernel = a >= k.image.loadStart && a < bufEnd;
      const inLoader = a >= 0x9000 && a < 0xa000;
      if (!inKernel && !inLoader) expect(mem.read8(a), `byte at 0x${a.toString(16)}`).toBe(POISON);
    }
  });

  it('starts in the Multiboot state (Multiboot 0.6.96 §3.2, QEMU option ROM)', () => {
    const mem = new PhysicalMemory(128 * MIB);
    const s = loadMultiboot(bytes, physWriterFor(mem)).state;
    expect(s.eax).toBe(0x2badb002);
    expect(s.ebx).toBe(0x9500);
    expect(s.cr0).toBe(0x11);
    expect(s.eflags).toBe(0x2);
    expect(s.cs).toEqual({ selector: 0x08, base: 0, limit: 0xffffffff, attrs: 0xc09b });
    for (const seg of [s.ds, s.es, s.fs, s.gs, s.ss]) expect(seg).toEqual({ selector: 0x10, base: 0, limit: 0xffffffff, attrs: 0xc093 });
    expect([s.esp, s.ebp, s.esi, s.edi, s.edx, s.cr2, s.cr3, s.cr4]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(s.tr.attrs & 0xf).toBe(0xb);
    // The state is plain data (the debugger snapshots it, the hypervisor copies it into a VMCS).
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('writes the command line as QEMU does: the image name, a space, then the appended text', () => {
    const mem = new PhysicalMemory(128 * MIB);
    const k = loadMultiboot(bytes, physWriterFor(mem), { name: 'guests/bin/hello.elf', cmdline: 'a=1 b' });
    const str = (addr: number): string => {
      let s = '';
      while (mem.read8(addr) !== 0) s += String.fromCharCode(mem.read8(addr++));
      return s;
    };
    expect(k.cmdlineAddr).toBe(0x104000); // page-aligned end of the kernel (bss included)
    expect(str(mem.read32(0x9500 + 16))).toBe('guests/bin/hello.elf a=1 b');
    expect(str(mem.read32(0x9500 + 64))).toBe('vtx-vmm');
    expect(mem.read32(0x9500)).toBe(0x24f);
  });

  it('moves a higher-half entry point to its physical address (as QEMU load_elf does)', () => {
    const hh = buildElf('mb-elf', 'higher-half.ld');
    const img = parseMultiboot(readBytes(hh), 'hh.elf');
    expect(parseElf32(readBytes(hh)).entry >>> 0).toBe(nm(hh).get('_start'));
    expect(img.entry).toBe(nm(hh).get('_start')! - 0xc0000000);
    expect(img.loadStart).toBe(0x100000);
  });
});

describe.skipIf(!HAVE_TOOLCHAIN)('the a.out kludge (header flag bit 16)', () => {
  it('loads [load_addr, load_end_addr) from the file, zeroes to bss_end_addr, enters at entry_addr', () => {
    const bin = readBytes(buildBin('aout-kludge'));
    const mem = poisonedRam(16);
    const k = loadMultiboot(bin, physWriterFor(mem), { name: 'kludge.bin' });
    const markerAt = bin.indexOf(0x4b); // "KLUDGE"
    const loadEnd = markerAt + 6;
    expect(mem.readBytes(0x200000, loadEnd)).toEqual(bin.subarray(0, loadEnd));
    expect(mem.readBytes(0x200000 + loadEnd, 0x3000).every((b) => b === 0)).toBe(true); // not the 0xee tail
    expect(k.image.loadEnd).toBe(0x200000 + loadEnd + 0x3000);
    expect(k.state.eip).toBe(0x200000 + bin.indexOf(0x66)); // entry: "mov dx, 0xf4" (66 ba f4 00)
    expect(k.image.header.addr?.headerAddr).toBe(0x200004);
  });

  const edit = (field: number, value: number): Uint8Array => {
    const b = readBytes(buildBin('aout-kludge'));
    new DataView(b.buffer).setUint32(4 + field, value, true);
    return b;
  };
  it('header_addr below load_addr', () => {
    expect(loadError(edit(12, 0x100000), 16, 'kludge.bin')).toBe(
      'kludge.bin: Multiboot header address fields: header_addr 0x100000 is below load_addr 0x200000',
    );
  });
  it('load_addr before the start of the file', () => {
    expect(loadError(edit(16, 0x1ff000), 16, 'kludge.bin')).toMatch(/load_addr 0x1ff000 would start 0x1000 bytes before the file/);
  });
  it('load_end_addr below load_addr', () => {
    expect(loadError(edit(20, 0x100), 16, 'kludge.bin')).toMatch(/load_end_addr 0x100 is below load_addr 0x200000/);
  });
  it('load_end_addr past the end of the file (truncated image)', () => {
    expect(loadError(edit(20, 0x201000), 16, 'kludge.bin')).toMatch(/load_end_addr asks for 0x1000 bytes from file offset 0x0, past the end of the file/);
  });
  it('bss_end_addr below load_end_addr', () => {
    expect(loadError(edit(24, 0x200001), 16, 'kludge.bin')).toMatch(/bss_end_addr 0x200001 is below the end of the loaded image/);
  });
});

describe.skipIf(!HAVE_TOOLCHAIN)('bad images: one ImageError per class', () => {
  const good = HAVE_TOOLCHAIN ? readBytes(buildElf('mb-elf')) : new Uint8Array();
  const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerAt = HAVE_TOOLCHAIN ? parseMultiboot(good).header.offset : 0;
  const phoff = HAVE_TOOLCHAIN ? dv(good).getUint32(28, true) : 0;
  const copy = (edit: (v: DataView) => void): Uint8Array => {
    const b = good.slice();
    edit(dv(b));
    return b;
  };
  const setPh = (i: number, field: number, v: number) => (d: DataView) => d.setUint32(phoff + i * 32 + field, v, true);

  it('not an ELF file and no kludge header', () => {
    expect(loadError(new TextEncoder().encode('MZ this is a DOS program'), 2, 'prog.exe')).toBe('prog.exe: not an ELF file (no \\x7fELF magic)');
  });
  it('no Multiboot header', () => {
    expect(loadError(copy((d) => d.setUint32(headerAt, 0, true)))).toBe('k.elf: no Multiboot header (magic 0x1badb002) in the first 8192 bytes');
  });
  it('bad checksum', () => {
    expect(loadError(copy((d) => d.setUint32(headerAt + 8, 0x12345678, true)))).toBe(
      'k.elf: Multiboot header at offset 0x1000 has a bad checksum (magic 0x1badb002 + flags 0x3 + checksum 0x12345678 = 0x2de2067d, not 0)',
    );
  });
  it('a required feature we cannot honour (video mode)', () => {
    const b = copy((d) => {
      d.setUint32(headerAt + 4, 0x7, true);
      d.setUint32(headerAt + 8, -(0x1badb002 + 0x7) >>> 0, true);
    });
    expect(loadError(b)).toBe('k.elf: Multiboot header requires feature bit 2 (video mode table) that this loader does not provide (flags 0x7)');
  });
  it('non-i386 ELF', () => {
    expect(loadError(copy((d) => d.setUint16(18, 40, true)))).toBe('k.elf: not an i386 image (e_machine 40, expected 3 EM_386)');
  });
  it('not an executable (a relocatable object)', () => {
    expect(loadError(copy((d) => d.setUint16(16, 1, true)))).toBe('k.elf: not an executable ELF file (e_type 1, expected 2 ET_EXEC)');
  });
  it('truncated image', () => {
    expect(loadError(good.slice(0, 0x1010))).toMatch(/^k\.elf: program header 0 extends past the end of the file \(offset 0x1000 \+ size 0x[0-9a-f]+ > 0x1010\)$/);
  });
  it('segment outside RAM', () => {
    expect(loadError(copy(setPh(1, 12, 0x20000000)))).toBe('k.elf: program header 1 loads at 0x20000000, outside RAM (2 MiB ends at 0x200000)');
  });
  it('image too large for the RAM size', () => {
    expect(loadError(copy(setPh(1, 20, 0x200000)), 2)).toBe(
      'k.elf: image too large for 2 MiB of RAM: program header 1 ends at 0x301000, past 0x200000',
    );
  });
  it('command line does not fit after the kernel', () => {
    // bss ends exactly at the end of RAM: no room for the command line page.
    expect(loadError(copy(setPh(1, 20, 0x200000 - 0x101000)), 2)).toMatch(
      /^k\.elf: image too large for 2 MiB of RAM: the kernel and its command line end at 0x201000, past 0x200000$/,
    );
  });
  it('segment overlapping the Multiboot info area', () => {
    expect(loadError(copy(setPh(1, 12, 0x8800)))).toBe(
      'k.elf: program header 1 ([0x8800, 0xb800)) overlaps the Multiboot info area [0x9000, 0xa000)',
    );
  });
  it('file size larger than memory size', () => {
    expect(loadError(copy(setPh(1, 20, 4)))).toBe('k.elf: program header 1 has a file size 0xa larger than its memory size 0x4');
  });
  it('overlapping segments', () => {
    expect(loadError(copy(setPh(1, 12, 0x100010)))).toMatch(/^k\.elf: program headers 0 and 1 overlap in physical memory/);
  });
  it('segment wrapping past 4 GiB', () => {
    expect(loadError(copy(setPh(1, 12, 0xfffff000)))).toMatch(/program header 1 wraps past 4 GiB/);
  });
  it('entry point outside RAM', () => {
    expect(loadError(copy((d) => d.setUint32(24, 0x40000000, true)))).toBe(
      'k.elf: entry point 0x40000000 is outside RAM (2 MiB ends at 0x200000)',
    );
  });
  it('the good image still loads (the corruptions above are the only cause)', () => {
    expect(() => loadMultiboot(good, physWriterFor(new PhysicalMemory(2 * MIB)))).not.toThrow();
  });
});
