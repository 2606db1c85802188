// The history building blocks: frame-sharing memory images and in-place object-graph capture.
import { describe, expect, it } from 'vitest';
import { MemoryImager, restoreImage } from '../../src/debugger/history/memory-image.js';
import { captureState, restoreState } from '../../src/debugger/history/object-state.js';

describe('memory images', () => {
  it('share unchanged frames, copy changed ones, and restore exactly', () => {
    const mem = new Uint8Array(64 * 4096);
    const imager = new MemoryImager();
    const a = imager.take(mem);
    expect(a.newBytes).toBe(0); // all zero
    mem[5 * 4096 + 7] = 1;
    mem[40 * 4096] = 2;
    const b = imager.take(mem);
    expect(b.newBytes).toBe(2 * 4096);
    expect(b.frames[0]).toBe(a.frames[0]);
    mem[40 * 4096] = 3;
    const c = imager.take(mem);
    expect(c.newBytes).toBe(4096);
    expect(c.frames[5]).toBe(b.frames[5]); // shared with the previous image
    mem.fill(9);
    expect(restoreImage(mem, b).length).toBe(64);
    expect(mem[5 * 4096 + 7]).toBe(1);
    expect(mem[40 * 4096]).toBe(2);
    expect(mem.reduce((n, x) => n + x, 0)).toBe(3);
    restoreImage(mem, c);
    expect(mem[40 * 4096]).toBe(3);
  });
});

describe('object-state capture', () => {
  it('restores primitives, typed arrays, arrays, maps and sets in place, keeping identities', () => {
    const shared = { n: 1 };
    const fn = (): number => 42;
    const o = {
      a: 1,
      s: 'x',
      t: new Int32Array([1, 2, 3]),
      list: [shared, { m: 2 }],
      map: new Map<number, { v: number }>([[1, { v: 1 }]]),
      set: new Set([1, 2]),
      child: shared,
      f: fn,
      skipped: { big: 1 },
    } as Record<string, unknown> & { list: { m?: number; n?: number }[]; map: Map<number, { v: number }>; set: Set<number>; t: Int32Array; skipped: { big: number } };
    const state = captureState(o, { skip: new Set([o.skipped]), skipBuffers: new Set() });
    const list = o.list;
    const t = o.t;
    o['a'] = 2;
    o['s'] = 'y';
    o.t[1] = 99;
    o.list.push({ m: 3 });
    shared.n = 5;
    o.map.get(1)!.v = 7;
    o.map.set(2, { v: 2 });
    o.set.add(3);
    o.skipped.big = 2;
    o['extra'] = true;
    restoreState(state);
    expect(o['a']).toBe(1);
    expect(o['s']).toBe('x');
    expect(o.t).toBe(t);
    expect(Array.from(o.t)).toEqual([1, 2, 3]);
    expect(o.list).toBe(list);
    expect(o.list.length).toBe(2);
    expect(shared.n).toBe(1);
    expect(o['child']).toBe(shared);
    expect([...o.map.keys()]).toEqual([1]);
    expect(o.map.get(1)!.v).toBe(1);
    expect([...o.set]).toEqual([1, 2]);
    expect(o['f']).toBe(fn);
    expect(o.skipped.big).toBe(2); // skipped objects are left alone
    expect('extra' in o).toBe(false);
  });
});
