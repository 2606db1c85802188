// VM-entry checks: a good VMCS passes; each case breaks exactly one rule and expects the right group
// (controls -> VMfailValid(7), host -> VMfailValid(8), guest -> exit 33 with its qualification), as
// kvm-unit-tests' vmx_controls_test / vmx_host_state_area_test / vmx_guest_state_area_test do.
import { describe, expect, it } from 'vitest';
import { VMX_CAPABILITIES as caps } from '../../../src/cpu/vmx/capabilities.js';
import { CPU_BASED, PIN_BASED, SECONDARY_EXEC, VM_ENTRY, VM_EXIT } from '../../../src/cpu/vmx/controls.js';
import { EntryCheckResult, EntryFailure, checkVmEntry } from '../../../src/cpu/vmx/entry-checks.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { ENTRY_FAIL, INTR_TYPE, intrInfo } from '../../../src/cpu/vmx/qualification.js';
import { ACTIVITY, INTERRUPTIBILITY, PENDING_DBG, SEG_AR } from '../../../src/cpu/vmx/state-formats.js';
import type { Vmcs } from '../../../src/cpu/vmx/vmcs.js';
import { LAYOUT, goodVmcs } from './good-vmcs.js';

const ctx = { vmcsPtr: LAYOUT.VMCS, vmxonPtr: LAYOUT.VMXON };
const out = new EntryCheckResult();

function check(mutate: (v: Vmcs) => void): EntryCheckResult {
  const v = goodVmcs();
  mutate(v);
  checkVmEntry(v, caps, ctx, out);
  return out;
}
const set = (field: number, value: number) => (v: Vmcs) => v.write(field, value);
const or = (field: number, bits: number) => (v: Vmcs) => v.write(field, v.read(field) | bits);
const andNot = (field: number, bits: number) => (v: Vmcs) => v.write(field, v.read(field) & ~bits);

it('the good VMCS passes every check', () => {
  expect(check(() => {}).failure).toBe(EntryFailure.NONE);
  expect(out.rule).toBe('');
});

type Case = [string, (v: Vmcs) => void, string];

const controlCases: Case[] = [
  ['pin-based allowed-0 (default1 bit 1 cleared)', andNot(VMCS.PIN_BASED_VM_EXEC_CONTROL, 0x2), 'pin-based'],
  ['pin-based allowed-1 (NMI exiting not supported)', or(VMCS.PIN_BASED_VM_EXEC_CONTROL, PIN_BASED.NMI_EXITING), 'pin-based'],
  ['primary allowed-1 (TPR shadow)', or(VMCS.CPU_BASED_VM_EXEC_CONTROL, CPU_BASED.TPR_SHADOW), 'primary'],
  ['primary allowed-0 (default1 bit 26 cleared)', andNot(VMCS.CPU_BASED_VM_EXEC_CONTROL, 1 << 26), 'primary'],
  ['secondary allowed-1 (unrestricted guest)', or(VMCS.SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC.UNRESTRICTED_GUEST), 'secondary'],
  ['CR3-target count 5', set(VMCS.CR3_TARGET_COUNT, 5), 'CR3-target count'],
  ['I/O bitmap A unaligned', set(VMCS.IO_BITMAP_A, LAYOUT.IO_A + 8), 'I/O bitmap A'],
  ['I/O bitmap B beyond 32 bits', (v) => v.write(VMCS.IO_BITMAP_B | 1, 1), 'I/O bitmap B'],
  ['MSR bitmap unaligned', set(VMCS.MSR_BITMAP, LAYOUT.MSR_BITMAP | 0x800), 'MSR bitmap'],
  ['VPID 0 with VPID enabled', set(VMCS.VIRTUAL_PROCESSOR_ID, 0), 'VPID'],
  ['EPTP with memory type 1', (v) => v.write(VMCS.EPT_POINTER, (v.read(VMCS.EPT_POINTER) & ~7) | 1), 'EPT pointer'],
  ['EPTP with walk length 5', (v) => v.write(VMCS.EPT_POINTER, (v.read(VMCS.EPT_POINTER) & ~0x38) | (4 << 3)), 'EPT pointer'],
  ['exit allowed-1 (host address-space size)', or(VMCS.VM_EXIT_CONTROLS, VM_EXIT.HOST_ADDR_SPACE_SIZE), 'VM-exit controls'],
  ['save preemption timer without the timer', or(VMCS.VM_EXIT_CONTROLS, VM_EXIT.SAVE_VMX_PREEMPTION_TIMER), 'save VMX-preemption'],
  ['exit MSR-store area unaligned', (v) => { v.write(VMCS.VM_EXIT_MSR_STORE_COUNT, 1); v.write(VMCS.VM_EXIT_MSR_STORE_ADDR, 0x4008); }, 'MSR-store'],
  ['exit MSR-load area running past 4 GiB', (v) => { v.write(VMCS.VM_EXIT_MSR_LOAD_COUNT, 2); v.write(VMCS.VM_EXIT_MSR_LOAD_ADDR, 0xfffffff0); }, 'MSR-load'],
  ['entry allowed-1 (IA-32e mode guest)', or(VMCS.VM_ENTRY_CONTROLS, VM_ENTRY.IA32E_MODE), 'VM-entry controls'],
  ['entry MSR-load area unaligned', (v) => { v.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 1); v.write(VMCS.VM_ENTRY_MSR_LOAD_ADDR, 0x4004); }, 'VM-entry MSR-load'],
  ['injection: reserved type 1', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x20, 1, false)), 'reserved interruption type'],
  ['injection: NMI with vector 3', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(3, INTR_TYPE.NMI, false)), 'NMI with vector'],
  ['injection: hardware exception vector 32', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(32, INTR_TYPE.HARD_EXCEPTION, false)), 'above 31'],
  ['injection: other event vector 1', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(1, INTR_TYPE.OTHER_EVENT, false)), 'other event'],
  ['injection: #GP without error code', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(13, INTR_TYPE.HARD_EXCEPTION, false)), 'deliver-error-code'],
  ['injection: #UD with error code', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(6, INTR_TYPE.HARD_EXCEPTION, true)), 'deliver-error-code'],
  ['injection: external interrupt with error code', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x20, INTR_TYPE.EXT_INTR, true)), 'deliver-error-code'],
  ['injection: reserved bit 12', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x20, INTR_TYPE.EXT_INTR, false) | (1 << 12)), 'reserved bits 30:12'],
  ['injection: error code bits 31:16', (v) => { v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true)); v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000); }, 'error code bits'],
  ['injection: INT n with length 0', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x80, INTR_TYPE.SOFT_INTR, false)), 'instruction length'],
  ['injection: INT3 with length 16', (v) => { v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(3, INTR_TYPE.SOFT_EXCEPTION, false)); v.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, 16); }, 'instruction length'],
];

