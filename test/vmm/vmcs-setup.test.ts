import { describe, expect, it } from 'vitest';
import { CPU_BASED, CR0, CR4, EXIT_REASON, PIN_BASED, SECONDARY_EXEC, VMCS } from '../../src/cpu/vmx/api.js';
import { FrameUse } from '../../src/vmm/frames.js';
import { RunStatus } from '../../src/vmm/exit-loop.js';
import { guestRip, makeVm } from './harness.js';

describe('initial VMCS', () => {
  it('passes the processor\'s real VM-entry checks and launches', () => {
    const t = makeVm();
    expect(t.run()).toBe(RunStatus.PAUSED); // no scripted exit: the fake pauses after a good entry
    expect(t.fake.lastEntryRule).toBe('');
    expect(t.fake.entries).toHaveLength(1);
    expect(t.fake.entries[0]!.launch).toBe(true);
    // EAX = Multiboot magic, EBX = info block, as the loader left them
    expect(t.fake.entries[0]!.gprs[0]! >>> 0).toBe(0x2badb002);
    expect(t.fake.entries[0]!.gprs[3]).toBe(0x9500);
  });

  it('programs the controls a KVM-style EPT hypervisor needs', () => {
    const t = makeVm();
    const f = (e: number) => t.fake.field(e);
    expect(f(VMCS.PIN_BASED_VM_EXEC_CONTROL) & (PIN_BASED.EXT_INTR_MASK | PIN_BASED.VMX_PREEMPTION_TIMER)).toBe(PIN_BASED.EXT_INTR_MASK | PIN_BASED.VMX_PREEMPTION_TIMER);
    const proc = f(VMCS.CPU_BASED_VM_EXEC_CONTROL);
    for (const b of [CPU_BASED.HLT_EXITING, CPU_BASED.USE_IO_BITMAPS, CPU_BASED.USE_MSR_BITMAPS, CPU_BASED.CR3_LOAD_EXITING, CPU_BASED.CR3_STORE_EXITING]) {
      expect(proc & b).toBe(b);
    }
    expect(proc & (CPU_BASED.RDTSC_EXITING | CPU_BASED.INVLPG_EXITING | CPU_BASED.UNCOND_IO_EXITING)).toBe(0);
    expect(f(VMCS.SECONDARY_VM_EXEC_CONTROL)).toBe(SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.ENABLE_VPID);
    expect(f(VMCS.VIRTUAL_PROCESSOR_ID)).toBe(1);
    expect(f(VMCS.EXCEPTION_BITMAP)).toBe(0);
  });

  it('starts the guest at its entry with paging on over the identity map, showing it CR0 = 0x11', () => {
    const t = makeVm();
    const f = (e: number) => t.fake.field(e);
    expect(guestRip(t)).toBe(t.vm.kernel.state.eip);
    expect((f(VMCS.GUEST_CR0) & (CR0.PE | CR0.NE | CR0.PG)) >>> 0).toBe((CR0.PE | CR0.NE | CR0.PG) >>> 0);
    expect(f(VMCS.CR0_READ_SHADOW)).toBe(0x11);
    expect(f(VMCS.CR0_GUEST_HOST_MASK)).toBe((CR0.PE | CR0.NE | CR0.PG) >>> 0);
    expect(f(VMCS.GUEST_CR3)).toBe(t.vm.identityMapGpa);
    expect(f(VMCS.GUEST_CR4)).toBe(CR4.PSE | CR4.VMXE);
    expect(f(VMCS.CR4_READ_SHADOW)).toBe(0);
    // the identity map: GPA just above RAM, PDE i maps 4 MiB page i
    expect(t.vm.identityMapGpa).toBe(t.vm.ram.size);
    expect(t.mem.read32(t.vm.identityMapHpa + 4 * 3) >>> 0).toBe((3 << 22 | 0xe7) >>> 0);
    expect(t.vm.host.frames.useOf(t.vm.identityMapHpa)).toBe(FrameUse.IdentityMap);
  });

  it('loads the host state the processor returns to at every exit', () => {
    const t = makeVm();
    const h = t.vm.host.layout;
    expect(t.fake.field(VMCS.HOST_RIP)).toBe(h.exitEntry);
    expect(t.fake.field(VMCS.HOST_CR3)).toBe(h.pageDirectory);
    expect(t.fake.field(VMCS.HOST_TR_BASE)).toBe(h.tss);
    // the exit entry holds UD2s: no host instruction is ever meant to run there
    expect(t.mem.read16(h.exitEntry)).toBe(0x0b0f);
  });

  it('lets only port 0x80 and the SYSENTER MSRs through the bitmaps', () => {
    const t = makeVm();
    const a = t.fake.field(VMCS.IO_BITMAP_A);
    const b = t.fake.field(VMCS.IO_BITMAP_B);
    const bit = (base: number, n: number) => (t.mem.read8(base + (n >>> 3)) >>> (n & 7)) & 1;
    expect(bit(a, 0x80)).toBe(0);
    expect(bit(a, 0x3f8)).toBe(1);
    expect(bit(a, 0x7fff)).toBe(1);
    expect(bit(b, 0)).toBe(1); // port 0x8000
    expect(bit(b, 0x7fff)).toBe(1); // port 0xffff
    const m = t.fake.field(VMCS.MSR_BITMAP);
    expect(bit(m, 0x174)).toBe(0); // read IA32_SYSENTER_CS
    expect(bit(m, 0x800 * 8 + 0x176)).toBe(0); // write IA32_SYSENTER_EIP
    expect(bit(m, 0x10)).toBe(1); // read IA32_TSC
    expect(bit(m, 0x800 * 8 + 0x10)).toBe(1);
  });

  it('resumes (not relaunches) after the first exit', () => {
    const t = makeVm();
    t.run({ reason: EXIT_REASON.PREEMPTION_TIMER });
    expect(t.fake.entries.map((e) => e.launch)).toEqual([true, false]);
  });
});
