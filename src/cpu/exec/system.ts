// System and flag instructions: CLC STC CMC CLD STD CLI STI, HLT, CPUID, RDTSC, RDMSR/WRMSR, MOV to/
// from CR and DR, LGDT LIDT SGDT SIDT, LLDT SLDT LTR STR, LMSW SMSW CLTS, INVLPG INVD WBINVD, PAUSE,
// UD2, LAR LSL VERR VERW, MOV Sreg, LDS LES LFS LGS LSS (SDM Vol. 2 and Vol. 3 §2.8). The VMX
// intercept hook is called after the privilege checks the SDM orders first and before side effects.
import { CR0, CR4 } from '../control-regs.js';
import { writeCr0, writeCr3, writeCr4 } from '../control-write.js';
import { executeCpuid } from '../cpuid.js';
import { AR, SEL_TI, SysType, TSS_BUSY_BIT, arFromHigh, dplOf, limitFromDesc } from '../descriptor.js';
import { CF, DF, IF, IOPL, IOPL_SHIFT, ZF } from '../eflags.js';
import { getCF, materialize } from '../flags.js';
import { raiseGP, raiseNP, raiseUD } from '../fault.js';
import { Intercept } from '../hooks.js';
import { type MsrValue, readTsc } from '../msr.js';
import { read16, read32, sysWrite32, write16, write32 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import {
  desc,
  fetchDescriptor,
  loadDataSegment,
  loadStackSegment,
  selErr,
  setSegment,
  setSegmentFromDesc,
} from '../segmentation.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { linR, linW, readE16, requireCpl0, setReg16, writeE16 } from './operands.js';

function iopl(cpu: Cpu): number {
  return (cpu.flags & IOPL) >>> IOPL_SHIFT;
}

function setFlag(cpu: Cpu, bit: number, on: boolean): void {
  materialize(cpu);
  cpu.flags = on ? cpu.flags | bit : cpu.flags & ~bit;
}

const cli: Handler = (cpu) => {
  if (cpu.cpl > iopl(cpu)) raiseGP(0);
  cpu.flags &= ~IF;
};

/** STI: interrupts are recognised only after the next instruction (SDM STI). */
const sti: Handler = (cpu) => {
  if (cpu.cpl > iopl(cpu)) raiseGP(0);
  if ((cpu.flags & IF) === 0) {
    cpu.flags |= IF;
    cpu.inhibitIrq = true;
    cpu.inhibitMovSs = false;
    cpu.pending |= Pending.STEP | Pending.CHECK_IRQ;
  }
};

const hlt: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.HLT, insn, 0, 0)) return;
  cpu.halted = true;
  cpu.pending |= Pending.CHECK_IRQ;
};

const cpuid: Handler = (cpu, insn) => {
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.CPUID, insn, 0, 0)) return;
  executeCpuid(cpu);
};

/** RDTSC: #GP(0) at CPL > 0 when CR4.TSD is set (SDM RDTSC). */
const rdtsc: Handler = (cpu, insn) => {
  if ((cpu.cr4 & CR4.TSD) !== 0 && cpu.cpl !== 0) raiseGP(0);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.RDTSC, insn, 0, 0)) return;
  const t = readTsc(cpu);
  cpu.regs[0] = t | 0;
  cpu.regs[2] = Math.floor(t / 4294967296) | 0;
};

const msrOut: MsrValue = { lo: 0, hi: 0 };
const rdmsr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.RDMSR, insn, 0, 0)) return;
  if (!cpu.msrs.read(cpu, cpu.regs[1]!, msrOut)) raiseGP(0);
  cpu.regs[0] = msrOut.lo | 0;
  cpu.regs[2] = msrOut.hi | 0;
};

const wrmsr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.WRMSR, insn, 0, 0)) return;
  if (!cpu.msrs.write(cpu, cpu.regs[1]!, cpu.regs[0]!, cpu.regs[2]!)) raiseGP(0);
};

/** MOV r32, CRn (CR1 and CR5-7 decode as invalid). */
const movFromCr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.MOV_FROM_CR, insn, insn.reg, insn.rm)) return;
  const n = insn.reg;
  const v = n === 0 ? cpu.cr0 : n === 2 ? cpu.cr2 : n === 3 ? cpu.cr3 : cpu.cr4;
  cpu.regs[insn.rm] = cpu.nonRoot && (n === 0 || n === 4) ? cpu.vmx.readCr(cpu, n, v) : v;
};

