// Where the hypervisor gets its processor: the VT-x-capable processor of cpu/api.ts, whose
// VmxProcessor has the shape of vmx-ops.ts VmxOps (cpu/ may not import vmm/; structural typing makes
// it fit, and this assignment is where the compiler checks that it does).
import { createVmxProcessor } from '../cpu/api.js';
import type { HostProcessorFactory } from './run-vm.js';

const factory: HostProcessorFactory = createVmxProcessor;

/** The factory run-vm.ts builds the host with (kept a function: tests and tools may swap in a fake). */
export function hostProcessor(): HostProcessorFactory | null {
  return factory;
}
