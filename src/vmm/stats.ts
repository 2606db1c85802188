// VM-exit statistics, hvpp-style: exits by basic reason, subdivided by I/O port and direction, MSR
// and direction, CPUID leaf, control register and access type, and hypercall number. Counting is a
// typed-array increment plus, for the subdivided reasons, one Map update (no allocation once a key
// exists). `--stats` prints them; `--stats-json` writes them.
import { CR_ACCESS_TYPE, EXIT_REASON, exitReasonName } from '../cpu/vmx/api.js';
import { HC_NAMES } from './pv-abi.js';
import type { ShadowStats, ShadowStatsJson } from './shadow/stats.js';

/** Basic exit reasons are below 80 (SDM Appendix C); larger values land in the last slot. */
const REASON_SLOTS = 80;
const CR_TYPE_NAMES = ['write', 'read', 'clts', 'lmsw'] as const;

export class VmStats {
  readonly byReason = new Float64Array(REASON_SLOTS);
  total = 0;
  /** Counts per port and direction: index port | 0x10000 for IN (a flat table: the hot case). */
  private readonly portCounts = new Float64Array(0x20000);
  /** Counts of CPUID leaves 0-0xFF (the hot case); other leaves in `cpuidOther`. */
  private readonly leafCounts = new Float64Array(0x100);
  private readonly cpuidOther = new Map<number, number>();
  /** Key: msr * 2 + (1 for WRMSR). */
  readonly msrs = new Map<number, number>();
  /** Key: cr * 4 + access type (CR_ACCESS_TYPE). */
  readonly crs = new Map<number, number>();
  /** Hypercalls 0-63 (the hot case); other numbers in `hypercallOther`. */
  private readonly hypercallCounts = new Float64Array(64);
  private readonly hypercallOther = new Map<number, number>();
  /**
   * Guest instructions the hypervisor carried out instead of the processor (exits resolved by
   * advancing RIP). The processor does not retire an instruction that exits, so a VM run's
   * instruction count is the processor's plus these to compare with a native run.
   */
  emulated = 0;
  /** Port accesses the VM's device models served (an IN/OUT, each INS/OUTS element): cost model. */
  deviceAccesses = 0;
  /** Events injected at VM entry: external interrupts and exceptions. */
  interruptsInjected = 0;
  exceptionsInjected = 0;
  /** Shadow paging's own counters (shadow mode only). */
  shadow: ShadowStats | null = null;

  exit(basicReason: number): void {
    this.total++;
    this.byReason[basicReason < REASON_SLOTS ? basicReason : REASON_SLOTS - 1]!++;
  }

  io(port: number, isIn: boolean): void {
    this.portCounts[port | (isIn ? 0x10000 : 0)]!++;
  }
  msr(index: number, write: boolean): void {
    bump(this.msrs, (index >>> 0) * 2 + (write ? 1 : 0));
  }
  cpuid(leaf: number): void {
    leaf >>>= 0;
    if (leaf < 0x100) this.leafCounts[leaf]!++;
    else bump(this.cpuidOther, leaf);
  }

  /** Exits per port: key port | 0x10000 for IN. */
  get ports(): Map<number, number> {
    return nonZero(this.portCounts);
  }

  /** Exits per CPUID leaf. */
  get cpuidLeaves(): Map<number, number> {
    const m = nonZero(this.leafCounts);
    for (const [k, n] of this.cpuidOther) m.set(k, n);
    return m;
  }
  cr(cr: number, type: number): void {
    bump(this.crs, cr * 4 + type);
  }
  hypercall(nr: number): void {
    nr >>>= 0;
    if (nr < 64) this.hypercallCounts[nr]!++;
    else bump(this.hypercallOther, nr);
  }

  /** Hypercalls by number. */
  get hypercalls(): Map<number, number> {
    const m = nonZero(this.hypercallCounts);
    for (const [k, n] of this.hypercallOther) m.set(k, n);
    return m;
  }

