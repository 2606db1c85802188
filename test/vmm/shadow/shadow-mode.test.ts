// The shadow paging mode's VT-x side, with made-up exits on the fake VT-x double (test/vmm/
// fake-vmx.ts, a real VMCS and the real entry checks): controls, CR0/CR4 masks and shadows, the
// virtual CR3, the #PF filter for CR0.WP, hidden faults vs injected ones (with CR2), a fault during
// event delivery (#PF then #DF, an interrupt replaced), INVLPG, MTF single-step windows, and the
// MMU_UPDATE hypercall reaching the shadow MMU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CPU_BASED, CR0, CR4, CR_ACCESS_TYPE, EXIT_REASON, INTR_INFO, INTR_TYPE, INVVPID_TYPE, SECONDARY_EXEC, VMCS, intrInfo } from '../../../src/cpu/vmx/api.js';
import { crAccessQualification } from '../../../src/cpu/vmx/qualification.js';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { runVcpu } from '../../../src/vmm/exit-loop.js';
import { FrameAllocator, FrameUse } from '../../../src/vmm/frames.js';
import { buildHostState, enterVmxRoot, hostMemoryBytes } from '../../../src/vmm/host.js';
import { SHADOW_CR0_MASK, type ShadowPagingMode } from '../../../src/vmm/paging/shadow-mode.js';
import { HC, MMU_CMD } from '../../../src/vmm/pv-abi.js';
import { Vm } from '../../../src/vmm/vm.js';
import { GUESTS_DIR } from '../../guests/catalog.js';
import { FakeVmx, type ScriptedExit } from '../fake-vmx.js';

const EAX = 0;
const P = 1, RW = 2, US = 4, A = 0x20, PS = 0x80;
const PD = 0x10000;
const PT = 0x11000;

function makeShadowVm(pv = false) {
  const memMiB = 8;
  const mem = new PhysicalMemory(hostMemoryBytes(memMiB * 1024 * 1024, 64 * 2 * 4096));
  const frames = new FrameAllocator(mem.size / 4096, 1);
  const fake = new FakeVmx(mem);
  const host = enterVmxRoot(fake, mem, frames, buildHostState(mem, frames));
  const image = readFileSync(join(GUESTS_DIR, 'bin', 'hello.elf'));
  const vm = new Vm(host, { id: 1, memMiB, mode: 'shadow', pv, console: () => {}, name: 'test.elf', shadowLimits: { maxPages: 64, maxRoots: 4 } }, image);
  const paging = vm.vcpu.paging as ShadowPagingMode;
  return {
    fake,
    vm,
    paging,
    field: (f: number) => fake.field(f),
    run: (...exits: ScriptedExit[]) => {
      fake.script.push(...exits);
      return runVcpu(vm.vcpu);
    },
  };
}
type T = ReturnType<typeof makeShadowVm>;

const movToCr = (cr: number, value: number): ScriptedExit => ({
  reason: EXIT_REASON.CR_ACCESS,
  qualification: crAccessQualification(cr, CR_ACCESS_TYPE.MOV_TO_CR, EAX),
  length: 3,
  before: (f) => (f.gprs[EAX] = value),
});
const movFromCr3: ScriptedExit = { reason: EXIT_REASON.CR_ACCESS, qualification: crAccessQualification(3, CR_ACCESS_TYPE.MOV_FROM_CR, EAX), length: 3 };
const pageFault = (linear: number, pfec: number, idtVectoring = 0, idtError = 0): ScriptedExit => ({
  reason: EXIT_REASON.EXCEPTION_NMI,
  qualification: linear,
  intrInfo: intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true),
  intrError: pfec,
  idtVectoring,
  idtError,
});
const lastEntry = (t: T) => t.fake.entries[t.fake.entries.length - 1]!;
const guestCr0 = (t: T) => ((t.field(VMCS.GUEST_CR0) & ~t.field(VMCS.CR0_GUEST_HOST_MASK)) | (t.field(VMCS.CR0_READ_SHADOW) & t.field(VMCS.CR0_GUEST_HOST_MASK))) >>> 0;

