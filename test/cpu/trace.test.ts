// The trace tier (hot block chains compiled to JS) must be invisible: self-modifying code inside a
// hot loop, a fault in the middle of a trace, an interrupt deadline inside a trace, and the same
// program with traces off give the same architectural results.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tiers } from '../../src/cpu/run-block.js';
import { HOT_THRESHOLD, traceStats } from '../../src/cpu/trace.js';
import { CODE, machine } from './harness.js';

beforeEach(() => {
  tiers.hotThreshold = 50;
});

afterEach(() => {
  tiers.traces = true;
  tiers.hotThreshold = HOT_THRESHOLD;
});

describe('traces', () => {
  it('a hot loop that patches its own body sees the patch on the next iteration', () => {
    // add ebx, 1 becomes add ebx, 100 at iteration 150 of 300
    const m = machine(
      'mov ecx, 300\nl: cmp ecx, 150\njne p\nmov byte [p + 2], 100\np: add ebx, 1\ndec ecx\njnz l\nhlt',
    );
    const before = traceStats.compiled;
    m.run(1_000_000);
    expect(m.cpu.regs[3]).toBe(150 * 1 + 150 * 100);
    expect(traceStats.compiled).toBeGreaterThan(before);
  });

  it('a fault in the middle of a compiled loop reports the right EIP and keeps earlier results', () => {
    // The loop walks ESI down through memory; at ESI = 0x3ff000 - 4 the next page is beyond 4 MiB
    // of RAM... use a #GP from a segment limit instead: ES limit 0xfff, EDI grows past it.
    const m = machine(`mov ax, 0x48\nmov es, ax\nxor edi, edi\nl: mov [es:edi], edi\nadd edi, 4\ninc ebx\njmp l`);
    m.run(1_000_000);
    expect(m.lastVector()).toBe(13);
    expect(m.frame(1)).toBe(CODE + 4 + 2 + 2);
    expect(m.cpu.regs[7]).toBe(0x1000);
    expect(m.cpu.regs[3]).toBe(0x400);
    expect(m.mem.read32(0xffc)).toBe(0xffc);
  });

  it('a device deadline inside a hot loop is honoured at the exact instruction', () => {
    const run = (traces: boolean): number[] => {
      tiers.traces = traces;
      const m = machine('sti\nl: inc ebx\nadd esi, ebx\njmp l');
      m.clock.schedule(12_345, () => {
        m.pic.vector = 0x20;
      });
      m.run(1_000_000);
      return [m.lastVector(), m.cpu.regs[3]!, m.cpu.regs[6]!, m.frame(0), m.clock.now];
    };
    const interp = run(false);
    const traced = run(true);
    expect(traced).toEqual(interp);
    expect(interp[0]).toBe(0x20);
  });

  it('the instruction budget is exact with traces', () => {
    for (const budget of [1, 2, 3, 1000, 12_347]) {
      const m = machine('l: inc ebx\ninc esi\njmp l');
      m.run(budget);
      expect(m.cpu.icount).toBe(budget);
      // inc ebx, inc esi, jmp: after b instructions EBX = ceil(b/3), ESI = floor((b+1)/3)
      expect([m.cpu.regs[3], m.cpu.regs[6]]).toEqual([Math.ceil(budget / 3), Math.floor((budget + 1) / 3)]);
    }
  });
});
