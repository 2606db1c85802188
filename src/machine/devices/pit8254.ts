// The 8254 PIT: three channels at 0x40-0x42 and the control word at 0x43; channel 0's OUT is IRQ0.
// Each channel is computed from (load tick, count) rather than ticked: reading a counter works out
// the count at the current virtual time, and channel 0 schedules only its next OUT edge on the
// clock. Modes 0, 2, 3 and 4 count as the datasheet says; modes 1 and 5 wait for a gate edge
// that never comes (the gates are tied high, port 0x61 is not modelled). See docs/machine.md.
import type { Clock } from '../clock.js';
import type { PortDevice } from '../io-bus.js';
import type { IrqLine } from '../irq.js';
import { cycleOfPitTick, pitTicksAt } from './pit-timebase.js';
import { PIT_CONTROL_OFFSET, PIT_MAX_COUNT, PIT_MAX_COUNT_BCD, PitCw, PitMode, PitReadBack, PitStatus } from './pit8254-defs.js';

export interface PitChannelState {
  mode: number;
  rw: number;
  bcd: boolean;
  /** The count register as last written (0 means the maximum count). */
  count: number;
  /** The count in use (1..65536, or 1..10000 in BCD). */
  period: number;
  /** The PIT tick at which the counting element was loaded; -1 while no count is loaded. */
  loadTick: number;
  /** Modes 2/3: a count written while counting takes over at this tick (-1: none). */
  pendingTick: number;
  pendingPeriod: number;
  lsbWritten: boolean;
  lsb: number;
  readMsbNext: boolean;
  latched: boolean;
  latchValue: number;
  latchMsbNext: boolean;
  statusLatched: boolean;
  statusValue: number;
}

const fromBcd = (v: number): number =>
  ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
const toBcd = (n: number): number =>
  (Math.floor(n / 1000) % 10) * 0x1000 + (Math.floor(n / 100) % 10) * 0x100 + (Math.floor(n / 10) % 10) * 0x10 + (n % 10);

/** One counter. Pure arithmetic over PIT ticks; the device converts to and from cycles. */
export class PitChannel {
  s: PitChannelState = {
    // QEMU's reset state (hw/timer/i8254_common.c): mode 3, maximum count, counting from power-on.
    mode: PitMode.SQUARE_WAVE,
    rw: PitCw.RW_LATCH,
    bcd: false,
    count: 0,
    period: PIT_MAX_COUNT,
    loadTick: 0,
    pendingTick: -1,
    pendingPeriod: 0,
    lsbWritten: false,
    lsb: 0,
    readMsbNext: false,
    latched: false,
    latchValue: 0,
    latchMsbNext: false,
    statusLatched: false,
    statusValue: 0,
  };

  /** Applies a pending mode 2/3 reload once its tick has come. */
  normalize(t: number): void {
    const s = this.s;
    if (s.pendingTick >= 0 && t >= s.pendingTick) {
      s.loadTick = s.pendingTick;
      s.period = s.pendingPeriod;
      s.pendingTick = -1;
    }
  }

  private loaded(t: number): boolean {
    return this.s.loadTick >= 0 && t >= this.s.loadTick;
  }

  /** Ticks of high output per period in modes 2 and 3 (a count of 1 is illegal there: no edges). */
  private highTicks(): number {
    const n = this.s.period;
    if (n < 2) return n;
    return this.s.mode === PitMode.RATE_GENERATOR ? n - 1 : Math.ceil(n / 2);
  }

  /** OUT after tick `t`. */
  out(t: number): boolean {
    const s = this.s;
    if (!this.loaded(t)) return s.mode !== PitMode.INTERRUPT_ON_TERMINAL_COUNT;
    const k = t - s.loadTick;
    switch (s.mode) {
      case PitMode.INTERRUPT_ON_TERMINAL_COUNT:
        return k >= s.period;
      case PitMode.SW_TRIGGERED_STROBE:
        return k !== s.period;
      case PitMode.RATE_GENERATOR:
      case PitMode.SQUARE_WAVE:
        return k % s.period < this.highTicks();
      default:
        return true; // modes 1 and 5: never triggered
    }
  }

