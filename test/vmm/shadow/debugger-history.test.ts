// The debugger's history over a shadow-paging VM (real processor): the shadow MMU's state (its maps,
// reverse map, frames in host memory) is part of what a snapshot restores, so reverse-stepping back
// across hidden faults, emulated page-table writes and CR3 switches and running forward again
// replays the same exits and ends with the guest's golden output.
import { describe, expect, it } from 'vitest';
import { EXIT_REASON } from '../../../src/cpu/vmx/api.js';
import { Debugger } from '../../../src/debugger/core.js';
import { createTarget } from '../../../src/debugger/targets/index.js';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { golden, guestImage } from '../../debugger/helpers.js';

describe.skipIf(hostProcessor() === null)('debugger history in shadow mode (real processor)', () => {
  it('reverse-step over #PF exits of wl-aspace, then forward to the golden end', () => {
    let out = '';
    let dbg: Debugger | null = null;
    const target = createTarget(guestImage('wl-aspace'), { mode: 'shadow', name: 'wl-aspace.elf', memMiB: 32, onConsole: (b) => dbg!.console.write(b) });
    dbg = new Debugger(target, { console: (b) => (out += Buffer.from(b).toString('latin1')), snapshots: { interval: 20_000, maxCount: 64, maxBytes: 1 << 29 } });
    dbg.addBreakpoint({ kind: 'exit', reasons: [EXIT_REASON.EXCEPTION_NMI, EXIT_REASON.CR_ACCESS] });
    const regs: string[] = [];
    for (let n = 0; n < 300; n++) {
      const ev = dbg.continue();
      expect(ev.kind).toBe('vm-exit');
      regs.push(JSON.stringify(dbg.registers()));
    }
    for (let n = 298; n >= 280; n--) {
      const ev = dbg.reverseStep();
      expect(ev.kind).toBe('vm-exit');
      expect(JSON.stringify(dbg.registers())).toBe(regs[n]);
    }
    for (let n = 281; n < 300; n++) {
      dbg.continue();
      expect(JSON.stringify(dbg.registers())).toBe(regs[n]);
    }
    dbg.breakpoints.clear();
    expect(dbg.continue()).toMatchObject({ kind: 'ended', outcome: { kind: 'exit', value: 0 } });
    expect(out).toBe(golden('wl-aspace'));
  });
});
