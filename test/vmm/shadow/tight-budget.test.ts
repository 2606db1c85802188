// Real guests under shadow paging with a tiny shadow budget (real processor): roots evicted, page
// tables dropped and everything rebuilt from faults again and again, yet every guest still prints its
// golden output and exits with its golden status.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { runVm } from '../../../src/vmm/run-vm.js';
import { guestRun, readGolden } from '../../guests/catalog.js';

const factory = hostProcessor();

describe.skipIf(factory === null)('shadow paging on a tight budget (real processor)', () => {
  it.each(['sched', 'wl-aspace', 'wl-ctxsw', 'wl-pagefault', 'paging', 'rings', 'pv-abi'])('%s', (id) => {
    const g = guestRun(id);
    const golden = readGolden(g);
    const out: number[] = [];
    const r = runVm(
      new Uint8Array(readFileSync(g.image)),
      { name: `${g.name}.elf`, cmdline: g.cmdline, mode: 'shadow', pv: false, shadowLimits: { maxPages: 5, maxRoots: 2 }, onConsole: (b) => out.push(...b) },
      factory!,
    );
    expect(Buffer.from(out).toString('latin1')).toBe(golden.stdout.toString('latin1'));
    expect(r.outcome).toEqual({ kind: 'exit', value: golden.status });
    const s = r.stats.shadow!;
    expect(s.peakPages).toBeLessThanOrEqual(5);
    expect(s.staleOnReuse).toBe(0);
    // Three processes' address spaces round-robin over two roots: the cache keeps evicting.
    if (id === 'sched') expect(s.rootEvictions).toBeGreaterThan(10);
    if (id === 'wl-ctxsw') expect(s.rootEvictions).toBeGreaterThan(0);
  });
});
