// Non-root intercept predicates, modelled on kvm-unit-tests vmx_tests.c: iobmp (port boundaries, a
// 4-byte access over 0x4FFF..0x5002 and 0x7FFF/0x8000, the 0xFFFF wrap, unconditional exiting),
// MSR bitmap ranges, the #PF error-code mask/match rule, cr_shadowing, insn_intercept, preemption timer.
import { beforeEach, describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { CPU_BASED, PIN_BASED, SECONDARY_EXEC, msrBitmapBit } from '../../../src/cpu/vmx/controls.js';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import {
  InterceptControls,
  InsnIntercept,
  cltsExits,
  cltsResult,
  cr3LoadExits,
  exceptionCausesExit,
  guestTsc,
  instructionExits,
  interceptExitReason,
  interruptWindowOpen,
  ioCausesExit,
  lmswExits,
  lmswResult,
  movToCrExits,
  msrCausesExit,
  preemptionDeadline,
  preemptionRemaining,
  shadowedCrRead,
  shadowedCrWrite,
} from '../../../src/cpu/vmx/intercept.js';
import { goodVmcs, LAYOUT } from './good-vmcs.js';

const IO_A = 0x1000, IO_B = 0x2000, MSRB = 0x3000;
let mem: PhysicalMemory;
let c: InterceptControls;

function setBit(base: number, bit: number): void {
  mem.write8(base + (bit >>> 3), mem.read8(base + (bit >>> 3)) | (1 << (bit & 7)));
}

beforeEach(() => {
  mem = new PhysicalMemory(0x10000);
  c = new InterceptControls();
  c.proc = CPU_BASED.USE_IO_BITMAPS | CPU_BASED.USE_MSR_BITMAPS;
  c.ioBitmapA = IO_A;
  c.ioBitmapB = IO_B;
  c.msrBitmap = MSRB;
});

describe('I/O bitmaps (iobmp)', () => {
  it('pass with clear bitmaps; trap a port whose bit is set in A (low) or B (high)', () => {
    expect(ioCausesExit(c, mem, 0x5000, 1)).toBe(false);
    setBit(IO_A, 0x5000);
    expect(ioCausesExit(c, mem, 0x5000, 1)).toBe(true);
    expect(ioCausesExit(c, mem, 0x5001, 1)).toBe(false);
    expect(ioCausesExit(c, mem, 0x9000, 1)).toBe(false);
    setBit(IO_B, 0x1000); // port 0x9000
    expect(ioCausesExit(c, mem, 0x9000, 1)).toBe(true);
    expect(ioCausesExit(c, mem, 0x1000, 1)).toBe(false); // bitmap A's bit for 0x1000 is clear
  });

  it('trap a multi-byte access if the port of any byte is set ("partial pass": inl 0x4FFF covers 0x5000)', () => {
    setBit(IO_A, 0x5000);
    expect(ioCausesExit(c, mem, 0x4fff, 4)).toBe(true);
    expect(ioCausesExit(c, mem, 0x4ffc, 4)).toBe(false);
    expect(ioCausesExit(c, mem, 0x4fff, 1)).toBe(false);
  });

  it('handle an access crossing from bitmap A into B at 0x7FFF/0x8000', () => {
    setBit(IO_B, 0); // port 0x8000
    expect(ioCausesExit(c, mem, 0x7ffe, 2)).toBe(false);
    expect(ioCausesExit(c, mem, 0x7ffe, 4)).toBe(true);
    expect(ioCausesExit(c, mem, 0x7fff, 2)).toBe(true);
    setBit(IO_A, 0x7fff);
    expect(ioCausesExit(c, mem, 0x7ffc, 4)).toBe(true);
  });

  it('always trap an access that wraps past 0xFFFF ("overrun": inl 0xFFFF with clear bitmaps)', () => {
    expect(ioCausesExit(c, mem, 0xffff, 1)).toBe(false);
    expect(ioCausesExit(c, mem, 0xfffe, 2)).toBe(false);
    expect(ioCausesExit(c, mem, 0xffff, 2)).toBe(true);
    expect(ioCausesExit(c, mem, 0xffff, 4)).toBe(true);
    expect(ioCausesExit(c, mem, 0xfffd, 4)).toBe(true);
  });

  it('ignore unconditional I/O exiting when bitmaps are used; obey it alone', () => {
    c.proc |= CPU_BASED.UNCOND_IO_EXITING;
    expect(ioCausesExit(c, mem, 0x0, 1)).toBe(false);
    c.proc &= ~CPU_BASED.USE_IO_BITMAPS;
    expect(ioCausesExit(c, mem, 0x0, 1)).toBe(true);
    c.proc &= ~CPU_BASED.UNCOND_IO_EXITING;
    expect(ioCausesExit(c, mem, 0x0, 1)).toBe(false);
  });
});

describe('MSR bitmaps', () => {
  it('locate the four 1 KiB bitmaps', () => {
    expect(msrBitmapBit(0x10, false)).toBe(0x10);
    expect(msrBitmapBit(0x1fff, true)).toBe(0x800 * 8 + 0x1fff);
    expect(msrBitmapBit(0xc0000080, false)).toBe(0x400 * 8 + 0x80);
    expect(msrBitmapBit(0xc0001fff, true)).toBe(0xc00 * 8 + 0x1fff);
    expect(msrBitmapBit(0x2000, false)).toBe(-1);
    expect(msrBitmapBit(0xc0002000, false)).toBe(-1);
    expect(msrBitmapBit(0xbfffffff, true)).toBe(-1);
  });

  it('exit per bit, separately for reads and writes, low and high ranges', () => {
    expect(msrCausesExit(c, mem, 0x174, false)).toBe(false);
    setBit(MSRB, msrBitmapBit(0x174, true));
    expect(msrCausesExit(c, mem, 0x174, false)).toBe(false);
    expect(msrCausesExit(c, mem, 0x174, true)).toBe(true);
    setBit(MSRB, msrBitmapBit(0xc0000100, false));
    expect(msrCausesExit(c, mem, 0xc0000100, false)).toBe(true);
    expect(msrCausesExit(c, mem, 0x100, false)).toBe(false); // same bit index, the low bitmap
  });

  it('always exit outside 0-1FFF and C0000000-C0001FFF, and always without MSR bitmaps', () => {
    expect(msrCausesExit(c, mem, 0x2000, false)).toBe(true);
    expect(msrCausesExit(c, mem, 0x40000000, true)).toBe(true);
    expect(msrCausesExit(c, mem, 0xc0002000, false)).toBe(true);
    c.proc &= ~CPU_BASED.USE_MSR_BITMAPS;
    expect(msrCausesExit(c, mem, 0x10, false)).toBe(true);
  });
});

describe('exception bitmap and the #PF error-code mask/match rule', () => {
  it('follows the bitmap for vectors other than 14', () => {
    c.exceptionBitmap = (1 << 6) | (1 << 13);
    expect(exceptionCausesExit(c, 6, 0)).toBe(true);
    expect(exceptionCausesExit(c, 13, 0)).toBe(true);
    expect(exceptionCausesExit(c, 0, 0)).toBe(false);
    expect(exceptionCausesExit(c, 3, 0)).toBe(false);
  });

  it('#PF with bit 14 set exits iff (PFEC & mask) == match', () => {
    c.exceptionBitmap = 1 << 14;
    expect(exceptionCausesExit(c, 14, 0x5)).toBe(true); // mask 0, match 0: every #PF
    c.pfecMask = 0x1;
    c.pfecMatch = 0x1; // only present-page faults
    expect(exceptionCausesExit(c, 14, 0x3)).toBe(true);
    expect(exceptionCausesExit(c, 14, 0x2)).toBe(false);
  });

  it('#PF with bit 14 clear exits iff (PFEC & mask) != match (KVM: not-present faults to the guest)', () => {
    c.exceptionBitmap = 0;
    expect(exceptionCausesExit(c, 14, 0x5)).toBe(false);
    c.pfecMask = 0x1;
    c.pfecMatch = 0x0;
    expect(exceptionCausesExit(c, 14, 0x0)).toBe(false);
    expect(exceptionCausesExit(c, 14, 0x1)).toBe(true);
    c.pfecMatch = 0x2; // match has a bit the mask lacks: nothing matches, so everything exits
    expect(exceptionCausesExit(c, 14, 0x0)).toBe(true);
  });
});

describe('CR0/CR4 guest/host masks and read shadows (cr_shadowing)', () => {
  const TS = 1 << 3, MP = 1 << 1, EM = 1 << 2, PE = 1, NE = 1 << 5;
  it('read-through and write-through with mask 0', () => {
    expect(shadowedCrRead(0x80000031, 0, 0x12345678)).toBe(0x80000031);
    expect(movToCrExits(0, 0, 0xffffffff)).toBe(false);
    expect(shadowedCrWrite(0x80000031, 0, 0x80000039)).toBe(0x80000039);
  });

  it('reads return owned bits from the shadow', () => {
    // KVM-style: the host owns NE and keeps it set; the guest believes it is clear.
    expect(shadowedCrRead(0x80000031, NE, 0)).toBe(0x80000011);
    expect(shadowedCrRead(0x80000031, TS | MP, TS)).toBe(0x80000039);
  });

  it('a write exits iff it changes an owned bit away from the shadow (qual 0x600/0x604 tested elsewhere)', () => {
    expect(movToCrExits(TS | MP, TS, 0x80000039)).toBe(false); // same owned bits as the shadow
    expect(movToCrExits(TS | MP, TS, 0x80000031)).toBe(true); // clears owned TS
    expect(movToCrExits(TS | MP, TS, 0x8000003b)).toBe(true); // sets owned MP
    expect(movToCrExits(NE, 0, 0x80000011)).toBe(false); // guest writes NE=0, matching the shadow
  });

  it('a write that does not exit keeps the host-owned bits of the register', () => {
    expect(shadowedCrWrite(0x80000031, NE, 0x80000011)).toBe(0x80000031);
    expect(shadowedCrWrite(0x80000031, NE, 0x80010011)).toBe(0x80010031);
  });

  it('CLTS exits iff TS is owned and set in the shadow; otherwise clears only a guest-owned TS', () => {
    c.cr0Mask = TS;
    c.cr0Shadow = TS;
    expect(cltsExits(c)).toBe(true);
    c.cr0Shadow = 0;
    expect(cltsExits(c)).toBe(false);
    expect(cltsResult(c, 0x80000039)).toBe(0x80000039);
    c.cr0Mask = 0;
    expect(cltsResult(c, 0x80000039)).toBe(0x80000031);
  });

  it('LMSW exits on setting an owned PE the shadow lacks, or changing owned MP/EM/TS', () => {
    c.cr0Mask = PE | TS;
    c.cr0Shadow = 0;
    expect(lmswExits(c, PE)).toBe(true);
    expect(lmswExits(c, 0)).toBe(false);
    expect(lmswExits(c, TS)).toBe(true);
    expect(lmswExits(c, MP | EM)).toBe(false);
    c.cr0Shadow = PE; // LMSW cannot clear PE, so a clear source PE never exits
    expect(lmswExits(c, 0)).toBe(false);
    expect(lmswResult(c, 0x80000031, MP | EM)).toBe(0x80000037);
    expect(lmswResult(c, 0x80000039, 0)).toBe(0x80000039); // TS owned: kept; PE never cleared
  });

  it('CR3-load exiting honours up to CR3-target-count targets', () => {
    c.proc |= CPU_BASED.CR3_LOAD_EXITING;
    c.cr3Targets.set([0x1000, 0x2000, 0x3000, 0x4000]);
    c.cr3TargetCount = 2;
    expect(cr3LoadExits(c, 0x1000)).toBe(false);
    expect(cr3LoadExits(c, 0x2000)).toBe(false);
    expect(cr3LoadExits(c, 0x3000)).toBe(true);
    c.cr3TargetCount = 0;
    expect(cr3LoadExits(c, 0x1000)).toBe(true);
    c.proc &= ~CPU_BASED.CR3_LOAD_EXITING;
    expect(cr3LoadExits(c, 0x5000)).toBe(false);
  });
});

describe('instruction intercepts (insn_intercept)', () => {
  it('CPUID, INVD, XSETBV, GETSEC always exit', () => {
    for (const i of [InsnIntercept.CPUID, InsnIntercept.INVD, InsnIntercept.XSETBV, InsnIntercept.GETSEC]) expect(instructionExits(c, i)).toBe(true);
    expect(interceptExitReason(InsnIntercept.CPUID)).toBe(10);
    expect(interceptExitReason(InsnIntercept.INVD)).toBe(13);
  });

  it('each controlled instruction exits with its reason only when its control is set', () => {
    const rows: [InsnIntercept, 'proc' | 'proc2', number, number][] = [
      [InsnIntercept.HLT, 'proc', CPU_BASED.HLT_EXITING, EXIT_REASON.HLT],
      [InsnIntercept.INVLPG, 'proc', CPU_BASED.INVLPG_EXITING, EXIT_REASON.INVLPG],
      [InsnIntercept.RDTSC, 'proc', CPU_BASED.RDTSC_EXITING, EXIT_REASON.RDTSC],
      [InsnIntercept.MOV_DR, 'proc', CPU_BASED.MOV_DR_EXITING, EXIT_REASON.DR_ACCESS],
      [InsnIntercept.PAUSE, 'proc', CPU_BASED.PAUSE_EXITING, EXIT_REASON.PAUSE],
      [InsnIntercept.WBINVD, 'proc2', SECONDARY_EXEC.WBINVD_EXITING, EXIT_REASON.WBINVD],
      [InsnIntercept.GDTR_IDTR, 'proc2', SECONDARY_EXEC.DESC, EXIT_REASON.GDTR_IDTR],
      [InsnIntercept.LDTR_TR, 'proc2', SECONDARY_EXEC.DESC, EXIT_REASON.LDTR_TR],
    ];
    for (const [what, word, bit, reason] of rows) {
      const k = new InterceptControls();
      expect(instructionExits(k, what)).toBe(false);
      k[word] = bit;
      expect(instructionExits(k, what)).toBe(true);
      expect(interceptExitReason(what)).toBe(reason);
    }
  });
});

describe('events and time', () => {
  it('interrupt window opens with IF=1 and no STI/MOV SS blocking', () => {
    c.proc |= CPU_BASED.INTR_WINDOW_EXITING;
    expect(interruptWindowOpen(c, true, 0)).toBe(true);
    expect(interruptWindowOpen(c, false, 0)).toBe(false);
    expect(interruptWindowOpen(c, true, 1)).toBe(false);
    expect(interruptWindowOpen(c, true, 2)).toBe(false);
  });

  it('TSC offsetting adds the (signed) offset', () => {
    c.tscOffset = -1000;
    expect(guestTsc(c, 5000)).toBe(5000);
    c.proc |= CPU_BASED.USE_TSC_OFFSETTING;
    expect(guestTsc(c, 5000)).toBe(4000);
  });

  it('preemption timer: value 0 expires at once; the saved value counts down; rates scale', () => {
    expect(preemptionDeadline(1234, 0)).toBe(1234);
    expect(preemptionDeadline(1000, 500)).toBe(1500);
    expect(preemptionRemaining(1500, 1200)).toBe(300);
    expect(preemptionRemaining(1500, 1600)).toBe(0);
    // With rate 5 the timer ticks when bit 5 of the TSC changes: from 100 (unit 96..127), 2 ticks -> 160.
    expect(preemptionDeadline(100, 2, 5)).toBe(160);
    expect(preemptionRemaining(160, 130, 5)).toBe(1);
  });

  it('the controls are loaded from the VMCS at entry; secondary controls only when activated', () => {
    const v = goodVmcs();
    v.write(VMCS.EXCEPTION_BITMAP, 1 << 14);
    v.write(VMCS.PAGE_FAULT_ERROR_CODE_MASK, 1);
    v.write64(VMCS.TSC_OFFSET, 0xfffffc18, 0xffffffff); // -1000
    v.write(VMCS.PIN_BASED_VM_EXEC_CONTROL, v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL) | PIN_BASED.VMX_PREEMPTION_TIMER);
    const k = new InterceptControls();
    k.load(v);
    expect(k.exceptionBitmap).toBe(1 << 14);
    expect(k.pfecMask).toBe(1);
    expect(k.tscOffset).toBe(-1000);
    expect(k.msrBitmap).toBe(LAYOUT.MSR_BITMAP);
    expect(k.proc2 & SECONDARY_EXEC.ENABLE_EPT).not.toBe(0);
    v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~CPU_BASED.ACTIVATE_SECONDARY_CONTROLS);
    k.load(v);
    expect(k.proc2).toBe(0);
    expect(k.eptp).toBe(0);
    expect(k.vpid).toBe(0);
  });
});
