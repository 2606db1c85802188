// Exit qualifications, interruption-information and VM-exit instruction-information formats this
// processor produces (SDM Vol. 3 §28.2.1 Tables 28-1..28-7, §28.2.2-§28.2.5, §25.8.3): encoders
// (allocation-free, for the CPU) and decoders to words (for the debugger and the hypervisor's logs).

import { hex0x } from '../../common/hex.js';
import { EXIT_REASON } from './exit-reasons.js';

const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
const regName = (n: number): string => REG32[n & 7] ?? `r${n}`;
const segName = (n: number): string => SEG[n] ?? `seg${n}`;

// ---------------------------------------------------------------- control-register access (28)

/** Access types, qualification bits 5:4 (SDM Table 28-3). */
export const CR_ACCESS_TYPE = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

/** Bit layout of the control-register-access qualification. */
export const CR_QUAL = {
  CR_MASK: 0xf,
  TYPE_SHIFT: 4,
  TYPE_MASK: 3 << 4,
  /** LMSW operand type: 1 = memory (then GUEST_LINEAR_ADDRESS holds its address). */
  LMSW_MEMORY: 1 << 6,
  GPR_SHIFT: 8,
  GPR_MASK: 0xf << 8,
  LMSW_DATA_SHIFT: 16,
} as const;

/** MOV to/from CRn with general register `gpr`: e.g. `mov cr3, eax` = 0x3, `mov eax, cr3` = 0x13. */
export function crAccessQualification(cr: number, type: number, gpr: number): number {
  return (cr & 0xf) | ((type & 3) << 4) | ((gpr & 0xf) << 8);
}

/** LMSW: source data in bits 31:16, operand type in bit 6. */
export function lmswQualification(sourceData: number, memoryOperand: boolean): number {
  return (0 | (CR_ACCESS_TYPE.LMSW << 4) | (memoryOperand ? CR_QUAL.LMSW_MEMORY : 0) | ((sourceData & 0xffff) << 16)) >>> 0;
}

/** CLTS: CR 0, type 2. */
export const CLTS_QUALIFICATION = CR_ACCESS_TYPE.CLTS << 4;

export interface CrAccess {
  cr: number;
  type: number;
  gpr: number;
  lmswMemory: boolean;
  lmswData: number;
}

export function decodeCrAccess(q: number): CrAccess {
  return {
    cr: q & CR_QUAL.CR_MASK,
    type: (q >>> 4) & 3,
    gpr: (q >>> 8) & 0xf,
    lmswMemory: (q & CR_QUAL.LMSW_MEMORY) !== 0,
    lmswData: (q >>> 16) & 0xffff,
  };
}

function describeCrAccess(q: number): string {
  const a = decodeCrAccess(q);
  switch (a.type) {
    case CR_ACCESS_TYPE.MOV_TO_CR: return `mov cr${a.cr}, ${regName(a.gpr)}`;
    case CR_ACCESS_TYPE.MOV_FROM_CR: return `mov ${regName(a.gpr)}, cr${a.cr}`;
    case CR_ACCESS_TYPE.CLTS: return 'clts';
    default: return `lmsw ${hex0x(a.lmswData)} (${a.lmswMemory ? 'memory' : 'register'} operand)`;
  }
}

// ---------------------------------------------------------------- MOV DR (29)

/** MOV DR qualification (SDM Table 28-4): DR number 2:0, direction 4 (1 = MOV from DR), GPR 11:8. */
export const DR_QUAL = { DR_MASK: 7, FROM_DR: 1 << 4, GPR_SHIFT: 8 } as const;

export function drAccessQualification(dr: number, fromDr: boolean, gpr: number): number {
  return (dr & 7) | (fromDr ? DR_QUAL.FROM_DR : 0) | ((gpr & 0xf) << 8);
}

export function decodeDrAccess(q: number): { dr: number; fromDr: boolean; gpr: number } {
  return { dr: q & 7, fromDr: (q & DR_QUAL.FROM_DR) !== 0, gpr: (q >>> 8) & 0xf };
}

// ---------------------------------------------------------------- I/O instruction (30)

/** I/O qualification (SDM Table 28-5). */
export const IO_QUAL = {
  SIZE_MASK: 7,
  IN: 1 << 3,
  STRING: 1 << 4,
  REP: 1 << 5,
  IMMEDIATE: 1 << 6,
  PORT_SHIFT: 16,
} as const;

/** `size` in bytes (1, 2 or 4); `immediate` when the port was an imm8 operand rather than DX. */
export function ioQualification(port: number, size: number, isIn: boolean, isString: boolean, rep: boolean, immediate: boolean): number {
  return (
    ((size - 1) & 7) |
    (isIn ? IO_QUAL.IN : 0) |
    (isString ? IO_QUAL.STRING : 0) |
    (rep ? IO_QUAL.REP : 0) |
    (immediate ? IO_QUAL.IMMEDIATE : 0) |
    ((port & 0xffff) << 16)
  ) >>> 0;
}

