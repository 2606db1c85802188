// The 8259A pair through its ports, as a kernel programs it: init words, priority, EOI, cascade,
// spurious IRQ7/IRQ15, masks, auto-EOI, rotation, OCW3 reads, poll, special mask, level mode.
import { beforeEach, describe, expect, it } from 'vitest';
import { Pic8259Pair } from '../../src/machine/devices/pic8259.js';
import { IoBus } from '../../src/machine/io-bus.js';

let pic: Pic8259Pair;
let bus: IoBus;
const out = (port: number, v: number): void => bus.write(port, 1, v);
const inb = (port: number): number => bus.read(port, 1);

/** Linux's init_8259A: ICW1 edge+ICW4, vectors 0x20/0x28, cascade on IR2, 8086 mode. */
function initPc(icw4 = 0x01, icw1 = 0x11): void {
  out(0x20, icw1);
  out(0x21, 0x20);
  out(0x21, 0x04);
  out(0x21, icw4);
  out(0xa0, icw1);
  out(0xa1, 0x28);
  out(0xa1, 0x02);
  out(0xa1, icw4);
  out(0x21, 0x00);
  out(0xa1, 0x00);
}
const pulse = (irq: number): void => {
  pic.setIrq(irq, true);
  pic.setIrq(irq, false);
};
const readIrr = (base: number): number => (out(base, 0x0a), inb(base));
const readIsr = (base: number): number => (out(base, 0x0b), inb(base));
const eoi = (base = 0x20): void => out(base, 0x20);

beforeEach(() => {
  pic = new Pic8259Pair();
  bus = new IoBus();
  bus.register(pic.master, 0x20, 2);
  bus.register(pic.slave, 0xa0, 2);
});

