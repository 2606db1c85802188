// The hypercall ABI with good and hostile arguments: every bad pointer or PTE is an error code in
// EAX, never a host exception, and nothing outside the VM's RAM is ever read or written.
import { describe, expect, it } from 'vitest';
import { EXIT_REASON, INTR_INFO, VMCS } from '../../src/cpu/vmx/api.js';
import { HC, PV_ERR } from '../../src/vmm/pv-abi.js';
import { guestRip, makeVm, type TestVm } from './harness.js';

const EAX = 0;
const vmcall = (nr: number, ebx = 0, ecx = 0, edx = 0) => ({
  reason: EXIT_REASON.VMCALL,
  length: 3,
  before: (f: { gprs: Int32Array }) => {
    f.gprs[0] = nr;
    f.gprs[3] = ebx;
    f.gprs[1] = ecx;
    f.gprs[2] = edx;
  },
});
const injected = (t: TestVm) => t.fake.entries.map((e) => e.intrInfo >>> 0).filter((i) => i & INTR_INFO.VALID);
const eax = (t: TestVm) => t.vm.vcpu.regs[EAX]!;
const put = (t: TestVm, gpa: number, s: string) => [...s].forEach((c, i) => t.vm.ram.write8(gpa + i, c.charCodeAt(0)));

/** Turns on guest paging in the VMCS as if the guest had: PD at 0x10000, PT at 0x11000 mapping
 *  linear 0x400000 -> 0x300000 (one page); everything else not present. */
function guestPaging(t: TestVm): void {
  t.vm.ram.write32(0x10000 + 4, 0x11000 | 7);
  t.vm.ram.write32(0x11000, 0x300000 | 7);
  t.vm.vcpu.cr0Shadow = 0x80000011;
  t.fake.setGuest(VMCS.GUEST_CR3, 0x10000);
}

