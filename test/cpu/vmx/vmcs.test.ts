// The VMCS region: layout in memory, width handling of reads and writes, 64-bit high accesses
// (kvm-unit-tests test_vmcs_high), launch state and abort indicator kept in the region.
import { describe, expect, it } from 'vitest';
import { HostBugError } from '../../../src/common/assert.js';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { FIELDS, VMCS } from '../../../src/cpu/vmx/fields.js';
import {
  LaunchState,
  VMCS_LAYOUT,
  VMCS_LAYOUT_SIZE,
  Vmcs,
  VmcsDirty,
  vmcsFieldOffset,
  vmcsFieldReadOnly,
  vmcsFieldSupported,
} from '../../../src/cpu/vmx/vmcs.js';

const BASE = 0x3000;
function fresh(): Vmcs {
  return new Vmcs(new PhysicalMemory(0x10000), BASE);
}

describe('VMCS region', () => {
  it('lays every field out at a distinct, fixed offset inside the 4 KiB region', () => {
    const seen = new Set<number>();
    for (const f of FIELDS) {
      const off = vmcsFieldOffset(f.encoding);
      expect(off).toBeGreaterThanOrEqual(VMCS_LAYOUT.FIELDS_START);
      expect(seen.has(off)).toBe(false);
      seen.add(off);
    }
    expect(VMCS_LAYOUT_SIZE).toBeLessThanOrEqual(4096);
    expect(vmcsFieldOffset(VMCS.TSC_OFFSET | 1)).toBe(vmcsFieldOffset(VMCS.TSC_OFFSET) + 4);
  });

  it('keeps field data in memory at base + offset', () => {
    const v = fresh();
    v.write(VMCS.GUEST_RIP, 0x00100020);
    expect(v.mem.read32(BASE + vmcsFieldOffset(VMCS.GUEST_RIP))).toBe(0x00100020);
    // Repointing the view (VMPTRLD) shows another region's data.
    v.base = 0x4000;
    expect(v.read(VMCS.GUEST_RIP)).toBe(0);
  });

  it('masks 16-bit fields and returns unsigned 32-bit values', () => {
    const v = fresh();
    v.write(VMCS.GUEST_CS_SELECTOR, 0x12345678);
    expect(v.read(VMCS.GUEST_CS_SELECTOR)).toBe(0x5678);
    v.write(VMCS.GUEST_RFLAGS, 0x80000002);
    expect(v.read(VMCS.GUEST_RFLAGS)).toBe(0x80000002);
  });

  it('64-bit fields: the full encoding writes the low half and clears the high half (32-bit VMWRITE)', () => {
    const v = fresh();
    v.write(VMCS.TSC_OFFSET | 1, 0xdeadbeef);
    v.write(VMCS.TSC_OFFSET, 0x11223344);
    expect(v.read(VMCS.TSC_OFFSET)).toBe(0x11223344);
    expect(v.read(VMCS.TSC_OFFSET | 1)).toBe(0);
  });

  it('64-bit fields: the high encoding reaches bits 63:32 (test_vmcs_high)', () => {
    const v = fresh();
    v.write64(VMCS.TSC_OFFSET, 0x89abcdef, 0x01234567);
    expect(v.read(VMCS.TSC_OFFSET)).toBe(0x89abcdef);
    expect(v.readHigh(VMCS.TSC_OFFSET)).toBe(0x01234567);
    expect(v.read64(VMCS.TSC_OFFSET)).toBe(0x0123456789abcdef);
    v.write(VMCS.TSC_OFFSET | 1, 0xffffffff);
    expect(v.read64(VMCS.TSC_OFFSET)).toBe(-0x100000000 + 0x89abcdef); // signed: TSC offsets go negative
  });

  it('keeps the launch state and the abort indicator in the region', () => {
    const v = fresh();
    expect(v.launchState).toBe(LaunchState.CLEAR);
    v.launchState = LaunchState.LAUNCHED;
    expect(v.mem.read32(BASE + VMCS_LAYOUT.LAUNCH_STATE)).toBe(1);
    v.abortIndicator = 4;
    expect(v.mem.read32(BASE + VMCS_LAYOUT.ABORT_INDICATOR)).toBe(4);
    v.mem.write32(BASE, 0x56540001);
    expect(v.revisionId).toBe(0x56540001);
  });

  it('tracks written field groups', () => {
    const v = fresh();
    v.dirty = 0;
    // No VM-entry check reads RIP, RSP or the preemption-timer value: they leave the groups clean.
    v.write(VMCS.GUEST_RIP, 1);
    v.write(VMCS.GUEST_RSP, 1);
    v.write(VMCS.VMX_PREEMPTION_TIMER_VALUE, 1);
    expect(v.dirty).toBe(0);
    v.write(VMCS.GUEST_CR0, 1);
    expect(v.dirty).toBe(VmcsDirty.GUEST);
    v.write(VMCS.HOST_RIP, 1);
    v.write64(VMCS.EPT_POINTER, 0x1e, 0);
    expect(v.dirty).toBe(VmcsDirty.GUEST | VmcsDirty.HOST | VmcsDirty.CONTROL);
  });

  it('knows supported and read-only encodings; internal misuse is a host bug', () => {
    expect(vmcsFieldSupported(VMCS.EXIT_QUALIFICATION)).toBe(true);
    expect(vmcsFieldReadOnly(VMCS.EXIT_QUALIFICATION)).toBe(true);
    expect(vmcsFieldReadOnly(VMCS.GUEST_PHYSICAL_ADDRESS | 1)).toBe(true);
    expect(vmcsFieldReadOnly(VMCS.GUEST_RIP)).toBe(false);
    expect(vmcsFieldSupported(0x4003)).toBe(false);
    expect(vmcsFieldSupported(-1)).toBe(false);
    expect(() => fresh().read(0x4003)).toThrow(HostBugError);
  });
});
