// The cost model (docs/cost-model.md): its parameters (the processor's table, cpu/cost-table.ts, and
// the hypervisor's below), loading a `--cost FILE` override, the hypervisor's work counters, and
// the modelled cycles of a native or VM run. Modelled cycles are an accounting beside virtual time:
// the same run gives the same cycles on any machine, and they never change what the guest does.
import { readFileSync } from 'node:fs';
import { type CpuCosts, DEFAULT_CPU_COSTS, cpuCostProblems } from '../cpu/api.js';
import type { VmStats } from './stats.js';

/**
 * What the hypervisor's work costs, in cycles of the reference machine (a Core 2-class processor,
 * the second column of Adams & Agesen 2006 Table 1). Sources in docs/cost-model.md.
 */
export interface HypervisorCosts {
  /** The hardware's VM exit: saving guest state, loading host state (A&A 2006 Table 1, Core 2). */
  readonly vmExit: number;
  /** The hardware's VM entry: checks, loading guest state (A&A 2006 Table 1, Core 2). */
  readonly vmEntry: number;
  /** One VMREAD / VMWRITE the hypervisor executes (A&A 2006 Table 1, Core 2). */
  readonly vmcsRead: number;
  readonly vmcsWrite: number;
  /** The exit loop's own software path per exit: saving registers, dispatch, statistics, entry preparation. */
  readonly exitDispatch: number;
  /** Carrying out one guest instruction in software (an exit resolved by advancing RIP): CPUID, MOV CR, IN/OUT... */
  readonly emulatedInstruction: number;
  /** One access to a device model (a port read or write through the VM's bus, each INS/OUTS element). */
  readonly deviceAccess: number;
  /** One software access to guest RAM: guest page-walk entries, PTE updates, buffer bytes. */
  readonly guestMemoryAccess: number;
  /** One INVVPID / INVEPT. */
  readonly tlbInvalidation: number;
  /** One hypercall: dispatch and argument checks (its memory accesses are counted apart). */
  readonly hypercall: number;
  /** Shadow paging: one shadow PTE written from a guest translation (fill or upgrade). */
  readonly shadowFill: number;
  /** Shadow paging: one entry of a direct table (4 MiB guest page, identity map) filled ahead of use. */
  readonly shadowPrefetch: number;
  /** Shadow paging: one write to a write-protected guest page table decoded and emulated. */
  readonly shadowWriteEmulation: number;
  /** Shadow paging: one shadow entry dropped (guest entry changed, INVLPG). */
  readonly shadowZap: number;
  /** Shadow paging: one guest address-space switch (CR3 load, NEW_CR3): root-cache lookup. */
  readonly shadowCr3Switch: number;
  /** Shadow paging: one shadow root built from nothing (a page allocated and cleared). */
  readonly shadowRootBuild: number;
}

export const DEFAULT_HYPERVISOR_COSTS: HypervisorCosts = {
  vmExit: 1186,
  vmEntry: 937,
  vmcsRead: 52,
  vmcsWrite: 44,
  exitDispatch: 150,
  emulatedInstruction: 200,
  deviceAccess: 300,
  guestMemoryAccess: 2,
  tlbInvalidation: 100,
  hypercall: 100,
  shadowFill: 60,
  shadowPrefetch: 4,
  shadowWriteEmulation: 400,
  shadowZap: 30,
  shadowCr3Switch: 150,
  shadowRootBuild: 1000,
};

/** Every parameter of the model. */
export interface CostModel {
  /** Where the numbers come from: "default" or the --cost file's path. */
  readonly source: string;
  readonly cpu: CpuCosts;
  readonly hypervisor: HypervisorCosts;
}

export const DEFAULT_COST_MODEL: CostModel = { source: 'default', cpu: DEFAULT_CPU_COSTS, hypervisor: DEFAULT_HYPERVISOR_COSTS };

/** A --cost file that cannot be used: the message says why (the CLI prints it, status 2). */
export class CostFileError extends Error {}

/**
 * Reads a --cost file: JSON `{ "cpu": {...}, "hypervisor": {...} }` with any subset of the
 * parameters; the rest keep their defaults. Unknown names and non-numbers are errors.
 */
