// Protected-mode segmentation: descriptor fetches from the GDT/LDT, segment-register loads with the
// SDM's checks and error codes (MOV/POP Sreg and LDS..LSS "Operation", SDM Vol. 2), the segment caches,
// and the limit/type checks on accesses through non-flat segments (SDM Vol. 3 §5.3, §5.5-5.7).
import { CR0 } from './control-regs.js';
import { AR, SEL_TI, arFromHigh, baseFromDesc, dplOf, limitFromDesc } from './descriptor.js';
import { AC } from './eflags.js';
import { raiseGP, raiseNP, raiseSS } from './fault.js';
import { sysRead32, sysWrite32 } from './memory-access.js';
import { TlbMask } from './mmu/tlb.js';
import { type Cpu, SegSlot } from './state.js';

/** Scratch result of fetchDescriptor (one instance: no allocation per load). */
export const desc = { lo: 0, hi: 0, addr: 0 };

/** Reads the descriptor for `sel` from the GDT or LDT into `desc`. False when the selector's index
 *  is outside the table (or TI = 1 with no usable LDT): callers raise the fault their SDM page says. */
export function fetchDescriptor(cpu: Cpu, sel: number): boolean {
  const index = sel & 0xfff8;
  let base: number;
  let limit: number;
  if (sel & SEL_TI) {
    if (cpu.segAr[SegSlot.LDTR]! & AR.UNUSABLE) return false;
    base = cpu.segBase[SegSlot.LDTR]!;
    limit = cpu.segLimit[SegSlot.LDTR]! >>> 0;
  } else {
    base = cpu.gdtBase;
    limit = cpu.gdtLimit;
  }
  if (index + 7 > limit) return false;
  desc.addr = (base + index) | 0;
  desc.lo = sysRead32(cpu, desc.addr);
  desc.hi = sysRead32(cpu, (desc.addr + 4) | 0);
  return true;
}

/** Sets the descriptor's accessed bit in memory, as a segment load does (SDM Vol. 3 §3.4.5.1). */
export function setAccessed(cpu: Cpu): void {
  if ((desc.hi & (AR.ACCESSED << 8)) === 0) {
    desc.hi |= AR.ACCESSED << 8;
    sysWrite32(cpu, (desc.addr + 4) | 0, desc.hi);
  }
}

/** Loads a segment cache slot and refreshes what depends on it. */
export function setSegment(cpu: Cpu, s: number, sel: number, base: number, limit: number, ar: number): void {
  cpu.segSel[s] = sel & 0xffff;
  cpu.segBase[s] = base;
  cpu.segLimit[s] = limit;
  cpu.segAr[s] = ar;
  refreshSegChecks(cpu, s);
}

/** Loads the slot from the descriptor in `desc`. */
export function setSegmentFromDesc(cpu: Cpu, s: number, sel: number): void {
  setSegment(cpu, s, sel, baseFromDesc(desc.lo, desc.hi), limitFromDesc(desc.lo, desc.hi), arFromHigh(desc.hi) | AR.ACCESSED);
}

export function refreshSegChecks(cpu: Cpu, s: number): void {
  if (s > SegSlot.GS) return;
  if (s === SegSlot.CS) {
    cpu.csLimit = cpu.segLimit[s]!;
    cpu.codeGen++;
  }
  const ar = cpu.segAr[s]!;
  const code = (ar & AR.CODE) !== 0;
  const flat =
    cpu.segLimit[s] === -1 && (ar & AR.UNUSABLE) === 0 && (ar & AR.S) !== 0 && (code || (ar & AR.DC) === 0);
  const readable = !code || (ar & AR.RW) !== 0;
  const writable = !code && (ar & AR.RW) !== 0;
  const bit = 1 << s;
  cpu.segCheckR = flat && readable ? cpu.segCheckR & ~bit : cpu.segCheckR | bit;
  cpu.segCheckW = flat && writable ? cpu.segCheckW & ~bit : cpu.segCheckW | bit;
  if (s === SegSlot.SS) cpu.stackFlat = flat && writable && (ar & AR.DB) !== 0;
}

/** True when offset `eip` is beyond the CS limit (SDM Vol. 3 §5.3: #GP(0) on a transfer there). */
export function csLimitExceeded(cpu: Cpu, eip: number): boolean {
  return cpu.csLimit !== -1 && eip >>> 0 > cpu.csLimit >>> 0;
}

