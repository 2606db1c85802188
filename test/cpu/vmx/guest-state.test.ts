// Guest-state load/save and host-state load against a plain register file (the shape of the CPU's
// Cpu class), exit-information recording, and the MSR load/store areas.
import { describe, expect, it } from 'vitest';
import { VM_ENTRY, VM_EXIT } from '../../../src/cpu/vmx/controls.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import {
  CR0_KEPT_BITS,
  ExitInformation,
  GuestExtras,
  type VmxRegisterFile,
  isTrapLikeExit,
  loadGuestState,
  loadHostState,
  saveGuestState,
  writeEntryFailure,
  writeExitInformation,
} from '../../../src/cpu/vmx/guest-state.js';
import { type MsrAccess, loadMsrArea, storeMsrArea } from '../../../src/cpu/vmx/msr-area.js';
import { INTR_TYPE, intrInfo } from '../../../src/cpu/vmx/qualification.js';
import { SEG_AR } from '../../../src/cpu/vmx/state-formats.js';
import { goodVmcs } from './good-vmcs.js';

function regs(): VmxRegisterFile {
  return {
    regs: new Int32Array(8), eip: 0,
    segSel: new Int32Array(8), segBase: new Int32Array(8), segLimit: new Int32Array(8), segAr: new Int32Array(8),
    gdtBase: 0, gdtLimit: 0, idtBase: 0, idtLimit: 0,
    cr0: 0x11, cr3: 0, cr4: 0, dr: new Int32Array(8),
    sysenterCs: 0, sysenterEsp: 0, sysenterEip: 0,
  };
}

describe('guest state', () => {
  it('loads the guest-state area into the registers', () => {
    const v = goodVmcs();
    const r = regs();
    const g = new GuestExtras();
    v.write(VMCS.GUEST_RFLAGS, 0x202);
    v.write(VMCS.GUEST_FS_BASE, 0xc0100000);
    loadGuestState(v, r, g, 0);
    expect(r.cr0 >>> 0).toBe(0x80000031);
    expect(r.cr4).toBe(0x2010);
    expect(r.eip).toBe(0x00100000);
    expect(r.regs[4]).toBe(0x00180000);
    expect([r.segSel[1], r.segAr[1], r.segLimit[1]]).toEqual([0x08, 0xc09b, -1]);
    expect(r.segBase[4]! >>> 0).toBe(0xc0100000);
    expect(r.segAr[6]).toBe(SEG_AR.UNUSABLE);
    expect([r.segSel[7], r.segLimit[7], r.segAr[7]]).toEqual([0x18, 0x67, 0x8b]);
    expect(r.gdtLimit).toBe(0xffff);
    expect(g.rflags).toBe(0x202);
  });

  it('keeps CR0 ET/NW/CD and reserved bits, and loads DR7 only with "load debug controls"', () => {
    const v = goodVmcs();
    const r = regs();
    r.cr0 = 0x60000011; // CD | NW | ET | PE
    r.dr[7] = 0x12345;
    v.write(VMCS.GUEST_DR7, 0xf7ff);
    loadGuestState(v, r, new GuestExtras(), 0);
    expect(r.cr0 >>> 0).toBe(((0x60000011 & CR0_KEPT_BITS) | (0x80000031 & ~CR0_KEPT_BITS)) >>> 0);
    expect(r.cr0 >>> 0).toBe(0xe0000031);
    expect(r.dr[7]).toBe(0x12345);
    loadGuestState(v, r, new GuestExtras(), VM_ENTRY.LOAD_DEBUG_CONTROLS);
    expect(r.dr[7]).toBe(0x27ff); // bits 12, 15:14 cleared, 10 set
  });

  it('save(load(x)) gives x back', () => {
    const v = goodVmcs();
    const r = regs();
    const g = new GuestExtras();
    loadGuestState(v, r, g, 0);
    const before = [VMCS.GUEST_RIP, VMCS.GUEST_CS_AR_BYTES, VMCS.GUEST_TR_LIMIT, VMCS.GUEST_LDTR_AR_BYTES, VMCS.GUEST_CR0].map((f) => v.read(f));
    r.eip = 0x00100005;
    r.regs[4] = 0x0017fffc;
    g.interruptibility = 1;
    saveGuestState(v, r, g, 0);
    expect(v.read(VMCS.GUEST_RIP)).toBe(0x00100005);
    expect(v.read(VMCS.GUEST_RSP)).toBe(0x0017fffc);
    expect(v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO)).toBe(1);
    expect([0x00100000, ...before.slice(1)]).toEqual(before);
    expect([VMCS.GUEST_CS_AR_BYTES, VMCS.GUEST_TR_LIMIT, VMCS.GUEST_LDTR_AR_BYTES, VMCS.GUEST_CR0].map((f) => v.read(f))).toEqual(before.slice(1));
  });

  it('saves DR7 only with "save debug controls"', () => {
    const v = goodVmcs();
    const r = regs();
    r.dr[7] = 0x401;
    saveGuestState(v, r, new GuestExtras(), 0);
    expect(v.read(VMCS.GUEST_DR7)).toBe(0);
    saveGuestState(v, r, new GuestExtras(), VM_EXIT.SAVE_DEBUG_CONTROLS);
    expect(v.read(VMCS.GUEST_DR7)).toBe(0x401);
  });
});

