// The assembled bare PC: RAM size, port map, firmware state as QEMU + SeaBIOS leave it, the
// PIT -> IRQ0 and COM1 -> IRQ4 wiring through the PIC to the CPU's INTA, debug-exit, port 0x80,
// and save/load determinism.
import { describe, expect, it } from 'vitest';
import { Board, MEM_MIB_DEFAULT } from '../../src/machine/board.js';
import { cycleOfPitTick } from '../../src/machine/devices/pit-timebase.js';

const out = (b: Board, port: number, v: number, size: 1 | 2 | 4 = 1): void => b.bus.write(port, size, v);
const inp = (b: Board, port: number, size: 1 | 2 | 4 = 1): number => b.bus.read(port, size);

/** Remaps the PIC to 0x20/0x28 as kernels do, unmasking everything. */
function remap(b: Board): void {
  for (const [p, v] of [[0x20, 0x11], [0xa0, 0x11], [0x21, 0x20], [0xa1, 0x28], [0x21, 4], [0xa1, 2], [0x21, 1], [0xa1, 1], [0x21, 0], [0xa1, 0]] as const) {
    out(b, p, v);
  }
}

/** Runs the clock to `cycle`, taking every interrupt at its deadline as a CPU with IF=1 would. */
function runTo(b: Board, cycle: number, log: string[]): void {
  while (b.clock.nextDeadline <= cycle) {
    b.clock.advanceTo(b.clock.nextDeadline);
    while (b.interruptController.hasInterrupt()) {
      log.push(`${b.clock.now}:${b.interruptController.acknowledge().toString(16)}`);
      out(b, 0x20, 0x20);
    }
  }
  b.clock.advanceTo(cycle);
}

describe('Board', () => {
  it('has 128 MiB by default and rejects sizes outside 2..3072 MiB', () => {
    expect(new Board().memory.size).toBe(MEM_MIB_DEFAULT * 1024 * 1024);
    expect(new Board({ memMiB: 2 }).memory.size).toBe(2 * 1024 * 1024);
    expect(() => new Board({ memMiB: 1 })).toThrow(RangeError);
    expect(() => new Board({ memMiB: 4096 })).toThrow(/2 to 3072/);
  });

  it('sends COM1 output to the console sink', () => {
    const bytes: number[] = [];
    const b = new Board({ console: (x) => bytes.push(x), memMiB: 2 });
    out(b, 0x3f8, 0x4f);
    out(b, 0x3f8, 0x4b);
    expect(String.fromCharCode(...bytes)).toBe('OK');
    const d = new Board({ memMiB: 2 });
    out(d, 0x3f8, 0x21);
    expect(d.consoleOutput).toEqual([0x21]);
  });

  it('ends on a debug-exit write (any width, any of its 4 ports) and reports the low 8 bits', () => {
    const exits: number[] = [];
    const b = new Board({ onExit: (v) => exits.push(v), memMiB: 2 });
    expect(b.exitRequested).toBe(false);
    expect(inp(b, 0xf4, 4)).toBe(0); // QEMU's debug-exit reads as 0
    out(b, 0xf4, 0x1234, 4);
    expect(b.exitRequested).toBe(true);
    expect(b.exitValue).toBe(0x34);
    out(b, 0xf6, 3, 1);
    expect(exits).toEqual([0x34, 3]);
  });

  it('ignores POST writes to port 0x80 and reads unclaimed ports as all ones (as QEMU)', () => {
    const b = new Board({ memMiB: 2 });
    out(b, 0x80, 0x55);
    expect(b.exitRequested).toBe(false);
    expect(inp(b, 0x80)).toBe(0xff);
    expect(inp(b, 0x2e8)).toBe(0xff);
    expect(inp(b, 0x1234, 4)).toBe(0xffffffff);
  });

  it('starts with the PIC and PIT as SeaBIOS leaves them on QEMU (measured)', () => {
    const b = new Board({ memMiB: 2 });
    expect([inp(b, 0x21), inp(b, 0xa1)]).toEqual([0xb8, 0x8e]);
    out(b, 0x43, 0xe2);
    expect(inp(b, 0x40) & 0x3f).toBe(0x34); // lo/hi, mode 2, binary
    // The BIOS tick: IRQ0 every 65536 PIT ticks at vector 0x08.
    const log: string[] = [];
    runTo(b, 60_000_000, log);
    expect(log).toEqual([`${cycleOfPitTick(1 + 65536)}:8`]);
    expect(new Board({ memMiB: 2, firmwareInit: false }).devices.pic.master.vectorBase).toBe(0);
  });

  it('wires the PIT to IRQ0: a 1 kHz mode-2 timer gives 10 interrupts in 10 ms of virtual time', () => {
    const b = new Board({ memMiB: 2 });
    remap(b);
    out(b, 0x43, 0x34);
    out(b, 0x40, 1193 & 0xff);
    out(b, 0x40, 1193 >> 8);
    const log: string[] = [];
    runTo(b, 10_000_000, log);
    expect(log.map((l) => l.split(':')[1])).toEqual(new Array(10).fill('20'));
    expect(log[0]).toBe(`${cycleOfPitTick(1 + 1193)}:20`);
  });

  it('wires COM1 to IRQ4 (vector base + 4) when IER and OUT2 allow it', () => {
    const b = new Board({ memMiB: 2 });
    remap(b);
    out(b, 0x21, 0xfe ^ 0xff ^ 0x01); // mask only IRQ0 so the PIT stays out of the way
    out(b, 0x3f9, 0x01);
    b.devices.com1.receive([0x41]);
    expect(b.interruptController.hasInterrupt()).toBe(true);
    expect(b.interruptController.acknowledge()).toBe(0x24);
    expect(inp(b, 0x3f8)).toBe(0x41);
  });

  it('is deterministic and resumes identically from a JSON snapshot', () => {
    const setup = (b: Board): void => {
      remap(b);
      out(b, 0x43, 0x36);
      out(b, 0x40, 0x9b);
      out(b, 0x40, 0x2e); // ~100 Hz square wave
    };
    const a = new Board({ memMiB: 2 });
    setup(a);
    const logA: string[] = [];
    runTo(a, 25_000_000, logA);
    const snap = JSON.parse(JSON.stringify(a.saveState()));
    runTo(a, 80_000_000, logA);

    const b = new Board({ memMiB: 2 });
    setup(b);
    const logB: string[] = [];
    runTo(b, 25_000_000, logB);
    const c = new Board({ memMiB: 2 });
    c.loadState(snap);
    runTo(c, 80_000_000, logB);
    expect(logB).toEqual(logA);
    expect(logA.length).toBe(8);
  });
});
