// Events in VMX non-root operation: the exception bitmap with the #PF error-code mask/match rule,
// external-interrupt exiting, interrupt windows, triple faults, the VMX-preemption timer, the
// monitor trap flag, event injection of each type, and IDT-vectoring information for exits that
// happen while an event is being delivered (SDM Vol. 3 §25.8.3, §26.2, §26.5, §27.6, §28.2.3-4;
// kvm-unit-tests vmx_exception_test, preemption_timer, vmx_mtf_test, interrupt, intr_window).
import { describe, expect, it } from 'vitest';
import { CPU_BASED, PIN_BASED, VM_EXIT } from '../../../src/cpu/vmx/controls.js';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { EPT_VIOLATION, INTR_INFO } from '../../../src/cpu/vmx/qualification.js';
import { ACTIVITY, INTERRUPTIBILITY } from '../../../src/cpu/vmx/state-formats.js';
import { L, VmxHarness } from './nonroot-harness.js';

const R = EXIT_REASON;
/** Guest linear address of a 4 KiB page made not present in the guest's page table. */
const ABSENT = L.WINDOW + 0x5000;
const stubOf = (v: number): number => L.STUBS + v * 128;

function absentPage(h: VmxHarness): void {
  h.mem.write32(L.GUEST_PT + 5 * 4, 0);
}

describe('exception bitmap', () => {
  it('#UD with its bit set: exit 0, hardware exception, RIP at the faulting instruction', () => {
    const h = new VmxHarness().guest('nop\nud2');
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 6);
    const x = h.run();
    expect(x.reason).toBe(R.EXCEPTION_NMI);
    expect(x.intrInfo).toBe(0x80000306);
    expect(x.rip).toBe(L.CODE + 1);
  });

  it('without its bit the exception is delivered through the guest IDT', () => {
    const h = new VmxHarness().guest('nop\nud2');
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(6);
    expect(h.frame(0)).toBe(L.CODE + 1);
  });

  it('#BP from INT3 is a software exception (type 6) with the instruction length; RIP at INT3', () => {
    const h = new VmxHarness().guest('nop\nint3');
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 3);
    const x = h.run();
    expect(x.intrInfo).toBe(0x80000603);
    expect(x.length).toBe(1);
    expect(x.rip).toBe(L.CODE + 1);
  });

  it('INT n never consults the exception bitmap', () => {
    const h = new VmxHarness().guest('int 3');
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 3);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(3);
  });

  it('#GP carries its error code in the exit interruption information', () => {
    const h = new VmxHarness().guest('mov ax, 0x20\nmov ds, ax'); // beyond the GDT limit
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 13);
    const x = h.run();
    expect(x.intrInfo).toBe(0x80000b0d);
    expect(x.intrError).toBe(0x20);
  });

  it('#PF exits with the faulting address as qualification and leaves CR2 alone', () => {
    const h = new VmxHarness().guest(`mov eax, [${ABSENT + 0x10}]`);
    absentPage(h);
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 14);
    h.ops.cr2 = 0x1111;
    const x = h.run();
    expect(x.reason).toBe(R.EXCEPTION_NMI);
    expect(x.intrInfo).toBe(0x80000b0e);
    expect(x.intrError).toBe(0);
    expect(x.qualification).toBe(ABSENT + 0x10);
    expect(h.ops.cr2).toBe(0x1111);
  });

  it('#PF error-code mask/match: bit 14 set exits iff (PFEC & mask) == match; clear inverts it', () => {
    const read = `mov eax, [${ABSENT}]`;
    const write = `mov [${ABSENT}], eax`;
    const pf = (code: string, bit: boolean): VmxHarness => {
      const h = new VmxHarness().guest(code);
      absentPage(h);
      h.write(VMCS.EXCEPTION_BITMAP, bit ? 1 << 14 : 0);
      h.write(VMCS.PAGE_FAULT_ERROR_CODE_MASK, 2); // W
      h.write(VMCS.PAGE_FAULT_ERROR_CODE_MATCH, 2);
      return h;
    };
    expect(pf(write, true).run().reason).toBe(R.EXCEPTION_NMI);
    const delivered = pf(read, true);
    expect(delivered.run().reason).toBe(R.CPUID);
    expect(delivered.lastVector()).toBe(14);
    expect(delivered.ops.cr2).toBe(ABSENT); // a delivered #PF does set CR2
    expect(pf(read, false).run().reason).toBe(R.EXCEPTION_NMI);
    expect(pf(write, false).run().reason).toBe(R.CPUID);
  });
});

