// A stand-in processor for the VMX instruction tests: plain fields for what VmxCpuState reads, RFLAGS
// results recorded as CF/ZF, memory operands at a fixed guest-physical address, TLB invalidations logged.
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { FEATURE_CONTROL } from '../../../src/cpu/vmx/capabilities.js';
import type { TlbInvalidation, VmxCpuState } from '../../../src/cpu/vmx/instructions.js';
import { VmxState } from '../../../src/cpu/vmx/vmx-state.js';

/** Where the fake puts an instruction's memory operand. */
export const OPERAND = 0x30000;

export class FakeCpu implements VmxCpuState {
  readonly mem: PhysicalMemory;
  readonly vmx: VmxState;
  cpl = 0;
  cr0 = 0x80000031; // PE | ET | NE | PG
  cr4 = 0x2010; // PSE | VMXE
  v8086 = false;
  featureControl = FEATURE_CONTROL.LOCKED | FEATURE_CONTROL.VMXON_ENABLED_OUTSIDE_SMX;
  blockedByMovSs = false;
  /** null until a VMX instruction sets the flags. */
  cf: boolean | null = null;
  zf: boolean | null = null;
  /** VMREAD destination / VMWRITE source (register or memory alike). */
  rm = 0;
  readonly invalidations: [TlbInvalidation, number, number][] = [];
  /** When set, the next memory-operand access "faults" (throws), as a #PF would. */
  faultOnOperand = false;

  constructor(mem = new PhysicalMemory(0x40000)) {
    this.mem = mem;
    this.vmx = new VmxState(mem);
  }

  setVmxFlags(cf: boolean, zf: boolean): void {
    this.cf = cf;
    this.zf = zf;
  }
  readMemOperand(index: number): number {
    if (this.faultOnOperand) throw new Error('#PF');
    return this.mem.read32(OPERAND + 4 * index);
  }
  writeMemOperand(index: number, value: number): void {
    if (this.faultOnOperand) throw new Error('#PF');
    this.mem.write32(OPERAND + 4 * index, value);
  }
  readRmOperand(): number {
    return this.rm;
  }
  writeRmOperand(value: number): void {
    this.rm = value;
  }
  invalidateTlb(kind: TlbInvalidation, vpid: number, address: number): void {
    this.invalidations.push([kind, vpid, address]);
  }

  /** Puts a 64-bit pointer (or the first half of a descriptor) in the memory operand. */
  operand(lo: number, hi = 0, d2 = 0, d3 = 0): this {
    this.mem.write32(OPERAND, lo);
    this.mem.write32(OPERAND + 4, hi);
    this.mem.write32(OPERAND + 8, d2);
    this.mem.write32(OPERAND + 12, d3);
    return this;
  }

  /** The flags as the SDM names the outcomes. */
  get result(): 'VMsucceed' | 'VMfailInvalid' | 'VMfailValid' | 'untouched' {
    if (this.cf === null) return 'untouched';
    if (this.cf) return 'VMfailInvalid';
    return this.zf ? 'VMfailValid' : 'VMsucceed';
  }
}