export function loadCostModel(file: string): CostModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CostFileError(`${file}: cannot read the cost file (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CostFileError(`${file}: not JSON (${(e as Error).message})`);
  }
  return costModelFrom(json, file);
}

/** Builds a model from parsed JSON (see loadCostModel). */
export function costModelFrom(json: unknown, source: string): CostModel {
  if (!isRecord(json)) throw new CostFileError(`${source}: expected an object with "cpu" and/or "hypervisor"`);
  const problems: string[] = [];
  for (const k of Object.keys(json)) if (k !== 'cpu' && k !== 'hypervisor' && k !== 'comment') problems.push(`unknown section "${k}" (expected "cpu", "hypervisor")`);
  const cpu = merge('cpu', DEFAULT_CPU_COSTS, json['cpu'], problems);
  const hv = merge('hypervisor', DEFAULT_HYPERVISOR_COSTS, json['hypervisor'], problems);
  problems.push(...cpuCostProblems(cpu));
  if (problems.length > 0) throw new CostFileError(`${source}: ${problems.join('; ')}`);
  return { source, cpu: cpu as unknown as CpuCosts, hypervisor: hv as unknown as HypervisorCosts };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(section: string, defaults: object, over: unknown, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  if (over === undefined) return out;
  if (!isRecord(over)) {
    problems.push(`"${section}" must be an object`);
    return out;
  }
  for (const [k, v] of Object.entries(over)) {
    if (!(k in defaults)) problems.push(`unknown parameter ${section}.${k}`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${section}.${k} must be a number >= 0 (got ${JSON.stringify(v)})`);
    else out[k] = v;
  }
  return out;
}

/** Modelled cycles of a run, by where they went. All integers for the default model. */
export interface CycleBreakdown {
  /** The guest's instructions and events on the processor (cost table), page walks excluded. */
  readonly guest: number;
  /** Page-walk memory references on TLB misses (guest tables, and EPT tables under EPT). */
  readonly pageWalks: number;
  /** VM exit + entry transitions in hardware. */
  readonly transitions: number;
  /** The hypervisor's software: dispatch, VMREAD/VMWRITE, emulation, devices, memory, shadow paging. */
  readonly hypervisor: number;
  readonly total: number;
}

/** What the processor reports (cpu/api.ts counters, or a VmxOps that has them). */
export interface ProcessorCycles {
  /** Modelled cycles including page walks. */
  readonly modelCycles: number;
  readonly walkRefs: number;
}

/** The breakdown of a native run. */
export function nativeCycles(p: ProcessorCycles, model: CostModel): CycleBreakdown {
  const pageWalks = p.walkRefs * model.cpu.walkRef;
  return { guest: p.modelCycles - pageWalks, pageWalks, transitions: 0, hypervisor: 0, total: p.modelCycles };
}

/** The inputs of a VM run's hypervisor charges: its statistics, its guest RAM's access count, and
 *  the VMX instructions the host executed (the processor counts them: VmxOps.vmxCounts). */
export interface VmWorkSource {
  readonly stats: VmStats;
  /** Software accesses the hypervisor made to guest RAM (guest-memory.ts GuestRam.accesses). */
  readonly guestMemoryAccesses: number;
  readonly vmxCounts: { readonly vmread: number; readonly vmwrite: number; readonly invalidate: number };
}

/** Cycles the hypervisor's software spent, charged by what it did. */
export function hypervisorSoftwareCycles(src: VmWorkSource, hv: HypervisorCosts): number {
  const { stats, vmxCounts } = src;
  let c =
    stats.total * hv.exitDispatch +
    vmxCounts.vmread * hv.vmcsRead +
    vmxCounts.vmwrite * hv.vmcsWrite +
    vmxCounts.invalidate * hv.tlbInvalidation +
    stats.emulated * hv.emulatedInstruction +
    stats.deviceAccesses * hv.deviceAccess +
    src.guestMemoryAccesses * hv.guestMemoryAccess;
  for (const n of stats.hypercalls.values()) c += n * hv.hypercall;
  const sh = stats.shadow;
  if (sh !== null) {
    c +=
      sh.fills * hv.shadowFill +
      sh.prefetched * hv.shadowPrefetch +
      sh.emulatedWrites * hv.shadowWriteEmulation +
      sh.zaps * hv.shadowZap +
      sh.cr3Switches * hv.shadowCr3Switch +
      sh.rootMisses * hv.shadowRootBuild;
  }
  return c;
}

/** The breakdown of a VM run: the processor's cycles (the guest in non-root operation) plus the
 *  transitions and the hypervisor's software. */
export function vmCycles(p: ProcessorCycles, src: VmWorkSource, model: CostModel): CycleBreakdown {
  const pageWalks = p.walkRefs * model.cpu.walkRef;
  const transitions = src.stats.total * (model.hypervisor.vmExit + model.hypervisor.vmEntry);
  const hypervisor = hypervisorSoftwareCycles(src, model.hypervisor);
  return { guest: p.modelCycles - pageWalks, pageWalks, transitions, hypervisor, total: p.modelCycles + transitions + hypervisor };
}

/** The `--stats` line for a run's modelled cycles. */
export function formatCycles(b: CycleBreakdown, model: CostModel): string {
  const n = (v: number): string => Math.round(v).toLocaleString('en-US');
  const vm = b.transitions > 0 || b.hypervisor > 0 ? `, VM transitions ${n(b.transitions)}, hypervisor ${n(b.hypervisor)}` : '';
  return `${n(b.total)} modelled cycles (guest ${n(b.guest)}, page walks ${n(b.pageWalks)}${vm}; cost model: ${model.source})`;
}
