// Where the hypervisor gets its processor: the VT-x-capable processor of cpu/api.ts (phase 2 of the
// processor, docs/hypervisor.md "For the processor"). Until cpu/api.ts exports it, hostProcessor()
// returns null and the VM modes say so; the lookup by name keeps this file compiling meanwhile.
import * as cpuApi from '../cpu/api.js';
import type { HostProcessorFactory } from './run-vm.js';

/** The factory's name in cpu/api.ts. */
export const HOST_PROCESSOR_EXPORT = 'createVmxProcessor';

export function hostProcessor(): HostProcessorFactory | null {
  const f: unknown = (cpuApi as Record<string, unknown>)[HOST_PROCESSOR_EXPORT];
  return typeof f === 'function' ? (f as HostProcessorFactory) : null;
}
