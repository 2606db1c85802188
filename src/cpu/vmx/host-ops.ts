// The VMX instructions executed by a hypervisor written in TypeScript (cpu/vmx/api.ts
// VmxInstructions, and the shape src/vmm/vmx-ops.ts VmxOps expects): at CPL 0 in the processor's
// host state, operands taken from the arguments, results from the RFLAGS the instruction sets.
// VMLAUNCH/VMRESUME also run the guest until its next VM exit: HOST_RIP is the TypeScript after the
// call, so the run loop returns 'vm-exit' (run.ts Core.vmExitStops) when the host state is loaded.
import { HostBugError } from '../../common/assert.js';
import { cpuidLeaf } from '../cpuid.js';
import { FEATURE_CONTROL_VALUE, readTsc } from '../msr.js';
import type { Core, StopReason } from '../run.js';
import { type Cpu, modelledCycles } from '../state.js';
import { type Msr64Like, type VmxInstructions, VmxStatus } from './api.js';
import type { VmxController } from './controller.js';
import { VMCS } from './fields.js';
import { type TlbInvalidation, VmxOutcome, type VmxCpuState, invept, invvpid, vmclear, vmptrld, vmptrst, vmread, vmwrite, vmxoff, vmxon } from './instructions.js';
import type { VmxState } from './vmx-state.js';
import { INVALID_VMCS_POINTER } from './vmcs.js';
import { CR0 } from './capabilities.js';

const CR0_PE = CR0.PE;
import { enterVm } from './vm-entry.js';

/** vmlaunch/vmresume/continueGuest: the guest was paused in non-root operation by something outside
 *  the architecture (budget, debugger). Equals src/vmm/vmx-ops.ts EntryResult.PAUSED. */
export const GUEST_PAUSED = -3;

/** The processor a TypeScript hypervisor runs on (structurally src/vmm/vmx-ops.ts VmxOps). */
export interface VmxProcessor extends VmxInstructions {
  cpuid(leaf: number, out: Int32Array): void;
  rdtsc(): number;
  readonly gprs: Int32Array;
  cr2: number;
  hltUntil(cycle: number): void;
  continueGuest(): number;
  readonly instructionsRetired: number;
  /** Modelled cycles of the guest's instructions, events and page walks (docs/cost-model.md). */
  readonly modelCycles: number;
  /** Page-walk memory references on TLB misses (guest tables and EPT tables). */
  readonly walkRefs: number;
  /** VMX instructions the host executed (the cost model charges the hypervisor for them). */
  readonly vmxCounts: VmxInstructionCounts;
  pauseAt: number;
  readonly pauseReason: StopReason | null;
}

/** VMREAD, VMWRITE and INVEPT/INVVPID executed by the host since the processor was made. */
export interface VmxInstructionCounts {
  vmread: number;
  vmwrite: number;
  invalidate: number;
}

/** The processor as the host's VMX instructions see it: operands are plain values. */
class HostOperands implements VmxCpuState {
  cf = false;
  zf = false;
  /** The m64/m128 memory operand, as dwords. */
  readonly mem = new Int32Array(4);
  /** VMREAD's destination / VMWRITE's source. */
  rm = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly ctl: VmxController,
  ) {}

  get vmx(): VmxState {
    return this.ctl.vmx;
  }
  // After a lazy VM exit the registers hold the guest's state; the host's is in the VMCS.
  get cpl(): number {
    return this.ctl.hostPending ? 0 : this.cpu.cpl;
  }
  get cr0(): number {
    return this.ctl.hostPending ? this.ctl.vmx.vmcs.read(VMCS.HOST_CR0) : this.cpu.cr0;
  }
  get cr4(): number {
    return this.ctl.hostPending ? this.ctl.vmx.vmcs.read(VMCS.HOST_CR4) : this.cpu.cr4;
  }
  get v8086(): boolean {
    return false;
  }
  get featureControl(): number {
    return FEATURE_CONTROL_VALUE;
  }
  get blockedByMovSs(): boolean {
    return false;
  }
  setVmxFlags(cf: boolean, zf: boolean): void {
    this.cf = cf;
    this.zf = zf;
  }
  readMemOperand(index: number): number {
    return this.mem[index]!;
  }
  writeMemOperand(index: number, value: number): void {
    this.mem[index] = value;
  }
  readRmOperand(): number {
    return this.rm;
  }
  writeRmOperand(value: number): void {
    this.rm = value;
  }
  invalidateTlb(kind: TlbInvalidation, vpid: number, address: number): void {
    this.ctl.invalidateTlb(kind, vpid, address);
  }

  operand(d0: number, d1 = 0, d2 = 0, d3 = 0): this {
    const m = this.mem;
    m[0] = d0;
    m[1] = d1;
    m[2] = d2;
    m[3] = d3;
    return this;
  }
}

export class HostVmxOps implements VmxProcessor {
  lastStatus: number = VmxStatus.SUCCEED;
  pauseAt = Infinity;
  pauseReason: StopReason | null = null;
  readonly vmxCounts: VmxInstructionCounts = { vmread: 0, vmwrite: 0, invalidate: 0 };
  readonly gprs: Int32Array;
  private readonly op: HostOperands;
  private readonly msrOut = { lo: 0, hi: 0 };

  constructor(
    private readonly cpu: Cpu,
    private readonly core: Core,
    private readonly ctl: VmxController,
  ) {
    this.gprs = cpu.regs.subarray(0, 8);
    this.op = new HostOperands(cpu, ctl);
    core.vmExitStops = true;
    ctl.lazyHost = true;
  }

