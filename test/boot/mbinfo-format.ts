// Renders, from our loader's output (RAM + entry state), the same text that
// test/fixtures/boot/mbinfo-dump.asm prints when QEMU boots it, line for line, so the two compare.
import type { LoadedKernel } from '../../src/boot/multiboot.js';
import type { PhysicalMemory } from '../../src/machine/memory.js';

const h8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
const h4 = (n: number): string => (n & 0xffff).toString(16).padStart(4, '0');

function cstr(mem: PhysicalMemory, addr: number): string {
  let s = '';
  for (let a = addr; mem.read8(a) !== 0; a++) s += String.fromCharCode(mem.read8(a));
  return s;
}

/** LSL and LAR as the CPU computes them from the descriptor in the GDT (SDM Vol. 2A LAR, LSL). */
function descriptor(mem: PhysicalMemory, gdtBase: number, sel: number): { lsl: number; lar: number } {
  const lo = mem.read32(gdtBase + (sel & ~7)) >>> 0;
  const hi = mem.read32(gdtBase + (sel & ~7) + 4) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0x000f0000);
  if (hi & 0x00800000) limit = ((limit << 12) | 0xfff) >>> 0;
  return { lsl: limit, lar: (hi & 0x00f0ff00) >>> 0 };
}

export function mbinfoDump(mem: PhysicalMemory, k: LoadedKernel): string {
  const s = k.state;
  const out: string[] = [];
  const kv = (key: string, v: number): number => out.push(`${key} ${h8(v)}`);
  kv('eax', s.eax);
  kv('ebx', s.ebx);
  kv('ecx', s.ecx);
  kv('edx', s.edx);
  kv('esi', s.esi);
  kv('edi', s.edi);
  kv('ebp', s.ebp);
  kv('esp', s.esp);
  kv('eflags', s.eflags);
  kv('cr0', s.cr0);
  kv('cr3', s.cr3);
  kv('cr4', s.cr4);
  out.push(`gdtr ${h8(s.gdtr.base)} ${h4(s.gdtr.limit)} `);
  out.push(`idtr ${h8(s.idtr.base)} ${h4(s.idtr.limit)} `);
  out.push(`ldtr tr ${h4(s.ldtr.selector)} ${h4(s.tr.selector)} `);
  out.push(`cs ds es fs gs ss ${[s.cs, s.ds, s.es, s.fs, s.gs, s.ss].map((r) => h4(r.selector) + ' ').join('')}`);
  const d = [s.cs, s.ds, s.ss].map((r) => descriptor(mem, s.gdtr.base, r.selector));
  out.push(`lsl cs ds ss ${d.map((x) => h8(x.lsl) + ' ').join('')}`);
  out.push(`lar cs ds ss ${d.map((x) => h8(x.lar) + ' ').join('')}`);
  const mbi = s.ebx;
  const f = (off: number): number => mem.read32(mbi + off) >>> 0;
  kv('flags', f(0));
  kv('mem_lower', f(4));
  kv('mem_upper', f(8));
  kv('boot_device', f(12));
  kv('cmdline_addr', f(16));
  kv('mods_count', f(20));
  kv('mods_addr', f(24));
  kv('mmap_length', f(44));
  kv('mmap_addr', f(48));
  kv('boot_loader_name_addr', f(64));
  for (let p = f(48); p < f(48) + f(44); p += (mem.read32(p) >>> 0) + 4) {
    const r = (o: number): string => h8(mem.read32(p + o));
    out.push(`mmap ${r(0)} ${r(8)}${r(4)} ${r(16)}${r(12)} ${r(20)} `);
  }
  out.push(`cmdline |${cstr(mem, f(16))}|`);
  out.push(`boot_loader_name |${cstr(mem, f(64))}|`);
  return out.join('\n') + '\n';
}