const movToCr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.MOV_TO_CR, insn, insn.reg, insn.rm)) return;
  let v = cpu.regs[insn.rm]!;
  if (cpu.nonRoot && (insn.reg === 0 || insn.reg === 4)) v = cpu.vmx.writeCr(cpu, insn.reg, v);
  switch (insn.reg) {
    case 0:
      writeCr0(cpu, v);
      break;
    case 2:
      cpu.cr2 = v;
      break;
    case 3:
      writeCr3(cpu, v);
      break;
    default:
      writeCr4(cpu, v);
  }
};

/** DR4/DR5 alias DR6/DR7 unless CR4.DE, when they are #UD (SDM MOV DR). DR6/DR7 keep their fixed
 *  bits (DR6 bits 4-11 and 16-31 read as 1, DR7 bit 10 reads as 1). */
function drIndex(cpu: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if (cpu.cr4 & CR4.DE) raiseUD();
    return n + 2;
  }
  return n;
}

const movFromDr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  const n = drIndex(cpu, insn.reg);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.MOV_DR, insn, insn.reg, insn.rm | (1 << 8))) return;
  cpu.regs[insn.rm] = cpu.dr[n]!;
};

const movToDr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  const n = drIndex(cpu, insn.reg);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.MOV_DR, insn, insn.reg, insn.rm)) return;
  let v = cpu.regs[insn.rm]!;
  if (n === 6) v = (v | 0xffff0ff0) & ~0x1000;
  else if (n === 7) v = (v | 0x400) & ~0xd800;
  cpu.dr[n] = v;
};

// ---- descriptor tables

function loadTableRegister(cpu: Cpu, insn: Insn, idt: boolean): void {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
  const lin = linR(cpu, insn, 6);
  const limit = read16(cpu, lin);
  let base = read32(cpu, (lin + 2) | 0);
  if (insn.opSize === 2) base &= 0xffffff;
  if (idt) {
    cpu.idtBase = base;
    cpu.idtLimit = limit;
  } else {
    cpu.gdtBase = base;
    cpu.gdtLimit = limit;
  }
}

function storeTableRegister(cpu: Cpu, insn: Insn, idt: boolean): void {
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
  const lin = linW(cpu, insn, 6);
  write16(cpu, lin, idt ? cpu.idtLimit : cpu.gdtLimit);
  write32(cpu, (lin + 2) | 0, idt ? cpu.idtBase : cpu.gdtBase);
}

/** Stores a selector-like 16-bit value: to memory as 16 bits, to a register zero-extended. */
function storeSelector(cpu: Cpu, insn: Insn, v: number): void {
  if (insn.mod === 3 && insn.opSize === 4) cpu.regs[insn.rm] = v & 0xffff;
  else writeE16(cpu, insn, v);
}

/** LLDT (SDM LLDT): the selector must name an LDT descriptor in the GDT. */
const lldt: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
  const sel = readE16(cpu, insn);
  if ((sel & 0xfffc) === 0) {
    setSegment(cpu, SegSlot.LDTR, sel, 0, 0, AR.UNUSABLE);
    return;
  }
  if (sel & SEL_TI || !fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  if ((ar & (AR.S | AR.TYPE_MASK)) !== SysType.LDT) raiseGP(selErr(cpu, sel));
  if ((ar & AR.P) === 0) raiseNP(selErr(cpu, sel));
  setSegmentFromDesc(cpu, SegSlot.LDTR, sel);
  cpu.segAr[SegSlot.LDTR] = ar;
};

/** LTR (SDM LTR): an available TSS in the GDT, marked busy in memory as it is loaded. */
const ltr: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
  const sel = readE16(cpu, insn);
  if ((sel & 0xfffc) === 0) raiseGP(0);
  if (sel & SEL_TI || !fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  const t = ar & (AR.S | AR.TYPE_MASK);
  if (t !== SysType.TSS32_AVAIL && t !== SysType.TSS16_AVAIL) raiseGP(selErr(cpu, sel));
  if ((ar & AR.P) === 0) raiseNP(selErr(cpu, sel));
  desc.hi |= TSS_BUSY_BIT << 8;
  sysWrite32(cpu, (desc.addr + 4) | 0, desc.hi);
  setSegmentFromDesc(cpu, SegSlot.TR, sel);
  cpu.segAr[SegSlot.TR] = ar | TSS_BUSY_BIT;
};

