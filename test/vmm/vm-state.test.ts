// A VM's software state (hypervisor, devices, clock, PV timer) saves and restores as plain JSON:
// what the debugger's history needs beside host memory and the processor.
import { describe, expect, it } from 'vitest';
import { CR_ACCESS_TYPE, EXIT_REASON, VMCS } from '../../src/cpu/vmx/api.js';
import { crAccessQualification } from '../../src/cpu/vmx/qualification.js';
import { HC } from '../../src/vmm/pv-abi.js';
import { makeVm } from './harness.js';

describe('VM state', () => {
  it('round-trips through JSON and brings back the vCPU, the devices and the PV timer', () => {
    const t = makeVm({ pv: true });
    t.run(
      { reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_TO_CR, 0), length: 3, before: (f) => (f.gprs[0] = 0x7000) },
      { reason: EXIT_REASON.VMCALL, length: 3, before: (f) => { f.gprs[0] = HC.SET_TIMER; f.gprs[3] = 500; } },
    );
    const saved = JSON.parse(JSON.stringify(t.vm.saveState()));
    expect(saved.pvTimerAt).toBe(500_000);
    // move on: another CR3, the timer cancelled, a device written
    t.run(
      { reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_TO_CR, 0), length: 3, before: (f) => (f.gprs[0] = 0x9000) },
      { reason: EXIT_REASON.VMCALL, length: 3, before: (f) => { f.gprs[0] = HC.SET_TIMER; f.gprs[3] = 0; } },
    );
    t.vm.bus.write(0x21, 1, 0xff);
    expect(t.vm.vcpu.cr3Virtual).toBe(0x9000);
    expect(t.vm.saveState().pvTimerAt).toBeNull();
    t.vm.loadState(saved);
    expect(t.vm.vcpu.cr3Virtual).toBe(0x7000);
    expect(t.vm.bus.read(0x21, 1)).toBe(0xb8);
    expect(t.vm.saveState().pvTimerAt).toBe(500_000);
    expect(JSON.parse(JSON.stringify(t.vm.saveState()))).toEqual(saved);
    expect(t.fake.field(VMCS.GUEST_CR3)).toBe(t.vm.identityMapGpa);
  });
});
