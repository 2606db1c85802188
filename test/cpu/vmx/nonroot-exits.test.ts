// VM exits caused by instructions in VMX non-root operation, with their exit reasons,
// qualifications and exit-information fields (SDM Vol. 3 §26.1, §28.2), after kvm-unit-tests'
// vmx_tests.c (insn_intercept, cr_shadowing, iobmp, MSR bitmaps): a real guest runs on the
// processor until it exits, and the harness looks at the VMCS. Expected values are the SDM's
// (Tables 28-1..28-14) and kvm-unit-tests' (e.g. CR qualifications 0x3, 0x13, 0x600, 0x604).
import { describe, expect, it } from 'vitest';
import { CPU_BASED, SECONDARY_EXEC } from '../../../src/cpu/vmx/controls.js';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { decodeInstructionInfo } from '../../../src/cpu/vmx/qualification.js';
import { L, VmxHarness, trapMsr, trapPort } from './nonroot-harness.js';

const R = EXIT_REASON;
const PROC = VMCS.CPU_BASED_VM_EXEC_CONTROL;

function withProc(bits: number, src: string, ept = false): VmxHarness {
  const h = new VmxHarness({ ept });
  h.controls(PROC, bits);
  return h.guest(src);
}

function withSecondary(bits: number, src: string): VmxHarness {
  const h = new VmxHarness();
  h.controls(PROC, CPU_BASED.ACTIVATE_SECONDARY_CONTROLS);
  h.write(VMCS.SECONDARY_VM_EXEC_CONTROL, bits);
  return h.guest(src);
}

describe('unconditional exits: CPUID, INVD', () => {
  it('CPUID exits fault-like: RIP at the instruction, length 2, registers as the guest left them', () => {
    const h = new VmxHarness().guest('mov eax, 7\nmov ebx, 9\ncpuid\nhlt');
    const x = h.run();
    expect(x.reason).toBe(R.CPUID);
    expect(x.rip).toBe(L.CODE + 10);
    expect(x.length).toBe(2);
    expect(h.gprs[0]).toBe(7);
    expect(h.gprs[3]).toBe(9);
  });

  it('VMRESUME after skipping the instruction continues the guest where it left off', () => {
    const h = new VmxHarness().guest('mov eax, 1\ncpuid\nmov eax, 2\ncpuid\nhlt');
    h.run();
    h.gprs[0] = 0x1234;
    h.skip();
    const x = h.run();
    expect(x.reason).toBe(R.CPUID);
    expect(x.rip).toBe(L.CODE + 12);
    expect(h.gprs[0]).toBe(2);
  });

  it('INVD always exits (reason 13)', () => {
    const x = new VmxHarness().guest('invd').run();
    expect([x.reason, x.length]).toEqual([R.INVD, 2]);
  });
});

