// The exit loop (KVM's vcpu_run, Firecracker's run_emulation): prepare the entry (event injection,
// the preemption timer armed for the VM's next device deadline), VMLAUNCH or
// VMRESUME, then read the basic exit reason, bring the VM's clock up to date, dispatch through the
// table to one handler, and apply its outcome. RIP advances in ONE place, from the VM-exit
// instruction length. Only this loop enters the guest.
import { EXIT_REASON, EXIT_REASON_BASIC_MASK, EXIT_REASON_FAILED_VMENTRY, INTERRUPTIBILITY, INTR_INFO, PENDING_DBG, VMCS } from '../cpu/vmx/api.js';
import { EFLAGS } from './arch-defs.js';
import type { Outcome } from './exits/outcome.js';
import { EXIT_HANDLERS } from './exits/table.js';
import { handleEntryFailure, handleUnexpected } from './exits/fatal.js';
import { injectPendingEvent, queueEvent, saveInterruptedEvent } from './inject.js';
import type { Vcpu } from './vcpu.js';
import { EntryResult, describeVmxStatus, vmwriteChecked } from './vmx-ops.js';
import { assertNever } from '../common/assert.js';

export const RunStatus = {
  /** The VM has stopped for good: `vm.stop` says why. */
  STOPPED: 0,
  /** The emulator paused the guest in non-root operation (`ops.pauseReason`); call again to go on. */
  PAUSED: 1,
  /** `vcpu.exitHook` asked to stop at a VM exit; it is handled when runVcpu is called again. */
  EXIT_BREAK: 2,
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

const BLOCKING = INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS;

/**
 * Exits caused by executing an instruction. They happen at an instruction, never while an event is
 * being delivered through the IDT, so their IDT-vectoring information is never valid (SDM Vol. 3
 * §28.2.4) and the loop skips reading it (one VMREAD less on the hot exits).
 */
const INSTRUCTION_EXIT: Uint8Array = (() => {
  const t = new Uint8Array(0x10000);
  const R = EXIT_REASON;
  for (const r of [R.CPUID, R.HLT, R.INVD, R.INVLPG, R.RDPMC, R.RDTSC, R.VMCALL, R.VMCLEAR, R.VMLAUNCH, R.VMPTRLD, R.VMPTRST, R.VMREAD, R.VMRESUME, R.VMWRITE, R.VMOFF, R.VMON, R.CR_ACCESS, R.DR_ACCESS, R.IO_INSTRUCTION, R.MSR_READ, R.MSR_WRITE, R.MWAIT, R.MONITOR, R.PAUSE, R.INVEPT, R.RDTSCP, R.INVVPID, R.WBINVD, R.XSETBV]) {
    t[r] = 1;
  }
  return t;
})();
const MAX_TIMER_VALUE = 0xffffffff;

/** Runs the vCPU until its VM stops, the emulator pauses it, or the exit hook asks for a break. */
export function runVcpu(vcpu: Vcpu): RunStatus {
  const { ops, vm } = vcpu;
  if (vcpu.pendingExit >= 0) {
    const reason = vcpu.pendingExit;
    vcpu.pendingExit = -1;
    if (handleExit(vcpu, reason)) return RunStatus.STOPPED;
  }
  for (;;) {
    let r: EntryResult;
    if (vcpu.paused) {
      r = ops.continueGuest();
    } else {
      prepareEntry(vcpu);
      r = vcpu.launched ? ops.vmresume() : ops.vmlaunch();
    }
    if (r === EntryResult.PAUSED) {
      vcpu.paused = true;
      vcpu.launched = true;
      return RunStatus.PAUSED;
    }
    vcpu.paused = false;
    if (r === EntryResult.VM_EXIT) vcpu.launched = true;
    else if (r !== EntryResult.ENTRY_FAILED) {
      vm.requestStop({ kind: 'vm-error', report: `VM${vcpu.launched ? 'RESUME' : 'LAUNCH'} failed: ${describeVmxStatus(r)}` });
      return RunStatus.STOPPED;
    }

    const reason = ops.vmread(VMCS.VM_EXIT_REASON);
    vm.stats.exit(reason & EXIT_REASON_BASIC_MASK);
    vm.syncClock();
    if (vcpu.exitHook !== null && vcpu.exitHook(vcpu, reason)) {
      vcpu.pendingExit = reason;
      return RunStatus.EXIT_BREAK;
    }
    if (handleExit(vcpu, reason)) return RunStatus.STOPPED;
  }
}

/** Dispatches one exit and applies the outcome; true when the VM has stopped. */
function handleExit(vcpu: Vcpu, reason: number): boolean {
  if (reason & EXIT_REASON_FAILED_VMENTRY) {
    apply(vcpu, handleEntryFailure(vcpu, reason));
    return true;
  }
  const basic = reason & EXIT_REASON_BASIC_MASK;
  if (!INSTRUCTION_EXIT[basic]) {
    const idt = vcpu.ops.vmread(VMCS.IDT_VECTORING_INFO_FIELD);
    if (idt & INTR_INFO.VALID) saveInterruptedEvent(vcpu, idt);
  }
  const handler = EXIT_HANDLERS[basic] ?? handleUnexpected;
  apply(vcpu, handler(vcpu, reason));
  return vcpu.vm.stop !== null;
}

function apply(vcpu: Vcpu, o: Outcome): void {
  switch (o.kind) {
    case 'advance':
      skipInstruction(vcpu);
      vcpu.vm.stats.emulated++;
      return;
    case 'resume':
      return;
    case 'inject':
      queueEvent(vcpu, o.event);
      return;
    case 'stop':
      vcpu.vm.requestStop(o.stop);
      return;
    default:
      assertNever(o, 'exit outcome');
  }
}

/**
 * The instruction that exited has been emulated: move RIP past it (SimpleVisor, KVM's
 * skip_emulated_instruction). Like the instruction completing, this ends any STI or MOV-SS
 * blocking, and with RFLAGS.TF set it owes the guest a single-step #DB, left pending for the
 * processor to deliver after the entry (pending debug exceptions BS, SDM Vol. 3 §27.7.3).
 */
function skipInstruction(vcpu: Vcpu): void {
  const ops = vcpu.ops;
  const rip = ops.vmread(VMCS.GUEST_RIP);
  ops.vmwrite(VMCS.GUEST_RIP, (rip + ops.vmread(VMCS.VM_EXIT_INSTRUCTION_LEN)) >>> 0);
  const intr = ops.vmread(VMCS.GUEST_INTERRUPTIBILITY_INFO);
  if (intr & BLOCKING) vmwriteChecked(ops, VMCS.GUEST_INTERRUPTIBILITY_INFO, intr & ~BLOCKING);
  if (ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.TF) vmwriteChecked(ops, VMCS.GUEST_PENDING_DBG_EXCEPTIONS, PENDING_DBG.BS);
}

/** Everything the next VM entry needs that the handlers did not write. */
function prepareEntry(vcpu: Vcpu): void {
  const { ops, vm } = vcpu;
  injectPendingEvent(vcpu);
  // Arm the VMX-preemption timer for the VM's next device deadline (KVM's "hv timer"): the guest
  // runs exit-free until then, and the exit brings the devices up to date on time.
  const deadline = vm.clock.nextDeadline;
  let value = MAX_TIMER_VALUE;
  if (deadline !== Infinity) {
    const cycles = vm.hostCycle(deadline) - ops.rdtsc();
    const ticks = vcpu.timerRate === 0 ? cycles : Math.ceil(cycles / 2 ** vcpu.timerRate);
    value = ticks <= 0 ? 0 : ticks < MAX_TIMER_VALUE ? ticks : MAX_TIMER_VALUE;
  }
  ops.vmwrite(VMCS.VMX_PREEMPTION_TIMER_VALUE, value);
}
