// Exception and interrupt delivery through the IDT in protected mode (SDM Vol. 3 §6.12: gates, the
// privilege checks, the stack switch through the TSS, the frame layout), and the double/triple-fault
// rules for faults raised during delivery (SDM Vol. 3 §6.15, Table 6-5). Every event the processor
// delivers, from any source, goes through deliver(): VT-x hooks in there (exception bitmap, exits
// during event delivery, IDT-vectoring information).
import { AR, SysType, Tss32, arFromHigh, dplOf, limitFromDesc } from './descriptor.js';
import { IF, NT, RF, TF, VM } from './eflags.js';
import { FAULT, raiseGP, raiseNP, raiseSS, raiseTS } from './fault.js';
import { readEflags } from './flags.js';
import { sysRead16, sysRead32, writeAs } from './memory-access.js';
import { desc, fetchDescriptor, selErr, setAccessed, setCpl, setSegmentFromDesc } from './segmentation.js';
import { type Cpu, SegSlot } from './state.js';
import { CONTRIBUTORY, EventKind, VECTOR_NAMES, Vec } from './vectors.js';

/** The frame being pushed (no allocation per delivery). */
const frame = new Int32Array(6);

/**
 * Delivers one event (software interrupts call it directly: a fault it raises is a fault of the
 * INT instruction). `cpu.eip` must already be the address to return to (the faulting instruction
 * for faults, the next one for traps and interrupts). Raises (throws) a fault if delivery itself
 * faults; deliverEvent() below applies the double-fault rules to that.
 */