describe('instruction intercepts by control (kvm-unit-tests insn_intercept)', () => {
  const cases: [string, number, string, number, number, number][] = [
    // name, control, code, reason, length, qualification
    ['HLT', CPU_BASED.HLT_EXITING, 'hlt', R.HLT, 1, 0],
    ['INVLPG', CPU_BASED.INVLPG_EXITING, `invlpg [${L.DATA + 0x123}]`, R.INVLPG, 7, L.DATA + 0x123],
    ['RDTSC', CPU_BASED.RDTSC_EXITING, 'rdtsc', R.RDTSC, 2, 0],
    ['PAUSE', CPU_BASED.PAUSE_EXITING, 'pause', R.PAUSE, 2, 0],
    ['MOV to DR', CPU_BASED.MOV_DR_EXITING, 'mov dr0, eax', R.DR_ACCESS, 3, 0x000],
    ['MOV from DR', CPU_BASED.MOV_DR_EXITING, 'mov ebx, dr7', R.DR_ACCESS, 3, 0x317],
    ['CR3 load', CPU_BASED.CR3_LOAD_EXITING, `mov eax, ${L.GUEST_PD}\nmov cr3, eax`, R.CR_ACCESS, 3, 0x3],
    ['CR3 store', CPU_BASED.CR3_STORE_EXITING, 'mov eax, cr3', R.CR_ACCESS, 3, 0x13],
  ];
  for (const [name, control, code, reason, length, qual] of cases) {
    it(`${name}: exits with reason ${reason} and qualification 0x${qual.toString(16)} when its control is set`, () => {
      const x = withProc(control, code).run();
      expect(x.reason).toBe(reason);
      expect(x.length).toBe(length);
      expect(x.qualification).toBe(qual >>> 0);
      expect(x.rip).toBe(L.CODE + code.split('\n').slice(0, -1).reduce((n) => n + 5, 0));
    });
    it(`${name}: runs without exiting when its control is clear`, () => {
      const h = withProc(0, `${code}\ncpuid`);
      if (reason === R.HLT) {
        // HLT really halts the guest (IF = 0, nothing to wake it): the run pauses in non-root.
        expect(h.enter(10_000)).toBe(-3);
        expect(h.ops.pauseReason).toEqual({ kind: 'halted-forever', why: 'halted with interrupts disabled (IF=0)' });
        return;
      }
      expect(h.run().reason).toBe(R.CPUID);
    });
  }

  it('WBINVD exits with "WBINVD exiting" (secondary control), else runs', () => {
    expect(withSecondary(SECONDARY_EXEC.WBINVD_EXITING, 'wbinvd').run().reason).toBe(R.WBINVD);
    expect(withSecondary(0, 'wbinvd\ncpuid').run().reason).toBe(R.CPUID);
  });

  it('CR3-target values: a MOV to CR3 of a target value does not exit, any other value does', () => {
    const h = withProc(CPU_BASED.CR3_LOAD_EXITING, `mov eax, ${L.GUEST_PD}\nmov cr3, eax\nmov ebx, ${L.GUEST_PD + 0x1000}\nmov cr3, ebx`);
    h.write(VMCS.CR3_TARGET_COUNT, 1);
    h.write(VMCS.CR3_TARGET_VALUE0, L.GUEST_PD);
    const x = h.run();
    expect(x.reason).toBe(R.CR_ACCESS);
    expect(x.qualification).toBe(0x303); // CR3, MOV to CR, EBX
    expect(x.rip).toBe(L.CODE + 13);
  });

  it('descriptor-table exiting: SGDT reports identity, operand size and the memory operand; SLDT a register', () => {
    const h = withSecondary(SECONDARY_EXEC.DESC, `sgdt [${L.DATA}]`);
    const x = h.run();
    expect(x.reason).toBe(R.GDTR_IDTR);
    expect(x.qualification).toBe(L.DATA); // the displacement
    const info = decodeInstructionInfo(x.instructionInfo);
    expect(info).toMatchObject({ addrSize: 1, segment: 3, index: -1, base: -1, register: false, operandSize32: true });
    expect((x.instructionInfo >>> 28) & 3).toBe(0); // SGDT
    const y = withSecondary(SECONDARY_EXEC.DESC, 'sldt ecx').run();
    expect(y.reason).toBe(R.LDTR_TR);
    expect(decodeInstructionInfo(y.instructionInfo)).toMatchObject({ register: true, reg1: 1 });
    expect((y.instructionInfo >>> 28) & 3).toBe(0); // SLDT
    const z = withSecondary(SECONDARY_EXEC.DESC, `lidt [ebx+esi*4+8]`).run();
    expect(z.reason).toBe(R.GDTR_IDTR);
    expect(decodeInstructionInfo(z.instructionInfo)).toMatchObject({ base: 3, index: 6, scaling: 2 });
    expect((z.instructionInfo >>> 28) & 3).toBe(3); // LIDT
    expect(z.qualification).toBe(8);
  });

  it('VMX instructions exit in non-root with their reason, displacement and instruction information', () => {
    const call = new VmxHarness().guest('vmcall').run();
    expect([call.reason, call.length]).toEqual([R.VMCALL, 3]);
    const ld = new VmxHarness().guest(`vmptrld [${L.DATA + 0x40}]`).run();
    expect(ld.reason).toBe(R.VMPTRLD);
    expect(ld.qualification).toBe(L.DATA + 0x40);
    expect(decodeInstructionInfo(ld.instructionInfo)).toMatchObject({ addrSize: 1, segment: 3, base: -1, index: -1 });
    const rd = new VmxHarness().guest('vmread eax, ebx').run();
    expect(rd.reason).toBe(R.VMREAD);
    expect(decodeInstructionInfo(rd.instructionInfo)).toMatchObject({ register: true, reg1: 0, reg2: 3 });
    const inv = new VmxHarness().guest(`invvpid ecx, [edx]`).run();
    expect(inv.reason).toBe(R.INVVPID);
    expect(decodeInstructionInfo(inv.instructionInfo)).toMatchObject({ reg2: 1, base: 2 });
    for (const [code, reason] of [['vmlaunch', R.VMLAUNCH], ['vmresume', R.VMRESUME], ['vmxoff', R.VMOFF], [`vmxon [${L.DATA}]`, R.VMON], [`vmclear [${L.DATA}]`, R.VMCLEAR]] as const) {
      expect(new VmxHarness().guest(code).run().reason).toBe(reason);
    }
  });
});

