// Exception and interrupt delivery (SDM Vol. 3 §6.12-6.15): the frame, the stack switch through the
// TSS on a privilege change, gate DPL checks for INT n, fault vs trap EIPs, error codes, double and
// triple faults.
import { describe, expect, it } from 'vitest';
import { CODE, IDT, SEL, STACK0, STACK3, STUBS, TSS, enterRing3, gate, machine } from './harness.js';

const GP = 13, DE = 0, UD = 6, BP = 3, DF = 8, NP = 11, OF = 4;

describe('delivery', () => {
  it('#DE is a fault: EIP of the DIV, no error code, same-privilege frame', () => {
    const m = machine('xor ebx, ebx\nmov eax, 1\ndiv ebx\nhlt');
    m.run();
    expect(m.lastVector()).toBe(DE);
    expect(m.frame(0)).toBe(CODE + 2 + 5);
    expect(m.frame(1)).toBe(SEL.CODE0);
    expect(m.frame(2) & 2).toBe(2);
    expect(m.handlerEsp()).toBe(STACK0 - 12);
  });

  it('INT3 and INTO are traps: EIP after the instruction', () => {
    const m = machine('int3\nhlt');
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([BP, CODE + 1]);
    const m2 = machine('mov al, 0x7f\nadd al, 1\ninto\nhlt');
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([OF, CODE + 2 + 2 + 1]);
  });

  it('ring 3 -> ring 0 through a DPL-3 trap gate: stack switch to SS0:ESP0 with SS, ESP, EFLAGS, CS, EIP', () => {
    const m = machine('int 0x80\nhlt');
    const [lo, hi] = gate(SEL.CODE0, STUBS + 0x80 * 128, 0xf, 3);
    m.w32(IDT + 0x80 * 8, lo);
    m.w32(IDT + 0x80 * 8 + 4, hi);
    enterRing3(m, CODE, STACK3);
    m.cpu.flags |= 0x200;
    m.run();
    expect(m.lastVector()).toBe(0x80);
    expect(m.handlerEsp()).toBe(STACK0 - 20);
    expect(m.frame(0)).toBe(CODE + 2);
    expect(m.frame(1)).toBe(SEL.CODE3);
    expect(m.frame(2) & 0x202).toBe(0x202);
    expect(m.frame(3)).toBe(STACK3);
    expect(m.frame(4)).toBe(SEL.DATA3);
    expect(m.cpu.cpl).toBe(0);
    // A trap gate leaves IF set; an interrupt gate would clear it.
    expect(m.cpu.flags & 0x200).toBe(0x200);
  });

  it('INT n through a gate of lower DPL than CPL: #GP(vector*8+2)', () => {
    const m = machine('int 0x20\nhlt');
    enterRing3(m, CODE);
    m.run();
    expect([m.lastVector(), m.frame(0), m.frame(1)]).toEqual([GP, 0x20 * 8 + 2, CODE]);
  });

  it('a not-present gate for an exception: #NP(vector*8+2+EXT)', () => {
    const m = machine('ud2\nhlt');
    m.w32(IDT + UD * 8 + 4, m.r32(IDT + UD * 8 + 4) & ~0x8000);
    m.run();
    expect([m.lastVector(), m.frame(0)]).toEqual([NP, UD * 8 + 3]);
  });

  it('#PF while delivering #PF is a double fault; a fault delivering #DF shuts down', () => {
    const m = machine('ud2\nhlt');
    // #UD's handler is fine, so make the stack unusable instead: an ESP below 0 with paging off
    // does not fault, so use a not-present #GP gate and a faulting #GP source.
    m.w32(IDT + GP * 8 + 4, m.r32(IDT + GP * 8 + 4) & ~0x8000);
    m.w32(IDT + NP * 8 + 4, m.r32(IDT + NP * 8 + 4) & ~0x8000);
    const m2 = machine('mov ax, 0x200\nmov ds, ax\nhlt');
    m2.w32(IDT + GP * 8 + 4, m2.r32(IDT + GP * 8 + 4) & ~0x8000);
    m2.run();
    // #GP -> its gate is not present -> #NP (contributory after contributory) -> #DF
    expect([m2.lastVector(), m2.frame(0)]).toEqual([DF, 0]);

    const m3 = machine('mov ax, 0x200\nmov ds, ax\nhlt');
    for (const v of [GP, NP, DF]) m3.w32(IDT + v * 8 + 4, m3.r32(IDT + v * 8 + 4) & ~0x8000);
    const r = m3.run();
    expect(r.kind).toBe('triple-fault');
    void m;
  });

  it('an IDT limit too small for the vector: #GP(vector*8+2+EXT)', () => {
    const m = machine('int 0x20\nhlt');
    m.cpu.idtLimit = 14 * 8 - 1;
    m.run();
    expect([m.lastVector(), m.frame(0), m.frame(1)]).toEqual([GP, 0x20 * 8 + 2, CODE]);
    const m2 = machine('ud2\nhlt');
    m2.cpu.idtLimit = 6 * 8 - 1;
    m2.w32(IDT + GP * 8 + 4, m2.r32(IDT + GP * 8 + 4));
    m2.cpu.idtLimit = 14 * 8 - 1;
    m2.w32(IDT + UD * 8 + 4, m2.r32(IDT + UD * 8 + 4) & ~0x1f00); // type 0: not a gate
    m2.run();
    expect([m2.lastVector(), m2.frame(0)]).toEqual([GP, UD * 8 + 3]);
    void BP;
  });

  it('a bad SS0 in the TSS on a privilege change: #TS(SS0 selector + EXT)', () => {
    const m = machine('int 0x80\nhlt');
    const [lo, hi] = gate(SEL.CODE0, STUBS + 0x80 * 128, 0xe, 3);
    m.w32(IDT + 0x80 * 8, lo);
    m.w32(IDT + 0x80 * 8 + 4, hi);
    m.w32(TSS + 8, SEL.DATA0_RO);
    enterRing3(m, CODE);
    const r = m.run();
    // #TS is delivered with the same bad TSS -> #TS again -> #DF -> (stack still bad) triple fault.
    expect(r.kind).toBe('triple-fault');
  });
});
