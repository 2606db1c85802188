// VMCS field encodings: computed encodings against the values Linux asm/vmx.h lists (an outside
// reference), the encoding structure, name lookup and the read-only rule.
import { describe, expect, it } from 'vitest';
import {
  FIELDS,
  FieldType,
  FieldWidth,
  MAX_FIELD_INDEX,
  VMCS,
  encodeField,
  fieldByName,
  fieldName,
  isSupportedEncoding,
} from '../../../src/cpu/vmx/fields.js';

/** Linux arch/x86/include/asm/vmx.h `enum vmcs_field` values (IO_RCX..IO_RIP are absent there too). */
const LINUX: Record<string, number> = {
  VIRTUAL_PROCESSOR_ID: 0x0000,
  GUEST_ES_SELECTOR: 0x0800, GUEST_CS_SELECTOR: 0x0802, GUEST_SS_SELECTOR: 0x0804, GUEST_DS_SELECTOR: 0x0806,
  GUEST_FS_SELECTOR: 0x0808, GUEST_GS_SELECTOR: 0x080a, GUEST_LDTR_SELECTOR: 0x080c, GUEST_TR_SELECTOR: 0x080e,
  HOST_ES_SELECTOR: 0x0c00, HOST_CS_SELECTOR: 0x0c02, HOST_SS_SELECTOR: 0x0c04, HOST_DS_SELECTOR: 0x0c06,
  HOST_FS_SELECTOR: 0x0c08, HOST_GS_SELECTOR: 0x0c0a, HOST_TR_SELECTOR: 0x0c0c,
  IO_BITMAP_A: 0x2000, IO_BITMAP_B: 0x2002, MSR_BITMAP: 0x2004, VM_EXIT_MSR_STORE_ADDR: 0x2006,
  VM_EXIT_MSR_LOAD_ADDR: 0x2008, VM_ENTRY_MSR_LOAD_ADDR: 0x200a, TSC_OFFSET: 0x2010, EPT_POINTER: 0x201a,
  GUEST_PHYSICAL_ADDRESS: 0x2400, VMCS_LINK_POINTER: 0x2800, GUEST_IA32_DEBUGCTL: 0x2802,
  GUEST_PDPTR0: 0x280a, GUEST_PDPTR1: 0x280c, GUEST_PDPTR2: 0x280e, GUEST_PDPTR3: 0x2810,
  PIN_BASED_VM_EXEC_CONTROL: 0x4000, CPU_BASED_VM_EXEC_CONTROL: 0x4002, EXCEPTION_BITMAP: 0x4004,
  PAGE_FAULT_ERROR_CODE_MASK: 0x4006, PAGE_FAULT_ERROR_CODE_MATCH: 0x4008, CR3_TARGET_COUNT: 0x400a,
  VM_EXIT_CONTROLS: 0x400c, VM_EXIT_MSR_STORE_COUNT: 0x400e, VM_EXIT_MSR_LOAD_COUNT: 0x4010,
  VM_ENTRY_CONTROLS: 0x4012, VM_ENTRY_MSR_LOAD_COUNT: 0x4014, VM_ENTRY_INTR_INFO_FIELD: 0x4016,
  VM_ENTRY_EXCEPTION_ERROR_CODE: 0x4018, VM_ENTRY_INSTRUCTION_LEN: 0x401a, SECONDARY_VM_EXEC_CONTROL: 0x401e,
  VM_INSTRUCTION_ERROR: 0x4400, VM_EXIT_REASON: 0x4402, VM_EXIT_INTR_INFO: 0x4404, VM_EXIT_INTR_ERROR_CODE: 0x4406,
  IDT_VECTORING_INFO_FIELD: 0x4408, IDT_VECTORING_ERROR_CODE: 0x440a, VM_EXIT_INSTRUCTION_LEN: 0x440c,
  VMX_INSTRUCTION_INFO: 0x440e,
  GUEST_ES_LIMIT: 0x4800, GUEST_CS_LIMIT: 0x4802, GUEST_SS_LIMIT: 0x4804, GUEST_DS_LIMIT: 0x4806,
  GUEST_FS_LIMIT: 0x4808, GUEST_GS_LIMIT: 0x480a, GUEST_LDTR_LIMIT: 0x480c, GUEST_TR_LIMIT: 0x480e,
  GUEST_GDTR_LIMIT: 0x4810, GUEST_IDTR_LIMIT: 0x4812, GUEST_ES_AR_BYTES: 0x4814, GUEST_CS_AR_BYTES: 0x4816,
  GUEST_SS_AR_BYTES: 0x4818, GUEST_DS_AR_BYTES: 0x481a, GUEST_FS_AR_BYTES: 0x481c, GUEST_GS_AR_BYTES: 0x481e,
  GUEST_LDTR_AR_BYTES: 0x4820, GUEST_TR_AR_BYTES: 0x4822, GUEST_INTERRUPTIBILITY_INFO: 0x4824,
  GUEST_ACTIVITY_STATE: 0x4826, GUEST_SYSENTER_CS: 0x482a, VMX_PREEMPTION_TIMER_VALUE: 0x482e,
  HOST_IA32_SYSENTER_CS: 0x4c00,
  CR0_GUEST_HOST_MASK: 0x6000, CR4_GUEST_HOST_MASK: 0x6002, CR0_READ_SHADOW: 0x6004, CR4_READ_SHADOW: 0x6006,
  CR3_TARGET_VALUE0: 0x6008, CR3_TARGET_VALUE1: 0x600a, CR3_TARGET_VALUE2: 0x600c, CR3_TARGET_VALUE3: 0x600e,
  EXIT_QUALIFICATION: 0x6400, GUEST_LINEAR_ADDRESS: 0x640a,
  GUEST_CR0: 0x6800, GUEST_CR3: 0x6802, GUEST_CR4: 0x6804, GUEST_ES_BASE: 0x6806, GUEST_CS_BASE: 0x6808,
  GUEST_SS_BASE: 0x680a, GUEST_DS_BASE: 0x680c, GUEST_FS_BASE: 0x680e, GUEST_GS_BASE: 0x6810,
  GUEST_LDTR_BASE: 0x6812, GUEST_TR_BASE: 0x6814, GUEST_GDTR_BASE: 0x6816, GUEST_IDTR_BASE: 0x6818,
  GUEST_DR7: 0x681a, GUEST_RSP: 0x681c, GUEST_RIP: 0x681e, GUEST_RFLAGS: 0x6820,
  GUEST_PENDING_DBG_EXCEPTIONS: 0x6822, GUEST_SYSENTER_ESP: 0x6824, GUEST_SYSENTER_EIP: 0x6826,
  HOST_CR0: 0x6c00, HOST_CR3: 0x6c02, HOST_CR4: 0x6c04, HOST_FS_BASE: 0x6c06, HOST_GS_BASE: 0x6c08,
  HOST_TR_BASE: 0x6c0a, HOST_GDTR_BASE: 0x6c0c, HOST_IDTR_BASE: 0x6c0e, HOST_IA32_SYSENTER_ESP: 0x6c10,
  HOST_IA32_SYSENTER_EIP: 0x6c12, HOST_RSP: 0x6c14, HOST_RIP: 0x6c16,
};

