// External interrupts: IF, the STI and MOV SS one-instruction shadows (SDM Vol. 2 STI, MOV), HLT
// sleeping until the next device deadline (virtual time jumps, no instructions retire), and a halt
// nothing can end.
import { describe, expect, it } from 'vitest';
import { CODE, machine } from './harness.js';

const IRQ = 0x20;

describe('interrupt acceptance', () => {
  it('an interrupt pending at STI is taken after the next instruction', () => {
    const m = machine('sti\nmov ebx, 1\nmov ecx, 2\nhlt');
    m.pic.vector = IRQ;
    m.run();
    expect(m.lastVector()).toBe(IRQ);
    expect(m.frame(0)).toBe(CODE + 1 + 5);
    expect([m.cpu.regs[3], m.cpu.regs[1]]).toEqual([1, 0]);
  });

  it('IF = 0 keeps an interrupt pending', () => {
    const m = machine('mov ebx, 1\nmov ecx, 2\ncli\nhlt');
    m.pic.vector = IRQ;
    const r = m.run();
    expect(r.kind).toBe('halted-forever');
    expect(m.lastVector()).toBe(-1);
    expect(m.pic.acks).toBe(0);
  });

  it('MOV SS blocks an interrupt until after the following instruction', () => {
    const m = machine('mov ax, ss\nmov ss, ax\nmov ebx, 1\nmov ecx, 2\nhlt');
    m.cpu.flags |= 0x200;
    // Raised when the second instruction (MOV SS) has retired: cycle 2.
    m.clock.schedule(2, () => {
      m.pic.vector = IRQ;
    });
    m.run();
    expect(m.lastVector()).toBe(IRQ);
    expect(m.frame(0)).toBe(CODE + 3 + 2 + 5);
  });

  it('without a shadow the same interrupt is taken at once', () => {
    const m = machine('mov ax, ss\nmov dx, ax\nmov ebx, 1\nmov ecx, 2\nhlt');
    m.cpu.flags |= 0x200;
    m.clock.schedule(2, () => {
      m.pic.vector = IRQ;
    });
    m.run();
    expect(m.frame(0)).toBe(CODE + 3 + 3);
  });
});

describe('HLT', () => {
  it('sleeps until the next device deadline, then takes the interrupt after HLT', () => {
    const m = machine('sti\nhlt\nmov ebx, 1\nhlt');
    m.clock.schedule(1_000_000, () => {
      m.pic.vector = IRQ;
    });
    m.run();
    expect(m.lastVector()).toBe(IRQ);
    expect(m.frame(0)).toBe(CODE + 2);
    expect(m.clock.now).toBeGreaterThanOrEqual(1_000_000);
    expect(m.cpu.icount).toBeLessThan(40); // sti, hlt and the recorder stub
  });

  it('with IF = 0, or nothing armed, the halt is permanent', () => {
    const r = machine('cli\nhlt').run();
    expect(r).toMatchObject({ kind: 'halted-forever' });
    const r2 = machine('sti\nhlt').run();
    expect(r2).toMatchObject({ kind: 'halted-forever' });
  });

  it('the instruction budget stops a busy loop', () => {
    const m = machine('l: jmp l');
    expect(m.run(1000)).toEqual({ kind: 'budget' });
    expect(m.cpu.icount).toBe(1000);
  });
});
