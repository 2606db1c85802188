// I/O-instruction exits (SDM Vol. 3 §26.1.3, qualification Table 28-5): IN/OUT go to the VM's own
// port bus; INS/OUTS (REP or not) move data between that bus and guest memory at the guest-linear
// address in ES:(E)DI / seg:(E)SI, walked through the guest's page tables, as KVM's emulator does.
import { INSN_INFO, IO_QUAL, SEG_AR, VMCS, guestArField, guestBaseField, guestLimitField } from '../../cpu/vmx/api.js';
import { Reg, Seg } from '../../x86/registers.js';
import { EFLAGS, Vector } from '../arch-defs.js';
import { AccessStatus } from '../guest-memory.js';
import type { Vcpu } from '../vcpu.js';
import { ADVANCE, type Outcome, RESUME, injectException, injectPageFault, vmError } from './outcome.js';

/** Iterations of a REP INS/OUTS emulated per exit; the rest re-executes (and exits) again, so
 *  interrupts and the instruction budget are serviced in between, as on hardware. */
export const MAX_STRING_ITERATIONS = 4096;

const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export function handleIo(vcpu: Vcpu): Outcome {
  const ops = vcpu.ops;
  const q = ops.vmread(VMCS.EXIT_QUALIFICATION);
  const port = q >>> IO_QUAL.PORT_SHIFT;
  const size = ((q & IO_QUAL.SIZE_MASK) + 1) as 1 | 2 | 4;
  const isIn = (q & IO_QUAL.IN) !== 0;
  vcpu.vm.stats.io(port, isIn);
  if (q & IO_QUAL.STRING) return stringIo(vcpu, port, size, isIn, (q & IO_QUAL.REP) !== 0);
  vcpu.vm.stats.deviceAccesses++;
  const r = vcpu.regs;
  const mask = SIZE_MASK[size];
  if (isIn) {
    const v = vcpu.vm.bus.read(port, size);
    r[Reg.EAX] = size === 4 ? v : (r[Reg.EAX]! & ~mask) | v;
  } else {
    vcpu.vm.bus.write(port, size, (r[Reg.EAX]! & mask) >>> 0);
  }
  return ADVANCE;
}

const scratch = new Uint8Array(4);

function stringIo(vcpu: Vcpu, port: number, size: 1 | 2 | 4, isIn: boolean, rep: boolean): Outcome {
  const { ops, vm } = vcpu;
  const r = vcpu.regs;
  const info = ops.vmread(VMCS.VMX_INSTRUCTION_INFO);
  const addr16 = ((info >>> INSN_INFO.ADDR_SIZE_SHIFT) & 7) === 0;
  const amask = addr16 ? 0xffff : 0xffffffff;
  // INS always writes ES:(E)DI; OUTS reads seg:(E)SI with the segment override in the information.
  const seg = isIn ? Seg.ES : (info >>> INSN_INFO.SEGMENT_SHIFT) & 7;
  const index = isIn ? Reg.EDI : Reg.ESI;
  let count = rep ? (r[Reg.ECX]! & amask) >>> 0 : 1;
  if (count === 0) return ADVANCE;
  const ar = ops.vmread(guestArField(seg));
  const base = ops.vmread(guestBaseField(seg));
  const limit = ops.vmread(guestLimitField(seg)) >>> 0;
  const step = ops.vmread(VMCS.GUEST_RFLAGS) & EFLAGS.DF ? -size : size;
  const user = vcpu.cpl === 3;
  const segFault = seg === Seg.SS ? Vector.SS : Vector.GP;
  vcpu.paging.view(vcpu);
  const lin = vm.linear;
  const n = Math.min(count, MAX_STRING_ITERATIONS);
  for (let i = 0; i < n; i++) {
    const off = (r[index]! & amask) >>> 0;
    // Segment checks (SDM Vol. 3 §5.3): a usable segment, and an expand-up limit covering the
    // element (expand-down data segments are not modelled here).
    if (ar & SEG_AR.UNUSABLE || (limit !== 0xffffffff && off + size - 1 > limit)) return injectException(segFault, 0);
    const addr = (base + off) >>> 0;
    vm.stats.deviceAccesses++;
    let s: AccessStatus;
    if (isIn) {
      s = lin.check(addr, size, true, user);
      if (s === AccessStatus.OK) {
        const v = vm.bus.read(port, size);
        for (let b = 0; b < size; b++) scratch[b] = v >>> (8 * b);
        s = lin.write(addr, scratch, size, user);
      }
    } else {
      s = lin.read(addr, scratch, size, user);
      if (s === AccessStatus.OK) vm.bus.write(port, size, (scratch[0]! | (scratch[1]! << 8) | (scratch[2]! << 16) | (scratch[3]! << 24)) >>> 0 & SIZE_MASK[size]);
    }
    if (s === AccessStatus.PAGE_FAULT) return injectPageFault(lin.faultLinear, lin.errorCode);
    if (s === AccessStatus.OUTSIDE_RAM) {
      return vmError(`${isIn ? 'INS' : 'OUTS'} at guest-linear 0x${lin.faultLinear.toString(16)} maps outside the VM's RAM`);
    }
    r[index] = (r[index]! & ~amask) | ((off + step) & amask);
    if (rep) {
      count--;
      r[Reg.ECX] = (r[Reg.ECX]! & ~amask) | count;
    }
  }
  return rep && count > 0 ? RESUME : ADVANCE;
}
