// Segment-register loads with the SDM's checks and error codes (MOV Sreg / POP Sreg / LSS pages of
// SDM Vol. 2), accessed bits, limit and type checks on accesses (Vol. 3 §5.3-5.5), null selectors.
import { describe, expect, it } from 'vitest';
import { CODE, GDT, SEL, enterRing3, machine } from './harness.js';

const GP = 13, SS = 12, NP = 11;

describe('segment loads', () => {
  it('MOV DS with a selector beyond the GDT limit: #GP(selector)', () => {
    const m = machine('mov ax, 0x200\nmov ds, ax\nhlt');
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0x200]);
  });

  it('MOV DS with a not-present descriptor: #NP(selector)', () => {
    const m = machine(`mov ax, ${SEL.DATA_NP}\nmov ds, ax\nhlt`);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([NP, SEL.DATA_NP]);
  });

  it('MOV SS with a null selector: #GP(0); with a read-only segment: #GP(selector)', () => {
    const m = machine('xor eax, eax\nmov ss, ax\nhlt');
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0]);
    const m2 = machine(`mov ax, ${SEL.DATA0_RO}\nmov ss, ax\nhlt`);
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([GP, SEL.DATA0_RO]);
  });

  it('MOV SS with a not-present segment: #SS(selector)', () => {
    const m = machine(`mov ax, ${SEL.DATA_NP | 0}\nmov ss, ax\nhlt`);
    // DATA_NP is writable data, DPL 0, not present
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([SS, SEL.DATA_NP]);
  });

  it('ring 3 loading a DPL-0 data segment: #GP(selector); a code segment in DS: #GP(selector)', () => {
    const m = machine(`mov ax, ${SEL.DATA0}\nmov ds, ax\nhlt`);
    enterRing3(m, CODE);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, SEL.DATA0]);
  });

  it('a load sets the accessed bit in the descriptor', () => {
    const m = machine(`mov ax, ${SEL.DATA0_SMALL}\nmov es, ax\nhlt`);
    const before = m.r32(GDT + (SEL.DATA0_SMALL >> 3) * 8 + 4);
    m.run();
    const after = m.r32(GDT + (SEL.DATA0_SMALL >> 3) * 8 + 4);
    expect(before & 0x100).toBe(0);
    expect(after & 0x100).toBe(0x100);
  });

  it('a null selector loads into DS; using it is #GP(0)', () => {
    const m = machine('xor eax, eax\nmov ds, ax\nmov ebx, 1\nmov ecx, [0x100]\nhlt');
    m.run();
    expect([m.lastVector(), m.frame(0), m.frame(1)]).toEqual([GP, 0, CODE + 9]);
    expect(m.cpu.regs[3]).toBe(1);
  });
});

describe('limit and type checks', () => {
  it('access beyond a data segment limit: #GP(0); a dword straddling it too', () => {
    const m = machine(`mov ax, ${SEL.DATA0_SMALL}\nmov es, ax\nmov ebx, [es:0xffc]\nmov ecx, [es:0xffd]\nhlt`);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0]);
    expect(m.frame(1)).toBe(CODE + 4 + 2 + 7);
  });

  it('stack accesses beyond the SS limit: #SS(0)', () => {
    const m = machine(`mov ax, ${SEL.DATA0_SMALL}\nmov ss, ax\nmov esp, 0xf00\npush eax\nmov eax, [ss:0xffe]\nhlt`);
    m.run();
    expect(m.frame(1)).toBe(CODE + 4 + 2 + 5 + 1);
    expect([m.lastVector(), m.frame(0)]).toEqual([SS, 0]);
  });

  it('a write through a read-only data segment or CS: #GP(0)', () => {
    const m = machine(`mov ax, ${SEL.DATA0_RO}\nmov es, ax\nmov ebx, [es:0x100]\nmov [es:0x100], ebx\nhlt`);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([GP, 0]);
    const m2 = machine('mov [cs:0x100], eax\nhlt');
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([GP, 0]);
  });
});