describe('external interrupts, interrupt windows, blocking, triple fault', () => {
  it('external-interrupt exiting: exit 1 even with IF = 0; the vector only with acknowledge-on-exit', () => {
    const h = new VmxHarness().guest('l: inc ebx\njmp l');
    h.controls(VMCS.PIN_BASED_VM_EXEC_CONTROL, PIN_BASED.EXT_INTR_MASK);
    h.pic.vector = 0x30;
    const x = h.run();
    expect(x.reason).toBe(R.EXTERNAL_INTERRUPT);
    expect(x.intrInfo & INTR_INFO.VALID).toBe(0);
    expect(h.pic.acks).toBe(0);
    h.controls(VMCS.VM_EXIT_CONTROLS, VM_EXIT.ACK_INTR_ON_EXIT);
    const y = h.run();
    expect(y.intrInfo).toBe(0x80000030);
    expect(h.pic.acks).toBe(1);
  });

  it('without external-interrupt exiting the guest takes the interrupt through its IDT when IF = 1', () => {
    const h = new VmxHarness().guest('sti\nl: jmp l');
    h.pic.vector = 0x30;
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(0x30);
  });

  it('interrupt-window exiting: exit 7 before the first instruction with IF = 1 ...', () => {
    const h = new VmxHarness().guest('mov eax, 1');
    h.controls(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.INTR_WINDOW_EXITING);
    h.write(VMCS.GUEST_RFLAGS, 0x202);
    const x = h.run();
    expect(x.reason).toBe(R.INTERRUPT_WINDOW);
    expect(x.rip).toBe(L.CODE);
  });

  it('... and after the instruction that follows STI (the STI shadow) when IF was 0', () => {
    const h = new VmxHarness().guest('mov eax, 1\nsti\nmov ebx, 2\nmov ecx, 3');
    h.controls(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.INTR_WINDOW_EXITING);
    h.gprs[1] = 0;
    const x = h.run();
    expect(x.reason).toBe(R.INTERRUPT_WINDOW);
    expect(x.rip).toBe(L.CODE + 11);
    expect(h.gprs[3]).toBe(2);
    expect(h.gprs[1]).toBe(0);
  });

  it('an exit inside the STI or MOV SS shadow saves the blocking in the interruptibility state', () => {
    const sti = new VmxHarness().guest('sti\ncpuid');
    sti.run();
    expect(sti.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(INTERRUPTIBILITY.STI);
    const ss = new VmxHarness().guest('mov ax, ss\nmov ss, ax\ncpuid');
    ss.run();
    expect(ss.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(INTERRUPTIBILITY.MOV_SS);
  });

  it('a triple fault in the guest is exit 2 and the host carries on', () => {
    const h = new VmxHarness().guest('ud2');
    h.write(VMCS.GUEST_IDTR_LIMIT, 0);
    expect(h.run().reason).toBe(R.TRIPLE_FAULT);
    expect(h.cpu.shutdown).toBe(false);
    expect(h.cpu.nonRoot).toBe(false);
  });
});

describe('VMX-preemption timer', () => {
  const timer = (value: number, src: string): VmxHarness => {
    const h = new VmxHarness().guest(src);
    h.controls(VMCS.PIN_BASED_VM_EXEC_CONTROL, PIN_BASED.VMX_PREEMPTION_TIMER);
    h.write(VMCS.VMX_PREEMPTION_TIMER_VALUE, value);
    return h;
  };

  it('a value of 0 exits (52) before the first guest instruction', () => {
    const h = timer(0, 'mov eax, 1\ncpuid');
    h.gprs[0] = 0x55;
    const before = h.ops.instructionsRetired;
    const x = h.run();
    expect(x.reason).toBe(R.PREEMPTION_TIMER);
    expect(x.rip).toBe(L.CODE);
    expect(h.gprs[0]).toBe(0x55);
    expect(h.ops.instructionsRetired).toBe(before);
  });

  it('a value of N exits after N TSC ticks (rate 0: N instructions)', () => {
    const h = timer(100, 'l: inc ebx\njmp l');
    h.gprs[3] = 0;
    const before = h.ops.instructionsRetired;
    expect(h.run().reason).toBe(R.PREEMPTION_TIMER);
    expect(h.ops.instructionsRetired - before).toBe(100);
    expect(h.gprs[3]).toBe(50);
  });

  it('"save VMX-preemption timer value" stores what is left; without it the field keeps its value', () => {
    const src = `${'nop\n'.repeat(10)}cpuid`;
    const h = timer(100, src);
    h.controls(VMCS.VM_EXIT_CONTROLS, VM_EXIT.SAVE_VMX_PREEMPTION_TIMER);
    h.run();
    expect(h.read(VMCS.VMX_PREEMPTION_TIMER_VALUE)).toBe(90);
    const k = timer(100, src);
    k.run();
    expect(k.read(VMCS.VMX_PREEMPTION_TIMER_VALUE)).toBe(100);
  });

  it('counts down while the guest is halted and exits with activity state HLT', () => {
    const h = timer(1000, 'hlt');
    const x = h.run();
    expect(x.reason).toBe(R.PREEMPTION_TIMER);
    expect(h.read(VMCS.GUEST_ACTIVITY_STATE)).toBe(ACTIVITY.HLT);
    expect(x.rip).toBe(L.CODE + 1);
  });
});

describe('monitor trap flag (kvm-unit-tests vmx_mtf_test)', () => {
  const mtf = (src: string): VmxHarness => {
    const h = new VmxHarness().guest(src);
    h.controls(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.MONITOR_TRAP_FLAG);
    return h;
  };

  it('exits (37, trap-like) after each guest instruction', () => {
    const h = mtf('mov eax, 1\nmov ebx, 2\nmov ecx, 3');
    h.gprs[3] = 0;
    let x = h.run();
    expect(x.reason).toBe(R.MONITOR_TRAP_FLAG);
    expect(x.rip).toBe(L.CODE + 5);
    expect([h.gprs[0], h.gprs[3]]).toEqual([1, 0]);
    x = h.run();
    expect(x.rip).toBe(L.CODE + 10);
    expect(h.gprs[3]).toBe(2);
  });

  it('after OUT (no I/O exit) the exit lands on the next instruction', () => {
    const x = mtf('out 0x80, al\nnop').run();
    expect([x.reason, x.rip]).toEqual([R.MONITOR_TRAP_FLAG, L.CODE + 2]);
  });

  it('after a faulting instruction the exception is delivered first: the exit lands on the handler', () => {
    const h = mtf('mov ax, 0x20\nmov ds, ax'); // #GP: beyond the GDT limit
    h.run();
    const x = h.run();
    expect(x.reason).toBe(R.MONITOR_TRAP_FLAG);
    expect(x.rip).toBe(stubOf(13));
  });

  it('after ICEBP (INT1) the exit lands on the #DB handler', () => {
    const x = mtf('int1').run();
    expect([x.reason, x.rip]).toEqual([R.MONITOR_TRAP_FLAG, stubOf(1)]);
  });
});

describe('event injection (VM-entry interruption information)', () => {
  it('an external interrupt (type 0) is delivered through the guest IDT at entry', () => {
    const h = new VmxHarness().guest('nop');
    h.write(VMCS.GUEST_RFLAGS, 0x202);
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000020);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(0x20);
    expect(h.frame(0)).toBe(L.CODE);
    expect(h.frame(2) & 0x200).toBe(0x200);
    expect(h.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO.VALID).toBe(0);
  });

  it('a hardware exception with an error code pushes the error code', () => {
    const h = new VmxHarness().guest('nop');
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000b0d);
    h.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x1234);
    h.run();
    expect(h.lastVector()).toBe(13);
    expect([h.frame(0), h.frame(1)]).toEqual([0x1234, L.CODE]);
  });

  it('an injected hardware exception does not consult the exception bitmap', () => {
    const h = new VmxHarness().guest('nop');
    h.write(VMCS.EXCEPTION_BITMAP, 0xffffffff);
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000306);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(6);
  });

  it('a software interrupt (type 4) returns past the instruction: RIP + VM-entry instruction length', () => {
    const h = new VmxHarness().guest('int 0x40');
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000440);
    h.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, 2);
    h.run();
    expect(h.lastVector()).toBe(0x40);
    expect(h.frame(0)).toBe(L.CODE + 2);
  });

  it('type 7 vector 0 makes an MTF exit pending before the first instruction', () => {
    const h = new VmxHarness().guest('mov eax, 1');
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000700);
    const x = h.run();
    expect([x.reason, x.rip]).toEqual([R.MONITOR_TRAP_FLAG, L.CODE]);
  });

  it('injecting into a halted guest (activity HLT) wakes it in the handler', () => {
    const h = new VmxHarness().guest('hlt');
    h.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.HLT);
    h.write(VMCS.GUEST_RFLAGS, 0x202);
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000021);
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.lastVector()).toBe(0x21);
    expect(h.read(VMCS.GUEST_ACTIVITY_STATE)).toBe(ACTIVITY.ACTIVE);
  });
});

