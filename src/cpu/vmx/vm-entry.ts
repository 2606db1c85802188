// VMLAUNCH / VMRESUME on the processor (SDM Vol. 3 ch. 27): the checks (instructions.ts and
// entry-checks.ts), then guest-state load (§27.3.2) and what it means for the CPU (flags, CPL,
// segment fast paths, activity and interruptibility), the MSR-load area (§27.4), non-root operation
// with its TLB tag, EPT and TSC offset, the preemption timer and MTF, and what is left pending for
// the first instruction boundary: event injection (§27.6), pending debug exceptions (§27.7).
import { refreshSegChecks, setCpl } from '../segmentation.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { CPU_BASED } from './controls.js';
import type { VmxController } from './controller.js';
import { EXIT_REASON } from './exit-reasons.js';
import { VMCS } from './fields.js';
import { loadGuestRegisters, loadGuestState } from './guest-state.js';
import { GuestWrites } from './vmcs.js';
import { AC } from '../eflags.js';
import { VmxOutcome, type VmxCpuState, commitVmEntry, vmlaunch } from './instructions.js';
import { mtfActive, preemptionTimerActive } from './intercept.js';
import { loadMsrArea } from './msr-area.js';
import { INTR_INFO, INTR_TYPE } from './qualification.js';
import { ACTIVITY, INTERRUPTIBILITY, PENDING_DBG, arDpl } from './state-formats.js';
import { failEntry } from './vm-exit.js';

const BLOCKING = INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS;

/**
 * VMLAUNCH (`launch`) or VMRESUME executed with `ops` as the instruction's view of the processor.
 * ENTER: the processor is in non-root operation at the guest state. ENTRY_FAILED: a VM-entry failure
 * exit (reason 33 or 34 with bit 31) has loaded the host state. Other outcomes as instructions.ts.
 */
export function enterVm(ctl: VmxController, ops: VmxCpuState, launch: boolean): VmxOutcome {
  const outcome = vmlaunch(ops, launch);
  const cpu = ctl.cpu;
  if (outcome === VmxOutcome.ENTRY_FAILED) {
    failEntry(ctl, cpu, EXIT_REASON.INVALID_STATE, ctl.vmx.entryCheck.qualification);
    return outcome;
  }
  if (outcome !== VmxOutcome.ENTER) return outcome;
  return loadAndEnter(ctl, cpu, launch);
}