  /** Everything as plain JSON: exits by reason name, each with its sub-keys where it has them. */
  toJson(): StatsJson {
    const exits: Record<string, ExitJson> = {};
    this.byReason.forEach((n, reason) => {
      if (n === 0) return;
      const e: ExitJson = { count: n };
      const sub = this.subKeys(reason);
      if (sub) e.by = sub;
      exits[exitReasonName(reason)] = e;
    });
    const json: StatsJson = { total: this.total, exits, emulated: this.emulated, interruptsInjected: this.interruptsInjected, exceptionsInjected: this.exceptionsInjected };
    if (this.shadow) json.shadow = this.shadow.toJson();
    return json;
  }

  private subKeys(reason: number): Record<string, number> | undefined {
    switch (reason) {
      case EXIT_REASON.IO_INSTRUCTION:
        return named(this.ports, (k) => `${k & 0x10000 ? 'in' : 'out'} 0x${(k & 0xffff).toString(16)}`);
      case EXIT_REASON.MSR_READ:
        return named(this.msrs, (k) => `0x${Math.floor(k / 2).toString(16)}`, (k) => k % 2 === 0);
      case EXIT_REASON.MSR_WRITE:
        return named(this.msrs, (k) => `0x${Math.floor(k / 2).toString(16)}`, (k) => k % 2 === 1);
      case EXIT_REASON.CPUID:
        return named(this.cpuidLeaves, (k) => `0x${k.toString(16)}`);
      case EXIT_REASON.CR_ACCESS:
        return named(this.crs, (k) => {
          const type = k % 4;
          return type === CR_ACCESS_TYPE.CLTS || type === CR_ACCESS_TYPE.LMSW ? CR_TYPE_NAMES[type]! : `cr${Math.floor(k / 4)} ${CR_TYPE_NAMES[type]}`;
        });
      case EXIT_REASON.VMCALL:
        {
          const calls = this.hypercalls;
          return calls.size > 0 ? named(calls, (k) => HC_NAMES[k] ?? `#${k}`) : undefined;
        }
      default:
        return undefined;
    }
  }

  /** Lines for `--stats` on standard error, busiest reason first, sub-keys indented. */
  format(): string[] {
    const lines: string[] = [`VM exits: ${this.total}`];
    const order = [...this.byReason.keys()].filter((r) => this.byReason[r]! > 0).sort((a, b) => this.byReason[b]! - this.byReason[a]! || a - b);
    for (const r of order) {
      lines.push(`  ${exitReasonName(r).padEnd(22)} ${String(this.byReason[r]).padStart(12)}`);
      const sub = this.subKeys(r);
      if (!sub) continue;
      const entries = Object.entries(sub).sort((a, b) => b[1] - a[1]);
      for (const [k, n] of entries) lines.push(`    ${k.padEnd(20)} ${String(n).padStart(12)}`);
    }
    if (this.emulated > 0) lines.push(`  instructions emulated by the hypervisor: ${this.emulated}`);
    if (this.interruptsInjected > 0 || this.exceptionsInjected > 0) {
      lines.push(`  injected: ${this.interruptsInjected} interrupts, ${this.exceptionsInjected} exceptions`);
    }
    if (this.shadow) lines.push(...this.shadow.lines());
    return lines;
  }
}

export interface ExitJson {
  count: number;
  by?: Record<string, number>;
}

export interface StatsJson {
  total: number;
  exits: Record<string, ExitJson>;
  emulated: number;
  interruptsInjected: number;
  exceptionsInjected: number;
  shadow?: ShadowStatsJson;
}

function nonZero(a: Float64Array): Map<number, number> {
  const m = new Map<number, number>();
  a.forEach((n, k) => {
    if (n !== 0) m.set(k, n);
  });
  return m;
}

function bump(m: Map<number, number>, key: number): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function named(m: Map<number, number>, name: (k: number) => string, keep: (k: number) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of m) if (keep(k)) out[name(k)] = n;
  return out;
}