  /** The first tick after `t` at which OUT may change (or a pending reload lands); -1 if none. */
  nextChange(t: number): number {
    const s = this.s;
    let next = -1;
    if (s.loadTick >= 0) {
      if (t < s.loadTick) {
        next = s.loadTick;
      } else {
        const k = t - s.loadTick;
        switch (s.mode) {
          case PitMode.INTERRUPT_ON_TERMINAL_COUNT:
            if (k < s.period) next = s.loadTick + s.period;
            break;
          case PitMode.SW_TRIGGERED_STROBE:
            if (k <= s.period) next = s.loadTick + (k < s.period ? s.period : s.period + 1);
            break;
          case PitMode.RATE_GENERATOR:
          case PitMode.SQUARE_WAVE: {
            const high = this.highTicks();
            if (high === s.period) break;
            const p = k % s.period;
            next = t - p + (p < high ? high : s.period);
            break;
          }
          default:
            break;
        }
      }
    }
    if (s.pendingTick > t && (next < 0 || s.pendingTick < next)) next = s.pendingTick;
    return next;
  }

  /** The counting element's value after tick `t` (as the datasheet's reads show it). */
  counter(t: number): number {
    const s = this.s;
    if (!this.loaded(t)) return s.count;
    const k = t - s.loadTick;
    let v: number;
    switch (s.mode) {
      case PitMode.INTERRUPT_ON_TERMINAL_COUNT:
      case PitMode.SW_TRIGGERED_STROBE: {
        // After terminal count the counter wraps and keeps counting down.
        const wrap = s.bcd ? PIT_MAX_COUNT_BCD : PIT_MAX_COUNT;
        v = (((s.period - k) % wrap) + wrap) % wrap;
        break;
      }
      case PitMode.RATE_GENERATOR:
        v = s.period - (k % s.period);
        break;
      case PitMode.SQUARE_WAVE:
        // Counts down by two each tick, twice per period (QEMU's formula for odd counts).
        v = s.period - ((2 * k) % s.period);
        break;
      default:
        return s.count;
    }
    if (s.bcd) return toBcd(v % PIT_MAX_COUNT_BCD);
    return v & 0xffff;
  }

  status(t: number): number {
    const s = this.s;
    return (
      (this.out(t) ? PitStatus.OUT : 0) |
      (s.loadTick < 0 || t < s.loadTick || s.pendingTick >= 0 ? PitStatus.NULL_COUNT : 0) |
      (s.rw << PitCw.RW_SHIFT) |
      (s.mode << PitCw.MODE_SHIFT) |
      (s.bcd ? PitCw.BCD : 0)
    );
  }

  setMode(cw: number): void {
    const s = this.s;
    s.rw = (cw >> PitCw.RW_SHIFT) & PitCw.RW_MASK;
    let mode = (cw >> PitCw.MODE_SHIFT) & PitCw.MODE_MASK;
    if (mode > PitMode.HW_TRIGGERED_STROBE) mode -= 4; // 6 and 7 are 2 and 3
    s.mode = mode;
    s.bcd = (cw & PitCw.BCD) !== 0;
    s.loadTick = -1;
    s.pendingTick = -1;
    s.lsbWritten = false;
    s.readMsbNext = false;
    s.latched = false;
    s.statusLatched = false;
  }

  latchCount(t: number): void {
    if (this.s.latched) return; // a second latch before the read is ignored
    this.s.latched = true;
    this.s.latchValue = this.counter(t);
    this.s.latchMsbNext = false;
  }

  latchStatus(t: number): void {
    if (this.s.statusLatched) return;
    this.s.statusLatched = true;
    this.s.statusValue = this.status(t);
  }

  read(t: number): number {
    const s = this.s;
    if (s.statusLatched) {
      s.statusLatched = false;
      return s.statusValue;
    }
    if (s.latched) {
      const v = s.latchValue;
      if (s.rw === PitCw.RW_MSB) {
        s.latched = false;
        return v >> 8;
      }
      if (s.rw === PitCw.RW_LSB_MSB && !s.latchMsbNext) {
        s.latchMsbNext = true;
        return v & 0xff;
      }
      s.latched = false;
      return s.rw === PitCw.RW_LSB_MSB ? v >> 8 : v & 0xff;
    }
    const v = this.counter(t);
    if (s.rw === PitCw.RW_MSB) return v >> 8;
    if (s.rw === PitCw.RW_LSB_MSB) {
      s.readMsbNext = !s.readMsbNext;
      return s.readMsbNext ? v & 0xff : v >> 8;
    }
    return v & 0xff;
  }

  /** A byte written to the counter port at tick `t`. */
  write(t: number, v: number): void {
    const s = this.s;
    switch (s.rw) {
      case PitCw.RW_LSB:
        this.load(t, v);
        return;
      case PitCw.RW_MSB:
        this.load(t, v << 8);
        return;
      case PitCw.RW_LSB_MSB:
        if (!s.lsbWritten) {
          s.lsbWritten = true;
          s.lsb = v;
          // Mode 0: writing the first byte stops the count and drives OUT low.
          if (s.mode === PitMode.INTERRUPT_ON_TERMINAL_COUNT) {
            s.loadTick = -1;
            s.pendingTick = -1;
          }
          return;
        }
        s.lsbWritten = false;
        this.load(t, s.lsb | (v << 8));
        return;
      default:
        return; // no access mode programmed yet: the write has nowhere to go
    }
  }

