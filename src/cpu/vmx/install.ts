// Wires VT-x into a processor: the VMX capability MSRs in its MSR table (RDMSR only; WRMSR #GP), the
// VMX instruction handlers, and the VmxController in cpu.vmx (the seams of cpu/hooks.ts).
import type { Cpu } from '../state.js';
import { MSR, VMX_CAPABILITIES, type VmxCapabilities, readVmxCapabilityMsr } from './capabilities.js';
import { VmxController } from './controller.js';
import { installVmxInstructions } from './instruction-handlers.js';

/** Makes `cpu` a VT-x processor. */
export function installVmx(cpu: Cpu, caps: VmxCapabilities = VMX_CAPABILITIES): VmxController {
  const ctl = new VmxController(cpu, caps);
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
