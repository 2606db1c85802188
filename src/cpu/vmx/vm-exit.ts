// VM exit (SDM Vol. 3 ch. 28) once its cause is recorded: exit information (§28.2), guest-state save
// (§28.3), the MSR-store area (§28.4), host-state load (§28.5), the MSR-load area (§28.6), and leaving
// non-root operation; also the end of a failed VM entry (§27.8), which loads host state the same way.
import { readEflags } from '../flags.js';
import type { Insn } from '../insn.js';
import { refreshSegChecks, setCpl } from '../segmentation.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { VM_EXIT as EXIT_CTL } from './controls.js';
import { VMX_ABORT } from './errors.js';
import { VMCS } from './fields.js';
import { loadHostState, saveGuestRegisters, saveGuestState, writeEntryFailure, writeExitInformation } from './guest-state.js';
import { loadMsrArea, storeMsrArea } from './msr-area.js';
import { ACTIVITY, INTERRUPTIBILITY, PENDING_DBG } from './state-formats.js';
import { fixedBitsOk } from './capabilities.js';
import { VmcsDirty } from './vmcs.js';
import { TF } from '../eflags.js';
import { type VmxController, isSoftwareType } from './controller.js';

/** Completes the exit recorded in ctl.exit. EIP is already at the instruction for fault-like exits. */
export function vmExitComplete(ctl: VmxController, cpu: Cpu, insn: Insn | null): void {
  const v = ctl.vmx.vmcs;
  const c = ctl.vmx.controls;
  const x = ctl.exit;
  if (insn !== null && x.instructionLength === 0) x.instructionLength = insn.len;
  if (ctl.delivering) {
    x.idtVectoringInfo = ctl.vectoringInfo;
    x.idtVectoringErrorCode = ctl.vectoringError;
    if (isSoftwareType(ctl.vectoringInfo)) {
      x.instructionLength = ctl.vectoringLength;
      // An injected software event advanced EIP past its "instruction": the guest is back before it.
      if (ctl.vectoringInjected) cpu.eip = (cpu.eip - ctl.vectoringLength) | 0;
    }
  }
  writeExitInformation(v, x);

  const g = ctl.extras;
  g.rflags = readEflags(cpu);
  g.interruptibility = cpu.inhibitIrq ? (cpu.inhibitMovSs ? INTERRUPTIBILITY.MOV_SS : INTERRUPTIBILITY.STI) : 0;
  g.activity = cpu.halted ? ACTIVITY.HLT : ACTIVITY.ACTIVE;
  // A single-step trap is still owed when TF is set in an STI/MOV SS shadow or in HLT (SDM §27.3.1.5).
  g.pendingDebug = (g.rflags & TF) !== 0 && (cpu.inhibitIrq || cpu.halted) ? PENDING_DBG.BS : 0;
  const loadCount = v.read(VMCS.VM_EXIT_MSR_LOAD_COUNT);
  const lazy = ctl.lazyHost && loadCount === 0;
  if (lazy) {
    // The host state stays unloaded (deferHost), so the registers keep the guest's segments, CRs,
    // descriptor tables and SYSENTER MSRs: they reach the region only when something reads it.
    saveGuestRegisters(v, cpu, g, c.exit);
    v.holder = ctl;
  } else {
    v.holder = null;
    saveGuestState(v, cpu, g, c.exit);
  }
  if ((c.exit & EXIT_CTL.SAVE_VMX_PREEMPTION_TIMER) !== 0) v.write(VMCS.VMX_PREEMPTION_TIMER_VALUE, ctl.timerRemaining());
  // What the processor saved passed the entry checks before, and guest instructions keep every
  // guest-state rule except CR0/CR4 fixed bits the hypervisor did not own: only those need a look.
  const caps = ctl.vmx.caps;
  const valid = fixedBitsOk(cpu.cr0, caps.cr0Fixed0, caps.cr0Fixed1) && fixedBitsOk(cpu.cr4, caps.cr4Fixed0, caps.cr4Fixed1);
  v.dirty = valid ? 0 : VmcsDirty.GUEST;
  ctl.disarm();
  rememberGuestContext(ctl, cpu);

  leaveNonRoot(ctl, cpu);
  v.guestWrites = 0;
  ctl.exitVmcs = ctl.vmx.vmcsPtr;
  const storeCount = v.read(VMCS.VM_EXIT_MSR_STORE_COUNT);
  if (storeCount !== 0 && storeMsrArea(cpu.mem, v.read(VMCS.VM_EXIT_MSR_STORE_ADDR), storeCount, ctl) !== 0) {
    return vmxAbort(ctl, cpu, VMX_ABORT.SAVE_GUEST_MSR_FAIL);
  }
  if (lazy) {
    deferHost(ctl, cpu);
  } else {
    loadHost(ctl, cpu);
    if (loadCount !== 0 && loadMsrArea(cpu.mem, v.read(VMCS.VM_EXIT_MSR_LOAD_ADDR), loadCount, ctl) !== 0) {
      return vmxAbort(ctl, cpu, VMX_ABORT.LOAD_HOST_MSR_FAIL);
    }
  }
  ctl.rootGen = cpu.codeGen;
  ctl.rootIcount = cpu.icount;
}

