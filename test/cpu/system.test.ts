// System instructions: CPUID leaves, RDTSC from virtual time (and CR4.TSD), the MSR table (#GP for
// unknown MSRs, IA32_FEATURE_CONTROL locked with VMX outside SMX), privileged instructions at ring 3,
// IOPL and the TSS I/O bitmap, and POPF keeping IF silently at ring 3.
import { describe, expect, it } from 'vitest';
import { writeCr4 } from '../../src/cpu/control-write.js';
import { CODE, TSS, enterRing3, machine } from './harness.js';

const GP = 13;

describe('CPUID', () => {
  it('vendor, VMX in leaf 1 ECX, brand string, out-of-range leaves', () => {
    const m = machine('xor eax, eax\ncpuid\nmov [0x6000], ebx\nmov [0x6004], edx\nmov [0x6008], ecx\nmov [0x600c], eax\n' + 'mov eax, 1\ncpuid\nmov [0x6010], ecx\nmov [0x6014], edx\nmov eax, 0x40000000\ncpuid\nmov [0x6018], ecx\nhlt');
    m.run();
    const vendor = Buffer.from(m.mem.readBytes(0x6000, 12)).toString('latin1');
    expect(vendor).toBe('VtxVmmVtxCpu');
    expect(m.r32(0x600c)).toBe(1);
    expect(m.r32(0x6010) & (1 << 5)).toBe(1 << 5);
    expect(m.r32(0x6010) & (1 << 31)).toBe(0);
    expect(m.r32(0x6014) & 1).toBe(0); // no x87
    expect(m.r32(0x6018)).toBe(m.r32(0x6010));
  });
});

describe('RDTSC and MSRs', () => {
  it('RDTSC counts retired instructions; WRMSR to IA32_TSC moves it', () => {
    const m = machine('nop\nnop\nrdtsc\nmov esi, eax\nxor edx, edx\nmov eax, 1000\nmov ecx, 0x10\nwrmsr\nrdtsc\nhlt');
    m.run();
    expect(m.cpu.regs[6]).toBe(2);
    expect(m.cpu.regs[0]).toBe(1001);
  });

  it('RDTSC at CPL 3 with CR4.TSD: #GP(0)', () => {
    const m = machine('rdtsc\nhlt');
    writeCr4(m.cpu, 4);
    enterRing3(m, CODE);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0]);
  });

  it('unknown MSRs and writes to IA32_FEATURE_CONTROL: #GP(0); it reads locked + VMX outside SMX', () => {
    const m = machine('mov ecx, 0x3a\nrdmsr\nmov esi, eax\nmov ecx, 0x12345\nrdmsr\nhlt');
    m.run();
    expect(m.cpu.regs[6]).toBe(5);
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0]);
    const w = machine('mov ecx, 0x3a\nxor eax, eax\nxor edx, edx\nwrmsr\nhlt');
    w.run();
    expect(w.lastVector()).toBe(GP);
  });
});

describe('privilege', () => {
  for (const [name, code] of [
    ['HLT', 'hlt'],
    ['MOV CR0', 'mov eax, cr0'],
    ['LGDT', 'lgdt [0x6000]'],
    ['RDMSR', 'rdmsr'],
    ['INVLPG', 'invlpg [0]'],
    ['CLTS', 'clts'],
    ['CLI (IOPL 0)', 'cli'],
  ] as const) {
    it(`${name} at CPL 3: #GP(0) at the instruction`, () => {
      const m = machine(`${code}\nhlt`);
      enterRing3(m, CODE);
      m.run();
      expect([m.lastVector(), m.frame(0), m.frame(1)]).toEqual([GP, 0, CODE]);
    });
  }

  it('POPF at CPL 3 keeps IF (and IOPL) silently', () => {
    const m = machine('pushfd\nor dword [esp], 0x3200\npopfd\npushfd\npop ebx\nhlt');
    enterRing3(m, CODE, 0x8000);
    m.run();
    expect(m.cpu.regs[3]! & 0x3200).toBe(0);
    expect(m.lastVector()).toBe(GP); // the final HLT
  });

  it('IN at CPL 3: allowed by IOPL 3, else by clear bitmap bits; each byte of a wide access counts', () => {
    const bitmap = TSS + 0x68;
    const run = (code: string, iopl: number, bits: [number, number][]): number => {
      const m = machine(`${code}\nmov ebx, 1\nhlt`);
      for (const [port, v] of bits) m.mem.write8(bitmap + (port >> 3), v);
      enterRing3(m, CODE);
      m.cpu.flags |= iopl << 12;
      m.run();
      return m.cpu.regs[3] === 1 ? -1 : m.lastVector();
    };
    expect(run('mov dx, 0x3f8\nin al, dx', 3, [[0x3f8, 0xff]])).toBe(-1);
    expect(run('mov dx, 0x3f8\nin al, dx', 0, [[0x3f8, 0x01]])).toBe(GP);
    expect(run('mov dx, 0x3f8\nin al, dx', 0, [[0x3f8, 0x02]])).toBe(-1);
    expect(run('mov dx, 0x3f8\nin eax, dx', 0, [[0x3f8, 0x08]])).toBe(GP);
    expect(run('mov dx, 0x3ff\nin ax, dx', 0, [[0x400, 0x01]])).toBe(GP);
  });
});
