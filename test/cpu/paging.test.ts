// 32-bit paging: #PF error codes and CR2 (SDM Vol. 3 §4.7), accessed/dirty bits (§4.8), CR0.WP,
// 4 MiB pages under CR4.PSE (with their reserved bits), INVLPG and CR3 reloads vs the TLB (§4.10),
// and global pages under CR4.PGE.
import { describe, expect, it } from 'vitest';
import { writeCr0, writeCr3, writeCr4 } from '../../src/cpu/control-write.js';
import { CODE, type TestMachine, enterRing3, machine } from './harness.js';

const PD = 0x200000;
const PT0 = 0x201000;
const PT1 = 0x202000;
const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
const PF = 14;

/** Identity-maps 0-4 MiB (user, writable) and points PDE 1 (4-8 MiB) at PT1 (empty). */
function paged(code: string): TestMachine {
  const m = machine(code);
  for (let i = 0; i < 1024; i++) m.w32(PT0 + i * 4, (i << 12) | P | RW | US);
  m.w32(PD, PT0 | P | RW | US);
  m.w32(PD + 4, PT1 | P | RW | US);
  writeCr3(m.cpu, PD);
  writeCr0(m.cpu, m.cpu.cr0 | 0x80000000);
  return m;
}

const V = 0x400000; // PDE 1, PTE 0
const V2 = 0x401000;

describe('page faults', () => {
  it('not-present read: error 0, CR2, EIP of the faulting instruction', () => {
    const m = paged(`nop\nmov ebx, [${V}]\nhlt`);
    m.run();
    expect(m.lastVector()).toBe(PF);
    expect(m.frame(0)).toBe(0);
    expect(m.frame(1)).toBe(CODE + 1);
    expect(m.cpu.cr2 >>> 0).toBe(V);
  });

  it('not-present write: error 2 (W)', () => {
    const m = paged(`mov dword [${V + 8}], 1\nhlt`);
    m.run();
    expect([m.lastVector(), m.frame(0), m.cpu.cr2 >>> 0]).toEqual([PF, 2, V + 8]);
  });

  it('user read of a supervisor page: error 5 (P|U); user write to a read-only page: 7', () => {
    const m = paged(`mov ebx, [${V}]\nhlt`);
    m.w32(PT1, 0x300000 | P | RW);
    enterRing3(m, CODE);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([PF, 5]);

    const m2 = paged(`mov dword [${V}], 1\nhlt`);
    m2.w32(PT1, 0x300000 | P | US);
    enterRing3(m2, CODE);
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([PF, 7]);
  });

  it('read-only in the PDE applies even if the PTE is writable (user)', () => {
    const m = paged(`mov dword [${V}], 1\nhlt`);
    m.w32(PD + 4, PT1 | P | US);
    m.w32(PT1, 0x300000 | P | RW | US);
    enterRing3(m, CODE);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([PF, 7]);
  });

  it('supervisor write to a read-only page: allowed with CR0.WP=0, error 3 with WP=1', () => {
    const m = paged(`mov dword [${V}], 0x1234\nhlt`);
    m.w32(PT1, 0x300000 | P | US);
    m.run();
    expect(m.lastVector()).toBe(-1);
    expect(m.mem.read32(0x300000)).toBe(0x1234);

    const m2 = paged(`mov dword [${V}], 0x1234\nhlt`);
    m2.w32(PT1, 0x300000 | P | US);
    writeCr0(m2.cpu, m2.cpu.cr0 | 0x10000);
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([PF, 3]);
  });
});

describe('accessed and dirty bits', () => {
  it('a read sets A in the PDE and the PTE; a write also sets D in the PTE only', () => {
    const m = paged(`mov ebx, [${V}]\nhlt`);
    m.w32(PT1, 0x300000 | P | RW);
    m.w32(PT1 + 4, 0x301000 | P | RW);
    m.run();
    expect(m.r32(PD + 4) & (A | D)).toBe(A);
    expect(m.r32(PT1) & (A | D)).toBe(A);

    const m2 = paged(`mov dword [${V2}], 7\nhlt`);
    m2.w32(PT1 + 4, 0x301000 | P | RW);
    m2.run();
    expect(m2.r32(PD + 4) & (A | D)).toBe(A);
    expect(m2.r32(PT1 + 4) & (A | D)).toBe(A | D);
  });

  it('the first write after a read (a clean TLB entry) still sets D', () => {
    const m = paged(`mov ebx, [${V}]\nmov dword [${V}], 9\nhlt`);
    m.w32(PT1, 0x300000 | P | RW);
    m.run();
    expect(m.r32(PT1) & (A | D)).toBe(A | D);
    expect(m.mem.read32(0x300000)).toBe(9);
  });

  it('a faulting access sets no A bit in the PTE', () => {
    const m = paged(`mov dword [${V}], 1\nhlt`);
    m.w32(PT1, 0x300000 | P | US);
    enterRing3(m, CODE);
    m.run();
    expect(m.lastVector()).toBe(PF);
    expect(m.r32(PT1) & A).toBe(0);
  });
});

