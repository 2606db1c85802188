// The cost model: its instruction classes, the cycles of known loops (computed from the table, not
// read back from a run), determinism (across runs and across the interpreter and trace tiers),
// page-walk references of the EPT walk, and --cost files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CPU_COSTS, costClassOf } from '../../src/cpu/cost-table.js';
import { EptAccess, EptStatus, EptWalkResult, eptTranslate } from '../../src/cpu/mmu/ept.js';
import { tiers } from '../../src/cpu/run-block.js';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { OPCODES } from '../../src/x86/opcodes.js';
import { CostFileError, DEFAULT_COST_MODEL, costModelFrom, loadCostModel } from '../../src/vmm/cost-model.js';
import { EptTables } from '../../src/vmm/ept/build.js';
import { FrameAllocator, FrameUse } from '../../src/vmm/frames.js';
import { hostProcessor } from '../../src/vmm/host-processor.js';
import { prepareNative } from '../../src/vmm/run-native.js';
import { prepareVm } from '../../src/vmm/run-vm.js';

const ROOT = join(import.meta.dirname, '..', '..');
const img = (g: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', `${g}.elf`)));
const row = (name: string) => {
  const r = OPCODES.find((o) => o.name === name);
  if (!r) throw new Error(`no row ${name}`);
  return r;
};

function nativeCycles(guest: string, cmdline: string, costs = DEFAULT_COST_MODEL): number {
  const r = prepareNative(img(guest), { name: guest, cmdline, costs }).run();
  expect(r.outcome).toEqual({ kind: 'exit', value: 0 });
  return r.cost!.total;
}

/** Cycles per loop iteration: the difference of two run lengths (boot and report cancel; n and 2n
 *  must print with as many digits, or the extra console bytes count too). */
function perIteration(guest: string, n: number, costs = DEFAULT_COST_MODEL): number {
  return (nativeCycles(guest, `iters=${2 * n}`, costs) - nativeCycles(guest, `iters=${n}`, costs)) / n;
}

afterEach(() => {
  tiers.traces = true;
  tiers.hotThreshold = 100000;
});

describe('instruction classes', () => {
  it('put rows where the table says', () => {
    expect(costClassOf(row('add_Ev_Gv'))).toBe('simple');
    expect(costClassOf(row('jnz_Jb'))).toBe('branch');
    expect(costClassOf(row('call_Jz'))).toBe('callReturn');
    expect(costClassOf(row('call_Ap'))).toBe('farTransfer');
    expect(costClassOf(row('jmp_Mp'))).toBe('farTransfer');
    expect(costClassOf(row('div_Ev'))).toBe('divide');
    expect(costClassOf(row('imul_Gv_Ev'))).toBe('multiply');
    expect(costClassOf(row('mov_Cd_Rd'))).toBe('controlRegister');
    expect(costClassOf(row('mov_Sw_Ew'))).toBe('segmentLoad');
    expect(costClassOf(row('mov_Ev_Sw'))).toBe('simple');
    expect(costClassOf(row('pop_DS'))).toBe('segmentLoad');
    expect(costClassOf(row('push_DS'))).toBe('simple');
    expect(costClassOf(row('out_DX_AL'))).toBe('portIo');
    expect(costClassOf(row('cpuid'))).toBe('cpuid');
    expect(costClassOf(row('iret'))).toBe('farTransfer');
  });
});

describe('modelled cycles of known loops', () => {
  it('mips-dec: dec ecx (simple) + jnz (branch) per iteration', () => {
    expect(perIteration('mips-dec', 2000)).toBe(DEFAULT_CPU_COSTS.simple + DEFAULT_CPU_COSTS.branch);
  });

  it('mips-call: call + dec + jnz, and add + ret in the callee', () => {
    const c = DEFAULT_CPU_COSTS;
    expect(perIteration('mips-call', 2000)).toBe(2 * c.callReturn + 2 * c.simple + c.branch);
  });

  it('a --cost override changes exactly the classes it names', () => {
    const m = costModelFrom({ cpu: { simple: 5, branch: 7 } }, 'test');
    expect(perIteration('mips-dec', 2000, m)).toBe(12);
  });
});

describe('determinism', () => {
  it('the same run gives the same cycles, in the interpreter and in traces', () => {
    const guests: [string, string][] = [['cwork', ''], ['wl-ctxsw', 'iters=300'], ['mips-mem', 'iters=300000']];
    const traced = guests.map(([g, c]) => nativeCycles(g, c));
    expect(guests.map(([g, c]) => nativeCycles(g, c))).toEqual(traced);
    tiers.traces = false;
    expect(guests.map(([g, c]) => nativeCycles(g, c))).toEqual(traced);
    tiers.traces = true;
    tiers.hotThreshold = 2;
    expect(guests.map(([g, c]) => nativeCycles(g, c))).toEqual(traced);
  });

  it('a VM run gives the same breakdown twice (ept and shadow)', () => {
    const f = hostProcessor();
    if (f === null) return;
    for (const mode of ['ept', 'shadow'] as const) {
      const run = () => prepareVm(img('wl-aspace'), { name: 'wl-aspace', cmdline: 'iters=20', mode, pv: false }, f).run();
      const a = run();
      const b = run();
      expect(a.outcome).toEqual({ kind: 'exit', value: 0 });
      expect(b.cost).toEqual(a.cost);
      expect(a.cost.transitions).toBe(a.stats.total * (DEFAULT_COST_MODEL.hypervisor.vmExit + DEFAULT_COST_MODEL.hypervisor.vmEntry));
      expect(a.cost.total).toBe(a.cost.guest + a.cost.pageWalks + a.cost.transitions + a.cost.hypervisor);
    }
  });
});

describe('EPT walk references', () => {
  for (const largePages of [false, true]) {
    it(`one walk over ${largePages ? '2 MiB' : '4 KiB'} pages reads ${largePages ? 3 : 4} entries`, () => {
      const mem = new PhysicalMemory(16 * 1024 * 1024);
      const frames = new FrameAllocator(mem.size / 4096, 1);
      const base = frames.alloc(1024, FrameUse.GuestRam, 1, 1024);
      const ept = new EptTables(mem, frames, 1, { largePages, accessedDirty: false });
      ept.map(0, base, 4 * 1024 * 1024);
      const out = new EptWalkResult();
      expect(eptTranslate(mem, ept.eptp, 0x3456, EptAccess.READ, true, out)).toBe(EptStatus.OK);
      expect(out.refs).toBe(largePages ? 3 : 4);
    });
  }
});

describe('--cost files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vtx-cost-'));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('override some parameters and keep the rest', () => {
    const m = loadCostModel(file('ok.json', JSON.stringify({ cpu: { divide: 40 }, hypervisor: { vmExit: 1931, vmEntry: 2409 } })));
    expect(m.cpu.divide).toBe(40);
    expect(m.cpu.simple).toBe(DEFAULT_CPU_COSTS.simple);
    expect(m.hypervisor.vmExit).toBe(1931);
    expect(m.hypervisor.vmcsRead).toBe(DEFAULT_COST_MODEL.hypervisor.vmcsRead);
    expect(m.source).toContain('ok.json');
  });

  it('reject unknown names, bad values and bad files with a specific message', () => {
    expect(() => loadCostModel(file('u.json', '{"cpu": {"simpel": 1}}'))).toThrow(/unknown parameter cpu\.simpel/);
    expect(() => loadCostModel(file('n.json', '{"hypervisor": {"vmExit": -1}}'))).toThrow(/hypervisor\.vmExit must be a number >= 0/);
    expect(() => loadCostModel(file('s.json', '{"gpu": {}}'))).toThrow(/unknown section "gpu"/);
    expect(() => loadCostModel(file('j.json', '{cpu:'))).toThrow(/not JSON/);
    expect(() => loadCostModel(join(dir, 'missing.json'))).toThrow(CostFileError);
  });

  it('the presets in bench/costs load', () => {
    for (const p of ['prescott.json', 'haswell.json']) expect(() => loadCostModel(join(ROOT, 'bench', 'costs', p))).not.toThrow();
  });
});