export function deliverOnce(cpu: Cpu, vector: number, kind: EventKind, errorCode: number, hasErrorCode: boolean): void {
  if (cpu.nonRoot) cpu.vmx.onEvent(cpu, vector, kind, errorCode, hasErrorCode);
  cpu.modelCycles += cpu.costs.eventDelivery;
  const ext = kind === EventKind.SoftwareInt || kind === EventKind.SoftwareException ? 0 : 1;
  cpu.errExt = ext;
  const idtErr = (vector << 3) | 2 | ext;

  if ((vector << 3) + 7 > cpu.idtLimit) raiseGP(idtErr);
  const gAddr = (cpu.idtBase + (vector << 3)) | 0;
  const lo = sysRead32(cpu, gAddr);
  const hi = sysRead32(cpu, (gAddr + 4) | 0);
  const gType = (hi >>> 8) & 0x1f; // S bit + type: gates are system descriptors (S = 0)
  let gate32: boolean;
  switch (gType) {
    case SysType.INT_GATE32:
    case SysType.TRAP_GATE32:
      gate32 = true;
      break;
    case SysType.INT_GATE16:
    case SysType.TRAP_GATE16:
      gate32 = false;
      break;
    case SysType.TASK_GATE:
      throw new UnsupportedFeature(`task gate in IDT entry ${vector} (hardware task switching)`);
    default:
      return raiseGP(idtErr);
  }
  const software = kind === EventKind.SoftwareInt || kind === EventKind.SoftwareException;
  if (software && ((hi >>> 13) & 3) < cpu.cpl) raiseGP(idtErr & ~1);
  if ((hi & (1 << 15)) === 0) raiseNP(idtErr);

  const sel = lo >>> 16;
  const offset = gate32 ? (hi & 0xffff0000) | (lo & 0xffff) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) raiseGP(ext);
  if (!fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const csAr = arFromHigh(desc.hi);
  const dpl = dplOf(csAr);
  if ((csAr & (AR.S | AR.CODE)) !== (AR.S | AR.CODE) || dpl > cpu.cpl) raiseGP(selErr(cpu, sel));
  if ((csAr & AR.P) === 0) raiseNP(selErr(cpu, sel));
  const csDescLo = desc.lo;
  const csDescHi = desc.hi;
  const csDescAddr = desc.addr;
  if ((offset >>> 0) > limitFromDesc(csDescLo, csDescHi) >>> 0) raiseGP(ext);

  const conforming = (csAr & AR.DC) !== 0;
  const oldFlags = readEflags(cpu);
  const size = gate32 ? 4 : 2;
  let n = 0;
  let newCpl = cpu.cpl;
  let ssSel = 0;
  let esp: number;
  let ssBase: number;
  let ssLimit: number;
  let ssAr: number;
  let ssDescLo = 0;
  let ssDescHi = 0;
  let ssDescAddr = 0;

  if (!conforming && dpl < cpu.cpl) {
    // Inter-privilege: the new stack comes from the TSS (SDM §6.12.1, §7.2.1).
    newCpl = dpl;
    const trAr = cpu.segAr[SegSlot.TR]!;
    const trSel = cpu.segSel[SegSlot.TR]!;
    const tss32 = (trAr & 0xf) === SysType.TSS32_BUSY || (trAr & 0xf) === SysType.TSS32_AVAIL;
    const spOff = tss32 ? Tss32.ESP0 + dpl * Tss32.RING_STRIDE : 2 + dpl * 4;
    const ssOff = tss32 ? spOff + 4 : spOff + 2;
    if (trAr & AR.UNUSABLE || ssOff + 1 > cpu.segLimit[SegSlot.TR]! >>> 0) raiseTS(selErr(cpu, trSel));
    const trBase = cpu.segBase[SegSlot.TR]!;
    esp = tss32 ? sysRead32(cpu, (trBase + spOff) | 0) : sysRead16(cpu, (trBase + spOff) | 0);
    ssSel = sysRead16(cpu, (trBase + ssOff) | 0);
    if ((ssSel & 0xfffc) === 0) raiseTS(ext);
    if (!fetchDescriptor(cpu, ssSel)) raiseTS(selErr(cpu, ssSel));
    const nAr = arFromHigh(desc.hi);
    if ((ssSel & 3) !== dpl || dplOf(nAr) !== dpl || (nAr & (AR.S | AR.CODE | AR.RW)) !== (AR.S | AR.RW)) {
      raiseTS(selErr(cpu, ssSel));
    }
    if ((nAr & AR.P) === 0) raiseSS(selErr(cpu, ssSel));
    ssDescLo = desc.lo;
    ssDescHi = desc.hi;
    ssDescAddr = desc.addr;
    ssBase = ((ssDescLo >>> 16) | ((ssDescHi & 0xff) << 16) | (ssDescHi & 0xff000000)) | 0;
    ssLimit = limitFromDesc(ssDescLo, ssDescHi);
    ssAr = nAr;
    frame[n++] = cpu.segSel[SegSlot.SS]!;
    frame[n++] = cpu.regs[4]!;
  } else if (conforming || dpl === cpu.cpl) {
    esp = cpu.regs[4]!;
    ssBase = cpu.segBase[SegSlot.SS]!;
    ssLimit = cpu.segLimit[SegSlot.SS]!;
    ssAr = cpu.segAr[SegSlot.SS]!;
  } else {
    return raiseGP(selErr(cpu, sel));
  }
  frame[n++] = oldFlags;
  frame[n++] = cpu.segSel[SegSlot.CS]!;
  frame[n++] = cpu.eip;
  if (hasErrorCode) frame[n++] = errorCode;

  // Check that the whole frame fits in the stack segment, then write it (state is committed after).
  const big = (ssAr & AR.DB) !== 0;
  const total = n * size;
  const newEsp = big ? (esp - total) | 0 : (esp & ~0xffff) | ((esp - total) & 0xffff);
  const stackFault = (): never => raiseSS(ssSel !== 0 ? selErr(cpu, ssSel) : ext);
  if (ssLimit !== -1 || (ssAr & AR.DC) !== 0) {
    const low = big ? newEsp >>> 0 : newEsp & 0xffff;
    const high = low + total - 1;
    if ((ssAr & AR.DC) !== 0) {
      if (low <= ssLimit >>> 0 || high > (big ? 0xffffffff : 0xffff)) stackFault();
    } else if (high > ssLimit >>> 0) stackFault();
  }
  const user = newCpl === 3;
  for (let i = 0; i < n; i++) {
    const off = big ? (esp - (i + 1) * size) | 0 : (esp - (i + 1) * size) & 0xffff;
    writeAs(cpu, (ssBase + off) | 0, size, frame[i]!, user);
  }

  // Commit: new stack (inter-privilege), CS:EIP, CPL, flags.
  if (ssSel !== 0) {
    desc.lo = ssDescLo;
    desc.hi = ssDescHi;
    desc.addr = ssDescAddr;
    setAccessed(cpu);
    setSegmentFromDesc(cpu, SegSlot.SS, ssSel);
  }
  cpu.regs[4] = big ? newEsp : (cpu.regs[4]! & ~0xffff) | (newEsp & 0xffff);
  desc.lo = csDescLo;
  desc.hi = csDescHi;
  desc.addr = csDescAddr;
  setAccessed(cpu);
  setSegmentFromDesc(cpu, SegSlot.CS, (sel & 0xfffc) | newCpl);
  cpu.eip = offset;
  let flags = oldFlags & ~(TF | NT | RF | VM);
  if (gType === SysType.INT_GATE32 || gType === SysType.INT_GATE16) flags &= ~IF;
  cpu.flags = flags;
  cpu.lazy = 0;
  setCpl(cpu, newCpl);
  cpu.halted = false;
  cpu.errExt = 0;
  if (cpu.nonRoot) cpu.vmx.onEventDelivered(cpu);
}

