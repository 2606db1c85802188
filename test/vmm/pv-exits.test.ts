// Para-virtualization pays in exits (issue 6): the same image under --pv makes fewer VM exits where
// it replaces trapping hardware accesses with hypercalls: console output (one CONSOLE_WRITE per
// buffer instead of a THR write and LSR polls per byte), the timer (SET_TIMER, BLOCK and EOI instead
// of PIT and PIC port I/O). Under EPT, page-table writes never exit, so the PV MMU path adds exits
// instead (MMU_UPDATE batches): it only pays with shadow paging (issue 5), where it replaces trapped
// page-table writes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_REASON } from '../../src/cpu/vmx/api.js';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { runVm } from '../../src/vmm/run-vm.js';
import { HC } from '../../src/vmm/pv-abi.js';
import { guestRun, readGolden } from '../guests/catalog.js';

const factory = hostProcessor();

function run(id: string, pv: boolean, mode: 'ept' | 'shadow' = 'ept') {
  const g = guestRun(id);
  const out: number[] = [];
  const r = runVm(readFileSync(g.image), { name: g.name, cmdline: g.cmdline, mode, pv, onConsole: (b) => out.push(...b) }, factory!);
  expect(Buffer.from(out).toString('latin1')).toBe(readGolden(g).stdout.toString('latin1'));
  return r.stats;
}

describe.skipIf(factory === null)('PV vs full virtualization, in VM exits (ept)', () => {
  it('console output: one exit per buffer instead of several per byte', () => {
    const full = run('wl-console', false);
    const pv = run('wl-console', true);
    const bytes = readGolden(guestRun('wl-console')).stdout.length;
    expect(full.byReason[EXIT_REASON.IO_INSTRUCTION]!).toBeGreaterThan(2 * bytes);
    expect(pv.hypercalls.get(HC.CONSOLE_WRITE)!).toBeLessThan(bytes / 10);
    expect(pv.total * 10).toBeLessThan(full.total);
  });

  it('timer and idle: SET_TIMER, BLOCK and EOI hypercalls replace PIT and PIC port I/O', () => {
    for (const id of ['sched', 'timer']) {
      const full = run(id, false);
      const pv = run(id, true);
      expect(pv.total).toBeLessThan(full.total);
      expect(pv.byReason[EXIT_REASON.IO_INSTRUCTION]!).toBeLessThan(full.byReason[EXIT_REASON.IO_INSTRUCTION]!);
      expect(pv.hypercalls.get(HC.EOI) ?? 0).toBeGreaterThan(0);
    }
  });

  it('page tables: under EPT the PV MMU path costs exits that plain page-table writes do not', () => {
    const full = run('wl-aspace', false);
    const pv = run('wl-aspace', true);
    expect(full.byReason[EXIT_REASON.VMCALL]).toBe(0);
    expect(pv.hypercalls.get(HC.MMU_UPDATE)!).toBeGreaterThan(0);
    expect(pv.total).toBeGreaterThan(full.total);
  });

  it('page tables under shadow paging: MMU_UPDATE batches save the write-protection exits', () => {
    const full = run('wl-aspace', false, 'shadow');
    const pv = run('wl-aspace', true, 'shadow');
    expect(pv.hypercalls.get(HC.MMU_UPDATE)!).toBeGreaterThan(0);
    // Each batch replaces several trapped PTE writes (and the fills they cause) with one exit.
    expect(pv.total).toBeLessThan(full.total);
    expect(pv.shadow!.toJson().emulatedWrites).toBeLessThan(full.shadow!.toJson().emulatedWrites);
  });
});
