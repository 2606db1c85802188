// The initial VMCS of a vCPU (SDM Vol. 3 Chapter 25): VM-execution, VM-exit and VM-entry controls
// adjusted to the capability MSRs, the I/O and MSR bitmaps, the host state (HOST_RIP is the
// hypervisor's exit entry) and the guest state of a Multiboot kernel at its entry point.
import type { InitialCpuState, SegmentRegisterState } from '../boot/initial-state.js';
import {
  CPU_BASED,
  GuestSeg,
  IO_BITMAP_PORTS_PER_PAGE,
  PIN_BASED,
  SECONDARY_EXEC,
  VMCS,
  VMCS_LINK_POINTER_NONE,
  VM_ENTRY,
  VM_EXIT,
  guestArField,
  guestBaseField,
  guestLimitField,
  guestSelectorField,
  hostSelectorField,
  msrBitmapBit,
} from '../cpu/vmx/api.js';
import { HostBugError } from '../common/assert.js';
import { MSR_INDEX, PAGE_SIZE } from './arch-defs.js';
import { FrameUse } from './frames.js';
import { HOST_SELECTOR } from './host.js';
import type { Vcpu } from './vcpu.js';
import { ControlWord } from './vmx-caps.js';
import { vmwriteChecked, vmxChecked } from './vmx-ops.js';

/** Port 0x80 (POST codes, "I/O delay") runs without exits, as in KVM: nothing decodes it on either
 *  bus, so the guest sees the same open bus either way and saves an exit per delay. */
export const PASSTHROUGH_PORTS: readonly number[] = [0x80];
/** MSRs the guest reads and writes without exits: their state is in the VMCS guest-state area
 *  (GUEST_SYSENTER_*), loaded at VM entry and saved at VM exit. */
export const PASSTHROUGH_MSRS: readonly number[] = [MSR_INDEX.IA32_SYSENTER_CS, MSR_INDEX.IA32_SYSENTER_ESP, MSR_INDEX.IA32_SYSENTER_EIP];
/** DR7 after reset (SDM Vol. 3 §18.2.4: bit 10 reads as 1). */
const DR7_RESET = 0x400;
const ALL_ONES = 0xffffffff;

/** What a hypervisor must have from the processor; each missing one is a clear error. */
const REQUIRED: readonly [ControlWord, number, string][] = [
  [ControlWord.PIN, PIN_BASED.EXT_INTR_MASK, 'external-interrupt exiting'],
  [ControlWord.PIN, PIN_BASED.VMX_PREEMPTION_TIMER, 'VMX-preemption timer'],
  [ControlWord.PROC, CPU_BASED.HLT_EXITING, 'HLT exiting'],
  [ControlWord.PROC, CPU_BASED.USE_IO_BITMAPS, 'I/O bitmaps'],
  [ControlWord.PROC, CPU_BASED.USE_MSR_BITMAPS, 'MSR bitmaps'],
  [ControlWord.PROC, CPU_BASED.INTR_WINDOW_EXITING, 'interrupt-window exiting'],
  [ControlWord.PROC, CPU_BASED.ACTIVATE_SECONDARY_CONTROLS, 'secondary controls'],
  [ControlWord.PROC2, SECONDARY_EXEC.ENABLE_VPID, 'VPID'],
];