describe('VMCS field encodings', () => {
  it('every computed encoding equals the Linux vmx.h value, and every Linux field we list is supported', () => {
    expect(Object.keys(VMCS).sort()).toEqual(Object.keys(LINUX).sort());
    for (const [name, enc] of Object.entries(LINUX)) expect([name, VMCS[name as keyof typeof VMCS]]).toEqual([name, enc]);
  });

  it('follows SDM Table 25-21: access bit 0, index 9:1, type 11:10, width 14:13', () => {
    expect(encodeField(FieldWidth.W64, FieldType.CONTROL, 13)).toBe(0x201a); // EPT pointer
    expect(encodeField(FieldWidth.W64, FieldType.CONTROL, 13, true)).toBe(0x201b); // its high half
    expect(encodeField(FieldWidth.NATURAL, FieldType.GUEST, 15)).toBe(0x681e); // guest RIP
    expect(encodeField(FieldWidth.W32, FieldType.EXIT_INFO, 1)).toBe(0x4402); // exit reason
  });

  it('marks exactly the exit-information fields read-only', () => {
    const ro = FIELDS.filter((f) => f.readOnly).map((f) => f.name);
    expect(ro).toEqual([
      'GUEST_PHYSICAL_ADDRESS',
      'VM_INSTRUCTION_ERROR',
      'VM_EXIT_REASON',
      'VM_EXIT_INTR_INFO',
      'VM_EXIT_INTR_ERROR_CODE',
      'IDT_VECTORING_INFO_FIELD',
      'IDT_VECTORING_ERROR_CODE',
      'VM_EXIT_INSTRUCTION_LEN',
      'VMX_INSTRUCTION_INFO',
      'EXIT_QUALIFICATION',
      'GUEST_LINEAR_ADDRESS',
    ]);
  });

  it('accepts high accesses only to 64-bit fields and rejects reserved bits', () => {
    expect(isSupportedEncoding(0x2010)).toBe(true); // TSC_OFFSET
    expect(isSupportedEncoding(0x2011)).toBe(true); // TSC_OFFSET_HIGH
    expect(isSupportedEncoding(0x4003)).toBe(false); // "high" of a 32-bit field
    expect(isSupportedEncoding(0x681f)).toBe(false); // "high" of a natural-width field
    expect(isSupportedEncoding(0x00012010)).toBe(false); // bits 31:15 set
    expect(isSupportedEncoding(0x3010)).toBe(false); // bit 12 set
    expect(isSupportedEncoding(0x2012)).toBe(false); // virtual-APIC page: no TPR shadow here
  });

  it('names encodings and finds them by name, case-insensitively and with _HIGH', () => {
    expect(fieldName(0x2011)).toBe('TSC_OFFSET_HIGH');
    expect(fieldName(0x681e)).toBe('GUEST_RIP');
    expect(fieldName(0x1234)).toBe('field 0x1234');
    expect(fieldByName('guest_rip')).toBe(0x681e);
    expect(fieldByName('EPT_POINTER_HIGH')).toBe(0x201b);
    expect(fieldByName('GUEST_RIP_HIGH')).toBeUndefined();
    expect(fieldByName('NOPE')).toBeUndefined();
  });

  it('reports the highest index used (IA32_VMX_VMCS_ENUM)', () => {
    expect(MAX_FIELD_INDEX).toBe(23); // VMX_PREEMPTION_TIMER_VALUE 0x482e
  });
});
