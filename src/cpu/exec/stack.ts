// PUSH/POP (registers, r/m, immediates, segment registers), PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE
// (SDM Vol. 2). POPF follows the protected-mode rules: IOPL changes only at CPL 0 and IF only when
// CPL <= IOPL, silently otherwise (the Popek-Goldberg problem instruction).
import { AC, IF, IOPL, IOPL_SHIFT, RF, TF, VIF, VIP, VM, WRITABLE } from '../eflags.js';
import { readEflags, writeEflags } from '../flags.js';
import { read16, read32, write16, write32 } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import { loadDataSegment, loadStackSegment, setCpl } from '../segmentation.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import {
  adjustEsp,
  peek,
  pop16,
  pop32,
  popV,
  push16,
  push32,
  pushV,
  readEv,
  segLin,
  setReg16,
  stack32,
  writeEv,
} from './operands.js';

const push_Zv_32: Handler = (cpu, insn) => push32(cpu, cpu.regs[insn.reg]!);
const pop_Zv_32: Handler = (cpu, insn) => {
  const v = pop32(cpu);
  cpu.regs[insn.reg] = v;
};

/** POP r/m: the destination address is computed with ESP already incremented (SDM POP). */
const pop_Ev: Handler = (cpu, insn) => {
  const size = insn.opSize;
  const v = peek(cpu, size, 0);
  const old = cpu.regs[4]!;
  adjustEsp(cpu, size);
  try {
    writeEv(cpu, insn, v);
  } catch (e) {
    cpu.regs[4] = old;
    throw e;
  }
};

/** PUSH Sreg: a 32-bit push stores the selector zero-extended (as QEMU does; SDM allows either). */
function pushSeg(s: number): Handler {
  return (cpu, insn) => pushV(cpu, insn, cpu.segSel[s]!);
}

function popSeg(s: number): Handler {
  return (cpu, insn) => {
    const v = peek(cpu, insn.opSize, 0) & 0xffff;
    if (s === SegSlot.SS) {
      loadStackSegment(cpu, v);
      // POP SS blocks interrupts and debug traps until after the next instruction (SDM POP).
      cpu.inhibitIrq = true;
      cpu.inhibitMovSs = true;
      cpu.pending |= Pending.STEP;
    } else loadDataSegment(cpu, s, v);
    adjustEsp(cpu, insn.opSize);
  };
}

const pushad: Handler = (cpu, insn) => {
  const size = insn.opSize;
  const esp = cpu.regs[4]!;
  const b32 = stack32(cpu);
  for (let i = 0; i < 8; i++) {
    const v = i === 4 ? esp : cpu.regs[i]!;
    const off = b32 ? (esp - (i + 1) * size) | 0 : (esp - (i + 1) * size) & 0xffff;
    const lin = segLin(cpu, SegSlot.SS, off, size, true);
    if (size === 4) write32(cpu, lin, v);
    else write16(cpu, lin, v);
  }
  adjustEsp(cpu, -8 * size);
};

const popad: Handler = (cpu, insn) => {
  const size = insn.opSize;
  const esp = cpu.regs[4]!;
  const b32 = stack32(cpu);
  // Read all eight first so a fault leaves the registers untouched.
  const vals = popadScratch;
  for (let i = 0; i < 8; i++) {
    const off = b32 ? (esp + i * size) | 0 : (esp + i * size) & 0xffff;
    const lin = segLin(cpu, SegSlot.SS, off, size, false);
    vals[7 - i] = size === 4 ? read32(cpu, lin) : read16(cpu, lin);
  }
  for (let r = 0; r < 8; r++) {
    if (r === 4) continue;
    if (size === 4) cpu.regs[r] = vals[r]!;
    else setReg16(cpu, r, vals[r]!);
  }
  adjustEsp(cpu, 8 * size);
};
const popadScratch = new Int32Array(8);

/** PUSHF: the image has VM and RF cleared (SDM PUSHF). */
const pushfd: Handler = (cpu, insn) => {
  const f = readEflags(cpu) & ~(VM | RF);
  if (insn.opSize === 4) push32(cpu, f);
  else push16(cpu, f);
};

/** The EFLAGS bits POPF/IRET may change at the current privilege (SDM POPF "Operation"). */
export function eflagsWriteMask(cpu: Cpu, opSize: number): number {
  let mask = WRITABLE & ~(RF | VM | VIP | VIF);
  const iopl = (readEflags(cpu) & IOPL) >>> IOPL_SHIFT;
  if (cpu.cpl > 0) mask &= ~IOPL;
  if (cpu.cpl > iopl) mask &= ~IF;
  if (opSize === 2) mask &= 0xffff;
  return mask;
}