describe('control checks -> VMfailValid(7)', () => {
  for (const [name, mutate, rule] of controlCases) {
    it(name, () => {
      const r = check(mutate);
      expect(r.failure).toBe(EntryFailure.CONTROL);
      expect(r.error).toBe(7);
      expect(r.rule).toContain(rule);
    });
  }
  it('secondary controls are ignored when not activated', () => {
    const r = check((v) => {
      v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, 0xffffffff);
      v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~CPU_BASED.ACTIVATE_SECONDARY_CONTROLS);
    });
    expect(r.failure).toBe(EntryFailure.NONE);
  });
  it('bitmap addresses are not checked when the bitmaps are off', () => {
    const r = check((v) => {
      v.write(VMCS.IO_BITMAP_A, 0x123);
      v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~CPU_BASED.USE_IO_BITMAPS);
    });
    expect(r.failure).toBe(EntryFailure.NONE);
  });
  it('valid injections pass: #PF with error code, INT 0x80 with length 2, MTF other event', () => {
    for (const m of [
      (v: Vmcs) => { v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(14, INTR_TYPE.HARD_EXCEPTION, true)); v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x2); },
      (v: Vmcs) => { v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x80, INTR_TYPE.SOFT_INTR, false)); v.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, 2); },
      set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0, INTR_TYPE.OTHER_EVENT, false)),
    ]) expect(check(m).failure).toBe(EntryFailure.NONE);
  });
});

const hostCases: Case[] = [
  ['host CR0.NE clear', andNot(VMCS.HOST_CR0, 0x20), 'host CR0'],
  ['host CR0.PG clear', andNot(VMCS.HOST_CR0, 0x80000000), 'host CR0'],
  ['host CR4.VMXE clear', andNot(VMCS.HOST_CR4, 0x2000), 'host CR4'],
  ['host CR4.PAE set (not supported)', or(VMCS.HOST_CR4, 0x20), 'host CR4'],
  ['host DS selector RPL 3', set(VMCS.HOST_DS_SELECTOR, 0x13), 'RPL or TI'],
  ['host GS selector TI set', set(VMCS.HOST_GS_SELECTOR, 0x14), 'RPL or TI'],
  ['host TR selector RPL 1', set(VMCS.HOST_TR_SELECTOR, 0x19), 'TR selector with RPL'],
  ['host CS selector 0', set(VMCS.HOST_CS_SELECTOR, 0), 'CS selector is 0'],
  ['host TR selector 0', set(VMCS.HOST_TR_SELECTOR, 0), 'TR selector is 0'],
  ['host SS selector 0', set(VMCS.HOST_SS_SELECTOR, 0), 'SS selector is 0'],
];

