// The shape of bench/results/latest.json (what `npm run bench` measured), shared by the runner,
// the Markdown and SVG writers and the tests.
import type { CostModel } from '../../src/vmm/cost-model.js';
import type { Mode } from './workloads.js';

/** Per-iteration figures of one workload in one mode. */
export interface CellOk {
  readonly status: 'ok';
  /** Iterations the figures are per (the difference of the two run lengths). */
  readonly iterations: number;
  /** Guest instructions retired per iteration (the hypervisor's emulated ones included). */
  readonly instructions: number;
  /** Modelled cycles per iteration, total and by part. Exact for a given cost model. */
  readonly cycles: number;
  readonly guestCycles: number;
  readonly pageWalkCycles: number;
  readonly transitionCycles: number;
  readonly hypervisorCycles: number;
  /** VM exits per iteration, total and by basic reason name. */
  readonly exits: number;
  readonly exitsByReason: Readonly<Record<string, number>>;
  /** Host wall time per iteration in ns: the fastest repeat of the long run over its iterations
   *  (boot included). Measured, not modelled: it varies with the host and its load. */
  readonly wallNs: number;
  /** cycles / native cycles, wallNs / native wallNs (null for native or when native is missing). */
  readonly relCycles: number | null;
  readonly relWall: number | null;
}

export interface CellNa {
  readonly status: 'n/a' | 'failed';
  readonly reason: string;
}

export type Cell = CellOk | CellNa;

export interface WorkloadResult {
  readonly id: string;
  readonly guest: string;
  readonly unit: string;
  readonly kind: 'micro' | 'macro';
  readonly like: string;
  /** The run lengths used (the per-iteration figures are their difference). */
  readonly sizes: readonly [number, number];
  readonly cells: Readonly<Record<Mode, Cell>>;
}

export interface MipsLoop {
  readonly guest: string;
  readonly mips: number;
}

export interface DecoderResult {
  readonly oursMInsnsPerSec: number;
  readonly icedDecodeOutMInsnsPerSec: number;
  readonly icedOperandsMInsnsPerSec: number;
}

export type Optional<T> = { readonly status: 'ok'; readonly value: T } | { readonly status: 'n/a'; readonly reason: string };

export interface BenchResults {
  readonly date: string;
  /** The commit measured (modelled cycles are reproducible exactly at that commit). */
  readonly commit: string;
  readonly node: string;
  readonly host: string;
  readonly quick: boolean;
  readonly repeats: number;
  readonly costModel: CostModel;
  readonly modes: readonly Mode[];
  readonly workloads: readonly WorkloadResult[];
  readonly mips: Optional<readonly MipsLoop[]>;
  readonly decoder: Optional<DecoderResult>;
}
