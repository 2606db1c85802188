// HLT exits (HLT exiting, SDM Vol. 3 §26.1.3): the vCPU sleeps until its next virtual interrupt.
// Virtual time jumps to the VM's next device deadline (the host idles: `hltUntil`), the devices fire,
// and once the virtual PIC has a request the interrupt is injected at the next entry. With IF = 0, or
// no timer that could ever fire, the VM has halted for good: same words as a native run.
import { VMCS } from '../../cpu/vmx/api.js';
import { EFLAGS } from '../arch-defs.js';
import type { Vcpu } from '../vcpu.js';
import { ADVANCE, type Outcome, type VmStop, stopVm } from './outcome.js';

/** Consecutive wake-ups by a device deadline that brought no interrupt before the halt is called
 *  permanent (a periodic timer whose IRQ the PIC masks): the native run loop's limit. */
export const MAX_FRUITLESS_WAKEUPS = 1_000_000;

/**
 * Sleeps until the VM's PIC has an interrupt for the guest. Returns null once it has one, or why the
 * vCPU can never wake. The caller has checked that the guest's interrupts are enabled.
 */
export function sleepUntilInterrupt(vcpu: Vcpu): VmStop | null {
  const vm = vcpu.vm;
  while (!vm.pic.hasInterrupt()) {
    const t = vm.clock.nextDeadline;
    if (t === Infinity) return { kind: 'halted-forever', why: 'halted with no interrupt pending and no timer armed' };
    if (++vcpu.fruitlessWakeups > MAX_FRUITLESS_WAKEUPS) {
      return { kind: 'halted-forever', why: `halted: ${MAX_FRUITLESS_WAKEUPS} timer deadlines passed without an interrupt reaching the processor` };
    }
    vcpu.ops.hltUntil(vm.hostCycle(t));
    vm.syncClock();
    if (vm.stop) return null;
  }
  return null;
}

export function handleHlt(vcpu: Vcpu): Outcome {
  if ((vcpu.ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.IF) === 0) {
    return stopVm({ kind: 'halted-forever', why: 'halted with interrupts disabled (IF=0)' });
  }
  const stop = sleepUntilInterrupt(vcpu);
  return stop ? stopVm(stop) : ADVANCE;
}