export interface IoAccess {
  port: number;
  size: number;
  isIn: boolean;
  isString: boolean;
  rep: boolean;
  immediate: boolean;
}

export function decodeIo(q: number): IoAccess {
  return {
    port: q >>> 16,
    size: (q & 7) + 1,
    isIn: (q & IO_QUAL.IN) !== 0,
    isString: (q & IO_QUAL.STRING) !== 0,
    rep: (q & IO_QUAL.REP) !== 0,
    immediate: (q & IO_QUAL.IMMEDIATE) !== 0,
  };
}

function describeIo(q: number): string {
  const a = decodeIo(q);
  const sfx = a.size === 1 ? 'b' : a.size === 2 ? 'w' : 'd';
  const mnem = a.isString ? (a.isIn ? `ins${sfx}` : `outs${sfx}`) : a.isIn ? 'in' : 'out';
  const port = a.immediate ? hex0x(a.port) : `dx=${hex0x(a.port)}`;
  return `${a.rep ? 'rep ' : ''}${mnem} port ${port}, ${a.size} byte${a.size > 1 ? 's' : ''}`;
}

// ---------------------------------------------------------------- EPT violation (48)

/** EPT-violation qualification bits (SDM Table 28-7; Linux EPT_VIOLATION_*). */
export const EPT_VIOLATION = {
  ACC_READ: 1 << 0,
  ACC_WRITE: 1 << 1,
  ACC_INSTR: 1 << 2,
  /** Bits 5:3: the translation was readable / writable / executable (AND over the levels walked). */
  READABLE: 1 << 3,
  WRITABLE: 1 << 4,
  EXECUTABLE: 1 << 5,
  PERM_SHIFT: 3,
  /** Guest-linear-address field valid. */
  GVA_IS_VALID: 1 << 7,
  /** With bit 7: 1 = access to the translated linear address, 0 = to a guest paging-structure entry. */
  GVA_TRANSLATED: 1 << 8,
  NMI_UNBLOCKING: 1 << 12,
} as const;

function describeEptViolation(q: number): string {
  const acc = q & EPT_VIOLATION.ACC_WRITE ? 'write' : q & EPT_VIOLATION.ACC_INSTR ? 'fetch' : 'read';
  const perm =
    (q & EPT_VIOLATION.READABLE ? 'r' : '-') + (q & EPT_VIOLATION.WRITABLE ? 'w' : '-') + (q & EPT_VIOLATION.EXECUTABLE ? 'x' : '-');
  const what =
    (q & EPT_VIOLATION.GVA_IS_VALID) === 0
      ? 'no linear address'
      : q & EPT_VIOLATION.GVA_TRANSLATED
        ? 'translated linear address'
        : 'guest paging-structure entry';
  return `${acc} denied, translation ${perm === '---' ? 'not present' : perm}, ${what}`;
}

// ---------------------------------------------------------------- debug exceptions, task switch

/** #DB exit qualification (SDM Table 28-1): B3:B0, BD (13), BS (14), RTM (16). */
export const DEBUG_QUAL = { B0_B3: 0xf, BD: 1 << 13, BS: 1 << 14, RTM: 1 << 16 } as const;

/** Task-switch qualification (SDM Table 28-2): selector 15:0, source 31:30. */
export const TASK_SWITCH_SOURCE = { CALL: 0, IRET: 1, JMP: 2, IDT_GATE: 3 } as const;

export function taskSwitchQualification(selector: number, source: number): number {
  return ((selector & 0xffff) | ((source & 3) << 30)) >>> 0;
}

// ---------------------------------------------------------------- entry failures (33, 34)

/** Qualification of a VM-entry failure due to invalid guest state (SDM §27.8). */
export const ENTRY_FAIL = { DEFAULT: 0, PDPTE: 2, NMI_INJECTION: 3, VMCS_LINK_PTR: 4 } as const;

// ---------------------------------------------------------------- interruption information

/** Interruption-information format (SDM Tables 25-17, 25-19, 25-20; Linux INTR_INFO_*). */
export const INTR_INFO = {
  VECTOR_MASK: 0xff,
  TYPE_SHIFT: 8,
  TYPE_MASK: 7 << 8,
  DELIVER_CODE: 1 << 11,
  /** VM-exit and IDT-vectoring info only. */
  NMI_UNBLOCKING: 1 << 12,
  VALID: 0x80000000,
  /** Bits 30:12 must be 0 in the VM-entry field. */
  ENTRY_RESERVED: 0x7ffff000,
} as const;