// ---- LAR LSL VERR VERW: report through ZF, never fault on a bad selector (SDM LAR "Operation")

/** Loads the descriptor for LAR/LSL/VERR/VERW and checks DPL >= max(CPL, RPL) where it applies.
 *  Returns the access rights, or -1 (ZF = 0). */
function probeSelector(cpu: Cpu, sel: number, validSystem: number): number {
  if ((sel & 0xfffc) === 0 || !fetchDescriptor(cpu, sel)) return -1;
  const ar = arFromHigh(desc.hi);
  if ((ar & AR.S) === 0) {
    if (((validSystem >>> (ar & 0xf)) & 1) === 0) return -1;
  }
  const conformingCode = (ar & (AR.S | AR.CODE | AR.DC)) === (AR.S | AR.CODE | AR.DC);
  if (!conformingCode) {
    const dpl = dplOf(ar);
    if (dpl < cpu.cpl || dpl < (sel & 3)) return -1;
  }
  return ar;
}

function setZf(cpu: Cpu, on: boolean): void {
  setFlag(cpu, ZF, on);
}

const LAR_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 11) | (1 << 12);
const LSL_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);

const lar: Handler = (cpu, insn) => {
  const ar = probeSelector(cpu, readE16(cpu, insn), LAR_TYPES);
  if (ar < 0) return setZf(cpu, false);
  // Bits 8-23 of the descriptor's high dword, limit nibble cleared (QEMU's mask 0x00F0FF00).
  const v = desc.hi & 0x00f0ff00;
  if (insn.opSize === 4) cpu.regs[insn.reg] = v;
  else setReg16(cpu, insn.reg, v);
  setZf(cpu, true);
};

const lsl: Handler = (cpu, insn) => {
  const ar = probeSelector(cpu, readE16(cpu, insn), LSL_TYPES);
  if (ar < 0) return setZf(cpu, false);
  const limit = limitFromDesc(desc.lo, desc.hi);
  if (insn.opSize === 4) cpu.regs[insn.reg] = limit;
  else setReg16(cpu, insn.reg, limit);
  setZf(cpu, true);
};

const verr: Handler = (cpu, insn) => {
  const ar = probeSelector(cpu, readE16(cpu, insn), 0);
  setZf(cpu, ar >= 0 && (ar & AR.S) !== 0 && ((ar & AR.CODE) === 0 || (ar & AR.RW) !== 0));
};

const verw: Handler = (cpu, insn) => {
  const ar = probeSelector(cpu, readE16(cpu, insn), 0);
  setZf(cpu, ar >= 0 && (ar & (AR.S | AR.CODE | AR.RW)) === (AR.S | AR.RW));
};

// ---- MOV Sreg, LxS

const movToSreg: Handler = (cpu, insn) => {
  const sel = readE16(cpu, insn);
  if (insn.reg === SegSlot.SS) {
    loadStackSegment(cpu, sel);
    cpu.inhibitIrq = true;
    cpu.inhibitMovSs = true;
    cpu.pending |= Pending.STEP;
  } else loadDataSegment(cpu, insn.reg, sel);
};

const movFromSreg: Handler = (cpu, insn) => storeSelector(cpu, insn, cpu.segSel[insn.reg]!);

function loadFarPointer(s: number): Handler {
  return (cpu, insn) => {
    const lin = linR(cpu, insn, insn.opSize + 2);
    const off = insn.opSize === 4 ? read32(cpu, lin) : read16(cpu, lin);
    const sel = read16(cpu, (lin + insn.opSize) | 0);
    if (s === SegSlot.SS) loadStackSegment(cpu, sel);
    else loadDataSegment(cpu, s, sel);
    if (insn.opSize === 4) cpu.regs[insn.reg] = off;
    else setReg16(cpu, insn.reg, off);
  };
}

// ---- misc

const invlpg: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  const lin = linR(cpu, insn, 1);
  if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.INVLPG, insn, lin, 0)) return;
  cpu.tlb.flushPage(lin);
  cpu.pending |= Pending.CODE_CHANGED;
};