function loadAndEnter(ctl: VmxController, cpu: Cpu, launch: boolean): VmxOutcome {
  const vmx = ctl.vmx;
  const v = vmx.vmcs;
  // Nothing invalidated decoded-block chains since this guest's last exit, and no root-mode code ran.
  const chainsIntact = cpu.codeGen === ctl.rootGen && cpu.icount === ctl.rootIcount && vmx.vmcsPtr === ctl.exitVmcs;

  const g = ctl.extras;
  // After a lazy exit (vm-exit.ts deferHost) the registers still hold this VMCS's guest state: if
  // the hypervisor wrote none of it but the fields re-read below, the rest need not move again.
  const registersHeld = ctl.hostPending && vmx.vmcsPtr === ctl.exitVmcs && (v.guestWrites & GuestWrites.OTHER) === 0 && cpu.icount === ctl.rootIcount;
  ctl.hostPending = false;
  if (registersHeld) {
    const acBefore = cpu.flags & AC;
    loadGuestRegisters(v, cpu, g);
    cpu.flags = g.rflags;
    cpu.lazy = 0;
    if ((g.rflags & AC) !== acBefore) setCpl(cpu, cpu.cpl);
  } else {
    if (v.holder !== null) ctl.flushGuestState();
    loadGuestState(v, cpu, g, v.read(VMCS.VM_ENTRY_CONTROLS));
    cpu.flags = g.rflags;
    cpu.lazy = 0;
    for (let s = SegSlot.ES; s <= SegSlot.GS; s++) refreshSegChecks(cpu, s);
    // VMX defines CPL as SS.DPL (SDM §27.3.2.2); the checks made CS.RPL = SS.RPL = SS.DPL.
    setCpl(cpu, arDpl(cpu.segAr[SegSlot.SS]!));
  }
  cpu.halted = g.activity === ACTIVITY.HLT;
  const info = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
  const injecting = (info & INTR_INFO.VALID) !== 0;
  // An injected event is delivered at once: the guest's STI / MOV SS blocking does not outlive it.
  const blocking = injecting ? 0 : g.interruptibility & BLOCKING;
  cpu.inhibitIrq = blocking !== 0;
  cpu.inhibitMovSs = (blocking & INTERRUPTIBILITY.MOV_SS) !== 0;

  const msrCount = v.read(VMCS.VM_ENTRY_MSR_LOAD_COUNT);
  if (msrCount !== 0) {
    const failed = loadMsrArea(cpu.mem, v.read(VMCS.VM_ENTRY_MSR_LOAD_ADDR), msrCount, ctl);
    if (failed !== 0) {
      failEntry(ctl, cpu, EXIT_REASON.MSR_LOAD_FAIL, failed);
      return VmxOutcome.ENTRY_FAILED;
    }
  }

  commitVmEntry(vmx, launch);
  const c = vmx.controls;
  cpu.nonRoot = true;
  const keepTlb = c.vpid !== 0 && cpu.tlb.has(c.vpid);
  if (c.vpid !== 0) cpu.tlb.setTag(c.vpid);
  else cpu.tlb.flushCurrent();
  if (c.eptp !== 0) {
    ctl.ept.eptp = c.eptp;
    cpu.secondStage = ctl.ept;
  } else {
    cpu.secondStage = null;
  }
  cpu.vmxTscOffset = (c.proc & CPU_BASED.USE_TSC_OFFSETTING) !== 0 ? c.tscOffset : 0;

  ctl.delivering = false;
  ctl.armTimers(preemptionTimerActive(c), v.read(VMCS.VMX_PREEMPTION_TIMER_VALUE), mtfActive(c));
  if (injecting) {
    const type = (info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
    if (type === INTR_TYPE.OTHER_EVENT) {
      // Vector 0 of type 7: "pending MTF VM exit" before the first instruction (SDM §27.6.1.2).
      ctl.mtfPending = true;
    } else {
      ctl.injectInfo = info;
      ctl.injectError = v.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE);
      ctl.injectLength = v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN);
    }
    cpu.pending |= Pending.VMX;
  } else if ((g.pendingDebug & (PENDING_DBG.B0_B3 | PENDING_DBG.BS)) !== 0) {
    ctl.pendingDebug = g.pendingDebug & (PENDING_DBG.B0_B3 | PENDING_DBG.BS);
    cpu.pending |= Pending.VMX;
  }
  cpu.pending |= Pending.CHECK_IRQ | Pending.CODE_CHANGED;
  if (cpu.inhibitIrq) cpu.pending |= Pending.STEP;

  // The loads above bumped Cpu.codeGen; if the guest is where it left off, its chains still hold.
  if (chainsIntact && keepTlb && sameContext(ctl, cpu)) cpu.codeGen = ctl.guestGen;
  return VmxOutcome.ENTER;
}

function sameContext(ctl: VmxController, cpu: Cpu): boolean {
  const k = ctl.guestContext;
  const c = ctl.vmx.controls;
  return (
    k[0] === cpu.segSel[SegSlot.CS] &&
    k[1] === cpu.segBase[SegSlot.CS] &&
    k[2] === cpu.segLimit[SegSlot.CS] &&
    k[3] === cpu.segAr[SegSlot.CS] &&
    k[4] === cpu.cpl &&
    k[5] === cpu.cr0 &&
    k[6] === cpu.cr3 &&
    k[7] === cpu.cr4 &&
    k[8] === c.vpid &&
    k[9] === (c.eptp | 0)
  );
}