/**
 * The host of a TypeScript hypervisor runs no instructions: HOST_RIP is its own code. So the host
 * state is loaded into the registers only when something needs it (materializeHost: root-mode code,
 * another VMCS, VMXOFF); until then the registers keep the guest's state, which the next VM entry
 * of the same VMCS then need not reload (vm-entry.ts). What root software can observe of the
 * processor is as after a full load: ESP = HOST_RSP, EIP = HOST_RIP, VMX root operation, tag 0
 * semantics for INVVPID, no TSC offset; EAX..EDI untouched either way (SDM §28.5).
 */
function deferHost(ctl: VmxController, cpu: Cpu): void {
  const v = ctl.vmx.vmcs;
  ctl.hostPending = true;
  cpu.regs[4] = v.read(VMCS.HOST_RSP);
  cpu.eip = v.read(VMCS.HOST_RIP) | 0;
  cpu.halted = false;
  cpu.pending = (cpu.pending & ~(Pending.VMX | Pending.STEP)) | Pending.CHECK_IRQ;
}

/** Loads the host state a lazy exit deferred (before root-mode code runs or the VMCS changes). */
export function materializeHost(ctl: VmxController, cpu: Cpu): void {
  if (!ctl.hostPending) return;
  loadHost(ctl, cpu);
  ctl.rootGen = -1;
}

/** A VM entry that failed after the checks of §27.2 (guest state, MSR loading): exit reason with
 *  bit 31, qualification, and the host state; guest state is not saved (SDM §27.8). */
export function failEntry(ctl: VmxController, cpu: Cpu, basicReason: number, qualification: number): void {
  writeEntryFailure(ctl.vmx.vmcs, basicReason, qualification);
  ctl.disarm();
  leaveNonRoot(ctl, cpu);
  loadHost(ctl, cpu);
  ctl.rootGen = -1;
}

function leaveNonRoot(ctl: VmxController, cpu: Cpu): void {
  cpu.nonRoot = false;
  ctl.vmx.nonRoot = false;
  cpu.secondStage = null;
  cpu.vmxTscOffset = 0;
}

/** Host-state load and what it implies for the processor (SDM §28.5): CPL 0, RFLAGS = 2, no blocking. */
function loadHost(ctl: VmxController, cpu: Cpu): void {
  ctl.hostPending = false;
  if (ctl.vmx.vmcs.holder !== null) ctl.flushGuestState();
  const g = ctl.extras;
  loadHostState(ctl.vmx.vmcs, cpu, g);
  cpu.flags = g.rflags;
  cpu.lazy = 0;
  cpu.halted = false;
  cpu.inhibitIrq = false;
  cpu.inhibitMovSs = false;
  for (let s = SegSlot.ES; s <= SegSlot.GS; s++) refreshSegChecks(cpu, s);
  setCpl(cpu, 0);
  // The host's linear mappings: tag 0 (with VPIDs the guest's stay tagged with its VPID; without,
  // VM entries and exits invalidate tag 0, SDM §28.5.5).
  if (cpu.tlb.tag !== 0) cpu.tlb.setTag(0);
  else cpu.tlb.flushCurrent();
  cpu.pending = (cpu.pending & ~(Pending.VMX | Pending.STEP)) | Pending.CODE_CHANGED | Pending.CHECK_IRQ;
}

/** The guest's code context at exit: if the next entry finds it unchanged, block chains survive. */
function rememberGuestContext(ctl: VmxController, cpu: Cpu): void {
  const k = ctl.guestContext;
  k[0] = cpu.segSel[SegSlot.CS]!;
  k[1] = cpu.segBase[SegSlot.CS]!;
  k[2] = cpu.segLimit[SegSlot.CS]!;
  k[3] = cpu.segAr[SegSlot.CS]!;
  k[4] = cpu.cpl;
  k[5] = cpu.cr0;
  k[6] = cpu.cr3;
  k[7] = cpu.cr4;
  k[8] = ctl.vmx.controls.vpid;
  k[9] = ctl.vmx.controls.eptp;
  ctl.guestGen = cpu.codeGen;
}

/** VMX abort (SDM §28.7): the abort indicator is written and the processor shuts down. */
function vmxAbort(ctl: VmxController, cpu: Cpu, code: number): void {
  ctl.vmx.vmcs.abortIndicator = code;
  cpu.shutdown = true;
  cpu.shutdownReason = `VMX abort ${code} (${code === VMX_ABORT.SAVE_GUEST_MSR_FAIL ? 'saving guest MSRs' : 'loading host MSRs'} failed)`;
  ctl.rootGen = -1;
}