describe('CR0/CR4 guest/host masks and read shadows (kvm-unit-tests cr_shadowing)', () => {
  it('with mask 0 reads and writes go to the register and nothing exits', () => {
    const h = new VmxHarness();
    h.write(VMCS.CR0_GUEST_HOST_MASK, 0);
    h.guest('mov eax, cr0\nor eax, 8\nmov cr0, eax\nmov ebx, cr0\ncpuid');
    expect(h.run().reason).toBe(R.CPUID);
    expect((h.gprs[3]! & 8) >>> 0).toBe(8);
    expect(h.read(VMCS.GUEST_CR0) & 8).toBe(8);
  });

  it('owned bits read from the shadow; writing the shadow\'s value does not exit; changing an owned bit exits (0x600, 0x604)', () => {
    const h = new VmxHarness();
    h.write(VMCS.CR0_GUEST_HOST_MASK, 0xa); // TS | MP
    h.write(VMCS.CR0_READ_SHADOW, 0x80000031 | 0x8); // the guest believes TS = 1
    h.write(VMCS.CR4_GUEST_HOST_MASK, 0xc); // TSD | DE
    h.write(VMCS.CR4_READ_SHADOW, 0x4); // the guest believes TSD = 1
    h.guest(
      'mov eax, cr0\nmov ebx, cr4\nsmsw ecx\n' +
        'mov esi, eax\nmov cr0, esi\n' + // same value as the shadow: no exit
        'mov esi, ebx\nmov cr4, esi\n' +
        'and esi, ~4\nmov cr4, esi\n', // clears owned TSD: exit
    );
    const x = h.run();
    expect((h.gprs[0]! & 0xa) >>> 0).toBe(0x8);
    expect((h.gprs[3]! & 0xc) >>> 0).toBe(0x4);
    expect((h.gprs[1]! & 0xa) >>> 0).toBe(0x8);
    expect(x.reason).toBe(R.CR_ACCESS);
    expect(x.qualification).toBe(0x604);
    expect(h.read(VMCS.GUEST_CR0) & 8).toBe(0); // the real TS never changed
    const y = new VmxHarness();
    y.write(VMCS.CR0_GUEST_HOST_MASK, 0xa);
    y.write(VMCS.CR0_READ_SHADOW, 0x80000031);
    y.guest('mov esi, cr0\nor esi, 2\nmov cr0, esi');
    expect(y.run().qualification).toBe(0x600);
  });

  it('a write that does not exit keeps the host-owned bits and takes the others', () => {
    const h = new VmxHarness();
    h.write(VMCS.CR0_GUEST_HOST_MASK, 0x80000021 | 0x8); // PE NE PG TS owned
    h.write(VMCS.CR0_READ_SHADOW, 0x80000031);
    h.guest('mov eax, cr0\nor eax, 2\nmov cr0, eax\ncpuid'); // MP is the guest's
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.read(VMCS.GUEST_CR0) >>> 0).toBe((0x80000031 | 2) >>> 0);
  });

  it('CLTS exits only when TS is owned and set in the shadow (qualification: type 2); else clears TS', () => {
    const h = new VmxHarness();
    h.write(VMCS.CR0_GUEST_HOST_MASK, 0x8);
    h.write(VMCS.CR0_READ_SHADOW, 0x8);
    h.guest('clts');
    const x = h.run();
    expect([x.reason, x.qualification, x.length]).toEqual([R.CR_ACCESS, 0x20, 2]);
    const g = new VmxHarness();
    g.write(VMCS.GUEST_CR0, 0x80000031 | 8);
    g.guest('clts\ncpuid');
    expect(g.run().reason).toBe(R.CPUID);
    expect(g.read(VMCS.GUEST_CR0) & 8).toBe(0);
  });

  it('LMSW exits when it would change an owned bit: source data in 31:16, memory operand in bit 6 with its linear address', () => {
    const h = new VmxHarness();
    h.write(VMCS.CR0_GUEST_HOST_MASK, 0x8);
    h.write(VMCS.CR0_READ_SHADOW, 0);
    h.guest('mov ax, 0x9\nlmsw ax');
    const x = h.run();
    expect(x.reason).toBe(R.CR_ACCESS);
    expect(x.qualification >>> 0).toBe(((0x9 << 16) | 0x30) >>> 0);
    const m = new VmxHarness();
    m.write(VMCS.CR0_GUEST_HOST_MASK, 0x8);
    m.mem.write16(L.DATA, 0x9);
    m.guest(`lmsw [${L.DATA}]`);
    const y = m.run();
    expect(y.qualification >>> 0).toBe(((0x9 << 16) | 0x70) >>> 0);
    expect(y.guestLinear).toBe(L.DATA);
  });
});

