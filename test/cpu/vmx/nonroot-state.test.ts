// Guest and host state across VM exits and entries on the processor (SDM Vol. 3 §27.3.2, §28.3,
// §28.5): what the guest changed is saved in the guest-state area, what the hypervisor writes there
// is what the guest resumes with (whichever fields those are), and root-mode code after an exit runs
// in the host state. Exercises the lazy host-state path of the TypeScript host (vm-exit.ts).
import { describe, expect, it } from 'vitest';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import { SEG_AR } from '../../../src/cpu/vmx/state-formats.js';
import { L, ROOT_DATA, SEL, VmxHarness } from './nonroot-harness.js';

const R = EXIT_REASON;

describe('guest state round trip', () => {
  it('a VM exit saves what the guest changed: a null FS is unusable, ESP, RFLAGS, CR0.TS', () => {
    const h = new VmxHarness().guest('xor eax, eax\nmov fs, ax\npush 0x12\nmov ebx, cr0\nor ebx, 8\nmov cr0, ebx\nstc\ncpuid');
    h.run();
    expect(h.read(VMCS.GUEST_FS_SELECTOR)).toBe(0);
    expect(h.read(VMCS.GUEST_FS_AR_BYTES) & SEG_AR.UNUSABLE).toBe(SEG_AR.UNUSABLE);
    expect(h.read(VMCS.GUEST_RSP)).toBe(L.GUEST_STACK_TOP - 4);
    expect(h.read(VMCS.GUEST_RFLAGS) & 1).toBe(1);
    expect(h.read(VMCS.GUEST_CR0) & 8).toBe(8);
  });

  it('the guest resumes with what the hypervisor wrote: RIP and RFLAGS (re-read), a segment and CR3 (full reload)', () => {
    const h = new VmxHarness().guest('cpuid\nnop\nnop\nmov eax, fs\npushfd\npop ebx\nmov ecx, cr3\ncpuid');
    h.run();
    h.write(VMCS.GUEST_RIP, L.CODE + 4); // skip the NOPs as well
    h.write(VMCS.GUEST_RFLAGS, 0x2 | 0x800); // OF
    h.write(VMCS.GUEST_FS_SELECTOR, 0);
    h.write(VMCS.GUEST_FS_AR_BYTES, SEG_AR.UNUSABLE);
    h.write(VMCS.GUEST_CR3, L.GUEST_PD | 0x8); // PWT: same tables
    expect(h.run().rip).toBe(L.CODE + 11);
    expect(h.gprs[0]! & 0xffff).toBe(0);
    expect(h.gprs[3]! & 0x800).toBe(0x800);
    expect(h.gprs[1]).toBe(L.GUEST_PD | 0x8);
  });

  it('registers the hypervisor leaves alone survive any number of round trips', () => {
    const h = new VmxHarness().guest('mov esi, 5\nl: add edi, esi\ncpuid\njmp l');
    h.gprs[7] = 0;
    for (let i = 0; i < 10; i++) {
      expect(h.run().reason).toBe(R.CPUID);
      h.skip();
    }
    expect(h.gprs[7]).toBe(50);
  });

  it('root-mode code after an exit runs in the host state, and the guest resumes afterwards', () => {
    const h = new VmxHarness().guest('xor eax, eax\nmov fs, ax\ncpuid\nmov ebx, fs\ncpuid');
    h.gprs[3] = -1;
    h.run();
    expect(h.runRoot(`mov eax, cs\nmov [${ROOT_DATA}], eax\nmov eax, esp\nmov [${ROOT_DATA + 4}], eax\nhlt`)).toBe('halted-forever');
    expect(h.mem.read32(ROOT_DATA) & 0xffff).toBe(SEL.CODE);
    expect(h.mem.read32(ROOT_DATA + 4)).toBe(L.HOST_STACK_TOP);
    expect(h.cpu.segSel[4]).toBe(SEL.DATA); // the host's FS
    h.skip();
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.gprs[3]! & 0xffff).toBe(0); // the guest's null FS came back
  });
});