/** Allocates the bitmaps and writes every VMCS field the vCPU needs before its first VMLAUNCH. */
export function setupVmcs(vcpu: Vcpu, start: InitialCpuState): void {
  const { vm, ops } = vcpu;
  const { mem, frames, caps, layout } = vm.host;
  const id = vm.opts.id;

  for (const [word, bit, what] of REQUIRED) {
    if (!caps.allows(word, bit)) throw new HostBugError(`the processor lacks ${what}, which this hypervisor needs`);
  }
  if (!caps.allows(ControlWord.PROC, vcpu.paging.procControls) || !caps.allows(ControlWord.PROC2, vcpu.paging.proc2Controls)) {
    throw new HostBugError(`the processor lacks the controls ${vcpu.paging.name} paging needs`);
  }

  // The VMCS region: revision identifier, then VMCLEAR (launch state "clear") and VMPTRLD.
  mem.u8.fill(0, vcpu.vmcs, vcpu.vmcs + PAGE_SIZE);
  mem.write32(vcpu.vmcs, caps.revisionId);
  vmxChecked('VMCLEAR', ops.vmclear(vcpu.vmcs));
  vmxChecked('VMPTRLD', ops.vmptrld(vcpu.vmcs));
  const w = (field: number, value: number): void => vmwriteChecked(ops, field, value);

  // ---- I/O bitmaps A (ports 0000-7FFF) and B (8000-FFFF) and the MSR bitmap (SDM §25.6.4, §25.6.9)
  const ioA = frames.alloc(2, FrameUse.Bitmap, id);
  const ioB = ioA + PAGE_SIZE;
  mem.u8.fill(0xff, ioA, ioA + 2 * PAGE_SIZE);
  for (const port of PASSTHROUGH_PORTS) {
    const at = ioA + (port >= IO_BITMAP_PORTS_PER_PAGE ? PAGE_SIZE : 0) + ((port % IO_BITMAP_PORTS_PER_PAGE) >>> 3);
    mem.write8(at, mem.read8(at) & ~(1 << (port & 7)));
  }
  const msrBitmap = frames.alloc(1, FrameUse.Bitmap, id);
  mem.u8.fill(0xff, msrBitmap, msrBitmap + PAGE_SIZE);
  for (const msr of PASSTHROUGH_MSRS) {
    for (const write of [false, true]) {
      const bit = msrBitmapBit(msr, write);
      const at = msrBitmap + (bit >>> 3);
      mem.write8(at, mem.read8(at) & ~(1 << (bit & 7)));
    }
  }
  w(VMCS.IO_BITMAP_A, ioA);
  w(VMCS.IO_BITMAP_B, ioB);
  w(VMCS.MSR_BITMAP, msrBitmap);

  // ---- VM-execution controls (SDM §25.6)
  w(VMCS.PIN_BASED_VM_EXEC_CONTROL, caps.adjust(ControlWord.PIN, PIN_BASED.EXT_INTR_MASK | PIN_BASED.VMX_PREEMPTION_TIMER));
  const proc = caps.adjust(
    ControlWord.PROC,
    CPU_BASED.HLT_EXITING |
      CPU_BASED.USE_TSC_OFFSETTING |
      CPU_BASED.USE_IO_BITMAPS |
      CPU_BASED.USE_MSR_BITMAPS |
      CPU_BASED.ACTIVATE_SECONDARY_CONTROLS |
      vcpu.paging.procControls,
  );
  vcpu.procControls = proc;
  w(VMCS.CPU_BASED_VM_EXEC_CONTROL, proc);
  w(VMCS.SECONDARY_VM_EXEC_CONTROL, caps.adjust(ControlWord.PROC2, SECONDARY_EXEC.ENABLE_VPID | vcpu.paging.proc2Controls));
  w(VMCS.EXCEPTION_BITMAP, vcpu.paging.exceptionBitmap);
  w(VMCS.PAGE_FAULT_ERROR_CODE_MASK, 0);
  w(VMCS.PAGE_FAULT_ERROR_CODE_MATCH, 0);
  w(VMCS.CR3_TARGET_COUNT, 0);
  w(VMCS.TSC_OFFSET, 0);
  w(VMCS.VIRTUAL_PROCESSOR_ID, vcpu.vpid);
  w(VMCS.EPT_POINTER, vm.ept.eptp);

  // ---- VM-exit and VM-entry controls (SDM §25.7, §25.8): a 32-bit host and guest, no MSR lists.
  w(VMCS.VM_EXIT_CONTROLS, caps.adjust(ControlWord.EXIT, VM_EXIT.ACK_INTR_ON_EXIT | VM_EXIT.SAVE_DEBUG_CONTROLS));
  w(VMCS.VM_ENTRY_CONTROLS, caps.adjust(ControlWord.ENTRY, VM_ENTRY.LOAD_DEBUG_CONTROLS));
  w(VMCS.VM_EXIT_MSR_STORE_COUNT, 0);
  w(VMCS.VM_EXIT_MSR_LOAD_COUNT, 0);
  w(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 0);
  w(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0);

  // ---- host state (SDM §25.5): what the processor loads at every VM exit
  w(VMCS.HOST_CR0, layout.cr0);
  w(VMCS.HOST_CR3, layout.pageDirectory);
  w(VMCS.HOST_CR4, layout.cr4);
  w(VMCS.HOST_CS_SELECTOR, HOST_SELECTOR.CS);
  for (const seg of [GuestSeg.ES, GuestSeg.SS, GuestSeg.DS, GuestSeg.FS, GuestSeg.GS]) w(hostSelectorField(seg), HOST_SELECTOR.DS);
  w(VMCS.HOST_TR_SELECTOR, HOST_SELECTOR.TSS);
  w(VMCS.HOST_FS_BASE, 0);
  w(VMCS.HOST_GS_BASE, 0);
  w(VMCS.HOST_TR_BASE, layout.tss);
  w(VMCS.HOST_GDTR_BASE, layout.gdt);
  w(VMCS.HOST_IDTR_BASE, layout.idt);
  w(VMCS.HOST_IA32_SYSENTER_CS, 0);
  w(VMCS.HOST_IA32_SYSENTER_ESP, 0);
  w(VMCS.HOST_IA32_SYSENTER_EIP, 0);
  w(VMCS.HOST_RSP, layout.stackTop);
  w(VMCS.HOST_RIP, layout.exitEntry);

  // ---- guest state (SDM §25.4): the Multiboot entry state
  const segs: [number, SegmentRegisterState][] = [
    [GuestSeg.ES, start.es],
    [GuestSeg.CS, start.cs],
    [GuestSeg.SS, start.ss],
    [GuestSeg.DS, start.ds],
    [GuestSeg.FS, start.fs],
    [GuestSeg.GS, start.gs],
    [GuestSeg.LDTR, start.ldtr],
    [GuestSeg.TR, start.tr],
  ];
  for (const [seg, s] of segs) {
    w(guestSelectorField(seg), s.selector);
    w(guestBaseField(seg), s.base);
    w(guestLimitField(seg), s.limit);
    w(guestArField(seg), s.attrs);
  }
  w(VMCS.GUEST_GDTR_BASE, start.gdtr.base);
  w(VMCS.GUEST_GDTR_LIMIT, start.gdtr.limit);
  w(VMCS.GUEST_IDTR_BASE, start.idtr.base);
  w(VMCS.GUEST_IDTR_LIMIT, start.idtr.limit);
  w(VMCS.GUEST_RIP, start.eip);
  w(VMCS.GUEST_RSP, start.esp);
  w(VMCS.GUEST_RFLAGS, start.eflags);
  w(VMCS.GUEST_DR7, DR7_RESET);
  w(VMCS.GUEST_IA32_DEBUGCTL, 0);
  w(VMCS.GUEST_SYSENTER_CS, 0);
  w(VMCS.GUEST_SYSENTER_ESP, 0);
  w(VMCS.GUEST_SYSENTER_EIP, 0);
  w(VMCS.GUEST_INTERRUPTIBILITY_INFO, 0);
  w(VMCS.GUEST_ACTIVITY_STATE, 0);
  w(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, 0);
  w(VMCS.VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
  w(VMCS.VMCS_LINK_POINTER | 1, ALL_ONES);
  w(VMCS.VMX_PREEMPTION_TIMER_VALUE, 0);
  vcpu.paging.init(vcpu, { cr0: start.cr0, cr3: start.cr3, cr4: start.cr4 });
}