describe('I/O: unconditional exiting and I/O bitmaps (kvm-unit-tests iobmp)', () => {
  it('unconditional I/O exiting: OUT imm8 has the immediate bit; IN DX has size, direction and port', () => {
    const x = withProc(CPU_BASED.UNCOND_IO_EXITING, 'out 0x80, al').run();
    expect(x.reason).toBe(R.IO_INSTRUCTION);
    expect(x.qualification).toBe(0x00800040);
    expect(x.length).toBe(2);
    const y = withProc(CPU_BASED.UNCOND_IO_EXITING, 'mov dx, 0x1234\nin eax, dx').run();
    expect(y.qualification).toBe(0x1234000b);
    expect(y.length).toBe(1);
  });

  it('with I/O bitmaps, a clear bit lets the access through (bitmaps override unconditional exiting)', () => {
    const h = withProc(CPU_BASED.USE_IO_BITMAPS | CPU_BASED.UNCOND_IO_EXITING, 'mov al, 0x5a\nout 0x80, al\ncpuid');
    expect(h.run().reason).toBe(R.CPUID);
    expect(h.port.log).toEqual(['out 0/1=5a']);
  });

  it('a set bit exits: port in bitmap A (low) and in bitmap B (high)', () => {
    const h = withProc(CPU_BASED.USE_IO_BITMAPS, 'in al, 0x80');
    trapPort(h, 0x80);
    expect(h.run().qualification).toBe(0x00800048);
    const g = withProc(CPU_BASED.USE_IO_BITMAPS, 'mov dx, 0x9000\nout dx, ax');
    trapPort(g, 0x9000);
    expect(g.run().qualification).toBe(0x90000001);
  });

  it('a 4-byte access crossing 0x7FFF/0x8000 exits if any port it touches is trapped, in either bitmap', () => {
    const h = withProc(CPU_BASED.USE_IO_BITMAPS, 'mov dx, 0x7ffe\nin eax, dx');
    trapPort(h, 0x8001);
    const x = h.run();
    expect(x.reason).toBe(R.IO_INSTRUCTION);
    expect(x.qualification).toBe(0x7ffe000b);
    const g = withProc(CPU_BASED.USE_IO_BITMAPS, 'mov dx, 0x7ffd\nin eax, dx\ncpuid');
    trapPort(g, 0x8001);
    expect(g.run().reason).toBe(R.CPUID);
    expect(g.gprs[0]! >>> 0).toBe(0xffffffff); // open bus
  });

  it('an access that wraps past 0xFFFF always exits; a byte at 0xFFFF does not', () => {
    expect(withProc(CPU_BASED.USE_IO_BITMAPS, 'mov dx, 0xffff\nin ax, dx').run().qualification).toBe(0xffff0009);
    expect(withProc(CPU_BASED.USE_IO_BITMAPS, 'mov dx, 0xffff\nin al, dx\ncpuid').run().reason).toBe(R.CPUID);
  });

  it('string I/O: qualification with string and REP, guest-linear address and address-size/segment info', () => {
    const h = withProc(CPU_BASED.UNCOND_IO_EXITING, `mov dx, 0x80\nmov esi, ${L.DATA + 4}\nmov ecx, 3\nrep outsb`);
    const x = h.run();
    expect(x.qualification).toBe(0x00800030);
    expect(x.guestLinear).toBe(L.DATA + 4);
    expect(decodeInstructionInfo(x.instructionInfo)).toMatchObject({ addrSize: 1, segment: 3 });
    expect(x.length).toBe(2);
    const y = withProc(CPU_BASED.UNCOND_IO_EXITING, `mov dx, 0x80\nmov edi, ${L.DATA + 8}\ninsw`).run();
    expect(y.qualification).toBe(0x00800019);
    expect(y.guestLinear).toBe(L.DATA + 8);
  });
});