/** Event types, bits 10:8. */
export const INTR_TYPE = {
  EXT_INTR: 0,
  NMI: 2,
  HARD_EXCEPTION: 3,
  SOFT_INTR: 4,
  PRIV_SW_EXCEPTION: 5,
  SOFT_EXCEPTION: 6,
  OTHER_EVENT: 7,
} as const;

const INTR_TYPE_NAMES = ['external interrupt', 'reserved', 'NMI', 'hardware exception', 'software interrupt', 'privileged software exception', 'software exception', 'other event'] as const;

/** A valid interruption-information value. */
export function intrInfo(vector: number, type: number, deliverErrorCode: boolean): number {
  return ((vector & 0xff) | ((type & 7) << 8) | (deliverErrorCode ? INTR_INFO.DELIVER_CODE : 0) | INTR_INFO.VALID) >>> 0;
}

export interface IntrInfo {
  valid: boolean;
  vector: number;
  type: number;
  deliverErrorCode: boolean;
  nmiUnblocking: boolean;
}

export function decodeIntrInfo(v: number): IntrInfo {
  return {
    valid: (v & INTR_INFO.VALID) !== 0,
    vector: v & 0xff,
    type: (v >>> 8) & 7,
    deliverErrorCode: (v & INTR_INFO.DELIVER_CODE) !== 0,
    nmiUnblocking: (v & INTR_INFO.NMI_UNBLOCKING) !== 0,
  };
}

/** `vector 14 (hardware exception), error code 0x2` or `invalid`. */
export function describeIntrInfo(v: number, errorCode?: number): string {
  const d = decodeIntrInfo(v);
  if (!d.valid) return 'invalid';
  let s = `vector ${d.vector} (${INTR_TYPE_NAMES[d.type]})`;
  if (d.deliverErrorCode) s += errorCode !== undefined ? `, error code ${hex0x(errorCode)}` : ', with error code';
  if (d.nmiUnblocking) s += ', NMI unblocking';
  return s;
}

/** Exceptions that push an error code (SDM Vol. 3 Table 6-1): #DF #TS #NP #SS #GP #PF #AC. */
export function exceptionHasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

// ---------------------------------------------------------------- VM-exit instruction information

/**
 * VM-exit instruction-information fields (SDM §28.2.5, Tables 28-8..28-14). One layout covers every
 * format this processor produces; each instruction family uses the fields its table defines:
 * - INS/OUTS: address size, segment.
 * - VMCLEAR/VMPTRLD/VMPTRST/VMXON, INVEPT/INVVPID, VMREAD/VMWRITE, LIDT/LGDT/SIDT/SGDT,
 *   LLDT/LTR/SLDT/STR: scaling, address size, mem/reg, segment, index/base (with invalid bits);
 *   reg1 (VMREAD/VMWRITE, LLDT..STR register operand), reg2 (INVEPT/INVVPID type register,
 *   VMREAD/VMWRITE encoding register), operand size (descriptor-table, bit 11), and the
 *   instruction identity (bits 29:28, descriptor-table and LDTR/TR formats).
 */
export const INSN_INFO = {
  SCALING_MASK: 3,
  REG1_SHIFT: 3,
  ADDR_SIZE_SHIFT: 7,
  /** 1 = register operand (VMREAD/VMWRITE, LDTR/TR formats). */
  REG_OPERAND: 1 << 10,
  /** Descriptor-table format: 1 = 32-bit operand size. */
  OPERAND_SIZE_32: 1 << 11,
  SEGMENT_SHIFT: 15,
  INDEX_SHIFT: 18,
  INDEX_INVALID: 1 << 22,
  BASE_SHIFT: 23,
  BASE_INVALID: 1 << 27,
  REG2_SHIFT: 28,
  IDENTITY_SHIFT: 28,
} as const;

/** Address size codes, bits 9:7. */
export const ADDR_SIZE = { A16: 0, A32: 1 } as const;
/** Instruction identity, bits 29:28, of the descriptor-table format (exit 46). */
export const DT_IDENTITY = { SGDT: 0, SIDT: 1, LGDT: 2, LIDT: 3 } as const;
/** Instruction identity, bits 29:28, of the LDTR/TR format (exit 47). */
export const LDTR_TR_IDENTITY = { SLDT: 0, STR: 1, LLDT: 2, LTR: 3 } as const;

/** INS/OUTS instruction information: address size (0 16-bit, 1 32-bit) and segment (Sreg number). */
export function insOutsInstructionInfo(addrSize: number, segment: number): number {
  return ((addrSize & 7) << 7) | ((segment & 7) << 15);
}

/**
 * A memory operand's instruction information: scaling (log2 of the SIB scale), address size,
 * segment, index and base register numbers (-1 when absent). `extra` carries the family's own bits
 * (reg1/reg2/identity/operand size), already shifted.
 */