describe('hypercalls (--pv)', () => {
  it('CONSOLE_WRITE copies the buffer to the console and returns its length', () => {
    const t = makeVm({ pv: true });
    put(t, 0x200000, 'pv hello\n');
    const rip = guestRip(t);
    t.run(vmcall(HC.CONSOLE_WRITE, 0x200000, 9));
    expect(t.text()).toBe('pv hello\n');
    expect(eax(t)).toBe(9);
    expect(guestRip(t)).toBe(rip + 3);
    expect(t.vm.stats.hypercalls.get(HC.CONSOLE_WRITE)).toBe(1);
  });

  it('CONSOLE_WRITE through guest paging; an unmapped or out-of-VM buffer is EFAULT and prints nothing', () => {
    const t = makeVm({ pv: true });
    guestPaging(t);
    put(t, 0x300ffc, 'abcd');
    t.run(vmcall(HC.CONSOLE_WRITE, 0x400ffc, 4));
    expect(t.text()).toBe('abcd');
    t.run(vmcall(HC.CONSOLE_WRITE, 0x400ffc, 5)); // runs into the unmapped next page
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    t.run(vmcall(HC.CONSOLE_WRITE, 0x200000, 4)); // linear 0x200000 is not mapped
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    expect(t.text()).toBe('abcd');
  });

  it('hostile lengths and pointers with paging off', () => {
    const t = makeVm({ pv: true, memMiB: 4 });
    t.run(vmcall(HC.CONSOLE_WRITE, 0x1000, 4097));
    expect(eax(t)).toBe(PV_ERR.EINVAL);
    t.run(vmcall(HC.CONSOLE_WRITE, 0x1000, 0xffffffff));
    expect(eax(t)).toBe(PV_ERR.EINVAL);
    t.run(vmcall(HC.CONSOLE_WRITE, 0x400000 - 2, 4)); // straddles the end of RAM
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    t.run(vmcall(HC.CONSOLE_WRITE, 0xfffffffe, 4)); // wraps
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    t.run(vmcall(HC.CONSOLE_WRITE, t.vm.identityMapGpa, 4)); // the hypervisor's page above RAM
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    expect(t.text()).toBe('');
    expect(t.vm.stop).toBeNull();
  });

  it('unknown numbers are ENOSYS; calls from CPL 3 are EPERM', () => {
    const t = makeVm({ pv: true });
    for (const nr of [0, 7, 0x80000000]) {
      t.run(vmcall(nr));
      expect(eax(t)).toBe(PV_ERR.ENOSYS);
    }
    t.fake.checkEntries = false; // a ring-3 SS would need a ring-3 CS and more: not the point here
    t.fake.setGuest(VMCS.GUEST_SS_AR_BYTES, 0xc0f3); // DPL 3
    t.run(vmcall(HC.SHUTDOWN, 1));
    expect(eax(t)).toBe(PV_ERR.EPERM);
    expect(t.vm.stop).toBeNull();
  });

  it('MMU_UPDATE writes PTEs inside the VM, and stops at the first one mapping outside it', () => {
    const t = makeVm({ pv: true, memMiB: 4 });
    const list = 0x200000;
    const reqs = [
      [0x12000, 0x123007], // fine
      [0x12004, 0x000000], // not present: anything goes
      [0x12008, 0x400007], // frame 0x400000 = first byte past RAM: EPERM
      [0x1200c, 0x5007], // never reached
    ];
    reqs.forEach(([p, v], i) => {
      t.vm.ram.write32(list + 8 * i, p!);
      t.vm.ram.write32(list + 8 * i + 4, v!);
    });
    t.run(vmcall(HC.MMU_UPDATE, list, 4));
    expect(eax(t)).toBe(PV_ERR.EPERM);
    expect(t.vm.ram.read32(0x12000)).toBe(0x123007);
    expect(t.vm.ram.read32(0x1200c)).toBe(0);
    t.run(vmcall(HC.MMU_UPDATE, list, 2));
    expect(eax(t)).toBe(2);
  });

  it('MMU_UPDATE: 4 MiB PDEs are checked over their whole range; bad PTE addresses, commands, lists', () => {
    const t = makeVm({ pv: true, memMiB: 4 });
    const list = 0x200000;
    const one = (ptr: number, val: number) => {
      t.vm.ram.write32(list, ptr);
      t.vm.ram.write32(list + 4, val);
      t.run(vmcall(HC.MMU_UPDATE, list, 1));
      return eax(t);
    };
    expect(one(0x12000, 0x000087)).toBe(1); // 4 MiB page 0: all of RAM
    expect(one(0x12000, 0x400087)).toBe(PV_ERR.EPERM); // 4 MiB page 1: outside
    expect(one(0x400000, 0x1007)).toBe(PV_ERR.EFAULT); // the PTE itself is outside RAM
    expect(one(0x3ffffc, 0x3ff007)).toBe(1); // the last PTE slot and the last frame of RAM
    expect(one(0x12003, 0)).toBe(PV_ERR.EINVAL); // command 3
    expect(one(0x1 | 0, 0x400000)).toBe(PV_ERR.EPERM); // NEW_CR3 outside
    t.run(vmcall(HC.MMU_UPDATE, 0xffff0000, 1)); // the list itself is outside
    expect(eax(t)).toBe(PV_ERR.EFAULT);
    t.run(vmcall(HC.MMU_UPDATE, list, 0x10000000)); // absurd count
    expect(eax(t)).toBe(PV_ERR.EINVAL);
    expect(t.vm.stop).toBeNull();
  });

  it('MMU_UPDATE NEW_CR3 and INVLPG act like the instructions (EPT mode, paging on)', () => {
    const t = makeVm({ pv: true });
    guestPaging(t);
    const list = 0x300000; // linear 0x400000
    t.vm.ram.write32(list, 0x20000 | 1);
    t.vm.ram.write32(list + 4, 0x20000);
    t.vm.ram.write32(list + 8, 2);
    t.vm.ram.write32(list + 12, 0x401000);
    // The second request is fetched through the NEW page tables, which must map the list too.
    t.vm.ram.write32(0x20000 + 4, 0x11000 | 7);
    t.run(vmcall(HC.MMU_UPDATE, 0x400000, 2));
    expect(eax(t)).toBe(2);
    expect(t.fake.field(VMCS.GUEST_CR3)).toBe(0x20000);
    expect(t.fake.invalidations.filter((i) => i.kind === 'invvpid').map((i) => [i.type, i.b])).toEqual([
      [3, 0], // MOV CR3: single context, globals kept
      [0, 0x401000], // INVLPG: individual address
    ]);
  });

  it('SET_TIMER raises IRQ0 after the given microseconds of virtual time; 0 cancels', () => {
    const t = makeVm({ pv: true });
    t.vm.bus.write(0x43, 1, 0x30); // silence the PIT (mode 0, no count)
    t.run(vmcall(HC.SET_TIMER, 100));
    expect(eax(t)).toBe(0);
    expect(t.vm.clock.nextDeadline).toBe(100_000);
    t.run({ reason: EXIT_REASON.PREEMPTION_TIMER, cycles: 100_000, before: (f) => f.setGuest(VMCS.GUEST_RFLAGS, 0x202) }, { reason: EXIT_REASON.PREEMPTION_TIMER });
    expect(injected(t)).toEqual([(INTR_INFO.VALID | 8) >>> 0]);
    t.run(vmcall(HC.SET_TIMER, 50), vmcall(HC.SET_TIMER, 0));
    expect(t.vm.clock.nextDeadline).toBe(Infinity);
  });

  it('BLOCK sleeps until an interrupt and returns with IF=1 so it is taken at once', () => {
    const t = makeVm({ pv: true });
    t.run(vmcall(HC.BLOCK), { reason: EXIT_REASON.PREEMPTION_TIMER });
    expect(eax(t)).toBe(0);
    expect(t.fake.field(VMCS.GUEST_RFLAGS) & 0x200).toBe(0x200);
    expect(t.fake.idles.length).toBeGreaterThan(0);
    expect(injected(t)).toEqual([(INTR_INFO.VALID | 8) >>> 0]);
  });

  it('EOI ends the in-service IRQ without port I/O; IRQs above 15 are EINVAL', () => {
    const t = makeVm({ pv: true });
    t.run({ reason: EXIT_REASON.HLT, length: 1, before: (f) => f.setGuest(VMCS.GUEST_RFLAGS, 0x202) }, { reason: EXIT_REASON.PREEMPTION_TIMER });
    t.vm.bus.write(0x20, 1, 0x0b); // OCW3: read ISR
    expect(t.vm.bus.read(0x20, 1)).toBe(1);
    t.run(vmcall(HC.EOI, 0));
    expect(eax(t)).toBe(0);
    expect(t.vm.bus.read(0x20, 1)).toBe(0);
    t.run(vmcall(HC.EOI, 16));
    expect(eax(t)).toBe(PV_ERR.EINVAL);
  });

  it('SHUTDOWN ends the VM with the code', () => {
    const t = makeVm({ pv: true });
    t.run(vmcall(HC.SHUTDOWN, 0x1234));
    expect(t.vm.stop).toEqual({ kind: 'exit', value: 0x34 });
  });
});
