// Emulation of a guest instruction that wrote to one of its own (write-protected) page tables, as
// KVM's x86_emulate_instruction does for a write-protection fault: decode it with the project's
// decoder, compute its memory operand from the guest's registers and segments, carry out the write
// in guest memory and tell the shadow MMU which entries changed. Only the forms kernels use to
// write page-table entries are handled (MOV, XCHG, STOS, MOVS, with REP); anything else reports
// UNSUPPORTED and the caller single-steps the real instruction instead.
import { INTERRUPTIBILITY, PENDING_DBG, VMCS, guestBaseField, guestLimitField } from '../../cpu/vmx/api.js';
import { DecodeStatus, DecodedInsn, NO_REG, Prefix } from '../../x86/decoded.js';
import { MAX_INSN_LEN, decode } from '../../x86/decoder.js';
import { rowIndex } from '../../x86/opcodes.js';
import { Reg, Seg } from '../../x86/registers.js';
import { EFLAGS, PAGE_SIZE } from '../arch-defs.js';
import { AccessStatus, type GuestLinear, type GuestRam } from '../guest-memory.js';
import type { Vcpu } from '../vcpu.js';
import { vmwriteChecked } from '../vmx-ops.js';

export const Emulation = {
  /** Done and RIP moved past the instruction. */
  DONE: 0,
  /** Some iterations of a REP string instruction done (registers updated, RIP unchanged). */
  PARTIAL: 1,
  /** Not a form this emulator handles, or not the write that faulted. */
  UNSUPPORTED: 2,
} as const;
export type Emulation = (typeof Emulation)[keyof typeof Emulation];