describe('4 MiB pages (CR4.PSE)', () => {
  it('maps a 4 MiB region and sets A/D in the PDE', () => {
    const m = paged(`mov dword [${V + 0x123454}], 0xabcd\nhlt`);
    m.w32(PD + 4, 0x000000 | P | RW | PS);
    writeCr4(m.cpu, 0x10);
    m.run();
    expect(m.lastVector()).toBe(-1);
    expect(m.mem.read32(0x123454)).toBe(0xabcd);
    expect(m.r32(PD + 4) & (A | D)).toBe(A | D);
  });

  it('without CR4.PSE the PS bit is ignored (the PDE points to a page table)', () => {
    const m = paged(`mov ebx, [${V}]\nhlt`);
    m.w32(PD + 4, PT1 | P | RW | PS);
    m.w32(PT1, 0x300000 | P | RW);
    m.mem.write32(0x300000, 0x55);
    m.run();
    expect(m.cpu.regs[3]).toBe(0x55);
  });

  it('reserved bits 21:13 in a 4 MiB PDE: #PF with RSVD (error 9)', () => {
    const m = paged(`mov ebx, [${V}]\nhlt`);
    m.w32(PD + 4, 0x2000 | P | RW | PS);
    writeCr4(m.cpu, 0x10);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([PF, 9]);
  });
});

describe('TLB: INVLPG, CR3 reload, global pages', () => {
  const code = `mov ebx, [${V}]\nmov dword [${PT1}], 0x301003\nmov ecx, [${V}]\ninvlpg [${V}]\nmov edx, [${V}]\nhlt`;
  it('a changed PTE is not seen until INVLPG', () => {
    const m = paged(code);
    m.w32(PT1, 0x300000 | P | RW);
    m.mem.write32(0x300000, 0x111);
    m.mem.write32(0x301000, 0x222);
    m.run();
    expect([m.cpu.regs[3], m.cpu.regs[1], m.cpu.regs[2]]).toEqual([0x111, 0x111, 0x222]);
  });

  it('MOV CR3 drops non-global entries but keeps global ones (CR4.PGE)', () => {
    const body = `mov ebx, [${V}]\nmov ebx, [${V2}]\nmov dword [${PT1}], 0x302003\nmov dword [${PT1 + 4}], 0x302003\nmov eax, cr3\nmov cr3, eax\nmov ecx, [${V}]\nmov edx, [${V2}]\nhlt`;
    const m = paged(body);
    m.w32(PT1, 0x300000 | P | RW | G);
    m.w32(PT1 + 4, 0x301000 | P | RW);
    m.mem.write32(0x300000, 0x111);
    m.mem.write32(0x301000, 0x222);
    m.mem.write32(0x302000, 0x333);
    writeCr4(m.cpu, 0x80);
    m.run();
    expect([m.cpu.regs[1], m.cpu.regs[2]]).toEqual([0x111, 0x333]);
  });
});

describe('instructions that straddle pages', () => {
  it('run when both pages are mapped, and fault with CR2 = the second page when it is not', () => {
    // mov eax, 0x12345678 (5 bytes) placed so that it crosses from V into V2.
    const m = paged(`jmp ${V + 0xffe}\nhlt`);
    m.w32(PT1, 0x300000 | P | RW);
    m.w32(PT1 + 4, 0x301000 | P | RW);
    m.mem.writeBytes(0x300ffe, Uint8Array.of(0xb8, 0x78, 0x56, 0x34, 0x12));
    m.mem.writeBytes(0x301003, Uint8Array.of(0xf4)); // hlt
    m.run();
    expect(m.cpu.regs[0]).toBe(0x12345678);

    const m2 = paged(`jmp ${V + 0xffe}\nhlt`);
    m2.w32(PT1, 0x300000 | P | RW);
    m2.mem.writeBytes(0x300ffe, Uint8Array.of(0xb8, 0x78, 0x56, 0x34, 0x12));
    m2.run();
    expect([m2.lastVector(), m2.frame(0), m2.frame(1), m2.cpu.cr2 >>> 0]).toEqual([PF, 0, V + 0xffe, V2]);
  });
});
