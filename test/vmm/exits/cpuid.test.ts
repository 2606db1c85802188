import { describe, expect, it } from 'vitest';
import { EXIT_REASON } from '../../../src/cpu/vmx/api.js';
import { cpuidLeaf } from '../../../src/cpu/cpuid.js';
import { guestRip, makeVm } from '../harness.js';
import type { FakeVmx } from '../fake-vmx.js';

const VMX = 1 << 5;
const HYPERVISOR = 1 << 31;

function cpuidExit(leaf: number) {
  return { reason: EXIT_REASON.CPUID, length: 2, before: (f: FakeVmx) => (f.gprs[0] = leaf) };
}

/** "VTXV", "MM-P", "V-01" as little-endian register values. */
const sig = (s: string) => [...s].reduce((v, c, i) => v | (c.charCodeAt(0) << (8 * i)), 0);

describe('CPUID exits', () => {
  it('answer from the processor with VMX hidden and no hypervisor bit without --pv', () => {
    const t = makeVm();
    const rip = guestRip(t);
    t.run(cpuidExit(1));
    const host = new Int32Array(4);
    cpuidLeaf(1, host);
    const r = t.vm.vcpu.regs;
    expect(r[0]).toBe(host[0]); // EAX: signature
    expect(r[1]! & VMX).toBe(0); // ECX.VMX cleared
    expect(host[2]! & VMX).toBe(VMX); // ...although the processor has it
    expect(r[1]! & HYPERVISOR).toBe(0);
    expect(r[2]).toBe(host[3]); // EDX features untouched
    expect(guestRip(t)).toBe(rip + 2); // CPUID is 0F A2: RIP moved past it
    expect(t.vm.stats.cpuidLeaves.get(1)).toBe(1);
  });

  it('out-of-range leaves (0x40000000 without --pv) give the highest basic leaf, VMX hidden too', () => {
    const t = makeVm();
    t.run(cpuidExit(0x40000000));
    const r = t.vm.vcpu.regs;
    expect(r[3]).not.toBe(sig('VTXV'));
    expect(r[1]! & VMX).toBe(0);
  });

  it('with --pv: hypervisor bit, the signature leaf and the feature leaf', () => {
    const t = makeVm({ pv: true });
    t.run(cpuidExit(1));
    expect(t.vm.vcpu.regs[1]! & HYPERVISOR).toBe(HYPERVISOR);
    expect(t.vm.vcpu.regs[1]! & VMX).toBe(0);
    t.run(cpuidExit(0x40000000));
    const r = t.vm.vcpu.regs;
    expect([r[0], r[3], r[1], r[2]]).toEqual([0x40000001, sig('VTXV'), sig('MM-P'), sig('V-01')]);
    t.run(cpuidExit(0x40000001));
    expect(t.vm.vcpu.regs[0]).toBe(0x3f);
  });
});