  private load(t: number, value: number): void {
    const s = this.s;
    s.count = value;
    const max = s.bcd ? PIT_MAX_COUNT_BCD : PIT_MAX_COUNT;
    const period = value === 0 ? max : s.bcd ? fromBcd(value) || max : value;
    if ((s.mode === PitMode.RATE_GENERATOR || s.mode === PitMode.SQUARE_WAVE) && this.loaded(t)) {
      // A new count while counting takes effect at the end of the current period (datasheet,
      // mode 2; mode 3 switches at the end of the half-cycle on silicon: documented approximation).
      const k = t - s.loadTick;
      s.pendingTick = t - (k % s.period) + s.period;
      s.pendingPeriod = period;
      return;
    }
    s.period = period;
    s.pendingTick = -1;
    // Modes 1 and 5 wait for a gate trigger (never, here); the others load on the next CLK.
    s.loadTick = s.mode === PitMode.HW_RETRIGGERABLE_ONE_SHOT || s.mode === PitMode.HW_TRIGGERED_STROBE ? -1 : t + 1;
  }
}

export interface Pit8254State {
  channels: PitChannelState[];
  irqLevel: boolean;
}

export class Pit8254 implements PortDevice {
  readonly name = 'pit8254';
  readonly channels = [new PitChannel(), new PitChannel(), new PitChannel()] as const;
  private irqLevel = false;
  private eventId = 0;
  private readonly onEdge = (atCycle: number): void => this.edge(atCycle);

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqLine,
  ) {
    this.update(pitTicksAt(clock.now));
  }

  private tick(): number {
    return pitTicksAt(this.clock.now);
  }

  ioRead(offset: number): number {
    if (offset === PIT_CONTROL_OFFSET) return 0; // the control word is write-only (QEMU reads 0)
    const t = this.tick();
    const ch = this.channels[offset]!;
    ch.normalize(t);
    return ch.read(t);
  }

  ioWrite(offset: number, _size: 1 | 2 | 4, value: number): void {
    value &= 0xff;
    const t = this.tick();
    for (const ch of this.channels) ch.normalize(t);
    if (offset !== PIT_CONTROL_OFFSET) {
      this.channels[offset]!.write(t, value);
    } else {
      const sc = value >> PitCw.SC_SHIFT;
      if (sc === PitCw.SC_READBACK) {
        this.channels.forEach((ch, i) => {
          if ((value & (PitReadBack.CH0 << i)) === 0) return;
          if ((value & PitReadBack.NOT_COUNT) === 0) ch.latchCount(t);
          if ((value & PitReadBack.NOT_STATUS) === 0) ch.latchStatus(t);
        });
      } else if (((value >> PitCw.RW_SHIFT) & PitCw.RW_MASK) === PitCw.RW_LATCH) {
        this.channels[sc]!.latchCount(t);
      } else {
        this.channels[sc]!.setMode(value);
      }
    }
    this.update(t);
  }

  /** Channel 0's OUT at tick `t` onto IRQ0, and its next edge onto the clock. */
  private update(t: number): void {
    const ch = this.channels[0];
    const level = ch.out(t);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
    if (this.eventId !== 0) this.clock.cancel(this.eventId);
    const next = ch.nextChange(t);
    this.eventId = next >= 0 ? this.clock.schedule(cycleOfPitTick(next), this.onEdge) : 0;
  }

  private edge(atCycle: number): void {
    this.eventId = 0;
    const t = pitTicksAt(atCycle);
    for (const ch of this.channels) ch.normalize(t);
    this.update(t);
  }

  saveState(): Pit8254State {
    return { channels: this.channels.map((c) => ({ ...c.s })), irqLevel: this.irqLevel };
  }

  /** Restore the clock first: the next edge is scheduled from its current time. */
  loadState(state: Pit8254State): void {
    state.channels.forEach((c, i) => (this.channels[i]!.s = { ...c }));
    this.irqLevel = state.irqLevel;
    if (this.eventId !== 0) this.clock.cancel(this.eventId);
    this.eventId = 0;
    const t = this.tick();
    for (const ch of this.channels) ch.normalize(t);
    this.update(t);
  }
}