  /** The status RFLAGS (and the VM-instruction error field) give; #UD/#GP are hypervisor bugs. */
  private status(what: string, o: VmxOutcome): number {
    switch (o) {
      case VmxOutcome.DONE:
        if (this.op.cf) return VmxStatus.FAIL_INVALID;
        return this.op.zf ? this.ctl.vmx.vmcs.read(VMCS.VM_INSTRUCTION_ERROR) : VmxStatus.SUCCEED;
      case VmxOutcome.UD:
        throw new HostBugError(`${what} raised #UD (host CR0/CR4 or VMX operation not as VT-x requires)`);
      case VmxOutcome.GP:
        throw new HostBugError(`${what} raised #GP(0) (host CPL, fixed CR bits or IA32_FEATURE_CONTROL)`);
      default:
        throw new HostBugError(`${what} in VMX non-root operation`);
    }
  }

  vmxon(region: number): number {
    return this.status('VMXON', vmxon(this.op.operand(region)));
  }
  vmxoff(): number {
    this.ctl.materializeHost();
    return this.status('VMXOFF', vmxoff(this.op));
  }
  vmclear(vmcs: number): number {
    this.ctl.materializeHost();
    return this.status('VMCLEAR', vmclear(this.op.operand(vmcs)));
  }
  vmptrld(vmcs: number): number {
    this.ctl.materializeHost();
    return this.status('VMPTRLD', vmptrld(this.op.operand(vmcs)));
  }
  vmptrst(): number {
    this.status('VMPTRST', vmptrst(this.op));
    return this.op.mem[0]! >>> 0;
  }
  vmread(encoding: number): number {
    this.vmxCounts.vmread++;
    // The exit loop's hot path: in VMX root at CPL 0 with a current VMCS and a supported field,
    // VMREAD is VMsucceed with the field's value (instructions.ts vmread, short of its flag work).
    const vmx = this.ctl.vmx;
    if (this.rootReady(vmx)) {
      const v = vmx.vmcs.tryRead(encoding);
      if (v >= 0) {
        this.lastStatus = VmxStatus.SUCCEED;
        return v;
      }
    }
    this.op.rm = 0;
    this.lastStatus = this.status('VMREAD', vmread(this.op, encoding));
    return this.lastStatus === VmxStatus.SUCCEED ? this.op.rm >>> 0 : 0;
  }
  vmwrite(encoding: number, value: number): number {
    this.vmxCounts.vmwrite++;
    const vmx = this.ctl.vmx;
    if (this.rootReady(vmx) && vmx.vmcs.tryWrite(encoding, value)) return VmxStatus.SUCCEED;
    this.op.rm = value;
    return this.status('VMWRITE', vmwrite(this.op, encoding));
  }

  /** VMREAD/VMWRITE get past every check to the field itself (the common case). */
  private rootReady(vmx: VmxState): boolean {
    return vmx.on && !vmx.nonRoot && vmx.vmcs.base !== INVALID_VMCS_POINTER && (this.ctl.hostPending || (this.cpu.cpl === 0 && (this.cpu.cr0 & CR0_PE) !== 0));
  }
  invept(type: number, eptp: number): number {
    this.vmxCounts.invalidate++;
    return this.status('INVEPT', invept(this.op.operand(eptp), type));
  }
  invvpid(type: number, vpid: number, linear: number): number {
    this.vmxCounts.invalidate++;
    return this.status('INVVPID', invvpid(this.op.operand(vpid, 0, linear), type));
  }

  vmlaunch(): number {
    return this.enter(true);
  }
  vmresume(): number {
    return this.enter(false);
  }

  private enter(launch: boolean): number {
    const o = enterVm(this.ctl, this.op, launch);
    if (o === VmxOutcome.ENTER) return this.runGuest();
    if (o === VmxOutcome.ENTRY_FAILED) return VmxStatus.ENTRY_FAILED;
    return this.status(launch ? 'VMLAUNCH' : 'VMRESUME', o);
  }

  continueGuest(): number {
    if (!this.cpu.nonRoot) throw new HostBugError('continueGuest without a guest in VMX non-root operation');
    return this.runGuest();
  }

  /** Runs the guest until its next VM exit (VMsucceed) or until something pauses it. */
  private runGuest(): number {
    const cpu = this.cpu;
    const budget = this.pauseAt - cpu.icount;
    const r = this.core.execute(budget > 0 ? budget : 0);
    if (r.kind === 'vm-exit') {
      if (cpu.shutdown) {
        this.pauseReason = { kind: 'unsupported', message: cpu.shutdownReason };
        return GUEST_PAUSED;
      }
      this.pauseReason = null;
      return VmxStatus.SUCCEED;
    }
    this.pauseReason = r;
    return GUEST_PAUSED;
  }

  readMsr(index: number): Msr64Like | undefined {
    const out = this.msrOut;
    if (!this.cpu.msrs.read(this.cpu, index, out)) return undefined;
    return { lo: out.lo >>> 0, hi: out.hi >>> 0 };
  }

  cpuid(leaf: number, out: Int32Array): void {
    cpuidLeaf(leaf, out);
  }

  rdtsc(): number {
    return readTsc(this.cpu);
  }

  get cr2(): number {
    return this.cpu.cr2;
  }
  set cr2(v: number) {
    this.cpu.cr2 = v | 0;
  }

  hltUntil(cycle: number): void {
    const clock = this.cpu.clock;
    if (cycle <= clock.now) return;
    this.cpu.cycleBias += cycle - clock.now;
    clock.advanceTo(cycle);
  }

  get instructionsRetired(): number {
    return this.cpu.icount;
  }

  get modelCycles(): number {
    return modelledCycles(this.cpu);
  }

  get walkRefs(): number {
    return this.cpu.walkRefs;
  }
}