/** How a recognised instruction writes. */
const Kind = { MOV_REG: 0, MOV_IMM: 1, MOV_MOFFS: 2, XCHG: 3, STOS: 4, MOVS: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** Opcode-table rows this emulator knows: row index → kind × 2 + (1 for byte operands). */
const FORMS: ReadonlyMap<number, number> = (() => {
  const m = new Map<number, number>();
  const add = (name: string, kind: Kind, byte: boolean): void => {
    const row = rowIndex(name);
    if (row >= 0) m.set(row, kind * 2 + (byte ? 1 : 0));
  };
  add('mov_Eb_Gb', Kind.MOV_REG, true);
  add('mov_Ev_Gv', Kind.MOV_REG, false);
  add('mov_Eb_Ib', Kind.MOV_IMM, true);
  add('mov_Ev_Iz', Kind.MOV_IMM, false);
  add('mov_Ob_AL', Kind.MOV_MOFFS, true);
  add('mov_Ov_eAX', Kind.MOV_MOFFS, false);
  add('xchg_Eb_Gb', Kind.XCHG, true);
  add('xchg_Ev_Gv', Kind.XCHG, false);
  add('stos_Yb_AL', Kind.STOS, true);
  add('stos_Yv_eAX', Kind.STOS, false);
  add('movs_Yb_Xb', Kind.MOVS, true);
  add('movs_Yv_Xv', Kind.MOVS, false);
  return m;
})();

const BLOCKING = INTERRUPTIBILITY.STI | INTERRUPTIBILITY.MOV_SS;
const FLAT_LIMIT = 0xffffffff;
const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class WriteEmulator {
  private readonly insn = new DecodedInsn();
  private readonly bytes = new Uint8Array(MAX_INSN_LEN);
  private readonly tail = new Uint8Array(MAX_INSN_LEN);
  private readonly data = new Uint8Array(4);

  constructor(
    private readonly ram: GuestRam,
    private readonly linear: GuestLinear,
    /** Told of every write made, so the shadow entries made from it are dropped. */
    private readonly wrote: (gpa: number, len: number) => void,
  ) {}

  /**
   * Emulates the instruction at the guest's CS:EIP, which faulted writing at `faultLinear`. The
   * caller has refreshed the guest paging view `linear` walks with.
   */
  emulate(vcpu: Vcpu, faultLinear: number): Emulation {
    const ops = vcpu.ops;
    const user = vcpu.cpl === 3;
    const insn = this.insn;
    if (!this.fetch(vcpu, user)) return Emulation.UNSUPPORTED;
    const form = FORMS.get(insn.entry);
    if (form === undefined || insn.addrSize !== 4) return Emulation.UNSUPPORTED;
    const kind = (form >>> 1) as Kind;
    const size = form & 1 ? 1 : insn.opSize;
    const page = (faultLinear >>> 0) - ((faultLinear >>> 0) % PAGE_SIZE);

    if (kind === Kind.STOS || kind === Kind.MOVS) return this.string(vcpu, kind, size, page, user);

    if (kind !== Kind.MOV_MOFFS && insn.mod === 3) return Emulation.UNSUPPORTED;
    let ea = insn.disp;
    if (insn.base !== NO_REG) ea += readGpr(vcpu, insn.base);
    if (insn.index !== NO_REG) ea += readGpr(vcpu, insn.index) << insn.scale;
    const lin = (ops.vmread(guestBaseField(insn.seg)) + ea) >>> 0;
    if (!samePage(lin, size, page)) return Emulation.UNSUPPORTED;
    const gpa = this.linear.translate(lin, true, user);
    if (gpa < 0) return Emulation.UNSUPPORTED;

    let value: number;
    if (kind === Kind.MOV_IMM) value = insn.imm;
    else if (kind === Kind.MOV_MOFFS) value = readReg(vcpu, Reg.EAX, size);
    else value = readReg(vcpu, insn.reg, size);
    if (kind === Kind.XCHG) writeReg(vcpu, insn.reg, size, this.readData(gpa, size));
    this.writeData(gpa, size, value);
    this.wrote(gpa, size);
    skipInstruction(vcpu, insn.len);
    return Emulation.DONE;
  }

  /** STOS / MOVS, REP or not: the iterations whose destination is in the faulting page. */
  private string(vcpu: Vcpu, kind: Kind, size: number, page: number, user: boolean): Emulation {
    const ops = vcpu.ops;
    const insn = this.insn;
    const r = vcpu.regs;
    const rep = (insn.prefixes & (Prefix.REP | Prefix.REPNE)) !== 0;
    const step = ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.DF ? -size : size;
    const esBase = ops.vmread(guestBaseField(Seg.ES));
    const srcBase = kind === Kind.MOVS ? ops.vmread(guestBaseField(insn.seg)) : 0;
    // Beyond the first element the segment limits would need checking: with non-flat segments
    // only the element the processor already checked is emulated.
    const flat = ops.vmread(guestLimitField(Seg.ES)) >>> 0 === FLAT_LIMIT && (kind !== Kind.MOVS || ops.vmread(guestLimitField(insn.seg)) >>> 0 === FLAT_LIMIT);
    let count = rep ? r[Reg.ECX]! >>> 0 : 1;
    if (count === 0) return Emulation.UNSUPPORTED;
    const max = rep && flat ? count : 1;
    let done = 0;
    let lo = Infinity;
    let hi = -1;
    const value = kind === Kind.STOS ? readGpr(vcpu, Reg.EAX) & SIZE_MASK[size as 1 | 2 | 4] : 0;
    while (done < max) {
      const dst = (esBase + r[Reg.EDI]!) >>> 0;
      if (!samePage(dst, size, page)) break;
      let v = value;
      if (kind === Kind.MOVS) {
        const src = (srcBase + r[Reg.ESI]!) >>> 0;
        if (this.linear.read(src, this.data, size, user) !== AccessStatus.OK) break;
        v = this.data[0]! | (this.data[1]! << 8) | (this.data[2]! << 16) | (this.data[3]! << 24);
      }
      const gpa = this.linear.translate(dst, true, user);
      if (gpa < 0) break;
      this.writeData(gpa, size, v);
      if (gpa < lo) lo = gpa;
      if (gpa + size > hi) hi = gpa + size;
      r[Reg.EDI] = (r[Reg.EDI]! + step) | 0;
      if (kind === Kind.MOVS) r[Reg.ESI] = (r[Reg.ESI]! + step) | 0;
      if (rep) r[Reg.ECX] = --count | 0;
      done++;
    }
    if (done === 0) return Emulation.UNSUPPORTED;
    this.wrote(lo, hi - lo);
    if (rep && count !== 0) return Emulation.PARTIAL;
    skipInstruction(vcpu, insn.len);
    return Emulation.DONE;
  }

  /** Reads and decodes the instruction at CS:EIP (its second page only if it needs it). */
  private fetch(vcpu: Vcpu, user: boolean): boolean {
    const ops = vcpu.ops;
    const lin = (ops.vmread(guestBaseField(Seg.CS)) + ops.vmread(VMCS.GUEST_RIP)) >>> 0;
    const first = Math.min(MAX_INSN_LEN, PAGE_SIZE - (lin % PAGE_SIZE));
    if (this.linear.read(lin, this.bytes, first, user) !== AccessStatus.OK) return false;
    decode(this.bytes, 0, first, this.insn);
    if (this.insn.status === DecodeStatus.Truncated && first < MAX_INSN_LEN) {
      const rest = MAX_INSN_LEN - first;
      if (this.linear.read((lin + first) >>> 0, this.tail, rest, user) !== AccessStatus.OK) return false;
      this.bytes.set(this.tail.subarray(0, rest), first);
      decode(this.bytes, 0, MAX_INSN_LEN, this.insn);
    }
    return this.insn.status === DecodeStatus.Ok;
  }

  private readData(gpa: number, size: number): number {
    if (size === 4 && (gpa & 3) === 0) return this.ram.read32(gpa);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.ram.read8(gpa + i) << (8 * i);
    return v;
  }

  private writeData(gpa: number, size: number, value: number): void {
    if (size === 4 && (gpa & 3) === 0) {
      this.ram.write32(gpa, value);
      return;
    }
    for (let i = 0; i < size; i++) this.ram.write8(gpa + i, value >>> (8 * i));
  }
}

function samePage(lin: number, size: number, page: number): boolean {
  return lin >= page && lin + size <= page + PAGE_SIZE;
}

function readGpr(vcpu: Vcpu, n: number): number {
  return n === Reg.ESP ? vcpu.ops.vmread(VMCS.GUEST_RSP) : vcpu.regs[n]!;
}

/** Register `n` at operand size `size` (1: AL..BH encoding, 4-7 are the high bytes). */
function readReg(vcpu: Vcpu, n: number, size: number): number {
  if (size === 1) return n < 4 ? readGpr(vcpu, n) & 0xff : (readGpr(vcpu, n - 4) >>> 8) & 0xff;
  return readGpr(vcpu, n) & SIZE_MASK[size as 2 | 4];
}

function writeReg(vcpu: Vcpu, n: number, size: number, value: number): void {
  let full: number;
  let reg = n;
  if (size === 1) {
    reg = n < 4 ? n : n - 4;
    const shift = n < 4 ? 0 : 8;
    full = (readGpr(vcpu, reg) & ~(0xff << shift)) | ((value & 0xff) << shift);
  } else if (size === 2) {
    full = (readGpr(vcpu, reg) & ~0xffff) | (value & 0xffff);
  } else {
    full = value;
  }
  if (reg === Reg.ESP) vmwriteChecked(vcpu.ops, VMCS.GUEST_RSP, full >>> 0);
  else vcpu.regs[reg] = full;
}

/**
 * RIP past the emulated instruction. A #PF exit has no instruction length, so this is the exit
 * loop's skip with the decoder's length: it ends STI/MOV-SS blocking and, with RFLAGS.TF, owes the
 * guest a single-step #DB (pending debug exception BS, SDM Vol. 3 §27.7.3).
 */
function skipInstruction(vcpu: Vcpu, len: number): void {
  const ops = vcpu.ops;
  vmwriteChecked(ops, VMCS.GUEST_RIP, (ops.vmread(VMCS.GUEST_RIP) + len) >>> 0);
  const intr = ops.vmread(VMCS.GUEST_INTERRUPTIBILITY_INFO);
  if (intr & BLOCKING) vmwriteChecked(ops, VMCS.GUEST_INTERRUPTIBILITY_INFO, intr & ~BLOCKING);
  if (ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.TF) vmwriteChecked(ops, VMCS.GUEST_PENDING_DBG_EXCEPTIONS, PENDING_DBG.BS);
}
