// The guest-state fields a lazy VM exit leaves in the processor's registers (vmcs.ts HELD,
// docs/vmx.md "VMCS caching") must be invisible: VMREAD of every guest field at an exit, and the
// region after VMCLEAR, equal what the write-through processor (no lazy host state) gives.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processorInternals } from '../../../src/cpu/debug-access.js';
import { VmxController } from '../../../src/cpu/vmx/controller.js';
import { FIELDS, FieldType, FieldWidth } from '../../../src/cpu/vmx/fields.js';
import { vmcsFieldHeld, vmcsFieldOffset } from '../../../src/cpu/vmx/vmcs.js';
import { hostProcessor } from '../../../src/vmm/host-processor.js';
import { prepareVm } from '../../../src/vmm/run-vm.js';

const GUEST_FIELDS = FIELDS.filter((f) => f.type === FieldType.GUEST).flatMap((f) => (f.width === FieldWidth.W64 ? [f.encoding, f.encoding | 1] : [f.encoding]));

/** Every guest field at every `every`-th exit (the others leave the held state unread), then the
 *  guest-state area of the region after VMCLEAR. */
function trace(guest: string, mode: 'ept' | 'shadow', lazy: boolean, every: number): { atExits: number[][]; region: number[]; exits: number } {
  const image = new Uint8Array(readFileSync(`guests/bin/${guest}.elf`));
  const m = prepareVm(image, { name: guest, cmdline: 'quiet iters=3', mode, pv: false }, hostProcessor()!);
  const ctl = processorInternals(m.ops)!.cpu.vmx;
  if (!(ctl instanceof VmxController)) throw new Error('no VMX controller');
  ctl.lazyHost = lazy;
  const atExits: number[][] = [];
  let n = 0;
  m.vm.vcpu.exitHook = () => {
    if (++n % every === 0) atExits.push(GUEST_FIELDS.map((e) => m.ops.vmread(e)));
    return false;
  };
  const r = m.run();
  expect(r.outcome.kind).toBe('exit');
  expect(m.ops.vmclear(m.vm.vcpu.vmcs)).toBe(0);
  const mem = m.vm.host.mem;
  const region = GUEST_FIELDS.map((e) => mem.read32(m.vm.vcpu.vmcs + vmcsFieldOffset(e)) >>> 0);
  return { atExits, region, exits: n };
}

describe('guest state held in the registers after a lazy VM exit', () => {
  it('covers the segment, control-register, descriptor-table and SYSENTER fields', () => {
    const held = FIELDS.filter((f) => vmcsFieldHeld(f.encoding)).map((f) => f.name);
    expect(held).toHaveLength(8 * 4 - 1 + 3 + 4 + 3);
    expect(held).not.toContain('GUEST_SS_AR_BYTES');
    expect(held).not.toContain('GUEST_RIP');
    expect(held).not.toContain('VMCS_LINK_POINTER');
  });

  for (const [guest, mode] of [['sched', 'shadow'], ['sched', 'ept'], ['rings', 'ept'], ['wl-ctxsw', 'shadow']] as const) {
    for (const every of [1, 7]) {
      it(`${guest} in ${mode}: VMREAD at every ${every === 1 ? '' : `${every}th `}exit and the region after VMCLEAR match write-through`, () => {
        const through = trace(guest, mode, false, every);
        const lazy = trace(guest, mode, true, every);
        expect(lazy.exits).toBe(through.exits);
        expect(lazy.exits).toBeGreaterThan(every);
        expect(lazy.atExits).toEqual(through.atExits);
        expect(lazy.region).toEqual(through.region);
      });
    }
  }
});