describe('host-state checks -> VMfailValid(8)', () => {
  for (const [name, mutate, rule] of hostCases) {
    it(name, () => {
      const r = check(mutate);
      expect(r.failure).toBe(EntryFailure.HOST);
      expect(r.error).toBe(8);
      expect(r.rule).toContain(rule);
    });
  }
  it('host DS/ES/FS/GS selectors may be 0', () => {
    expect(check((v) => [VMCS.HOST_DS_SELECTOR, VMCS.HOST_ES_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR].forEach((f) => v.write(f, 0))).failure).toBe(EntryFailure.NONE);
  });
  it('controls are checked before host state', () => {
    expect(check((v) => { v.write(VMCS.HOST_CS_SELECTOR, 0); v.write(VMCS.CR3_TARGET_COUNT, 9); }).failure).toBe(EntryFailure.CONTROL);
  });
});

const guestCases: Case[] = [
  ['guest CR0.NE clear', andNot(VMCS.GUEST_CR0, 0x20), 'guest CR0'],
  ['guest CR0.PG clear (no unrestricted guest)', andNot(VMCS.GUEST_CR0, 0x80000000), 'guest CR0'],
  ['guest CR4.VMXE clear', andNot(VMCS.GUEST_CR4, 0x2000), 'guest CR4'],
  ['guest DEBUGCTL reserved bit with load debug controls', (v) => { v.write(VMCS.GUEST_IA32_DEBUGCTL, 0x100); }, 'DEBUGCTL'],
  ['guest TR TI set', set(VMCS.GUEST_TR_SELECTOR, 0x1c), 'TR selector TI'],
  ['guest LDTR TI set (usable)', (v) => { v.write(VMCS.GUEST_LDTR_SELECTOR, 0x24); v.write(VMCS.GUEST_LDTR_AR_BYTES, 0x82); }, 'LDTR selector TI'],
  ['guest SS.RPL != CS.RPL', set(VMCS.GUEST_SS_SELECTOR, 0x13), 'SS.RPL differs'],
  ['guest CS type data', set(VMCS.GUEST_CS_AR_BYTES, 0xc093), 'CS type'],
  ['guest CS not accessed', set(VMCS.GUEST_CS_AR_BYTES, 0xc09a), 'CS type'],
  ['guest CS system segment', andNot(VMCS.GUEST_CS_AR_BYTES, SEG_AR.S), 'CS is a system'],
  ['guest non-conforming CS.DPL != SS.DPL', (v) => { v.write(VMCS.GUEST_CS_AR_BYTES, 0xc0fb); v.write(VMCS.GUEST_CS_SELECTOR, 0x0b); v.write(VMCS.GUEST_SS_SELECTOR, 0x13); }, 'non-conforming CS.DPL'],
  ['guest conforming CS.DPL > SS.DPL', set(VMCS.GUEST_CS_AR_BYTES, 0xc0ff), 'conforming CS.DPL'],
  ['guest CS not present', andNot(VMCS.GUEST_CS_AR_BYTES, SEG_AR.P), 'CS not present'],
  ['guest CS reserved AR bit 8', or(VMCS.GUEST_CS_AR_BYTES, 0x100), 'CS access-rights reserved'],
  ['guest CS G=1 with limit 11:0 not all ones', set(VMCS.GUEST_CS_LIMIT, 0xfffff000), 'CS limit'],
  ['guest DS G=0 with limit above 1 MiB', (v) => v.write(VMCS.GUEST_DS_AR_BYTES, 0x4093), 'data segment limit'],
  ['guest SS type code', set(VMCS.GUEST_SS_AR_BYTES, 0xc09b), 'SS type'],
  ['guest SS.DPL != SS.RPL (conforming CS keeps the CS rule quiet)', (v) => { v.write(VMCS.GUEST_CS_AR_BYTES, 0xc09f); v.write(VMCS.GUEST_SS_AR_BYTES, 0xc0b3); }, 'SS.DPL differs from SS.RPL'],
  ['guest DS not accessed', set(VMCS.GUEST_DS_AR_BYTES, 0xc092), 'not accessed'],
  ['guest ES execute-only code', set(VMCS.GUEST_ES_AR_BYTES, 0xc099), 'unreadable code'],
  ['guest FS DPL < RPL', set(VMCS.GUEST_FS_SELECTOR, 0x13), 'DPL below its RPL'],
  ['guest GS not present', andNot(VMCS.GUEST_GS_AR_BYTES, SEG_AR.P), 'data segment not present'],
  ['guest TR not busy', set(VMCS.GUEST_TR_AR_BYTES, 0x89), 'busy TSS'],
  ['guest TR unusable', or(VMCS.GUEST_TR_AR_BYTES, SEG_AR.UNUSABLE), 'TR unusable'],
  ['guest LDTR wrong type (usable)', set(VMCS.GUEST_LDTR_AR_BYTES, 0x83), 'not an LDT'],
  ['guest GDTR limit bit 16', set(VMCS.GUEST_GDTR_LIMIT, 0x10000), 'GDTR/IDTR limit'],
  ['guest IDTR limit bit 31', set(VMCS.GUEST_IDTR_LIMIT, 0x80000000), 'GDTR/IDTR limit'],
  ['guest RFLAGS bit 1 clear', set(VMCS.GUEST_RFLAGS, 0), 'RFLAGS'],
  ['guest RFLAGS bit 15 set', set(VMCS.GUEST_RFLAGS, 0x8002), 'RFLAGS'],
  ['guest RFLAGS bit 22 set', set(VMCS.GUEST_RFLAGS, 0x400002), 'RFLAGS'],
  ['injecting an external interrupt with IF clear', set(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x20, INTR_TYPE.EXT_INTR, false)), 'IF clear'],
  ['activity state shutdown (not supported)', set(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.SHUTDOWN), 'activity state not supported'],
  ['activity state 4', set(VMCS.GUEST_ACTIVITY_STATE, 4), 'activity state not supported'],
  ['HLT with SS.DPL 3', (v) => { v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.HLT); v.write(VMCS.GUEST_SS_AR_BYTES, 0xc0f3); v.write(VMCS.GUEST_SS_SELECTOR, 0x13); v.write(VMCS.GUEST_CS_SELECTOR, 0x0b); v.write(VMCS.GUEST_CS_AR_BYTES, 0xc0fb); }, 'SS.DPL not 0'],
  ['STI blocking in HLT state', (v) => { v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.HLT); v.write(VMCS.GUEST_RFLAGS, 0x202); v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI); }, 'outside the active state'],
  ['injecting #GP into a halted guest', (v) => { v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.HLT); v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(13, INTR_TYPE.HARD_EXCEPTION, true)); }, 'HLT state cannot take'],
  ['interruptibility reserved bit 5', set(VMCS.GUEST_INTERRUPTIBILITY_INFO, 1 << 5), 'interruptibility reserved'],
  ['interruptibility enclave bit (no SGX)', set(VMCS.GUEST_INTERRUPTIBILITY_INFO, 1 << 4), 'interruptibility reserved'],
  ['blocking by STI and MOV SS', (v) => { v.write(VMCS.GUEST_RFLAGS, 0x202); v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, 3); }, 'both STI and MOV SS'],
  ['blocking by STI with IF clear', set(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI), 'STI with RFLAGS.IF clear'],
  ['external interrupt injection under MOV SS blocking', (v) => { v.write(VMCS.GUEST_RFLAGS, 0x202); v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.MOV_SS); v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(0x20, INTR_TYPE.EXT_INTR, false)); }, 'external interrupt while blocked'],
  ['NMI injection under STI blocking', (v) => { v.write(VMCS.GUEST_RFLAGS, 0x202); v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI); v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, intrInfo(2, INTR_TYPE.NMI, false)); }, 'NMI while blocked'],
  ['blocking by SMI outside SMM', set(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.SMI), 'SMI outside SMM'],
  ['pending debug exceptions reserved bit 4', set(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, 1 << 4), 'pending debug'],
  ['pending debug exceptions RTM bit (no RTM)', set(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, PENDING_DBG.RTM), 'pending debug'],
  ['TF=1 under STI blocking without pending BS', (v) => { v.write(VMCS.GUEST_RFLAGS, 0x302); v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, INTERRUPTIBILITY.STI); }, 'pending BS'],
  ['TF=0 in HLT with pending BS', (v) => { v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY.HLT); v.write(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, PENDING_DBG.BS); }, 'pending BS'],
];

