// The report writer: per-iteration differencing, figures relative to native, the Markdown table
// (n/a cells say why) and the SVG chart (one bar per measured VM mode, log scale around 1x).
import { describe, expect, it } from 'vitest';
import { type LengthRuns, cellFrom, median, nothing, relativeTo } from '../../bench/report/cells.js';
import { fmtFactor, fmtNum, renderMarkdown } from '../../bench/report/markdown.js';
import type { RunFigures } from '../../bench/report/measure.js';
import type { BenchResults, Cell, CellOk } from '../../bench/report/schema.js';
import { renderSvg } from '../../bench/report/svg.js';
import { MODES, type Mode } from '../../bench/report/workloads.js';
import { DEFAULT_COST_MODEL } from '../../src/vmm/cost-model.js';

function figures(total: number, exits: Record<string, number>, wallMs: number): RunFigures {
  const n = Object.values(exits).reduce((a, b) => a + b, 0);
  return { kind: 'ran', output: '', exitValue: 0, instructions: total / 2, cost: { guest: total - 100 * n, pageWalks: 0, transitions: 100 * n, hypervisor: 0, total }, exitsByReason: exits, exits: n, wallMs };
}

function runs(iterations: number, f: RunFigures, walls: number[]): LengthRuns {
  return { iterations, first: f, wallMs: walls };
}

describe('cells', () => {
  it('difference two run lengths per iteration', () => {
    const c = cellFrom(runs(100, figures(10_000, { HLT: 3 }, 2), [2, 5, 3]), runs(200, figures(30_000, { HLT: 3, CPUID: 100 }, 4), [4, 9, 5]));
    expect(c.iterations).toBe(100);
    expect(c.cycles).toBe(200);
    expect(c.instructions).toBe(100);
    expect(c.exits).toBe(1);
    expect(c.exitsByReason).toEqual({ CPUID: 1 });
    expect(c.transitionCycles).toBe(100);
    expect(c.wallNs).toBeCloseTo((4 / 200) * 1e6);
  });

  it('a whole-run macro workload is its one run', () => {
    const c = cellFrom(nothing(), runs(1, figures(777, {}, 10), [10]));
    expect(c.cycles).toBe(777);
    expect(c.wallNs).toBe(10e6);
  });

  it('relative figures divide by native', () => {
    const n = cellFrom(nothing(), runs(1, figures(400, {}, 1), [1]));
    const v = relativeTo(cellFrom(nothing(), runs(1, figures(1000, {}, 3), [3])), n);
    expect(v.relCycles).toBe(2.5);
    expect(v.relWall).toBe(3);
  });

  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

function results(): BenchResults {
  const ok = (cycles: number, rel: number | null): CellOk => ({
    status: 'ok', iterations: 10, instructions: 5, cycles, guestCycles: cycles, pageWalkCycles: 0, transitionCycles: 0, hypervisorCycles: 0,
    exits: rel === null ? 0 : 2, exitsByReason: rel === null ? {} : { IO_INSTRUCTION: 2 }, wallNs: 1000, relCycles: rel, relWall: rel,
  });
  const cells = (vals: Partial<Record<Mode, Cell>>): Record<Mode, Cell> => {
    const out = {} as Record<Mode, Cell>;
    for (const m of MODES) out[m] = vals[m] ?? { status: 'n/a', reason: 'shadow paging is not built | yet' };
    return out;
  };
  return {
    date: '2026-01-02T03:04:05.000Z', commit: 'abc1234', node: 'v20', host: 'test', quick: true, repeats: 1, costModel: DEFAULT_COST_MODEL, modes: MODES,
    workloads: [
      { id: 'console', guest: 'wl-console', unit: 'byte', kind: 'micro', like: 'x', sizes: [10, 20], cells: cells({ native: ok(4000, null), ept: ok(6000, 1.5), 'ept+pv': ok(80, 0.02) }) },
      { id: 'ctxsw', guest: 'wl-ctxsw', unit: 'switch', kind: 'micro', like: 'y', sizes: [10, 20], cells: cells({ native: ok(1000, null), ept: ok(3000, 3), 'ept+pv': { status: 'failed', reason: 'console output differs from native' } }) },
    ],
    mips: { status: 'ok', value: [{ guest: 'mips-dec', mips: 400 }] },
    decoder: { status: 'n/a', reason: 'no corpus' },
  };
}

describe('Markdown', () => {
  it('has the summary table with factors, and says why a cell is missing', () => {
    const md = renderMarkdown(results());
    expect(md).toContain('| workload | unit | native | ept | shadow | ept+pv | shadow+pv |');
    expect(md).toContain('| console | byte | 4,000 | 6,000 (1.50×) | n/a | 80 (0.02×) | n/a |');
    expect(md).toContain('| ctxsw | switch | 1,000 | 3,000 (3.00×) | n/a | failed | n/a |');
    expect(md).toContain('n/a: shadow paging is not built \\| yet');
    expect(md).toContain('failed: console output differs from native');
    expect(md).toContain('IO_INSTRUCTION 2');
    expect(md).toContain('| mips-dec | 400.0 |');
    expect(md).toContain('n/a: no corpus');
  });

  it('formats numbers', () => {
    expect(fmtNum(1234567.4)).toBe('1,234,567');
    expect(fmtNum(12.345)).toBe('12.3');
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(0.0005)).toBe('0.00050');
    expect(fmtFactor(12.34)).toBe('12.3×');
    expect(fmtFactor(0.456)).toBe('0.46×');
    expect(fmtFactor(null)).toBe('');
  });
});

describe('SVG', () => {
  it('draws one bar per measured VM mode, on a log scale spanning every factor and 1x', () => {
    const svg = renderSvg(results());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const bars = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(bars).toEqual(['console ept: 1.50× native', 'console ept+pv: 0.02× native', 'ctxsw ept: 3.00× native']);
    expect(svg).toContain('>0.01×<');
    expect(svg).toContain('>10×<');
    // Every element that opens is closed (a cheap well-formedness check).
    expect((svg.match(/<text/g) ?? []).length).toBe((svg.match(/<\/text>/g) ?? []).length);
  });
});
