// The hypervisor's VT-x surface: the modules src/vmm may import from cpu/vmx stay definition-only
// (they import only each other and common/), api.ts exposes what a hypervisor needs, and the VMCS dump.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../../src/cpu/vmx/api.js';
import { dumpVmcs } from '../../../src/cpu/vmx/vmcs-dump.js';
import { goodVmcs } from './good-vmcs.js';

const VMX = resolve(__dirname, '../../../src/cpu/vmx');
const SURFACE = ['fields', 'exit-reasons', 'controls', 'qualification', 'capabilities', 'errors', 'api', 'state-formats', 'ept-format'];

function imports(file: string): string[] {
  const text = readFileSync(resolve(VMX, `${file}.ts`), 'utf8');
  return [...text.matchAll(/from\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('VT-x API surface', () => {
  it('definition modules import only each other and common/', () => {
    for (const f of SURFACE) {
      for (const spec of imports(f)) {
        const ok = spec.startsWith('../../common/') || SURFACE.some((s) => spec === `./${s}.js`);
        expect(ok ? 'ok' : `${f}.ts imports ${spec}`).toBe('ok');
      }
    }
  });

  it('exposes what a hypervisor programs with', () => {
    expect(api.VMCS.GUEST_RIP).toBe(0x681e);
    expect(api.EXIT_REASON.EPT_VIOLATION).toBe(48);
    expect(api.CPU_BASED.HLT_EXITING).toBe(0x80);
    expect(api.MSR.IA32_VMX_TRUE_PROCBASED_CTLS).toBe(0x48e);
    expect(api.VMX_ERROR.VMWRITE_READ_ONLY_VMCS_COMPONENT).toBe(13);
    expect(api.makeEptp(0x5000, api.MEMTYPE.WB)).toBe(0x501e);
    expect(api.decodeIo(0x3f80000).port).toBe(0x3f8);
    expect(api.VmxStatus.FAIL_INVALID).toBe(-1);
  });

  it('dumps a VMCS by group with decoded controls and exit information', () => {
    const v = goodVmcs();
    v.write(api.VMCS.VM_EXIT_REASON, 28);
    v.write(api.VMCS.EXIT_QUALIFICATION, 0x13);
    const lines = dumpVmcs((e) => v.read(e), (e) => v.readHigh(e));
    expect(lines[0]).toBe('*** Guest state ***');
    expect(lines).toContain('*** Exit information ***');
    expect(lines.find((l) => l.startsWith('GUEST_RIP'))).toMatch(/0x00100000$/);
    expect(lines.find((l) => l.startsWith('CPU_BASED_VM_EXEC_CONTROL'))).toContain('HLT_EXITING');
    expect(lines.find((l) => l.startsWith('VM_EXIT_REASON'))).toContain('CR_ACCESS');
    expect(lines.find((l) => l.startsWith('EXIT_QUALIFICATION'))).toContain('mov eax, cr3');
    expect(lines.find((l) => l.startsWith('VMCS_LINK_POINTER'))).toContain('0xffffffff_ffffffff');
  });
});
