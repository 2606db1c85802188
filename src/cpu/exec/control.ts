// Control transfer: JMP, Jcc, CALL, RET (near and far), LOOP/LOOPcc/JECXZ, INT n/INT3/INTO, IRET
// (SDM Vol. 2, protected-mode "Operation" sections). Far transfers go to code segments of the same
// privilege (JMP/CALL) or return to the same or an outer one (RET/IRET); call gates, task gates and
// TSS targets (hardware task switching) are outside this processor and stop the machine clearly.
import { AR, SysType, arFromHigh, dplOf, limitFromDesc } from '../descriptor.js';
import { NT, RF, VM } from '../eflags.js';
import { UnsupportedFeature, deliverOnce } from '../exceptions.js';
import { getOF, getZF, readEflags, testCond } from '../flags.js';
import { raise, raiseGP, raiseNP } from '../fault.js';
import { read16, read32, write16, write32 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import {
  checkStackSegment,
  desc,
  fetchDescriptor,
  nullInaccessibleSegments,
  selErr,
  setAccessed,
  setCpl,
  setSegmentFromDesc,
} from '../segmentation.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { EventKind, Vec } from '../vectors.js';
import { eflagsWriteMask, loadEflags } from './stack.js';
import { adjustEsp, linR, peek, push32, pushV, readEv, segLin, stack32 } from './operands.js';

/** Near jump within CS: the target is truncated to the operand size and checked against the limit. */
export function jumpNear(cpu: Cpu, target: number, opSize: number): void {
  if (opSize === 2) target &= 0xffff;
  if (cpu.csLimit !== -1 && target >>> 0 > cpu.csLimit >>> 0) raiseGP(0);
  cpu.eip = target | 0;
}

const jcc: Handler = (cpu, insn) => {
  if (testCond(cpu, insn.cc)) jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
};
const jz: Handler = (cpu, insn) => {
  if (getZF(cpu) !== 0) jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
};
const jnz: Handler = (cpu, insn) => {
  if (getZF(cpu) === 0) jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
};
const jmpRel: Handler = (cpu, insn) => jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
const jmp_Ev: Handler = (cpu, insn) => jumpNear(cpu, readEv(cpu, insn), insn.opSize);

function callNear(cpu: Cpu, insn: Insn, target: number): void {
  if (insn.opSize === 2) target &= 0xffff;
  if (cpu.csLimit !== -1 && target >>> 0 > cpu.csLimit >>> 0) raiseGP(0);
  if (insn.opSize === 4) push32(cpu, cpu.eip);
  else pushV(cpu, insn, cpu.eip);
  cpu.eip = target | 0;
}

const call_Jz: Handler = (cpu, insn) => callNear(cpu, insn, cpu.eip + insn.imm);
const call_Ev: Handler = (cpu, insn) => callNear(cpu, insn, readEv(cpu, insn));

function retNear(cpu: Cpu, insn: Insn, extra: number): void {
  const size = insn.opSize;
  if (size === 4 && cpu.stackFlat) {
    const esp = cpu.regs[4]!;
    const target = read32(cpu, (cpu.segBase[SegSlot.SS]! + esp) | 0);
    if (cpu.csLimit !== -1 && target >>> 0 > cpu.csLimit >>> 0) raiseGP(0);
    cpu.regs[4] = (esp + 4 + extra) | 0;
    cpu.eip = target;
    return;
  }
  const target = peek(cpu, size, 0);
  if (cpu.csLimit !== -1 && target >>> 0 > cpu.csLimit >>> 0) raiseGP(0);
  adjustEsp(cpu, size + extra);
  cpu.eip = target;
}

/** LOOP/LOOPE/LOOPNE/JECXZ use ECX or CX by address size (SDM LOOP). */
function loopOp(cpu: Cpu, insn: Insn, kind: number): void {
  let count: number;
  if (insn.addrSize === 4) {
    count = (cpu.regs[1]! - 1) | 0;
    cpu.regs[1] = count;
  } else {
    count = (cpu.regs[1]! - 1) & 0xffff;
    cpu.regs[1] = (cpu.regs[1]! & ~0xffff) | count;
  }
  let take = count !== 0;
  if (kind === 1) take = take && getZF(cpu) !== 0;
  else if (kind === 2) take = take && getZF(cpu) === 0;
  if (take) jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
}

const jecxz: Handler = (cpu, insn) => {
  const c = insn.addrSize === 4 ? cpu.regs[1]! : cpu.regs[1]! & 0xffff;
  if (c === 0) jumpNear(cpu, cpu.eip + insn.imm, insn.opSize);
};

// ---------------------------------------------------------------- far transfers

/** Checks a far JMP/CALL target code segment (SDM JMP/CALL protected mode, "CONFORMING-CODE-
 *  SEGMENT" / "NONCONFORMING-CODE-SEGMENT"); leaves its descriptor in `desc`. */
function checkFarTarget(cpu: Cpu, sel: number, offset: number): void {
  if ((sel & 0xfffc) === 0) raiseGP(0);
  if (!fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  if ((ar & AR.S) === 0) {
    const t = ar & 0xf;
    if (t === SysType.CALL_GATE32 || t === SysType.CALL_GATE16) {
      throw new UnsupportedFeature('far transfer through a call gate');
    }
    if (t === SysType.TASK_GATE || t === SysType.TSS32_AVAIL || t === SysType.TSS16_AVAIL) {
      throw new UnsupportedFeature('far transfer to a task (hardware task switching)');
    }
    raiseGP(selErr(cpu, sel));
  }
  if ((ar & AR.CODE) === 0) raiseGP(selErr(cpu, sel));
  const dpl = dplOf(ar);
  if (ar & AR.DC) {
    if (dpl > cpu.cpl) raiseGP(selErr(cpu, sel));
  } else if ((sel & 3) > cpu.cpl || dpl !== cpu.cpl) raiseGP(selErr(cpu, sel));
  if ((ar & AR.P) === 0) raiseNP(selErr(cpu, sel));
  if (offset >>> 0 > limitFromDesc(desc.lo, desc.hi) >>> 0) raiseGP(0);
}

function loadCsKeepCpl(cpu: Cpu, sel: number): void {
  setAccessed(cpu);
  setSegmentFromDesc(cpu, SegSlot.CS, (sel & 0xfffc) | cpu.cpl);
}

function farJump(cpu: Cpu, insn: Insn, sel: number, offset: number): void {
  if (insn.opSize === 2) offset &= 0xffff;
  checkFarTarget(cpu, sel, offset);
  loadCsKeepCpl(cpu, sel);
  cpu.eip = offset;
}

function farCall(cpu: Cpu, insn: Insn, sel: number, offset: number): void {
  const size = insn.opSize;
  if (size === 2) offset &= 0xffff;
  checkFarTarget(cpu, sel, offset);
  const lo = desc.lo;
  const hi = desc.hi;
  const addr = desc.addr;
  // Both pushes are written before anything is committed.
  const esp = cpu.regs[4]!;
  const b32 = stack32(cpu);
  const o1 = b32 ? (esp - size) | 0 : (esp - size) & 0xffff;
  const o2 = b32 ? (esp - 2 * size) | 0 : (esp - 2 * size) & 0xffff;
  const l1 = segLin(cpu, SegSlot.SS, o1, size, true);
  const l2 = segLin(cpu, SegSlot.SS, o2, size, true);
  if (size === 4) {
    write32(cpu, l1, cpu.segSel[SegSlot.CS]!);
    write32(cpu, l2, cpu.eip);
  } else {
    write16(cpu, l1, cpu.segSel[SegSlot.CS]!);
    write16(cpu, l2, cpu.eip);
  }
  desc.lo = lo;
  desc.hi = hi;
  desc.addr = addr;
  loadCsKeepCpl(cpu, sel);
  cpu.regs[4] = b32 ? o2 : (esp & ~0xffff) | o2;
  cpu.eip = offset;
}

/** Reads a far pointer m16:16 / m16:32 into farSel/farOff. */
let farSel = 0;
let farOff = 0;
function readFarPointer(cpu: Cpu, insn: Insn): void {
  const lin = linR(cpu, insn, insn.opSize + 2);
  farOff = insn.opSize === 4 ? read32(cpu, lin) : read16(cpu, lin);
  farSel = read16(cpu, (lin + insn.opSize) | 0);
}

/**
 * The checks shared by far RET and IRET on the popped CS (SDM RET "RETURN-TO-..." and IRET
 * "PROTECTED-MODE-RETURN"); leaves the CS descriptor in `desc`.
 */
function checkReturnCs(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0) raiseGP(0);
  if (!fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  if ((ar & (AR.S | AR.CODE)) !== (AR.S | AR.CODE)) raiseGP(selErr(cpu, sel));
  const rpl = sel & 3;
  if (rpl < cpu.cpl) raiseGP(selErr(cpu, sel));
  const dpl = dplOf(ar);
  if (ar & AR.DC ? dpl > rpl : dpl !== rpl) raiseGP(selErr(cpu, sel));
  if ((ar & AR.P) === 0) raiseNP(selErr(cpu, sel));
}

/**
 * Completes a far return (RETF or IRET) after the CS:EIP (and EFLAGS) part of the frame:
 * `frameBytes` is the size of what was popped so far, `extra` RETF's imm16.
 */
function farReturn(cpu: Cpu, sel: number, offset: number, frameBytes: number, extra: number, size: number): boolean {
  checkReturnCs(cpu, sel);
  const csLo = desc.lo;
  const csHi = desc.hi;
  const csAddr = desc.addr;
  const rpl = sel & 3;
  if (offset >>> 0 > limitFromDesc(csLo, csHi) >>> 0) raiseGP(0);
  if (rpl === cpu.cpl) {
    setAccessed(cpu);
    setSegmentFromDesc(cpu, SegSlot.CS, sel);
    cpu.eip = offset;
    adjustEsp(cpu, frameBytes + extra);
    return false;
  }
  // Return to an outer privilege level: the outer ESP and SS follow on the stack.
  const newEsp = peek(cpu, size, frameBytes + extra);
  const ssSel = peek(cpu, size, frameBytes + extra + size) & 0xffff;
  checkStackSegment(cpu, ssSel, rpl);
  const ssLo = desc.lo;
  const ssHi = desc.hi;
  const ssAddr = desc.addr;
  desc.lo = csLo;
  desc.hi = csHi;
  desc.addr = csAddr;
  setAccessed(cpu);
  setSegmentFromDesc(cpu, SegSlot.CS, sel);
  setCpl(cpu, rpl);
  desc.lo = ssLo;
  desc.hi = ssHi;
  desc.addr = ssAddr;
  setAccessed(cpu);
  setSegmentFromDesc(cpu, SegSlot.SS, ssSel);
  const b32 = (cpu.segAr[SegSlot.SS]! & AR.DB) !== 0;
  const e = (size === 4 ? newEsp : newEsp & 0xffff) + extra;
  cpu.regs[4] = b32 ? e | 0 : (cpu.regs[4]! & ~0xffff) | (e & 0xffff);
  cpu.eip = offset;
  nullInaccessibleSegments(cpu);
  return true;
}

function retFar(cpu: Cpu, insn: Insn, extra: number): void {
  const size = insn.opSize;
  const offset = peek(cpu, size, 0);
  const sel = peek(cpu, size, size) & 0xffff;
  farReturn(cpu, sel, size === 4 ? offset : offset & 0xffff, 2 * size, extra, size);
}

const iretd: Handler = (cpu, insn) => {
  const size = insn.opSize;
  if (readEflags(cpu) & NT) throw new UnsupportedFeature('IRET with EFLAGS.NT set (task return)');
  const offset = peek(cpu, size, 0);
  const sel = peek(cpu, size, size) & 0xffff;
  const flags = peek(cpu, size, 2 * size);
  if (size === 4 && (flags & VM) !== 0 && cpu.cpl === 0) {
    throw new UnsupportedFeature('IRET to virtual-8086 mode');
  }
  // The flags the old privilege level may change (RF too for IRET, SDM IRET "Operation").
  let mask = eflagsWriteMask(cpu, size);
  if (size === 4) mask |= RF;
  farReturn(cpu, sel, size === 4 ? offset : offset & 0xffff, 3 * size, 0, size);
  loadEflags(cpu, flags, mask);
  cpu.pending |= Pending.CHECK_IRQ;
};

// ---------------------------------------------------------------- software interrupts

// cpu.softEventLength: VMX reports the instruction's length with exits caused by (or during the
// delivery of) a software event, so the hypervisor can re-inject it (SDM Vol. 3 §28.2.4).
const int_Ib: Handler = (cpu, insn) => {
  cpu.softEventLength = insn.len;
  deliverOnce(cpu, insn.imm & 0xff, EventKind.SoftwareInt, 0, false);
};
const int3: Handler = (cpu, insn) => {
  cpu.softEventLength = insn.len;
  deliverOnce(cpu, Vec.BP, EventKind.SoftwareException, 0, false);
};
/** INT1 (ICEBP, F1): #DB as a privileged software exception: a trap, no gate-DPL check. */
const int1: Handler = (cpu, insn) => {
  cpu.softEventLength = insn.len;
  deliverOnce(cpu, Vec.DB, EventKind.PrivSoftwareException, 0, false);
};

/** BOUND: #BR (a fault) when the signed index is outside [lower, upper] (SDM BOUND). */
const bound: Handler = (cpu, insn) => {
  const size = insn.opSize;
  const lin = linR(cpu, insn, 2 * size);
  let idx: number;
  let lo: number;
  let hi: number;
  if (size === 4) {
    idx = cpu.regs[insn.reg]!;
    lo = read32(cpu, lin);
    hi = read32(cpu, (lin + 4) | 0);
  } else {
    idx = (cpu.regs[insn.reg]! << 16) >> 16;
    lo = (read16(cpu, lin) << 16) >> 16;
    hi = (read16(cpu, (lin + 2) | 0) << 16) >> 16;
  }
  if (idx < lo || idx > hi) raise(Vec.BR);
};

const into: Handler = (cpu, insn) => {
  cpu.softEventLength = insn.len;
  if (getOF(cpu) !== 0) deliverOnce(cpu, Vec.OF, EventKind.SoftwareException, 0, false);
};

export const CONTROL_HANDLERS: Record<string, Handler> = {
  'jmp_Jb': jmpRel,
  'jmp_Jz': jmpRel,
  'jmp_Ev': jmp_Ev,
  'jmp_Ap': (cpu, insn) => farJump(cpu, insn, insn.imm2 & 0xffff, insn.imm),
  'jmp_Mp': (cpu, insn) => {
    readFarPointer(cpu, insn);
    farJump(cpu, insn, farSel, farOff);
  },
  'call_Jz': call_Jz,
  'call_Ev': call_Ev,
  'call_Ap': (cpu, insn) => farCall(cpu, insn, insn.imm2 & 0xffff, insn.imm),
  'call_Mp': (cpu, insn) => {
    readFarPointer(cpu, insn);
    farCall(cpu, insn, farSel, farOff);
  },
  'ret': (cpu, insn) => retNear(cpu, insn, 0),
  'ret_Iw': (cpu, insn) => retNear(cpu, insn, insn.imm & 0xffff),
  'retf': (cpu, insn) => retFar(cpu, insn, 0),
  'retf_Iw': (cpu, insn) => retFar(cpu, insn, insn.imm & 0xffff),
  'loop_Jb': (cpu, insn) => loopOp(cpu, insn, 0),
  'loopz_Jb': (cpu, insn) => loopOp(cpu, insn, 1),
  'loopnz_Jb': (cpu, insn) => loopOp(cpu, insn, 2),
  'jecxz_Jb': jecxz,
  'int_Ib': int_Ib,
  'int3': int3,
  'into': into,
  'int1': int1,
  'bound_Gv_M': bound,
  'iret': iretd,
};

for (const c of ['o', 'no', 'b', 'ae', 'z', 'nz', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g']) {
  const h = c === 'z' ? jz : c === 'nz' ? jnz : jcc;
  CONTROL_HANDLERS[`j${c}_Jb`] = h;
  CONTROL_HANDLERS[`j${c}_Jz`] = h;
}
