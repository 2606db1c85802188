// A VMCS that passes every VM-entry check: flat 32-bit protected-mode guest with paging, EPT and VPID,
// I/O and MSR bitmaps, as kvm-unit-tests' init_vmcs() builds it. Tests break one thing at a time.
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { VMX_CAPABILITIES as caps, adjustControls, VMCS_REVISION_ID } from '../../../src/cpu/vmx/capabilities.js';
import { CPU_BASED, PIN_BASED, SECONDARY_EXEC, VM_EXIT } from '../../../src/cpu/vmx/controls.js';
import { VMCS } from '../../../src/cpu/vmx/fields.js';
import { AR_CODE32_RING0, AR_DATA32_RING0, AR_TSS32_BUSY, SEG_AR } from '../../../src/cpu/vmx/state-formats.js';
import { Vmcs } from '../../../src/cpu/vmx/vmcs.js';

export const LAYOUT = {
  VMXON: 0x1000,
  VMCS: 0x2000,
  VMCS2: 0x3000,
  IO_A: 0x5000,
  IO_B: 0x6000,
  MSR_BITMAP: 0x7000,
  EPT_PML4: 0x8000,
  HOST_PD: 0x9000,
} as const;

export const EPTP_WB_4LEVEL = LAYOUT.EPT_PML4 | (3 << 3) | 6;

export function goodVmcs(mem = new PhysicalMemory(0x40000), base: number = LAYOUT.VMCS): Vmcs {
  mem.write32(base, VMCS_REVISION_ID);
  mem.write32(LAYOUT.VMXON, VMCS_REVISION_ID);
  const v = new Vmcs(mem, base);
  v.write(VMCS.PIN_BASED_VM_EXEC_CONTROL, adjustControls(caps.truePinbased, PIN_BASED.EXT_INTR_MASK));
  v.write(
    VMCS.CPU_BASED_VM_EXEC_CONTROL,
    adjustControls(caps.trueProcbased, CPU_BASED.HLT_EXITING | CPU_BASED.USE_IO_BITMAPS | CPU_BASED.USE_MSR_BITMAPS | CPU_BASED.ACTIVATE_SECONDARY_CONTROLS),
  );
  v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, adjustControls(caps.procbased2, SECONDARY_EXEC.ENABLE_EPT | SECONDARY_EXEC.ENABLE_VPID));
  v.write(VMCS.VM_EXIT_CONTROLS, adjustControls(caps.trueExit, VM_EXIT.ACK_INTR_ON_EXIT));
  v.write(VMCS.VM_ENTRY_CONTROLS, adjustControls(caps.trueEntry, 0));
  v.write(VMCS.IO_BITMAP_A, LAYOUT.IO_A);
  v.write(VMCS.IO_BITMAP_B, LAYOUT.IO_B);
  v.write(VMCS.MSR_BITMAP, LAYOUT.MSR_BITMAP);
  v.write(VMCS.EPT_POINTER, EPTP_WB_4LEVEL);
  v.write(VMCS.VIRTUAL_PROCESSOR_ID, 1);

  // Host: paging on, VMXE, flat segments from a GDT at 0 (the VMCS needs only selectors and bases).
  v.write(VMCS.HOST_CR0, 0x80000031);
  v.write(VMCS.HOST_CR3, LAYOUT.HOST_PD);
  v.write(VMCS.HOST_CR4, 0x2010);
  v.write(VMCS.HOST_CS_SELECTOR, 0x08);
  for (const f of [VMCS.HOST_SS_SELECTOR, VMCS.HOST_DS_SELECTOR, VMCS.HOST_ES_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR]) v.write(f, 0x10);
  v.write(VMCS.HOST_TR_SELECTOR, 0x18);
  v.write(VMCS.HOST_RIP, 0x00200000);
  v.write(VMCS.HOST_RSP, 0x00300000);

  // Guest: CR0 = PE|ET|NE|PG, CR4 = PSE|VMXE, flat ring-0 segments, busy 32-bit TSS, no LDT.
  v.write(VMCS.GUEST_CR0, 0x80000031);
  v.write(VMCS.GUEST_CR4, 0x2010);
  v.write(VMCS.GUEST_CR3, 0x00010000);
  v.write(VMCS.GUEST_CS_SELECTOR, 0x08);
  v.write(VMCS.GUEST_CS_LIMIT, 0xffffffff);
  v.write(VMCS.GUEST_CS_AR_BYTES, AR_CODE32_RING0);
  for (const [sel, lim, ar] of [
    [VMCS.GUEST_SS_SELECTOR, VMCS.GUEST_SS_LIMIT, VMCS.GUEST_SS_AR_BYTES],
    [VMCS.GUEST_DS_SELECTOR, VMCS.GUEST_DS_LIMIT, VMCS.GUEST_DS_AR_BYTES],
    [VMCS.GUEST_ES_SELECTOR, VMCS.GUEST_ES_LIMIT, VMCS.GUEST_ES_AR_BYTES],
    [VMCS.GUEST_FS_SELECTOR, VMCS.GUEST_FS_LIMIT, VMCS.GUEST_FS_AR_BYTES],
    [VMCS.GUEST_GS_SELECTOR, VMCS.GUEST_GS_LIMIT, VMCS.GUEST_GS_AR_BYTES],
  ] as const) {
    v.write(sel, 0x10);
    v.write(lim, 0xffffffff);
    v.write(ar, AR_DATA32_RING0);
  }
  v.write(VMCS.GUEST_LDTR_AR_BYTES, SEG_AR.UNUSABLE);
  v.write(VMCS.GUEST_TR_SELECTOR, 0x18);
  v.write(VMCS.GUEST_TR_LIMIT, 0x67);
  v.write(VMCS.GUEST_TR_AR_BYTES, AR_TSS32_BUSY);
  v.write(VMCS.GUEST_GDTR_LIMIT, 0xffff);
  v.write(VMCS.GUEST_IDTR_LIMIT, 0x7ff);
  v.write(VMCS.GUEST_RFLAGS, 0x2);
  v.write(VMCS.GUEST_RIP, 0x00100000);
  v.write(VMCS.GUEST_RSP, 0x00180000);
  v.write64(VMCS.VMCS_LINK_POINTER, 0xffffffff, 0xffffffff);
  return v;
}