/** Paging on over a PD mapping 0-4 MiB with 4 MiB page 0 and 4-8 MiB through PT (empty). */
function pagingOn(t: T, wp = true): void {
  t.vm.ram.write32(PD, 0 | P | RW | PS);
  t.vm.ram.write32(PD + 4, PT | P | RW | US);
  t.run(movToCr(4, CR4.PSE), movToCr(3, PD), movToCr(0, (0x80000011 | (wp ? CR0.WP : 0)) >>> 0));
}

describe('shadow paging mode on the fake VT-x', () => {
  it('starts with EPT off, CR3/INVLPG exiting, #PF exiting, PE/NE/PG/WP owned, the identity root loaded', () => {
    const t = makeShadowVm();
    expect(t.field(VMCS.SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC.ENABLE_EPT).toBe(0);
    const proc = t.field(VMCS.CPU_BASED_VM_EXEC_CONTROL);
    for (const c of [CPU_BASED.CR3_LOAD_EXITING, CPU_BASED.CR3_STORE_EXITING, CPU_BASED.INVLPG_EXITING]) expect(proc & c).toBe(c);
    expect(t.field(VMCS.CR0_GUEST_HOST_MASK)).toBe(SHADOW_CR0_MASK);
    expect((t.field(VMCS.GUEST_CR0) & (CR0.PG | CR0.WP | CR0.NE | CR0.PE)) >>> 0).toBe((CR0.PG | CR0.WP | CR0.NE | CR0.PE) >>> 0);
    expect(guestCr0(t)).toBe(0x11);
    // Guest CR0.WP = 0: every #PF exits (bit 14 set, mask = match = 0).
    expect(t.field(VMCS.EXCEPTION_BITMAP) & (1 << 14)).toBe(1 << 14);
    expect(t.field(VMCS.PAGE_FAULT_ERROR_CODE_MASK)).toBe(0);
    const root = t.field(VMCS.GUEST_CR3);
    expect(t.vm.host.frames.useOf(root)).toBe(FrameUse.ShadowTable);
    expect(t.paging.mmu.current!.hpa).toBe(root);
  });

  it('keeps the guest\'s CR3 virtual: MOV from CR3 returns exactly what it loaded', () => {
    const t = makeShadowVm();
    const identity = t.field(VMCS.GUEST_CR3);
    t.run(movToCr(3, 0x12345018), movFromCr3);
    expect(t.vm.vcpu.regs[EAX]).toBe(0x12345018);
    expect(t.field(VMCS.GUEST_CR3)).toBe(identity); // paging off: still the identity root
    pagingOn(t);
    t.run(movFromCr3);
    expect(t.vm.vcpu.regs[EAX]).toBe(PD);
    expect(t.paging.mmu.current!.gfn).toBe(PD >>> 12); // a root for the guest's directory (maybe in the same frame)
    expect(t.paging.mmu.current!.hpa).toBe(t.field(VMCS.GUEST_CR3));
    expect(identity).toBeGreaterThan(0);
    expect(t.vm.host.frames.useOf(t.field(VMCS.GUEST_CR3))).toBe(FrameUse.ShadowTable);
    expect(guestCr0(t)).toBe((0x80000011 | CR0.WP) >>> 0);
    expect(t.paging.stats.cr3Switches).toBe(3);
  });

  it('with CR0.WP = 1 only P|U faults bypass the hypervisor (bit 14 clear, mask 0x1f, match 5)', () => {
    const t = makeShadowVm();
    pagingOn(t);
    expect(t.field(VMCS.EXCEPTION_BITMAP) & (1 << 14)).toBe(0);
    expect(t.field(VMCS.PAGE_FAULT_ERROR_CODE_MASK)).toBe(0x1f);
    expect(t.field(VMCS.PAGE_FAULT_ERROR_CODE_MATCH)).toBe(5);
    t.run(movToCr(0, 0x80000011)); // WP off again
    expect(t.field(VMCS.EXCEPTION_BITMAP) & (1 << 14)).toBe(1 << 14);
    expect(t.field(VMCS.PAGE_FAULT_ERROR_CODE_MASK)).toBe(0);
    expect(t.paging.stats.resets).toBe(3); // CR4.PSE on, WP on, WP off
  });

  it('a hidden fault resumes at the same instruction; a guest fault is injected with its code and CR2', () => {
    const t = makeShadowVm();
    pagingOn(t);
    const rip = t.field(VMCS.GUEST_RIP);
    t.run(pageFault(0x1234, 0));
    expect(t.field(VMCS.GUEST_RIP)).toBe(rip);
    expect(lastEntry(t).intrInfo & INTR_INFO.VALID).toBe(0);
    expect(t.paging.stats.hiddenFaults).toBe(1);
    t.run(pageFault(0x400abc, 4 | 2)); // user write, PTE 0 not present
    expect(lastEntry(t).intrInfo).toBe(intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true));
    expect(lastEntry(t).errorCode).toBe(6);
    expect(t.fake.cr2).toBe(0x400abc);
    expect(t.vm.ram.read32(PD + 4) & A).toBe(A); // as the processor: the PDE was used
  });

  it('a guest #PF during delivery of a #PF becomes #DF; during an interrupt\'s delivery it replaces it', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.fake.cr2 = 0x400000;
    t.run(pageFault(0x400ff8, 2, intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true), 0));
    expect(lastEntry(t).intrInfo).toBe(intrInfo(8, INTR_TYPE.HARD_EXCEPTION, true));
    expect(lastEntry(t).errorCode).toBe(0);
    expect(t.fake.cr2).toBe(0x400ff8);
    t.run(pageFault(0x401000, 2, intrInfo(0x20, INTR_TYPE.EXT_INTR, false)));
    expect(lastEntry(t).intrInfo).toBe(intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true));
    expect(lastEntry(t).errorCode).toBe(2);
  });

  it('a hidden fault during an interrupt\'s delivery re-injects the interrupt', () => {
    const t = makeShadowVm();
    pagingOn(t);
    // (An external interrupt is being delivered, so the guest had RFLAGS.IF = 1.)
    t.run({ ...pageFault(0x3000, 2, intrInfo(0x20, INTR_TYPE.EXT_INTR, false)), before: (f) => f.setGuest(VMCS.GUEST_RFLAGS, 0x202) });
    expect(t.vm.stop).toBeNull();
    expect(t.paging.stats.hiddenFaults).toBe(1);
    expect(lastEntry(t).intrInfo).toBe(intrInfo(0x20, INTR_TYPE.EXT_INTR, false));
  });

  it('a #DF whose delivery faults is a triple fault: the VM stops', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.run(pageFault(0x400000, 0, intrInfo(8, INTR_TYPE.HARD_EXCEPTION, true)));
    expect(t.vm.stop?.kind).toBe('triple-fault');
  });

  it('INVLPG exits flush that address from the VPID; a 4 MiB page flushes the context', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.fake.invalidations.length = 0;
    t.run({ reason: EXIT_REASON.INVLPG, qualification: 0x401000, length: 3 });
    expect(t.fake.invalidations).toEqual([{ kind: 'invvpid', type: INVVPID_TYPE.INDIVIDUAL_ADDRESS, a: 1, b: 0x401000 }]);
    t.fake.invalidations.length = 0;
    t.run({ reason: EXIT_REASON.INVLPG, qualification: 0x1000, length: 3 });
    expect(t.fake.invalidations).toEqual([{ kind: 'invvpid', type: INVVPID_TYPE.SINGLE_CONTEXT, a: 1, b: 0 }]);
  });

  it('a write to a page table it cannot emulate is single-stepped under MTF, then resynced', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.vm.ram.write32(PT, 0x200000 | P | RW);
    t.run(pageFault(0x400000, 0)); // shadows PT
    // The guest's instruction bytes at RIP decode to something the emulator does not handle (HLT).
    const rip = t.field(VMCS.GUEST_RIP);
    t.vm.ram.write8(rip, 0xf4);
    t.run(pageFault(PT, 2 | 1));
    expect(t.paging.stats.singleSteps).toBe(1);
    expect(t.field(VMCS.CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED.MONITOR_TRAP_FLAG).toBe(CPU_BASED.MONITOR_TRAP_FLAG);
    expect(t.paging.mmu.windows).toBe(1);
    // The processor runs the write; the MTF exit follows.
    t.run({ reason: EXIT_REASON.MONITOR_TRAP_FLAG, before: () => t.vm.ram.write32(PT, 0x300000 | P | RW) });
    expect(t.field(VMCS.CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED.MONITOR_TRAP_FLAG).toBe(0);
    expect(t.paging.mmu.windows).toBe(0);
    expect(t.paging.stats.zaps).toBe(1);
    expect(t.vm.stop).toBeNull();
  });

  it('an emulated MOV to a page table advances RIP by the decoded length', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.vm.ram.write32(PT, 0x200000 | P | RW);
    t.run(pageFault(0x400000, 0));
    const rip = t.field(VMCS.GUEST_RIP);
    // mov dword [ecx], eax (89 01) with ECX = PT, EAX = new PTE
    t.vm.ram.write8(rip, 0x89);
    t.vm.ram.write8(rip + 1, 0x01);
    t.run({ ...pageFault(PT, 2 | 1), before: (f) => { f.gprs[1] = PT; f.gprs[0] = 0x300000 | P | RW; } });
    expect(t.field(VMCS.GUEST_RIP)).toBe(rip + 2);
    expect(t.vm.ram.read32(PT) >>> 0).toBe((0x300000 | P | RW) >>> 0);
    expect(t.paging.stats.emulatedWrites).toBe(1);
    expect(t.paging.stats.zaps).toBe(1);
  });

  it('MMU_UPDATE writes reach the shadow MMU (shadow + pv)', () => {
    const t = makeShadowVm(true);
    pagingOn(t);
    t.vm.ram.write32(PT, 0x200000 | P | RW);
    t.run(pageFault(0x400000, 0));
    // One request {PT | PT_UPDATE, new PTE} at guest address 0x3000 (identity mapped by PDE 0).
    t.vm.ram.write32(0x3000, (PT | MMU_CMD.PT_UPDATE) >>> 0);
    t.vm.ram.write32(0x3004, 0x300000 | P | RW);
    t.run({ reason: EXIT_REASON.VMCALL, length: 3, before: (f) => { f.gprs[0] = HC.MMU_UPDATE; f.gprs[3] = 0x3000; f.gprs[1] = 1; } });
    expect(t.vm.vcpu.regs[EAX]).toBe(1);
    expect(t.paging.stats.zaps).toBe(1);
  });
});

describe('the VM\'s saved state in shadow mode', () => {
  it('carries the shadow MMU (plain JSON) and restores it', () => {
    const t = makeShadowVm();
    pagingOn(t);
    t.run(pageFault(0x1234, 0));
    const saved = JSON.parse(JSON.stringify(t.vm.saveState()));
    expect(saved.paging.pages.filter((p: { inUse: boolean }) => p.inUse)).toHaveLength(2);
    const current = t.paging.mmu.current!.slot;
    t.run(movToCr(3, 0x20000));
    expect(t.paging.mmu.current!.slot).not.toBe(current);
    t.vm.loadState(saved);
    expect(t.paging.mmu.current!.slot).toBe(current);
    const again = JSON.parse(JSON.stringify(t.vm.saveState()));
    // The root made after the save keeps its frames, as a free page.
    expect(again.paging.pages).toHaveLength(saved.paging.pages.length + 1);
    expect(again.paging.pages.at(-1).inUse).toBe(false);
    again.paging.pages.pop();
    again.paging.freeSlots = again.paging.freeSlots.filter((slot: number) => slot < saved.paging.pages.length);
    expect(again).toEqual(saved);
  });
});
