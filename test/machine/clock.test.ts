// Virtual time: deadline ordering, cancellation, re-arming from callbacks, no host clock.
import { describe, expect, it } from 'vitest';
import { Clock, CPU_HZ } from '../../src/machine/clock.js';

describe('Clock', () => {
  it('is 1 GHz nominal and starts at cycle 0 with nothing pending', () => {
    const c = new Clock();
    expect(CPU_HZ).toBe(1e9);
    expect(c.now).toBe(0);
    expect(c.nextDeadline).toBe(Infinity);
  });

  it('fires events in deadline order, ties in scheduling order, with now at each deadline', () => {
    const c = new Clock();
    const log: string[] = [];
    c.schedule(300, (at) => log.push(`c@${at}/${c.now}`));
    c.schedule(100, (at) => log.push(`a@${at}/${c.now}`));
    c.schedule(200, (at) => log.push(`b1@${at}/${c.now}`));
    c.schedule(200, (at) => log.push(`b2@${at}/${c.now}`));
    expect(c.nextDeadline).toBe(100);
    c.advanceTo(99);
    expect(log).toEqual([]);
    expect(c.now).toBe(99);
    c.advanceTo(250);
    expect(log).toEqual(['a@100/100', 'b1@200/200', 'b2@200/200']);
    expect(c.now).toBe(250);
    expect(c.nextDeadline).toBe(300);
    c.advanceTo(1000);
    expect(log.at(-1)).toBe('c@300/300');
    expect(c.nextDeadline).toBe(Infinity);
    expect(c.now).toBe(1000);
  });

  it('cancels pending events and recomputes the next deadline', () => {
    const c = new Clock();
    const fired: number[] = [];
    const a = c.schedule(10, () => fired.push(10));
    c.schedule(20, () => fired.push(20));
    expect(c.cancel(a)).toBe(true);
    expect(c.cancel(a)).toBe(false);
    expect(c.nextDeadline).toBe(20);
    c.advanceTo(30);
    expect(fired).toEqual([20]);
  });

  it('runs events a callback schedules inside the same advance, and keeps periodic timers exact', () => {
    const c = new Clock();
    const ticks: number[] = [];
    const period = 838;
    const tick = (at: number): void => {
      ticks.push(at);
      c.schedule(at + period, tick);
    };
    c.schedule(period, tick);
    c.advanceTo(10 * period + 5);
    expect(ticks).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * period));
    expect(c.nextDeadline).toBe(11 * period);
  });

  it('never moves backward; a deadline in the past fires on the next advance', () => {
    const c = new Clock();
    c.advanceTo(500);
    c.advanceTo(100);
    expect(c.now).toBe(500);
    let at = -1;
    c.schedule(50, (t) => (at = t));
    expect(c.nextDeadline).toBe(50);
    c.advanceTo(c.now);
    expect(at).toBe(50);
    expect(c.now).toBe(500);
  });

  it('saves the time and, on load, drops pending events', () => {
    const c = new Clock();
    c.schedule(10, () => {});
    c.advanceTo(5);
    const s = c.saveState();
    expect(JSON.parse(JSON.stringify(s))).toEqual({ now: 5 });
    const d = new Clock();
    d.schedule(3, () => {});
    d.loadState(s);
    expect(d.now).toBe(5);
    expect(d.pending).toBe(0);
    expect(d.nextDeadline).toBe(Infinity);
  });
});