describe('IDT-vectoring information: exits during event delivery', () => {
  it('an EPT violation while pushing an injected interrupt\'s frame records the event; RIP is its return point', () => {
    const h = new VmxHarness({ ept: true }).guest('nop');
    const stackPage = L.GUEST_STACK_TOP - 0x1000;
    h.mem.write32(h.eptLeaf(stackPage), stackPage | 0x5 | (6 << 3)); // R-X: no writes
    h.write(VMCS.GUEST_RFLAGS, 0x202);
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000020);
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.idtInfo).toBe(0x80000020);
    expect(x.rip).toBe(L.CODE);
    const q = EPT_VIOLATION;
    expect(x.qualification).toBe(q.ACC_WRITE | q.READABLE | q.EXECUTABLE | q.GVA_IS_VALID | q.GVA_TRANSLATED);
    expect(x.guestLinear).toBe(L.GUEST_STACK_TOP - 4);
    expect(x.guestPhysical).toBe(L.GUEST_STACK_TOP - 4);
  });

  it('a software interrupt whose delivery exits reports its instruction length, RIP at the INT', () => {
    const h = new VmxHarness({ ept: true }).guest('nop\nint 0x30');
    const stackPage = L.GUEST_STACK_TOP - 0x1000;
    h.mem.write32(h.eptLeaf(stackPage), stackPage | 0x5 | (6 << 3));
    const x = h.run();
    expect(x.reason).toBe(R.EPT_VIOLATION);
    expect(x.idtInfo).toBe(0x80000430);
    expect(x.length).toBe(2);
    expect(x.rip).toBe(L.CODE + 1);
  });

  it('a #PF in the exception bitmap raised while delivering an interrupt records that interrupt', () => {
    const h = new VmxHarness().guest('nop');
    absentPage(h);
    h.write(VMCS.GUEST_RSP, ABSENT + 0x100);
    h.write(VMCS.EXCEPTION_BITMAP, 1 << 14);
    h.write(VMCS.GUEST_RFLAGS, 0x202);
    h.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000021);
    const x = h.run();
    expect(x.reason).toBe(R.EXCEPTION_NMI);
    expect(x.intrInfo).toBe(0x80000b0e);
    expect(x.intrError).toBe(2); // a supervisor write to a not-present page
    expect(x.qualification).toBe(ABSENT + 0xfc);
    expect(x.idtInfo).toBe(0x80000021);
  });

  it('exits outside event delivery leave IDT-vectoring information invalid', () => {
    expect(new VmxHarness().guest('cpuid').run().idtInfo).toBe(0);
  });
});