function simplePrivileged(kind: Intercept): Handler {
  return (cpu, insn) => {
    requireCpl0(cpu);
    // Nothing else to do: the instruction exits or is a no-op here (no caches are modelled).
    if (cpu.nonRoot) cpu.vmx.intercept(cpu, kind, insn, 0, 0);
  };
}

const clts: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  if (cpu.nonRoot) {
    if (cpu.vmx.intercept(cpu, Intercept.CLTS, insn, 0, 0)) return;
    cpu.cr0 = cpu.vmx.writeCr(cpu, 0, cpu.cr0 & ~CR0.TS);
  } else cpu.cr0 &= ~CR0.TS;
};

/** LMSW loads CR0 bits 0-3 and can set PE but never clear it (SDM LMSW). */
const lmsw: Handler = (cpu, insn) => {
  requireCpl0(cpu);
  const v = readE16(cpu, insn);
  let cr0 = (cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & CR0.PE);
  if (cpu.nonRoot) {
    if (cpu.vmx.intercept(cpu, Intercept.LMSW, insn, v, insn.mod === 3 ? -1 : linR(cpu, insn, 2))) return;
    cr0 = cpu.vmx.writeCr(cpu, 0, cr0);
  }
  writeCr0(cpu, cr0);
};

const smsw: Handler = (cpu, insn) => {
  const cr0 = cpu.nonRoot ? cpu.vmx.readCr(cpu, 0, cpu.cr0) : cpu.cr0;
  if (insn.mod === 3 && insn.opSize === 4) cpu.regs[insn.rm] = cr0;
  else writeE16(cpu, insn, cr0);
};

export const SYSTEM_HANDLERS: Record<string, Handler> = {
  clc: (cpu) => setFlag(cpu, CF, false),
  stc: (cpu) => setFlag(cpu, CF, true),
  cmc: (cpu) => setFlag(cpu, CF, getCF(cpu) === 0),
  cld: (cpu) => {
    cpu.flags &= ~DF;
  },
  std: (cpu) => {
    cpu.flags |= DF;
  },
  cli,
  sti,
  hlt,
  cpuid,
  rdtsc,
  rdmsr,
  wrmsr,
  mov_Rd_Cd: movFromCr,
  mov_Cd_Rd: movToCr,
  mov_Rd_Dd: movFromDr,
  mov_Dd_Rd: movToDr,
  lgdt_Ms: (cpu, insn) => loadTableRegister(cpu, insn, false),
  lidt_Ms: (cpu, insn) => loadTableRegister(cpu, insn, true),
  sgdt_Ms: (cpu, insn) => storeTableRegister(cpu, insn, false),
  sidt_Ms: (cpu, insn) => storeTableRegister(cpu, insn, true),
  lldt_Ew: lldt,
  sldt_Ev: (cpu, insn) => {
    if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
    storeSelector(cpu, insn, cpu.segSel[SegSlot.LDTR]!);
  },
  ltr_Ew: ltr,
  str_Ev: (cpu, insn) => {
    if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.DESC_TABLE, insn, insn.op, 0)) return;
    storeSelector(cpu, insn, cpu.segSel[SegSlot.TR]!);
  },
  lar_Gv_Ew: lar,
  lsl_Gv_Ew: lsl,
  verr_Ew: verr,
  verw_Ew: verw,
  lmsw_Ew: lmsw,
  smsw_Ev: smsw,
  clts,
  invlpg_M: invlpg,
  invd: simplePrivileged(Intercept.INVD),
  wbinvd: simplePrivileged(Intercept.WBINVD),
  pause: (cpu, insn) => {
    if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.PAUSE, insn, 0, 0)) return;
  },
  ud2: () => raiseUD(),
  mov_Sw_Ew: movToSreg,
  mov_Ev_Sw: movFromSreg,
  les_Gv_Mp: loadFarPointer(SegSlot.ES),
  lds_Gv_Mp: loadFarPointer(SegSlot.DS),
  lss_Gv_Mp: loadFarPointer(SegSlot.SS),
  lfs_Gv_Mp: loadFarPointer(SegSlot.FS),
  lgs_Gv_Mp: loadFarPointer(SegSlot.GS),
};
