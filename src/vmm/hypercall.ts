// The para-virtual hypercall ABI (docs/hypercalls.md), hypervisor side: VMCALL with the number in
// EAX and arguments in EBX, ECX, EDX, ESI; the result in EAX, negative for errors. Every argument is
// validated: guest pointers are guest-virtual, walked through the guest's page tables and checked
// against the VM's RAM; a bad one is an error code to the guest, never a host exception.
import { VMCS } from '../cpu/vmx/api.js';
import { OCW2, PIC_MASTER_BASE, PIC_SLAVE_BASE } from '../machine/devices/pic8259-defs.js';
import { Reg } from '../x86/registers.js';
import { EFLAGS, LARGE_PAGE_SIZE, PAGE_SIZE, PTE } from './arch-defs.js';
import { sleepUntilInterrupt } from './exits/hlt.js';
import { ADVANCE, type Outcome, stopVm } from './exits/outcome.js';
import { AccessStatus } from './guest-memory.js';
import {
  CONSOLE_WRITE_MAX,
  CYCLES_PER_MICROSECOND,
  HC,
  MMU_CMD,
  MMU_CMD_MASK,
  MMU_REQUEST_SIZE,
  MMU_UPDATE_MAX,
  PV_ERR,
} from './pv-abi.js';
import type { Vcpu } from './vcpu.js';
import { vmwriteChecked } from './vmx-ops.js';

/** IRQs of the PIC pair: 0-7 on the master, 8-15 on the slave. */
const IRQ_COUNT = 16;
const SLAVE_FIRST_IRQ = 8;
const NONSPECIFIC_EOI = OCW2.NONSPECIFIC_EOI << OCW2.CMD_SHIFT;

const consoleBuf = new Uint8Array(CONSOLE_WRITE_MAX);
const request = new Uint8Array(MMU_REQUEST_SIZE);

/** Carries out the hypercall in the vCPU's registers; the result goes to EAX. */
export function hypercall(vcpu: Vcpu): Outcome {
  const r = vcpu.regs;
  const nr = r[Reg.EAX]! >>> 0;
  vcpu.vm.stats.hypercall(nr);
  // Hypercalls are the guest kernel's interface: from user mode they are refused (as Xen and KVM do).
  if (vcpu.cpl !== 0) return result(vcpu, PV_ERR.EPERM);
  const a1 = r[Reg.EBX]! >>> 0;
  const a2 = r[Reg.ECX]! >>> 0;
  switch (nr) {
    case HC.CONSOLE_WRITE: return result(vcpu, consoleWrite(vcpu, a1, a2));
    case HC.MMU_UPDATE: return result(vcpu, mmuUpdate(vcpu, a1, a2));
    case HC.SET_TIMER: return result(vcpu, setTimer(vcpu, a1));
    case HC.BLOCK: return block(vcpu);
    case HC.EOI: return result(vcpu, eoi(vcpu, a1));
    case HC.SHUTDOWN:
      vcpu.vm.requestStop({ kind: 'exit', value: a1 & 0xff });
      return ADVANCE;
    default:
      return result(vcpu, PV_ERR.ENOSYS);
  }
}

function result(vcpu: Vcpu, value: number): Outcome {
  vcpu.regs[Reg.EAX] = value;
  return ADVANCE;
}

/** CONSOLE_WRITE(buffer, length) -> length: the bytes go where COM1's go. */
function consoleWrite(vcpu: Vcpu, buffer: number, length: number): number {
  if (length > CONSOLE_WRITE_MAX) return PV_ERR.EINVAL;
  vcpu.paging.view(vcpu);
  if (vcpu.vm.linear.read(buffer, consoleBuf, length, false) !== AccessStatus.OK) return PV_ERR.EFAULT;
  const out = vcpu.vm.opts.console;
  for (let i = 0; i < length; i++) out(consoleBuf[i]!);
  return length;
}

