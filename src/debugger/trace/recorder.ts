// Records a VM's run as a timeline: guest slices between VM exits, each exit with the time the
// hypervisor held the vCPU (handling it, or idling in HLT until the next interrupt), injected events
// and hypercalls, and the lines the guest printed. It hangs on the exit loop's hook (it never stops
// an exit), so `vmm run --trace` runs the same exit loop as `vmm run`.
import { EXIT_REASON, EXIT_REASON_BASIC_MASK, exitReasonName } from '../../cpu/vmx/exit-reasons.js';
import { VMCS } from '../../cpu/vmx/fields.js';
import { INTR_INFO, describeQualification } from '../../cpu/vmx/qualification.js';
import { Vmcs } from '../../cpu/vmx/vmcs.js';
import { HC_NAMES } from '../../vmm/pv-abi.js';
import type { VmMachine } from '../../vmm/run-vm.js';
import { ChromeTrace, Track } from './chrome-trace.js';

/** Interruption types (SDM Vol. 3 Table 25-17) as words. */
const INTR_TYPE_NAMES = ['external interrupt', 'reserved', 'NMI', 'hardware exception', 'software interrupt', 'privileged software exception', 'software exception', 'other event'];

export class TraceRecorder {
  readonly trace = new ChromeTrace();
  private prevExitCycle = 0;
  private prevExitInsns = 0;
  private prevReason = -1;
  private prevArgs: Record<string, string | number> = {};
  private injected = 0;
  private exits = 0;
  private line = '';
  private lineStart = -1;

  /** Virtual time now (the VM's clock, or the machine's natively). */
  constructor(private readonly now: () => number) {}

  /** Hooks the recorder on a VM's exit loop (chaining any hook already there). */
  attachVm(machine: VmMachine): void {
    const vm = machine.vm;
    const vcpu = vm.vcpu;
    const vmcs = new Vmcs(vm.host.mem, vcpu.vmcs);
    const previous = vcpu.exitHook;
    vcpu.exitHook = (v, reason) => {
      this.onExit(vmcs, reason, machine.ops.instructionsRetired, vm.clock.now, vcpu.regs[0]! >>> 0, vm.stats.interruptsInjected + vm.stats.exceptionsInjected);
      return previous?.(v, reason) ?? false;
    };
  }

  private onExit(vmcs: Vmcs, reason: number, insns: number, cycle: number, eax: number, injectedTotal: number): void {
    // The guest ran one cycle per instruction since the last entry, so it entered at cycle - Δinsns;
    // the time before that, since the previous exit, the hypervisor held the vCPU.
    const guestStart = Math.max(this.prevExitCycle, cycle - (insns - this.prevExitInsns));
    if (this.prevReason >= 0) {
      this.trace.complete(Track.HYPERVISOR, exitReasonName(this.prevReason), 'vm-exit', this.prevExitCycle, guestStart, this.prevArgs);
    }
    if (injectedTotal > this.injected) {
      // An event was injected at that entry; VM entry clears only the valid bit (SDM §27.6).
      const info = vmcs.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
      const vector = info & INTR_INFO.VECTOR_MASK;
      const type = INTR_TYPE_NAMES[(info & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT] ?? 'event';
      this.trace.instant(Track.EVENTS, `inject vector ${vector}`, 'injection', guestStart, { vector, type });
      this.injected = injectedTotal;
    }
    if (cycle > guestStart) this.trace.complete(Track.GUEST, 'guest', 'guest', guestStart, cycle, { instructions: insns - this.prevExitInsns });
    const basic = reason & EXIT_REASON_BASIC_MASK;
    this.exits++;
    const q = vmcs.read(VMCS.EXIT_QUALIFICATION);
    const words = describeQualification(reason, q);
    this.prevArgs = { number: this.exits, reason: basic, rip: '0x' + vmcs.read(VMCS.GUEST_RIP).toString(16), ...(words ? { qualification: words } : {}) };
    if (basic === EXIT_REASON.VMCALL) {
      const name = HC_NAMES[eax] ?? `#${eax}`;
      this.trace.instant(Track.EVENTS, `hypercall ${name}`, 'hypercall', cycle, { number: eax });
      this.prevArgs['hypercall'] = name;
    }
    this.prevReason = reason;
    this.prevExitCycle = cycle;
    this.prevExitInsns = insns;
  }

  /** Console bytes: each finished line becomes an instant on the console track. */
  console(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.lineStart < 0) this.lineStart = this.now();
      if (b === 0x0a) {
        this.trace.instant(Track.CONSOLE, this.line.length > 60 ? this.line.slice(0, 57) + '...' : this.line || '(empty line)', 'console', this.lineStart, { text: this.line });
        this.line = '';
        this.lineStart = -1;
      } else if (b !== 0x0d) this.line += String.fromCharCode(b);
    }
  }

  /** Closes the timeline at the end of the run: the last guest slice (or the last exit's handling). */
  finish(endCycle: number, endInsns: number, how: string): void {
    // Without any exit (native mode) the guest had the processor from the start, HLT sleeps included.
    const guestStart = this.prevReason < 0 ? 0 : Math.max(this.prevExitCycle, endCycle - (endInsns - this.prevExitInsns));
    if (this.prevReason >= 0) this.trace.complete(Track.HYPERVISOR, exitReasonName(this.prevReason), 'vm-exit', this.prevExitCycle, guestStart, this.prevArgs);
    if (endCycle > guestStart) this.trace.complete(Track.GUEST, 'guest', 'guest', guestStart, endCycle, { instructions: endInsns - this.prevExitInsns });
    if (this.line !== '') this.console(Uint8Array.of(0x0a));
    this.trace.instant(Track.GUEST, `end: ${how}`, 'end', endCycle);
  }
}