describe('8259A pair', () => {
  it('delivers an unmasked edge with its vector and moves it from IRR to ISR', () => {
    initPc();
    expect(pic.hasInterrupt()).toBe(false);
    pulse(0);
    expect(readIrr(0x20)).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(readIrr(0x20)).toBe(0);
    expect(readIsr(0x20)).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(false);
    eoi();
    expect(readIsr(0x20)).toBe(0);
  });

  it('uses fixed priority: IR0 highest; an in-service level blocks itself and lower ones', () => {
    initPc();
    pulse(3);
    expect(pic.acknowledge()).toBe(0x23);
    pulse(5);
    expect(pic.hasInterrupt()).toBe(false); // lower than IR3 in service
    pulse(1);
    expect(pic.hasInterrupt()).toBe(true); // higher: nests
    expect(pic.acknowledge()).toBe(0x21);
    expect(readIsr(0x20)).toBe(0x0a);
    eoi(); // non-specific EOI retires the highest in service: IR1
    expect(readIsr(0x20)).toBe(0x08);
    expect(pic.hasInterrupt()).toBe(false);
    eoi();
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('specific EOI clears the named level only', () => {
    initPc();
    pulse(4);
    pic.acknowledge();
    pulse(1);
    pic.acknowledge();
    expect(readIsr(0x20)).toBe(0x12);
    out(0x20, 0x60 | 4); // specific EOI for IR4
    expect(readIsr(0x20)).toBe(0x02);
  });

  it('masks requests in IMR but keeps them in IRR', () => {
    initPc();
    out(0x21, 0x01);
    expect(inb(0x21)).toBe(0x01);
    pulse(0);
    expect(pic.hasInterrupt()).toBe(false);
    expect(readIrr(0x20)).toBe(0x01);
    out(0x21, 0x00);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('is edge-triggered: a line held high requests once, it must fall and rise again', () => {
    initPc();
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x24);
    eoi();
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, false);
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('cascades the slave through master IR2: vector from the slave, both ISRs set', () => {
    initPc();
    pulse(12);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0x10);
    // A second slave request of lower priority waits for the slave's EOI, not only the master's.
    pulse(14);
    expect(pic.hasInterrupt()).toBe(false);
    eoi(0xa0);
    eoi(0x20);
    expect(pic.acknowledge()).toBe(0x2e);
  });

  it('masking IR2 on the master masks the whole slave', () => {
    initPc();
    out(0x21, 0x04);
    pulse(9);
    expect(pic.hasInterrupt()).toBe(false);
    out(0x21, 0x00);
    expect(pic.acknowledge()).toBe(0x29);
  });

  it('answers an INTA with nothing pending with spurious IRQ7 and sets no ISR bit', () => {
    initPc();
    expect(pic.acknowledge()).toBe(0x27);
    expect(readIsr(0x20)).toBe(0);
  });

  it('gives spurious IRQ7 when a level-triggered request drops before INTA', () => {
    initPc(0x01, 0x19); // LTIM
    pic.setIrq(3, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(3, false);
    expect(pic.acknowledge()).toBe(0x27);
    expect(readIsr(0x20)).toBe(0);
  });

  it('gives spurious IRQ15 when the slave request vanishes; master IR2 stays in service', () => {
    initPc();
    out(0xa0, 0x19); // re-init the slave level-triggered
    out(0xa1, 0x28);
    out(0xa1, 0x02);
    out(0xa1, 0x01);
    pic.setIrq(10, true); // master IR2 sees a rising edge and latches it
    pic.setIrq(10, false); // the slave's level request goes away
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2f);
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0);
  });

  it('auto-EOI leaves nothing in service', () => {
    initPc(0x03);
    pulse(5);
    expect(pic.acknowledge()).toBe(0x25);
    expect(readIsr(0x20)).toBe(0);
    pulse(6);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('rotates priority on a rotating EOI and on set-priority', () => {
    initPc();
    pulse(0);
    pic.acknowledge();
    out(0x20, 0xa0); // rotate on non-specific EOI: IR0 becomes lowest
    pulse(0);
    pulse(7);
    expect(pic.acknowledge()).toBe(0x27); // IR1..IR7 now outrank IR0
    out(0x20, 0xe0 | 7); // rotate on specific EOI 7: IR0 highest again
    expect(pic.acknowledge()).toBe(0x20);
    eoi();
    out(0x20, 0xc0 | 3); // set priority: IR3 lowest, IR4 highest
    pulse(2);
    pulse(4);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('polls: the read acknowledges like INTA and returns 0x80 | level, or 0', () => {
    initPc();
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0);
    pulse(6);
    out(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x86);
    expect(readIsr(0x20)).toBe(0x40);
    expect(readIrr(0x20)).toBe(0);
  });

  it('special mask mode lets a lower level in while a masked higher one is in service', () => {
    initPc();
    pulse(1);
    pic.acknowledge();
    pulse(5);
    expect(pic.hasInterrupt()).toBe(false);
    out(0x21, 0x02); // mask IR1 (in service)
    out(0x20, 0x68); // OCW3: set special mask
    expect(pic.acknowledge()).toBe(0x25);
    out(0x20, 0x48); // reset special mask
  });

  it('special fully nested mode lets a higher slave request through while IR2 is in service', () => {
    initPc(0x11); // SFNM + 8086
    pulse(13);
    expect(pic.acknowledge()).toBe(0x2d);
    pulse(9);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x29);
  });

  it('ICW1 resets IMR, ISR and IRR; vector bases come from ICW2 (low 3 bits ignored)', () => {
    initPc();
    out(0x21, 0xff);
    pulse(3);
    out(0x20, 0x11);
    out(0x21, 0x47);
    out(0x21, 0x04);
    out(0x21, 0x01);
    expect(inb(0x21)).toBe(0);
    expect(readIrr(0x20)).toBe(0);
    pulse(1);
    expect(pic.acknowledge()).toBe(0x41);
  });

  it('saves and restores its state as plain JSON', () => {
    initPc();
    pulse(12);
    out(0x21, 0x80);
    const s = JSON.parse(JSON.stringify(pic.saveState()));
    const other = new Pic8259Pair();
    other.loadState(s);
    expect(other.hasInterrupt()).toBe(true);
    expect(other.acknowledge()).toBe(0x2c);
    expect(other.master.imr).toBe(0x80);
  });
});