describe('host state (SDM §28.5)', () => {
  it('loads flat ring-0 segments, the TSS, an unusable LDTR, and fixed limits and flags', () => {
    const v = goodVmcs();
    v.write(VMCS.HOST_FS_SELECTOR, 0);
    v.write(VMCS.HOST_GS_BASE, 0xc0200000);
    v.write(VMCS.HOST_TR_BASE, 0x4000);
    v.write(VMCS.HOST_GDTR_BASE, 0x5000);
    const r = regs();
    const g = new GuestExtras();
    g.rflags = 0x246;
    g.interruptibility = 2;
    r.dr[7] = 0xff;
    loadHostState(v, r, g);
    expect(r.cr0 >>> 0).toBe(0x80000031);
    expect(r.cr3).toBe(0x9000);
    expect([r.segSel[1], r.segBase[1], r.segLimit[1], r.segAr[1]]).toEqual([0x08, 0, -1, 0xc09b]);
    expect([r.segSel[2], r.segAr[2]]).toEqual([0x10, 0xc093]);
    expect(r.segAr[4]).toBe(SEG_AR.UNUSABLE); // FS selector 0
    expect(r.segBase[5]! >>> 0).toBe(0xc0200000);
    expect([r.segSel[7], r.segBase[7], r.segLimit[7], r.segAr[7]]).toEqual([0x18, 0x4000, 0x67, 0x8b]);
    expect([r.segSel[6], r.segAr[6]]).toEqual([0, SEG_AR.UNUSABLE]);
    expect([r.gdtBase, r.gdtLimit, r.idtLimit]).toEqual([0x5000, 0xffff, 0xffff]);
    expect([r.eip, r.regs[4]]).toEqual([0x00200000, 0x00300000]);
    expect([g.rflags, g.interruptibility, r.dr[7]]).toEqual([2, 0, 0x400]);
  });
});

describe('exit information', () => {
  it('writes every exit-information field and clears the entry interruption valid bit', () => {
    const v = goodVmcs();
    v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true));
    const x = new ExitInformation().reset(30, 0x3f80000);
    x.instructionLength = 1;
    x.idtVectoringInfo = intrInfo(0x20, INTR_TYPE.EXT_INTR, false);
    writeExitInformation(v, x);
    expect(v.read(VMCS.VM_EXIT_REASON)).toBe(30);
    expect(v.read(VMCS.EXIT_QUALIFICATION)).toBe(0x3f80000);
    expect(v.read(VMCS.VM_EXIT_INSTRUCTION_LEN)).toBe(1);
    expect(v.read(VMCS.IDT_VECTORING_INFO_FIELD)).toBe(0x80000020);
    expect(v.read(VMCS.VM_EXIT_INTR_INFO)).toBe(0);
    expect(v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD)).toBe(0xb0e);
  });

  it('an entry failure writes reason | bit 31 and the qualification only', () => {
    const v = goodVmcs();
    v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, 7);
    writeEntryFailure(v, 33, 4);
    expect(v.read(VMCS.VM_EXIT_REASON)).toBe(0x80000021);
    expect(v.read(VMCS.EXIT_QUALIFICATION)).toBe(4);
    expect(v.read(VMCS.VM_EXIT_INSTRUCTION_LEN)).toBe(7);
  });

  it('knows the trap-like exits (MTF) from the fault-like ones', () => {
    expect(isTrapLikeExit(37)).toBe(true);
    expect(isTrapLikeExit(30)).toBe(false);
  });
});

class Msrs implements MsrAccess {
  readonly values = new Map<number, [number, number]>([[0x174, [0x8, 0]], [0x10, [0x1234, 0x5]]]);
  lastLo = 0;
  lastHi = 0;
  writeMsr(index: number, lo: number, hi: number): boolean {
    if (!this.values.has(index)) return false;
    this.values.set(index, [lo, hi]);
    return true;
  }
  readMsr(index: number): boolean {
    const v = this.values.get(index);
    if (!v) return false;
    [this.lastLo, this.lastHi] = v;
    return true;
  }
}

describe('MSR areas', () => {
  it('load in order and report the first failing entry (1-based)', () => {
    const v = goodVmcs();
    const m = new Msrs();
    const a = 0x20000;
    const put = (i: number, idx: number, res: number, lo: number) => {
      v.mem.write32(a + 16 * i, idx);
      v.mem.write32(a + 16 * i + 4, res);
      v.mem.write32(a + 16 * i + 8, lo);
      v.mem.write32(a + 16 * i + 12, 0);
    };
    put(0, 0x174, 0, 0x10);
    put(1, 0x10, 0, 0x99);
    expect(loadMsrArea(v.mem, a, 2, m)).toBe(0);
    expect(m.values.get(0x174)).toEqual([0x10, 0]);
    put(1, 0x10, 1, 0); // reserved half set
    expect(loadMsrArea(v.mem, a, 2, m)).toBe(2);
    put(1, 0x9e, 0, 0); // IA32_SMBASE
    expect(loadMsrArea(v.mem, a, 2, m)).toBe(2);
    put(1, 0x808, 0, 0); // x2APIC
    expect(loadMsrArea(v.mem, a, 2, m)).toBe(2);
    put(1, 0x1234, 0, 0); // WRMSR would #GP
    expect(loadMsrArea(v.mem, a, 2, m)).toBe(2);
  });

  it('store the current values into the area', () => {
    const v = goodVmcs();
    const a = 0x20000;
    v.mem.write32(a, 0x10);
    expect(storeMsrArea(v.mem, a, 1, new Msrs())).toBe(0);
    expect([v.mem.read32(a + 8), v.mem.read32(a + 12)]).toEqual([0x1234, 5]);
    v.mem.write32(a, 0x1234);
    expect(storeMsrArea(v.mem, a, 1, new Msrs())).toBe(1);
  });
});