/** Thrown (as a host exception the run loop turns into a stop) for architecture this processor does
 *  not implement: hardware task switches, virtual-8086 and real mode. */
export class UnsupportedFeature extends Error {
  override name = 'UnsupportedFeature';
}

function isContributory(vector: number): boolean {
  return vector < 32 && ((CONTRIBUTORY >>> vector) & 1) !== 0;
}

/**
 * Delivers an event, applying the double-fault rules to faults raised during delivery: a
 * contributory fault while delivering a contributory exception, or a contributory fault or #PF
 * while delivering #PF, becomes #DF; any fault while delivering #DF shuts the processor down
 * (triple fault); other combinations are handled serially (SDM Vol. 3 Table 6-5).
 */
export function deliverEvent(cpu: Cpu, vector: number, kind: EventKind, errorCode: number, hasErrorCode: boolean): void {
  for (;;) {
    cpu.deliveringVector = vector;
    try {
      deliverOnce(cpu, vector, kind, errorCode, hasErrorCode);
      cpu.deliveringVector = -1;
      return;
    } catch (e) {
      cpu.deliveringVector = -1;
      cpu.errExt = 0;
      if (e !== FAULT) throw e;
      const second = FAULT.vector;
      if (cpu.nonRoot) cpu.vmx.onDeliveryFault(cpu, second, FAULT.errorCode, FAULT.hasErrorCode);
      const firstIsException = kind === EventKind.Exception;
      if (firstIsException && vector === Vec.DF) {
        tripleFault(cpu, `${VECTOR_NAMES[second] ?? `vector ${second}`} while delivering #DF`);
        return;
      }
      const firstContrib = firstIsException && isContributory(vector);
      const firstPF = firstIsException && vector === Vec.PF;
      const secondContrib = isContributory(second);
      if ((firstContrib && secondContrib) || (firstPF && (secondContrib || second === Vec.PF))) {
        vector = Vec.DF;
        errorCode = 0;
        hasErrorCode = true;
      } else {
        vector = second;
        errorCode = FAULT.errorCode;
        hasErrorCode = FAULT.hasErrorCode;
      }
      kind = EventKind.Exception;
    }
  }
}

/** Shutdown (SDM Vol. 3 §6.15 "triple fault"); in VMX non-root the VMX layer turns it into a VM exit. */
export function tripleFault(cpu: Cpu, why: string): void {
  if (cpu.nonRoot && cpu.vmx.onTripleFault(cpu)) return;
  cpu.shutdown = true;
  cpu.shutdownReason = why;
}
