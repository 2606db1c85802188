// String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP / REPE / REPNE (SDM Vol. 2
// "REP/REPE/REPZ/REPNE/REPNZ"). Registers are updated after every iteration, so a fault in the
// middle leaves ECX/ESI/EDI describing the remaining work and EIP at the instruction, as on
// hardware; a whole REP runs as one instruction otherwise. ESI/EDI/ECX or SI/DI/CX by address size.
import { DF } from '../eflags.js';
import { getZF } from '../flags.js';
import { Intercept } from '../hooks.js';
import { probeWrite } from '../memory-access.js';
import type { Handler, Insn } from '../insn.js';
import { type Cpu, Pending, SegSlot } from '../state.js';
import { Prefix } from '../../x86/decoded.js';
import { alu } from './alu.js';
import { checkIoPermission, ioQualBits } from './io.js';
import { readSized, segLin, setRegSized, writeSized } from './operands.js';

const K_MOVS = 0;
const K_CMPS = 1;
const K_STOS = 2;
const K_LODS = 3;
const K_SCAS = 4;
const K_INS = 5;
const K_OUTS = 6;

function advance(cpu: Cpu, r: number, delta: number, a32: boolean): void {
  const v = cpu.regs[r]!;
  cpu.regs[r] = a32 ? (v + delta) | 0 : (v & ~0xffff) | ((v + delta) & 0xffff);
}

/** One iteration; returns nothing (CMPS/SCAS leave their result in the flags). */
function once(cpu: Cpu, insn: Insn, kind: number, size: number, a32: boolean): void {
  const step = cpu.flags & DF ? -size : size;
  const si = a32 ? cpu.regs[6]! : cpu.regs[6]! & 0xffff;
  const di = a32 ? cpu.regs[7]! : cpu.regs[7]! & 0xffff;
  switch (kind) {
    case K_MOVS: {
      const v = readSized(cpu, segLin(cpu, insn.seg, si, size, false), size);
      writeSized(cpu, segLin(cpu, SegSlot.ES, di, size, true), size, v);
      advance(cpu, 6, step, a32);
      advance(cpu, 7, step, a32);
      return;
    }
    case K_CMPS: {
      const a = readSized(cpu, segLin(cpu, insn.seg, si, size, false), size);
      const b = readSized(cpu, segLin(cpu, SegSlot.ES, di, size, false), size);
      alu(cpu, 7, a, b, size * 8);
      advance(cpu, 6, step, a32);
      advance(cpu, 7, step, a32);
      return;
    }
    case K_STOS:
      writeSized(cpu, segLin(cpu, SegSlot.ES, di, size, true), size, cpu.regs[0]!);
      advance(cpu, 7, step, a32);
      return;
    case K_LODS:
      setRegSized(cpu, 0, size, readSized(cpu, segLin(cpu, insn.seg, si, size, false), size));
      advance(cpu, 6, step, a32);
      return;
    case K_SCAS: {
      const b = readSized(cpu, segLin(cpu, SegSlot.ES, di, size, false), size);
      const a = size === 4 ? cpu.regs[0]! : cpu.regs[0]! & (size === 2 ? 0xffff : 0xff);
      alu(cpu, 7, a, b, size * 8);
      advance(cpu, 7, step, a32);
      return;
    }
    case K_INS: {
      // The destination is checked (and may fault) before the port is read (SDM INS).
      const lin = segLin(cpu, SegSlot.ES, di, size, true);
      probeWrite(cpu, lin, size);
      const v = cpu.io.read(cpu.regs[2]! & 0xffff, size as 1 | 2 | 4);
      writeSized(cpu, lin, size, v);
      advance(cpu, 7, step, a32);
      return;
    }
    default: {
      const v = readSized(cpu, segLin(cpu, insn.seg, si, size, false), size);
      cpu.io.write(cpu.regs[2]! & 0xffff, size as 1 | 2 | 4, size === 4 ? v : v & ((1 << (size * 8)) - 1));
      advance(cpu, 6, step, a32);
    }
  }
}

function stringOp(cpu: Cpu, insn: Insn, kind: number, size: number): void {
  const a32 = insn.addrSize === 4;
  const rep = (insn.prefixes & (Prefix.REP | Prefix.REPNE)) !== 0;
  if (kind >= K_INS) {
    checkIoPermission(cpu, cpu.regs[2]! & 0xffff, size);
    if (cpu.nonRoot && cpu.vmx.intercept(cpu, Intercept.IO, insn, cpu.regs[2]! & 0xffff, ioQualBits(size, kind === K_INS, true, rep))) return;
    cpu.pending |= Pending.CHECK_IRQ;
  }
  if (!rep) {
    once(cpu, insn, kind, size, a32);
    return;
  }
  const cond = kind === K_CMPS || kind === K_SCAS;
  const repe = (insn.prefixes & Prefix.REP) !== 0;
  // Modelled cycles: the instruction's own cost covers its first element; each further one costs
  // an element (and a port access for INS/OUTS), charged as it is done.
  const more = kind >= K_INS ? cpu.costs.stringIteration + cpu.costs.portIo : cpu.costs.stringIteration;
  let first = true;
  for (;;) {
    const c = a32 ? cpu.regs[1]! : cpu.regs[1]! & 0xffff;
    if (c === 0) return;
    if (first) first = false;
    else cpu.modelCycles += more;
    once(cpu, insn, kind, size, a32);
    cpu.regs[1] = a32 ? (c - 1) | 0 : (cpu.regs[1]! & ~0xffff) | ((c - 1) & 0xffff);
    if (cond && (getZF(cpu) !== 0) !== repe) return;
  }
}

export const STRING_HANDLERS: Record<string, Handler> = {
  movs_Yb_Xb: (cpu, insn) => stringOp(cpu, insn, K_MOVS, 1),
  movs_Yv_Xv: (cpu, insn) => stringOp(cpu, insn, K_MOVS, insn.opSize),
  cmps_Xb_Yb: (cpu, insn) => stringOp(cpu, insn, K_CMPS, 1),
  cmps_Xv_Yv: (cpu, insn) => stringOp(cpu, insn, K_CMPS, insn.opSize),
  stos_Yb_AL: (cpu, insn) => stringOp(cpu, insn, K_STOS, 1),
  stos_Yv_eAX: (cpu, insn) => stringOp(cpu, insn, K_STOS, insn.opSize),
  lods_AL_Xb: (cpu, insn) => stringOp(cpu, insn, K_LODS, 1),
  lods_eAX_Xv: (cpu, insn) => stringOp(cpu, insn, K_LODS, insn.opSize),
  scas_AL_Yb: (cpu, insn) => stringOp(cpu, insn, K_SCAS, 1),
  scas_eAX_Yv: (cpu, insn) => stringOp(cpu, insn, K_SCAS, insn.opSize),
  ins_Yb_DX: (cpu, insn) => stringOp(cpu, insn, K_INS, 1),
  ins_Yv_DX: (cpu, insn) => stringOp(cpu, insn, K_INS, insn.opSize),
  outs_DX_Xb: (cpu, insn) => stringOp(cpu, insn, K_OUTS, 1),
  outs_DX_Xv: (cpu, insn) => stringOp(cpu, insn, K_OUTS, insn.opSize),
};