/** Applies a new EFLAGS value under `mask` and the consequences of IF/TF/AC changes. */
export function loadEflags(cpu: Cpu, value: number, mask: number): void {
  const before = cpu.flags;
  writeEflags(cpu, value, mask);
  const after = cpu.flags;
  if ((after & IF) !== 0 && (before & IF) === 0) cpu.pending |= Pending.CHECK_IRQ;
  if (after & TF) cpu.pending |= Pending.STEP;
  if ((after ^ before) & AC) setCpl(cpu, cpu.cpl);
}

const popfd: Handler = (cpu, insn) => {
  const v = insn.opSize === 4 ? peek(cpu, 4, 0) : peek(cpu, 2, 0);
  loadEflags(cpu, v, eflagsWriteMask(cpu, insn.opSize));
  adjustEsp(cpu, insn.opSize);
};

/** ENTER imm16, imm8 (SDM ENTER "Operation"), with all stack writes done before ESP/EBP change. */
function enterPush(cpu: Cpu, esp: number, size: number, b32: boolean, v: number): number {
  esp = b32 ? (esp - size) | 0 : (esp - size) & 0xffff;
  const lin = segLin(cpu, SegSlot.SS, esp, size, true);
  if (size === 4) write32(cpu, lin, v);
  else write16(cpu, lin, v);
  return esp;
}

const enter_Iw_Ib: Handler = (cpu, insn) => {
  const size = insn.opSize;
  const level = insn.imm2 & 31;
  const b32 = stack32(cpu);
  let esp = cpu.regs[4]!;
  let ebp = cpu.regs[5]!;
  esp = enterPush(cpu, esp, size, b32, ebp);
  const frameTemp = esp;
  if (level > 0) {
    for (let i = 1; i < level; i++) {
      ebp = b32 ? (ebp - size) | 0 : (ebp - size) & 0xffff;
      const lin = segLin(cpu, SegSlot.SS, ebp, size, false);
      esp = enterPush(cpu, esp, size, b32, size === 4 ? read32(cpu, lin) : read16(cpu, lin));
    }
    esp = enterPush(cpu, esp, size, b32, frameTemp);
  }
  esp = b32 ? (esp - (insn.imm & 0xffff)) | 0 : (esp - (insn.imm & 0xffff)) & 0xffff;
  if (size === 4) cpu.regs[5] = frameTemp;
  else setReg16(cpu, 5, frameTemp);
  cpu.regs[4] = b32 ? esp : (cpu.regs[4]! & ~0xffff) | esp;
};

const leave: Handler = (cpu, insn) => {
  const b32 = stack32(cpu);
  const oldEsp = cpu.regs[4]!;
  cpu.regs[4] = b32 ? cpu.regs[5]! : (oldEsp & ~0xffff) | (cpu.regs[5]! & 0xffff);
  try {
    const v = popV(cpu, insn);
    if (insn.opSize === 4) cpu.regs[5] = v;
    else setReg16(cpu, 5, v);
  } catch (e) {
    cpu.regs[4] = oldEsp;
    throw e;
  }
};

export const STACK_HANDLERS: Record<string, Handler> = {
  'push_Zv/32': push_Zv_32,
  'push_Zv/16': (cpu, insn) => push16(cpu, cpu.regs[insn.reg]!),
  'pop_Zv/32': pop_Zv_32,
  'pop_Zv/16': (cpu, insn) => {
    const v = pop16(cpu);
    setReg16(cpu, insn.reg, v);
  },
  'push_Ev': (cpu, insn) => pushV(cpu, insn, readEv(cpu, insn)),
  'pop_Ev': pop_Ev,
  'push_Iz': (cpu, insn) => pushV(cpu, insn, insn.imm),
  'push_Ibs': (cpu, insn) => pushV(cpu, insn, insn.imm),
  'push_ES': pushSeg(SegSlot.ES),
  'push_CS': pushSeg(SegSlot.CS),
  'push_SS': pushSeg(SegSlot.SS),
  'push_DS': pushSeg(SegSlot.DS),
  'push_FS': pushSeg(SegSlot.FS),
  'push_GS': pushSeg(SegSlot.GS),
  'pop_ES': popSeg(SegSlot.ES),
  'pop_SS': popSeg(SegSlot.SS),
  'pop_DS': popSeg(SegSlot.DS),
  'pop_FS': popSeg(SegSlot.FS),
  'pop_GS': popSeg(SegSlot.GS),
  'pusha': pushad,
  'popa': popad,
  'pushf': pushfd,
  'popf': popfd,
  'enter_Iw_Ib': enter_Iw_Ib,
  'leave': leave,
};