/** Recomputes everything derived from CPL, CR0.AM and EFLAGS.AC. Call after any of them changes. */
export function setCpl(cpu: Cpu, cpl: number): void {
  cpu.cpl = cpl;
  cpu.codeGen++;
  const user = cpl === 3;
  cpu.rMask = user ? TlbMask.READ_USER : TlbMask.READ_SUP;
  cpu.wMask = user ? TlbMask.WRITE_USER : TlbMask.WRITE_SUP;
  cpu.acEnabled = user && (cpu.cr0 & CR0.AM) !== 0 && (cpu.flags & AC) !== 0;
}

/**
 * The checks of an access of `size` bytes at offset `off` through a segment whose bit is set in
 * segCheckR/segCheckW (SDM Vol. 3 §5.3 limit checking, §5.4.1 type checking). Faults are #SS(0) for
 * the stack segment and #GP(0) otherwise.
 */
export function checkSegAccess(cpu: Cpu, s: number, off: number, size: number, write: boolean): void {
  const ar = cpu.segAr[s]!;
  const bad = (): never => (s === SegSlot.SS ? raiseSS(0) : raiseGP(0));
  if (ar & AR.UNUSABLE) bad();
  if (ar & AR.CODE) {
    if (write || (ar & AR.RW) === 0) bad();
  } else if (write && (ar & AR.RW) === 0) bad();
  const limit = cpu.segLimit[s]! >>> 0;
  const first = off >>> 0;
  const last = first + size - 1;
  if ((ar & (AR.CODE | AR.DC)) === AR.DC) {
    // Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (B flag).
    const top = ar & AR.DB ? 0xffffffff : 0xffff;
    if (first <= limit || last > top) bad();
  } else if (last > limit) bad();
}

/** Error code for a selector fault: the selector with RPL replaced by EXT (SDM Vol. 3 §6.13). */
export function selErr(cpu: Cpu, sel: number): number {
  return (sel & 0xfffc) | cpu.errExt;
}

/** MOV/POP to DS, ES, FS or GS, and the segment half of LDS/LES/LFS/LGS (SDM Vol. 2 MOV "Operation"). */
export function loadDataSegment(cpu: Cpu, s: number, sel: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) {
    setSegment(cpu, s, sel, 0, 0, AR.UNUSABLE);
    return;
  }
  if (!fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  if ((ar & AR.S) === 0 || (ar & (AR.CODE | AR.RW)) === AR.CODE) raiseGP(selErr(cpu, sel));
  // Data and non-conforming code segments: both RPL and CPL must be at most DPL.
  if ((ar & (AR.CODE | AR.DC)) !== (AR.CODE | AR.DC)) {
    const dpl = dplOf(ar);
    if ((sel & 3) > dpl || cpu.cpl > dpl) raiseGP(selErr(cpu, sel));
  }
  if ((ar & AR.P) === 0) raiseNP(selErr(cpu, sel));
  setAccessed(cpu);
  setSegmentFromDesc(cpu, s, sel);
}

/** Checks a new SS for MOV/POP SS and LSS (and returns with `desc` filled); does not load it. */
export function checkStackSegment(cpu: Cpu, sel: number, cpl: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) raiseGP(cpu.errExt);
  if (!fetchDescriptor(cpu, sel)) raiseGP(selErr(cpu, sel));
  const ar = arFromHigh(desc.hi);
  if ((sel & 3) !== cpl || (ar & (AR.S | AR.CODE | AR.RW)) !== (AR.S | AR.RW) || dplOf(ar) !== cpl) {
    raiseGP(selErr(cpu, sel));
  }
  if ((ar & AR.P) === 0) raiseSS(selErr(cpu, sel));
}

export function loadStackSegment(cpu: Cpu, sel: number): void {
  checkStackSegment(cpu, sel, cpu.cpl);
  setAccessed(cpu);
  setSegmentFromDesc(cpu, SegSlot.SS, sel);
}

/** After a privilege change to an outer level (RET/IRET to CPL 3): data segments the new CPL may not
 *  use are nulled (SDM Vol. 2 RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL", IRET likewise). */
const DATA_SEGS = [SegSlot.ES, SegSlot.DS, SegSlot.FS, SegSlot.GS] as const;

export function nullInaccessibleSegments(cpu: Cpu): void {
  for (const s of DATA_SEGS) {
    const ar = cpu.segAr[s]!;
    if (ar & AR.UNUSABLE) continue;
    const conformingCode = (ar & (AR.CODE | AR.DC)) === (AR.CODE | AR.DC);
    if (!conformingCode && dplOf(ar) < cpu.cpl) setSegment(cpu, s, 0, 0, 0, AR.UNUSABLE);
  }
}