/**
 * MMU_UPDATE(requests, count) -> count done. Requests are {u32 ptr, u32 val}; they are carried out
 * in order and the first bad one stops the batch with its error (Xen's mmu_update).
 */
function mmuUpdate(vcpu: Vcpu, list: number, count: number): number {
  if (count > MMU_UPDATE_MAX) return PV_ERR.EINVAL;
  const { ram, linear } = vcpu.vm;
  for (let i = 0; i < count; i++) {
    vcpu.paging.view(vcpu); // a NEW_CR3 earlier in the batch changes how the list itself is reached
    if (linear.read((list + i * MMU_REQUEST_SIZE) >>> 0, request, MMU_REQUEST_SIZE, false) !== AccessStatus.OK) return PV_ERR.EFAULT;
    const ptr = (request[0]! | (request[1]! << 8) | (request[2]! << 16) | (request[3]! << 24)) >>> 0;
    const val = (request[4]! | (request[5]! << 8) | (request[6]! << 16) | (request[7]! << 24)) >>> 0;
    switch (ptr & MMU_CMD_MASK) {
      case MMU_CMD.PT_UPDATE: {
        const entry = (ptr & ~MMU_CMD_MASK) >>> 0;
        if (!ram.contains(entry, 4)) return PV_ERR.EFAULT;
        if (!mapsInsideVm(vcpu, val)) return PV_ERR.EPERM;
        ram.write32(entry, val);
        vcpu.paging.guestWrote?.(vcpu, entry, 4);
        break;
      }
      case MMU_CMD.NEW_CR3:
        if (!ram.contains(val & PTE.FRAME, PAGE_SIZE)) return PV_ERR.EPERM;
        vcpu.paging.writeCr3(vcpu, val);
        break;
      case MMU_CMD.INVLPG:
        vcpu.paging.invlpg(vcpu, val);
        break;
      default:
        return PV_ERR.EINVAL;
    }
  }
  return count;
}

/** A present entry may only point at frames of the VM's RAM (a 4 MiB one: all of its frames). */
function mapsInsideVm(vcpu: Vcpu, val: number): boolean {
  if ((val & PTE.P) === 0) return true;
  const large = (val & PTE.PS) !== 0;
  const first = large ? val & PTE.FRAME_4M : val & PTE.FRAME;
  return vcpu.vm.ram.contains(first >>> 0, large ? LARGE_PAGE_SIZE : PAGE_SIZE);
}

/** SET_TIMER(microseconds) -> 0: a one-shot that raises IRQ 0 as the PIT would; 0 cancels. */
function setTimer(vcpu: Vcpu, microseconds: number): number {
  const vm = vcpu.vm;
  if (microseconds === 0) vm.cancelPvTimer();
  else vm.armPvTimer(vm.clock.now + microseconds * CYCLES_PER_MICROSECOND);
  return 0;
}

/** BLOCK() -> 0: sleep until an interrupt is pending, and return with interrupts enabled (STI; HLT). */
function block(vcpu: Vcpu): Outcome {
  const ops = vcpu.ops;
  vmwriteChecked(ops, VMCS.GUEST_RFLAGS, ops.vmread(VMCS.GUEST_RFLAGS) | EFLAGS.IF);
  vcpu.regs[Reg.EAX] = 0;
  const stop = sleepUntilInterrupt(vcpu);
  return stop ? stopVm(stop) : ADVANCE;
}

/** EOI(irq) -> 0: a non-specific EOI to the PIC(s) serving `irq`, without port I/O exits. */
function eoi(vcpu: Vcpu, irq: number): number {
  if (irq >= IRQ_COUNT) return PV_ERR.EINVAL;
  const bus = vcpu.vm.bus;
  if (irq >= SLAVE_FIRST_IRQ) bus.write(PIC_SLAVE_BASE, 1, NONSPECIFIC_EOI);
  bus.write(PIC_MASTER_BASE, 1, NONSPECIFIC_EOI);
  return 0;
}
