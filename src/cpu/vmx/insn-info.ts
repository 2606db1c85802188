// The VM-exit instruction-information field and the displacement qualification, built from a decoded
// instruction (SDM Vol. 3 §28.2.5 Tables 28-8..28-14): INS/OUTS, the VMX instructions, and the
// descriptor-table instructions under descriptor-table exiting. Allocation-free.
import { OPCODES } from '../../x86/opcodes.js';
import type { Insn } from '../insn.js';
import { SegSlot } from '../state.js';
import { EXIT_REASON } from './exit-reasons.js';
import { ADDR_SIZE, DT_IDENTITY, INSN_INFO, LDTR_TR_IDENTITY, insOutsInstructionInfo, memOperandInstructionInfo, regOperandInstructionInfo } from './qualification.js';

function addrSizeCode(insn: Insn): number {
  return insn.addrSize === 2 ? ADDR_SIZE.A16 : ADDR_SIZE.A32;
}

/** A memory operand's fields (scaling, address size, segment, index, base) plus `extra` bits. */
export function memInfo(insn: Insn, extra: number): number {
  return memOperandInstructionInfo(insn.scale, addrSizeCode(insn), insn.seg, insn.index, insn.base, extra);
}

/** INS (segment ES) / OUTS (the source segment) (SDM Table 28-8). */
export function stringIoInfo(insn: Insn, isIn: boolean): number {
  return insOutsInstructionInfo(addrSizeCode(insn), isIn ? SegSlot.ES : insn.seg);
}

/** The exit qualification of instructions with a memory operand: its displacement (SDM §28.2.1). */
export function displacement(insn: Insn): number {
  return insn.mod === 3 ? 0 : insn.disp >>> 0;
}

/** VMX instruction rows by name, and how their exits describe the operands. */
const VMX_FORMS: Readonly<Record<string, 'none' | 'mem' | 'mem+reg2' | 'rm+reg2'>> = {
  vmcall: 'none',
  vmlaunch: 'none',
  vmresume: 'none',
  vmxoff: 'none',
  vmxon_Mq: 'mem',
  vmclear_Mq: 'mem',
  vmptrld_Mq: 'mem',
  vmptrst_Mq: 'mem',
  vmread_Ed_Gd: 'rm+reg2',
  vmwrite_Gd_Ed: 'rm+reg2',
  invept_Gd_Mdq: 'mem+reg2',
  invvpid_Gd_Mdq: 'mem+reg2',
};

/**
 * Instruction information of a VMX instruction exit (Tables 28-9, 28-13, 28-14): VMCLEAR, VMPTRLD,
 * VMPTRST, VMXON: the m64 operand; INVEPT/INVVPID: the m128 operand and the type register (31:28);
 * VMREAD/VMWRITE: the r/m operand (register in 6:3 with bit 10, or memory) and the encoding register.
 */
export function vmxInstructionInfo(insn: Insn): number {
  const form = VMX_FORMS[OPCODES[insn.entry]!.name] ?? 'none';
  const reg2 = (insn.reg & 0xf) << INSN_INFO.REG2_SHIFT;
  switch (form) {
    case 'none':
      return 0;
    case 'mem':
      return memInfo(insn, 0);
    case 'mem+reg2':
      return memInfo(insn, reg2);
    default:
      return insn.mod === 3 ? regOperandInstructionInfo(insn.rm, reg2) : memInfo(insn, reg2);
  }
}

/** Descriptor-table instructions: exit reason and identity (bits 29:28), by opcode-table row. */
const DT_ROWS: Readonly<Record<string, readonly [number, number]>> = {
  sgdt_Ms: [EXIT_REASON.GDTR_IDTR, DT_IDENTITY.SGDT],
  sidt_Ms: [EXIT_REASON.GDTR_IDTR, DT_IDENTITY.SIDT],
  lgdt_Ms: [EXIT_REASON.GDTR_IDTR, DT_IDENTITY.LGDT],
  lidt_Ms: [EXIT_REASON.GDTR_IDTR, DT_IDENTITY.LIDT],
  sldt_Ev: [EXIT_REASON.LDTR_TR, LDTR_TR_IDENTITY.SLDT],
  str_Ev: [EXIT_REASON.LDTR_TR, LDTR_TR_IDENTITY.STR],
  lldt_Ew: [EXIT_REASON.LDTR_TR, LDTR_TR_IDENTITY.LLDT],
  ltr_Ew: [EXIT_REASON.LDTR_TR, LDTR_TR_IDENTITY.LTR],
};
const DT_REASON = new Int16Array(OPCODES.length).fill(-1);
const DT_ID = new Uint8Array(OPCODES.length);
OPCODES.forEach((row, i) => {
  const d = DT_ROWS[row.name];
  if (d) {
    DT_REASON[i] = d[0];
    DT_ID[i] = d[1];
  }
});

/** The exit reason of a descriptor-table instruction (46 or 47); -1 for any other row. */
export function descriptorTableReason(insn: Insn): number {
  return DT_REASON[insn.entry]!;
}

/**
 * Instruction information of a descriptor-table exit: LGDT/LIDT/SGDT/SIDT (Table 28-10: memory
 * operand, operand size in bit 11) and LLDT/LTR/SLDT/STR (Table 28-11: register in 6:3 or memory).
 */
export function descriptorTableInfo(insn: Insn): number {
  const identity = DT_ID[insn.entry]! << INSN_INFO.IDENTITY_SHIFT;
  if (DT_REASON[insn.entry] === EXIT_REASON.GDTR_IDTR) return memInfo(insn, identity | (insn.opSize === 4 ? INSN_INFO.OPERAND_SIZE_32 : 0));
  return insn.mod === 3 ? regOperandInstructionInfo(insn.rm, identity) : memInfo(insn, identity);
}