export function memOperandInstructionInfo(scaleLog2: number, addrSize: number, segment: number, index: number, base: number, extra = 0): number {
  return (
    (scaleLog2 & 3) |
    ((addrSize & 7) << 7) |
    ((segment & 7) << 15) |
    (index < 0 ? INSN_INFO.INDEX_INVALID : (index & 0xf) << 18) |
    (base < 0 ? INSN_INFO.BASE_INVALID : (base & 0xf) << 23) |
    extra
  ) >>> 0;
}

/** A register operand's instruction information (VMREAD/VMWRITE r32, SLDT/STR/LLDT/LTR r16). */
export function regOperandInstructionInfo(reg1: number, extra = 0): number {
  return (((reg1 & 0xf) << 3) | INSN_INFO.REG_OPERAND | extra) >>> 0;
}

export interface InstructionInfo {
  scaling: number;
  reg1: number;
  addrSize: number;
  register: boolean;
  operandSize32: boolean;
  segment: number;
  index: number;
  base: number;
  reg2: number;
}

export function decodeInstructionInfo(v: number): InstructionInfo {
  return {
    scaling: v & 3,
    reg1: (v >>> 3) & 0xf,
    addrSize: (v >>> 7) & 7,
    register: (v & INSN_INFO.REG_OPERAND) !== 0,
    operandSize32: (v & INSN_INFO.OPERAND_SIZE_32) !== 0,
    segment: (v >>> 15) & 7,
    index: v & INSN_INFO.INDEX_INVALID ? -1 : (v >>> 18) & 0xf,
    base: v & INSN_INFO.BASE_INVALID ? -1 : (v >>> 23) & 0xf,
    reg2: (v >>> 28) & 0xf,
  };
}

/**
 * The memory operand an instruction-information value describes, in NASM syntax with the
 * displacement from the exit qualification: `ds:[ebx+esi*4+0x10]`, or the register for register forms.
 */
export function describeOperand(info: number, displacement: number): string {
  const d = decodeInstructionInfo(info);
  if (d.register) return regName(d.reg1);
  const parts: string[] = [];
  if (d.base >= 0) parts.push(regName(d.base));
  if (d.index >= 0) parts.push(`${regName(d.index)}*${1 << d.scaling}`);
  const disp = displacement | 0;
  if (disp !== 0 || parts.length === 0) parts.push(parts.length > 0 && disp < 0 ? `-${hex0x(-disp)}` : hex0x(disp));
  return `${segName(d.segment)}:[${parts.join('+').replace('+-', '-')}]`;
}

// ---------------------------------------------------------------- the whole exit, in words

/**
 * One line describing an exit's qualification for its basic reason, e.g. `mov cr3, eax`,
 * `out port dx=0x3f8, 1 byte`, `write denied, translation r-x, translated linear address`.
 * Empty when the reason has no qualification.
 */
export function describeQualification(reason: number, q: number): string {
  switch (reason & 0xffff) {
    case EXIT_REASON.CR_ACCESS: return describeCrAccess(q);
    case EXIT_REASON.DR_ACCESS: {
      const a = decodeDrAccess(q);
      return a.fromDr ? `mov ${regName(a.gpr)}, dr${a.dr}` : `mov dr${a.dr}, ${regName(a.gpr)}`;
    }
    case EXIT_REASON.IO_INSTRUCTION: return describeIo(q);
    case EXIT_REASON.EPT_VIOLATION: return describeEptViolation(q);
    case EXIT_REASON.INVLPG: return `linear address ${hex0x(q)}`;
    case EXIT_REASON.EXCEPTION_NMI: return q !== 0 ? `qualification ${hex0x(q)}` : '';
    case EXIT_REASON.TASK_SWITCH: return `selector ${hex0x(q & 0xffff)}, source ${['CALL', 'IRET', 'JMP', 'IDT task gate'][q >>> 30]}`;
    case EXIT_REASON.INVALID_STATE:
      return q === ENTRY_FAIL.VMCS_LINK_PTR ? 'bad VMCS link pointer' : q === ENTRY_FAIL.PDPTE ? 'bad PDPTE' : 'invalid guest state';
    case EXIT_REASON.MSR_LOAD_FAIL: return `VM-entry MSR-load entry ${q} failed`;
    case EXIT_REASON.VMCLEAR:
    case EXIT_REASON.VMPTRLD:
    case EXIT_REASON.VMPTRST:
    case EXIT_REASON.VMREAD:
    case EXIT_REASON.VMWRITE:
    case EXIT_REASON.VMON:
    case EXIT_REASON.INVEPT:
    case EXIT_REASON.INVVPID:
    case EXIT_REASON.GDTR_IDTR:
    case EXIT_REASON.LDTR_TR:
      return `displacement ${hex0x(q)}`;
    default: return q !== 0 ? `qualification ${hex0x(q)}` : '';
  }
}
