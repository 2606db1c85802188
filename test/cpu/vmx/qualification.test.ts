// Exit-qualification, interruption-information and instruction-information formats: the values
// kvm-unit-tests asserts (cr_shadowing, insn_intercept, iobmp, vmx_exception_test) and round trips.
import { describe, expect, it } from 'vitest';
import { EXIT_REASON } from '../../../src/cpu/vmx/exit-reasons.js';
import {
  ADDR_SIZE,
  CLTS_QUALIFICATION,
  CR_ACCESS_TYPE,
  DT_IDENTITY,
  EPT_VIOLATION,
  INSN_INFO,
  INTR_TYPE,
  crAccessQualification,
  decodeCrAccess,
  decodeInstructionInfo,
  decodeIntrInfo,
  decodeIo,
  describeIntrInfo,
  describeOperand,
  describeQualification,
  drAccessQualification,
  exceptionHasErrorCode,
  insOutsInstructionInfo,
  intrInfo,
  ioQualification,
  lmswQualification,
  memOperandInstructionInfo,
  regOperandInstructionInfo,
  taskSwitchQualification,
} from '../../../src/cpu/vmx/qualification.js';

const EAX = 0, ECX = 1, EBX = 3, ESI = 6, DS = 3, SS = 2;

describe('control-register access qualification', () => {
  it('gives the values kvm-unit-tests expects', () => {
    expect(crAccessQualification(3, CR_ACCESS_TYPE.MOV_TO_CR, EAX)).toBe(0x3); // mov cr3, eax
    expect(crAccessQualification(3, CR_ACCESS_TYPE.MOV_FROM_CR, EAX)).toBe(0x13); // mov eax, cr3
    expect(crAccessQualification(0, CR_ACCESS_TYPE.MOV_TO_CR, ESI)).toBe(0x600); // mov cr0, esi
    expect(crAccessQualification(4, CR_ACCESS_TYPE.MOV_TO_CR, ESI)).toBe(0x604); // mov cr4, esi
    expect(CLTS_QUALIFICATION).toBe(0x20);
  });

  it('puts LMSW source data in 31:16 and the memory-operand flag in bit 6', () => {
    const q = lmswQualification(0xfff1, true);
    expect(q).toBe(0xfff10070);
    expect(decodeCrAccess(q)).toEqual({ cr: 0, type: 3, gpr: 0, lmswMemory: true, lmswData: 0xfff1 });
    expect(describeQualification(EXIT_REASON.CR_ACCESS, 0x13)).toBe('mov eax, cr3');
    expect(describeQualification(EXIT_REASON.CR_ACCESS, 0x604)).toBe('mov cr4, esi');
  });
});

describe('MOV DR and task-switch qualifications', () => {
  it('encode DR number, direction and register', () => {
    expect(drAccessQualification(7, true, EBX)).toBe(0x317); // mov ebx, dr7
    expect(describeQualification(EXIT_REASON.DR_ACCESS, 0x317)).toBe('mov ebx, dr7');
    expect(describeQualification(EXIT_REASON.DR_ACCESS, drAccessQualification(0, false, ECX))).toBe('mov dr0, ecx');
    expect(taskSwitchQualification(0x28, 3)).toBe(0xc0000028);
  });
});

describe('I/O qualification', () => {
  it('encodes size-1, direction, string, rep, immediate and port (iobmp)', () => {
    expect(ioQualification(0x5000, 1, true, false, false, false)).toBe(0x50000008); // in al, dx
    expect(ioQualification(0x80, 2, false, false, false, true) & 0x4f).toBe(0x41); // out imm8, ax
    const q = ioQualification(0x3f8, 1, false, true, true, false); // rep outsb
    expect(decodeIo(q)).toEqual({ port: 0x3f8, size: 1, isIn: false, isString: true, rep: true, immediate: false });
    expect(decodeIo(ioQualification(0xffff, 4, true, false, false, false)).size).toBe(4);
    expect(describeQualification(EXIT_REASON.IO_INSTRUCTION, q)).toBe('rep outsb port dx=0x3f8, 1 byte');
  });
});

