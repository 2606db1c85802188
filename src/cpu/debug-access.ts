// The debugger's way past the processor's public API (DESIGN.md: "the debugger is the one part
// allowed to look at everything"): createProcessor registers each processor's internals here. The
// hypervisor may not import this file (test/architecture.test.ts allows vmm/ only cpu/api.ts and
// the VT-x definitions), so the VT-x-only view of the hypervisor is unaffected.
import type { Core } from './run.js';

const INTERNALS = new WeakMap<object, Core>();

/** Called by createProcessor for every processor it builds. */
export function registerProcessorInternals(processor: object, core: Core): void {
  INTERNALS.set(processor, core);
}

/** The run loop (and through `core.cpu`, the architectural state) behind a processor from
 *  createProcessor; undefined for anything else. */
export function processorInternals(processor: object): Core | undefined {
  return INTERNALS.get(processor);
}
