// The 16550 on COM1 through its ports: output, divisor latch, IIR priority order, THRE and
// receive interrupts, OUT2 gating, loopback, FIFOs and trigger levels, modem status deltas.
import { beforeEach, describe, expect, it } from 'vitest';
import { Uart16550 } from '../../src/machine/devices/uart16550.js';
import { IoBus } from '../../src/machine/io-bus.js';

let uart: Uart16550;
let bus: IoBus;
let sent: number[];
let irq: boolean[];
const B = 0x3f8;
const out = (reg: number, v: number): void => bus.write(B + reg, 1, v);
const inb = (reg: number): number => bus.read(B + reg, 1);
const level = (): boolean => irq.at(-1) ?? false;

beforeEach(() => {
  sent = [];
  irq = [];
  uart = new Uart16550('com1', (l) => irq.push(l), (b) => sent.push(b));
  bus = new IoBus();
  bus.register(uart, B, 8);
});

describe('16550 UART', () => {
  it('powers up as QEMU shows it after the BIOS: IIR 01, LCR 00, MCR 08, LSR 60, MSR b0', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(inb)).toEqual([0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00]);
  });

  it('sends THR bytes to the sink at once; THRE and TEMT stay set', () => {
    for (const c of 'Hi\n') out(0, c.charCodeAt(0));
    expect(String.fromCharCode(...sent)).toBe('Hi\n');
    expect(inb(5) & 0x60).toBe(0x60);
  });

  it('DLAB maps offsets 0/1 to the divisor latch; the scratch register keeps its value', () => {
    out(1, 0x05);
    out(3, 0x83);
    out(0, 0x01);
    out(1, 0x00);
    expect([inb(0), inb(1)]).toEqual([0x01, 0x00]);
    expect(sent).toEqual([]);
    out(3, 0x03);
    expect(inb(1)).toBe(0x05);
    expect(inb(3)).toBe(0x03);
    out(7, 0x5a);
    expect(inb(7)).toBe(0x5a);
  });

  it('THRE interrupt: raised on enable, cleared by reading IIR, raised again by each write', () => {
    out(1, 0x02);
    expect(inb(2)).toBe(0x02);
    expect(level()).toBe(false); // reading IIR acknowledged it
    expect(irq).toEqual([true, false]);
    out(0, 0x41);
    expect(irq).toEqual([true, false, true]); // a fresh edge for the PIC
    expect(inb(2)).toBe(0x02);
    out(1, 0x00);
    expect(inb(2)).toBe(0x01);
  });

  it('received-data interrupt and DR, cleared by reading RBR', () => {
    out(1, 0x01);
    expect(uart.receive([0x61])).toBe(1);
    expect(level()).toBe(true);
    expect(inb(5) & 0x01).toBe(1);
    expect(inb(2)).toBe(0x04);
    expect(inb(0)).toBe(0x61);
    expect(inb(5) & 0x01).toBe(0);
    expect(level()).toBe(false);
  });

  it('reports sources in priority order: line status, data, THRE, modem status', () => {
    out(4, 0x18); // loopback + OUT2
    out(1, 0x0f);
    out(0, 0x31); // loops back into RBR
    out(0, 0x32); // no FIFO: overrun, OE set
    out(4, 0x1b); // loopback, DTR and RTS up: DSR and CTS change -> modem status deltas
    expect(inb(2)).toBe(0x06);
    expect(inb(5) & 0x03).toBe(0x03); // DR + OE, and reading LSR clears OE
    expect(inb(2)).toBe(0x04);
    expect(inb(0)).toBe(0x31);
    expect(inb(2)).toBe(0x02);
    expect(inb(2)).toBe(0x00);
    expect(inb(6) & 0x0f).not.toBe(0);
    expect(inb(2)).toBe(0x01);
  });

  it('OUT2 gates the IRQ as on a PC; loopback keeps it off; IIR still shows the source', () => {
    out(1, 0x01);
    out(4, 0x00);
    uart.receive([1]);
    expect(level()).toBe(false);
    expect(inb(2)).toBe(0x04);
    out(4, 0x08);
    expect(level()).toBe(true);
    out(4, 0x18);
    expect(level()).toBe(false);
  });

  it('loopback: bytes return to RBR instead of the sink; MSR follows MCR', () => {
    out(4, 0x10 | 0x01 | 0x04); // LOOP, DTR, OUT1
    out(0, 0x7e);
    expect(sent).toEqual([]);
    expect(inb(0)).toBe(0x7e);
    const msr = inb(6);
    expect(msr & 0xf0).toBe(0x20 | 0x40); // DSR (from DTR), RI (from OUT1)
    out(4, 0x10); // OUT1 falls: trailing edge of RI
    expect(inb(6) & 0x04).toBe(0x04);
    expect(inb(6) & 0x0f).toBe(0); // deltas clear on read
  });

  it('FIFOs: IIR bits 7:6, 16-byte receiver, trigger levels, character timeout below trigger', () => {
    out(2, 0xc7); // enable, clear, trigger 14
    expect(inb(2)).toBe(0xc1);
    out(1, 0x01);
    expect(uart.rxSpace).toBe(16);
    uart.receive([1, 2, 3]);
    expect(inb(2)).toBe(0xcc);
    expect(uart.receive(new Array(20).fill(9))).toBe(13);
    expect(inb(2)).toBe(0xc4);
    expect(inb(0)).toBe(1);
    out(2, 0x03); // clear RX, trigger 1
    expect(inb(5) & 1).toBe(0);
    out(2, 0x00); // FIFOs off: one byte of holding register
    expect(uart.rxSpace).toBe(1);
    expect(uart.receive([5, 6])).toBe(1);
  });

  it('saves and restores plain JSON state', () => {
    out(2, 0x01);
    out(1, 0x01);
    uart.receive([0x10, 0x20]);
    const s = JSON.parse(JSON.stringify(uart.saveState()));
    const lines: boolean[] = [];
    const u2 = new Uart16550('com1', (l) => lines.push(l), () => {});
    u2.loadState(s);
    expect(lines).toEqual([]); // the saved line level is restored, not re-signalled
    expect(u2.ioRead(0)).toBe(0x10);
    expect(u2.ioRead(0)).toBe(0x20);
    expect(lines).toEqual([false]);
  });
});