describe('guest-state checks -> VM-entry failure (exit 33)', () => {
  for (const [name, mutate, rule] of guestCases) {
    it(name, () => {
      const r = check(name.includes('DEBUGCTL') ? (v) => { mutate(v); v.write(VMCS.VM_ENTRY_CONTROLS, v.read(VMCS.VM_ENTRY_CONTROLS) | VM_ENTRY.LOAD_DEBUG_CONTROLS); } : mutate);
      expect(r.failure).toBe(EntryFailure.GUEST);
      expect(r.error).toBe(0);
      expect(r.qualification).toBe(ENTRY_FAIL.DEFAULT);
      expect(r.rule).toContain(rule);
    });
  }

  it('VMCS link pointer problems give qualification 4', () => {
    const cases: ((v: Vmcs) => void)[] = [
      (v) => v.write64(VMCS.VMCS_LINK_POINTER, LAYOUT.VMCS2 + 8, 0),
      (v) => v.write64(VMCS.VMCS_LINK_POINTER, LAYOUT.VMCS2, 1),
      (v) => v.write64(VMCS.VMCS_LINK_POINTER, LAYOUT.VMCS2, 0), // no revision id there
      (v) => v.write64(VMCS.VMCS_LINK_POINTER, LAYOUT.VMCS, 0), // the current VMCS
    ];
    for (const m of cases) {
      const r = check(m);
      expect(r.failure).toBe(EntryFailure.GUEST);
      expect(r.qualification).toBe(ENTRY_FAIL.VMCS_LINK_PTR);
    }
    const ok = check((v) => {
      v.mem.write32(LAYOUT.VMCS2, caps.basic.lo);
      v.write64(VMCS.VMCS_LINK_POINTER, LAYOUT.VMCS2, 0);
    });
    expect(ok.failure).toBe(EntryFailure.NONE);
  });

  it('unusable DS/ES/FS/GS/SS/LDTR skip their checks', () => {
    const r = check((v) => {
      for (const f of [VMCS.GUEST_DS_AR_BYTES, VMCS.GUEST_ES_AR_BYTES, VMCS.GUEST_FS_AR_BYTES, VMCS.GUEST_GS_AR_BYTES]) v.write(f, SEG_AR.UNUSABLE | 0x1234);
      v.write(VMCS.GUEST_LDTR_AR_BYTES, SEG_AR.UNUSABLE | 0xff);
    });
    expect(r.failure).toBe(EntryFailure.NONE);
  });

  it('a virtual-8086 guest needs base = selector << 4, limit 0xFFFF, AR 0xF3', () => {
    const v86 = (v: Vmcs): void => {
      v.write(VMCS.GUEST_RFLAGS, 0x20002);
      const segs = [
        [VMCS.GUEST_ES_SELECTOR, VMCS.GUEST_ES_BASE, VMCS.GUEST_ES_LIMIT, VMCS.GUEST_ES_AR_BYTES],
        [VMCS.GUEST_CS_SELECTOR, VMCS.GUEST_CS_BASE, VMCS.GUEST_CS_LIMIT, VMCS.GUEST_CS_AR_BYTES],
        [VMCS.GUEST_SS_SELECTOR, VMCS.GUEST_SS_BASE, VMCS.GUEST_SS_LIMIT, VMCS.GUEST_SS_AR_BYTES],
        [VMCS.GUEST_DS_SELECTOR, VMCS.GUEST_DS_BASE, VMCS.GUEST_DS_LIMIT, VMCS.GUEST_DS_AR_BYTES],
        [VMCS.GUEST_FS_SELECTOR, VMCS.GUEST_FS_BASE, VMCS.GUEST_FS_LIMIT, VMCS.GUEST_FS_AR_BYTES],
        [VMCS.GUEST_GS_SELECTOR, VMCS.GUEST_GS_BASE, VMCS.GUEST_GS_LIMIT, VMCS.GUEST_GS_AR_BYTES],
      ] as const;
      for (const [sel, base, lim, ar] of segs) {
        v.write(sel, 0x1234);
        v.write(base, 0x12340);
        v.write(lim, 0xffff);
        v.write(ar, 0xf3);
      }
    };
    expect(check(v86).failure).toBe(EntryFailure.NONE);
    const bad = check((v) => { v86(v); v.write(VMCS.GUEST_DS_BASE, 0x12350); });
    expect(bad.failure).toBe(EntryFailure.GUEST);
    expect(bad.rule).toContain('selector << 4');
  });

  it('host state is checked before guest state', () => {
    expect(check((v) => { v.write(VMCS.GUEST_RFLAGS, 0); v.write(VMCS.HOST_TR_SELECTOR, 0); }).failure).toBe(EntryFailure.HOST);
  });
});
