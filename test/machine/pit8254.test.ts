// The 8254 through its ports on a virtual clock: exact tick/cycle conversion, OUT edges on IRQ0
// in modes 0, 2, 3 and 4, access modes, latches, read-back, BCD, reprogramming while counting.
import { beforeEach, describe, expect, it } from 'vitest';
import { Clock } from '../../src/machine/clock.js';
import { cycleOfPitTick, pitTicksAt } from '../../src/machine/devices/pit-timebase.js';
import { Pit8254 } from '../../src/machine/devices/pit8254.js';
import { IoBus } from '../../src/machine/io-bus.js';

/** Reference conversions in BigInt: tick k at ceil(k * 1e9 / 1193182). */
const refCycle = (k: number): number => {
  const x = BigInt(k) * 1_000_000_000n;
  return Number((x + 1_193_181n) / 1_193_182n);
};
const refTicks = (c: number): number => Number((BigInt(c) * 1_193_182n) / 1_000_000_000n);

let clock: Clock;
let pit: Pit8254;
let bus: IoBus;
let edges: { cycle: number; level: boolean }[];
const out = (port: number, v: number): void => bus.write(port, 1, v);
const inb = (port: number): number => bus.read(port, 1);
const at = (cycle: number): void => clock.advanceTo(cycle);
const rising = (): number[] => edges.filter((e) => e.level).map((e) => e.cycle);

beforeEach(() => {
  clock = new Clock();
  edges = [];
  pit = new Pit8254(clock, (level) => edges.push({ cycle: clock.now, level }));
  bus = new IoBus();
  bus.register(pit, 0x40, 4);
  edges = [];
});

describe('PIT timebase', () => {
  it('converts ticks to cycles exactly (BigInt reference), without drift over hours', () => {
    for (const k of [0, 1, 2, 3, 596591, 1193181, 1193182, 1193183, 10 ** 7, 123456789, 4 * 3600 * 1193182 + 77]) {
      expect(cycleOfPitTick(k)).toBe(refCycle(k));
      expect(pitTicksAt(cycleOfPitTick(k))).toBe(k);
      if (k > 0) expect(pitTicksAt(cycleOfPitTick(k) - 1)).toBe(k - 1);
    }
    for (const c of [0, 837, 838, 839, 999_999_999, 1e9, 3.6e12 + 12345, 2 ** 52]) expect(pitTicksAt(c)).toBe(refTicks(c));
    expect(cycleOfPitTick(1193182)).toBe(1e9); // one second of PIT ticks is one second of cycles
  });

  it('spaces ticks 838 or 839 cycles apart', () => {
    for (let k = 1; k < 5000; k++) expect([838, 839]).toContain(cycleOfPitTick(k) - cycleOfPitTick(k - 1));
  });
});

describe('8254 modes', () => {
  it('mode 2 (rate generator): a rising edge on IRQ0 every N ticks, at exact cycles', () => {
    at(5000);
    out(0x43, 0x34); // ch0, lo/hi, mode 2, binary
    out(0x40, 1193 & 0xff);
    out(0x40, 1193 >> 8);
    const load = pitTicksAt(5000) + 1;
    at(1e9);
    const r = rising();
    expect(r.slice(0, 3)).toEqual([1, 2, 3].map((j) => refCycle(load + j * 1193)));
    expect(r.length).toBe(Math.floor((refTicks(1e9) - load) / 1193));
    // Each pulse is low for exactly one tick before its rising edge.
    const falls = edges.filter((e) => !e.level).map((e) => e.cycle);
    expect(falls[0]).toBe(refCycle(load + 1192));
  });

  it('mode 2 with count 0 means 65536 (BIOS default 18.2 Hz)', () => {
    out(0x43, 0x34);
    out(0x40, 0);
    out(0x40, 0);
    at(1e9);
    expect(rising().length).toBe(18);
    expect(rising()[0]).toBe(refCycle(1 + 65536));
  });

  it('mode 3 (square wave): high for ceil(N/2) ticks, low for floor(N/2), odd N', () => {
    out(0x43, 0x36);
    out(0x40, 5);
    out(0x40, 0);
    at(refCycle(40));
    const levels = edges.map((e) => `${e.level ? 'H' : 'L'}@${refTicks(e.cycle)}`);
    // Loaded at tick 1: falls at 1+3, rises at 1+5, falls at 1+8, ...
    expect(levels.slice(0, 5)).toEqual(['L@4', 'H@6', 'L@9', 'H@11', 'L@14']);
  });

  it('mode 3 counter reads count down by two, twice per period', () => {
    out(0x43, 0x36);
    out(0x40, 10);
    out(0x40, 0);
    const reads: number[] = [];
    for (let t = 1; t <= 11; t++) {
      at(refCycle(t));
      out(0x43, 0x00); // latch ch0
      reads.push(inb(0x40) | (inb(0x40) << 8));
    }
    expect(reads).toEqual([10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10]);
  });

  it('mode 0: OUT low from the control word, high N+1 ticks after the count write, and stays', () => {
    edges = [];
    out(0x43, 0x30);
    expect(edges).toEqual([{ cycle: 0, level: false }]); // reset mode 3 had OUT high
    out(0x40, 100);
    out(0x40, 0);
    at(refCycle(100));
    expect(rising()).toEqual([]);
    at(refCycle(101));
    expect(rising()).toEqual([refCycle(101)]);
    expect(clock.pending).toBe(0); // nothing left to schedule: one shot
    // The counter wraps and keeps counting down after terminal count.
    at(refCycle(103));
    out(0x43, 0x00);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(0xfffe);
  });

  it('mode 0: a new count (first byte) drops OUT and re-arms it, as one-shot timers rely on', () => {
    out(0x43, 0x30);
    out(0x40, 10);
    out(0x40, 0);
    at(refCycle(20));
    expect(rising().length).toBe(1);
    out(0x40, 10); // LSB: stops counting, OUT low
    expect(edges.at(-1)!.level).toBe(false);
    at(refCycle(30));
    expect(rising().length).toBe(1);
    out(0x40, 0); // MSB: loads on the next tick
    at(refCycle(50));
    expect(rising()).toEqual([refCycle(11), refCycle(30 + 1 + 10)]);
  });

  it('mode 4 (software strobe): one tick low when the count expires', () => {
    out(0x43, 0x38);
    out(0x40, 7);
    out(0x40, 0);
    at(refCycle(30));
    expect(edges.map((e) => `${e.level ? 'H' : 'L'}@${refTicks(e.cycle)}`)).toEqual(['L@8', 'H@9']);
  });

  it('modes 1 and 5 wait for a gate edge that never comes: no counting, OUT high', () => {
    out(0x43, 0x32);
    out(0x40, 5);
    out(0x40, 0);
    at(refCycle(100));
    expect(edges.filter((e) => !e.level)).toEqual([]);
    out(0x43, 0xe2); // read-back status ch0
    expect(inb(0x40)).toBe(0x80 | 0x40 | 0x30 | 0x02); // OUT, null count, lo/hi, mode 1
  });

  it('a new mode 2 count written while counting takes over at the end of the period', () => {
    out(0x43, 0x34);
    out(0x40, 100);
    out(0x40, 0);
    at(refCycle(150)); // loaded at 1: period boundaries at 101, 201, ...
    out(0x40, 10);
    out(0x40, 0);
    at(refCycle(240));
    expect(rising().map(refTicks)).toEqual([101, 201, 211, 221, 231]);
  });
});

