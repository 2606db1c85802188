// The processor's VT-x interface for the TypeScript hypervisor (cpu/api.ts createVmxProcessor) is the
// one src/vmm programs against (vmm/vmx-ops.ts VmxOps), and vmm/host-processor.ts finds it.
import { describe, expect, it } from 'vitest';
import { createVmxProcessor } from '../../../src/cpu/api.js';
import { GUEST_PAUSED } from '../../../src/cpu/vmx/host-ops.js';
import { MSR } from '../../../src/cpu/vmx/capabilities.js';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import type { HostProcessorFactory } from '../../../src/vmm/run-vm.js';
import { EntryResult } from '../../../src/vmm/vmx-ops.js';
import { VmxHarness } from './nonroot-harness.js';

describe('createVmxProcessor as the hypervisor\'s processor', () => {
  it('has the shape of VmxOps (checked by the compiler) and is what host-processor.ts returns', () => {
    const factory: HostProcessorFactory = createVmxProcessor;
    expect(hostProcessor()).toBe(factory);
    expect(GUEST_PAUSED).toBe(EntryResult.PAUSED);
  });

  it('answers RDMSR of the capability MSRs; absent ones (#GP) are undefined', () => {
    const h = new VmxHarness();
    expect(h.ops.readMsr(MSR.IA32_VMX_BASIC)).toEqual({ lo: 0x56540001, hi: 0x00d91000 });
    expect(h.ops.readMsr(MSR.IA32_FEATURE_CONTROL)).toEqual({ lo: 5, hi: 0 });
    expect(h.ops.readMsr(MSR.IA32_VMX_VMFUNC)).toBeUndefined();
  });

  it('pauses a guest in non-root at its budget and continues it without a VM entry', () => {
    const h = new VmxHarness().guest('l: inc ebx\njmp l');
    h.gprs[3] = 0;
    expect(h.enter(100)).toBe(GUEST_PAUSED);
    expect(h.ops.pauseReason).toEqual({ kind: 'budget' });
    expect(h.cpu.nonRoot).toBe(true);
    h.ops.pauseAt = h.ops.instructionsRetired + 100;
    expect(h.ops.continueGuest()).toBe(GUEST_PAUSED);
    expect(h.cpu.regs[3]).toBe(100);
  });

  it('hltUntil moves the host\'s virtual time (HLT with the timer armed)', () => {
    const h = new VmxHarness();
    const t = h.ops.rdtsc();
    h.ops.hltUntil(t + 5000);
    expect(h.ops.rdtsc()).toBe(t + 5000);
  });
});