describe('RDMSR/WRMSR and MSR bitmaps', () => {
  it('without MSR bitmaps every RDMSR and WRMSR exits (31, 32)', () => {
    expect(new VmxHarness().guest('mov ecx, 0x174\nrdmsr').run().reason).toBe(R.MSR_READ);
    expect(new VmxHarness().guest('mov ecx, 0x174\nwrmsr').run().reason).toBe(R.MSR_WRITE);
  });

  it('with MSR bitmaps: the read and write halves are separate; the low range uses bits 0-0x1FFF', () => {
    const h = withProc(CPU_BASED.USE_MSR_BITMAPS, 'mov ecx, 0x174\nmov eax, 0x10\nxor edx, edx\nwrmsr\nrdmsr');
    trapMsr(h, 0x174, false);
    const x = h.run();
    expect(x.reason).toBe(R.MSR_READ);
    expect(h.read(VMCS.GUEST_SYSENTER_CS)).toBe(0x10); // the WRMSR ran in the guest
    const g = withProc(CPU_BASED.USE_MSR_BITMAPS, 'mov ecx, 0x174\nwrmsr');
    trapMsr(g, 0x174, true);
    expect(g.run().reason).toBe(R.MSR_WRITE);
  });

  it('the high range (0xC0000000-0xC0001FFF) has its own bits; MSRs outside both ranges always exit', () => {
    const h = withProc(CPU_BASED.USE_MSR_BITMAPS, 'mov ecx, 0xc0000080\nrdmsr');
    trapMsr(h, 0xc0000080, false);
    expect(h.run().reason).toBe(R.MSR_READ);
    expect(withProc(CPU_BASED.USE_MSR_BITMAPS, 'mov ecx, 0x40000000\nrdmsr').run().reason).toBe(R.MSR_READ);
  });

  it('an MSR that does not exit and does not exist raises #GP(0) in the guest', () => {
    const h = withProc(CPU_BASED.USE_MSR_BITMAPS, 'mov ecx, 0xc0000080\nrdmsr');
    h.run();
    expect(h.lastVector()).toBe(13);
    expect(h.frame(0)).toBe(0);
  });
});

describe('TSC', () => {
  it('RDTSC without exiting returns the TSC plus TSC_OFFSET when offsetting is on', () => {
    const h = withProc(CPU_BASED.USE_TSC_OFFSETTING, 'rdtsc\ncpuid');
    h.write(VMCS.TSC_OFFSET, 0x1000);
    h.write(VMCS.TSC_OFFSET | 1, 0x5);
    const before = h.ops.rdtsc();
    h.run();
    const guest = (h.gprs[2]! >>> 0) * 2 ** 32 + (h.gprs[0]! >>> 0);
    const host = h.ops.rdtsc();
    expect(guest - 0x500001000).toBeGreaterThanOrEqual(before);
    expect(guest - 0x500001000).toBeLessThanOrEqual(host);
  });
});