describe('8254 access', () => {
  it('lobyte and hibyte access modes', () => {
    out(0x43, 0x14); // ch0, LSB only, mode 2
    out(0x40, 50);
    at(refCycle(1 + 20));
    expect(inb(0x40)).toBe(30);
    out(0x43, 0x24); // MSB only
    out(0x40, 0x01); // count 0x100
    at(refCycle(21 + 1 + 0x80));
    expect(inb(0x40)).toBe(0x00); // 0x80 left: MSB is 0
  });

  it('counter latch freezes the value until it is read, lo then hi', () => {
    out(0x43, 0x34);
    out(0x40, 0x00);
    out(0x40, 0x10); // 0x1000
    at(refCycle(1 + 0x10));
    out(0x43, 0x00);
    at(refCycle(1 + 0x100));
    out(0x43, 0x00); // a second latch before reading is ignored
    expect(inb(0x40)).toBe(0xf0);
    expect(inb(0x40)).toBe(0x0f);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(0x1000 - 0x100); // live again
  });

  it('read-back latches status and count of several channels; status reads first', () => {
    out(0x43, 0x34);
    out(0x40, 0x34);
    out(0x40, 0x12);
    out(0x43, 0xb6); // ch2 lo/hi mode 3
    out(0x42, 0x00);
    out(0x42, 0x01);
    // Before the load tick the count is "null".
    out(0x43, 0xea); // read-back: status only (COUNT bit set), ch0 and ch2
    expect(inb(0x40)).toBe(0x40 | 0x80 | 0x34);
    expect(inb(0x42)).toBe(0x40 | 0x80 | 0x36);
    at(refCycle(3));
    out(0x43, 0xc2); // status and count of ch0
    expect(inb(0x40)).toBe(0x80 | 0x34);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(0x1234 - 2);
    expect(inb(0x43)).toBe(0);
  });

  it('BCD counting: count 0x0100 is one hundred ticks, reads back in BCD', () => {
    out(0x43, 0x35); // mode 2, BCD
    out(0x40, 0x00);
    out(0x40, 0x01);
    at(refCycle(1 + 37));
    out(0x43, 0x00);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(0x63);
    at(refCycle(1000));
    expect(rising().map(refTicks).slice(0, 2)).toEqual([101, 201]);
  });

  it('saves and restores plain JSON state; edges continue on the restored clock', () => {
    out(0x43, 0x34);
    out(0x40, 100);
    out(0x40, 0);
    at(refCycle(150));
    const saved = { clock: clock.saveState(), pit: JSON.parse(JSON.stringify(pit.saveState())) };
    const c2 = new Clock();
    c2.loadState(saved.clock);
    const e2: number[] = [];
    const p2 = new Pit8254(c2, (l) => l && e2.push(pitTicksAt(c2.now)));
    p2.loadState(saved.pit);
    e2.length = 0; // drop the power-on edge of the fresh device
    c2.advanceTo(refCycle(400));
    expect(e2).toEqual([201, 301]);
  });
});
