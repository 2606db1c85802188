// Wires VT-x into a processor: the VMX capability MSRs in its MSR table (RDMSR only; WRMSR #GP), the
// VMX instruction handlers, and the VmxController in cpu.vmx (the seams of cpu/hooks.ts).
import type { Cpu } from '../state.js';
import { MSR, VMX_CAPABILITIES, type VmxCapabilities, readVmxCapabilityMsr } from './capabilities.js';
import { VmxController, type VmxClock } from './controller.js';
import { installVmxInstructions } from './instruction-handlers.js';

/** Makes `cpu` a VT-x processor. `clock` schedules the preemption timer and MTF (null: neither). */
export function installVmx(cpu: Cpu, clock: VmxClock | null, caps: VmxCapabilities = VMX_CAPABILITIES): VmxController {
  const ctl = new VmxController(cpu, clock, caps);
  for (const index of Object.values(MSR)) {
    const value = readVmxCapabilityMsr(index, caps);
    if (value === undefined) continue;
    cpu.msrs.define(index, (_c, out) => {
      out.lo = value.lo >>> 0;
      out.hi = value.hi >>> 0;
    });
  }
  installVmxInstructions(cpu, ctl);
  cpu.vmx = ctl;
  return ctl;
}

/** The clock's scheduling half, when it has one (machine/clock.ts Clock does). */
export function schedulingClock(clock: object): VmxClock | null {
  const c = clock as Partial<VmxClock>;
  return typeof c.schedule === 'function' && typeof c.cancel === 'function' ? (clock as VmxClock) : null;
}