describe('EPT violation qualification in words', () => {
  it('names the access, the permissions and what was accessed', () => {
    const q = EPT_VIOLATION.ACC_WRITE | EPT_VIOLATION.READABLE | EPT_VIOLATION.EXECUTABLE | EPT_VIOLATION.GVA_IS_VALID | EPT_VIOLATION.GVA_TRANSLATED;
    expect(q).toBe(0x1aa);
    expect(describeQualification(EXIT_REASON.EPT_VIOLATION, q)).toBe('write denied, translation r-x, translated linear address');
    expect(describeQualification(EXIT_REASON.EPT_VIOLATION, EPT_VIOLATION.ACC_READ | EPT_VIOLATION.GVA_IS_VALID)).toBe(
      'read denied, translation not present, guest paging-structure entry',
    );
  });
});

describe('interruption information', () => {
  it('encodes vector, type, error-code valid and valid (vmx_exception_test: #BP is type 6)', () => {
    expect(intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true)).toBe(0x80000b0e);
    expect(intrInfo(3, INTR_TYPE.SOFT_EXCEPTION, false)).toBe(0x80000603);
    expect(intrInfo(0x20, INTR_TYPE.EXT_INTR, false)).toBe(0x80000020);
    expect(decodeIntrInfo(0x80000b0e)).toEqual({ valid: true, vector: 14, type: 3, deliverErrorCode: true, nmiUnblocking: false });
    expect(describeIntrInfo(0x80000b0e, 2)).toBe('vector 14 (hardware exception), error code 0x2');
    expect(describeIntrInfo(0x0000000e)).toBe('invalid');
  });

  it('knows which exceptions push an error code', () => {
    expect([8, 10, 11, 12, 13, 14, 17].every(exceptionHasErrorCode)).toBe(true);
    expect([0, 1, 3, 6, 7, 9, 15, 16, 18].some(exceptionHasErrorCode)).toBe(false);
  });
});

describe('VM-exit instruction information', () => {
  it('describes a memory operand: vmptrld [ebx+esi*4+0x10]', () => {
    const info = memOperandInstructionInfo(2, ADDR_SIZE.A32, DS, ESI, EBX);
    const d = decodeInstructionInfo(info);
    expect(d).toMatchObject({ scaling: 2, addrSize: 1, register: false, segment: DS, index: ESI, base: EBX });
    expect(describeOperand(info, 0x10)).toBe('ds:[ebx+esi*4+0x10]');
  });

  it('marks absent index and base registers invalid', () => {
    const info = memOperandInstructionInfo(0, ADDR_SIZE.A32, SS, -1, -1);
    expect(info & INSN_INFO.INDEX_INVALID).not.toBe(0);
    expect(info & INSN_INFO.BASE_INVALID).not.toBe(0);
    expect(describeOperand(info, 0x2000)).toBe('ss:[0x2000]');
    expect(describeOperand(memOperandInstructionInfo(0, 1, SS, -1, 5), -8)).toBe('ss:[ebp-0x8]');
  });

  it('register forms and family bits: vmread eax, ecx (reg2 = ecx holds the encoding)', () => {
    const info = regOperandInstructionInfo(EAX, ECX << INSN_INFO.REG2_SHIFT);
    expect(decodeInstructionInfo(info)).toMatchObject({ register: true, reg1: EAX, reg2: ECX });
    expect(describeOperand(info, 0)).toBe('eax');
    const lidt = memOperandInstructionInfo(0, 1, DS, -1, EAX, INSN_INFO.OPERAND_SIZE_32 | (DT_IDENTITY.LIDT << INSN_INFO.IDENTITY_SHIFT));
    expect((lidt >>> 28) & 3).toBe(3);
    expect(insOutsInstructionInfo(1, 3)).toBe((1 << 7) | (3 << 15));
  });
});
