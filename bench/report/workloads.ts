// The workloads `npm run bench` runs (guests/README.md), the modes it runs them in, and the run
// lengths. Per-iteration figures are differences between two run lengths (N and 2N), so boot,
// set-up and the final report cancel out exactly for the modelled cycles (kvm-unit-tests' vmexit.c
// and lmbench measure the same way); a macro workload without a length knob is one whole run.

export const MODES = ['native', 'ept', 'shadow', 'ept+pv', 'shadow+pv'] as const;
export type Mode = (typeof MODES)[number];

export interface Workload {
  readonly id: string;
  /** guests/bin/<guest>.elf */
  readonly guest: string;
  /** What one iteration is. */
  readonly unit: string;
  /** The command-line key that sets the number of iterations, or null (one iteration = one run). */
  readonly param: string | null;
  /** N of the full run (the second run is 2N); the quick run uses N / quickDivisor. */
  readonly n: number;
  readonly quickDivisor: number;
  /** Extra command-line words. */
  readonly extra: string;
  readonly kind: 'micro' | 'macro';
  /** What it stands for in the literature. */
  readonly like: string;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'syscall', guest: 'wl-syscall', unit: 'null system call', param: 'iters', n: 10000, quickDivisor: 2, extra: '', kind: 'micro', like: 'lmbench lat_syscall null; A&A "syscall"' },
  { id: 'ctxsw', guest: 'wl-ctxsw', unit: 'yield pair (2 switches)', param: 'iters', n: 5000, quickDivisor: 2, extra: '', kind: 'micro', like: 'lmbench lat_ctx 2 processes' },
  { id: 'pagefault', guest: 'wl-pagefault', unit: 'demand-zero page fault', param: 'iters', n: 2000, quickDivisor: 2, extra: '', kind: 'micro', like: 'lmbench lat_pagefault; A&A "pgfault"' },
  { id: 'aspace', guest: 'wl-aspace', unit: 'address space create/use/destroy', param: 'iters', n: 200, quickDivisor: 2, extra: '', kind: 'micro', like: 'A&A "forkwait"; lmbench lat_proc fork' },
  { id: 'console', guest: 'wl-console', unit: 'console byte', param: 'iters', n: 4096, quickDivisor: 2, extra: '', kind: 'micro', like: 'A&A "in"/"out" (port I/O); Xen console ring' },
  { id: 'compute', guest: 'wl-compute', unit: 'pass over 4 KiB', param: 'iters', n: 100, quickDivisor: 2, extra: '', kind: 'micro', like: 'SPECint-like user code: no exits' },
  { id: 'sched', guest: 'sched', unit: 'scheduler round (3 processes)', param: 'steps', n: 4, quickDivisor: 2, extra: 'quiet', kind: 'macro', like: 'timer-driven multitasking kernel (Xen Fig. 3 OS-heavy mix)' },
  { id: 'cwork', guest: 'cwork', unit: 'whole run (sorts, CRCs, interpreter, sieve, queens)', param: null, n: 1, quickDivisor: 1, extra: '', kind: 'macro', like: 'SPEC INT2000-like C code' },
];

/** The two run lengths of a workload. */
export function sizes(w: Workload, quick: boolean): [number, number] {
  if (w.param === null) return [0, 1];
  const n = Math.max(1, Math.round(w.n / (quick ? w.quickDivisor : 1)));
  return [n, 2 * n];
}

/** The command line for `iterations` (a macro workload without a knob ignores it). */
export function cmdlineFor(w: Workload, iterations: number): string {
  const words: string[] = [];
  if (w.param !== null) words.push(`${w.param}=${iterations}`);
  if (w.extra !== '') words.push(w.extra);
  return words.join(' ');
}
