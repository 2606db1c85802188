// The VMX instructions as executed by guest code on the processor (VMXON ... INVVPID rows of the
// opcode table, dispatched through cpu.vmxInstructions): operands decoded from the instruction,
// RFLAGS set as VMsucceed/VMfail, #UD/#GP raised, and in non-root operation a VM exit with the
// instruction's exit reason, displacement and instruction information (SDM Vol. 3 §26.1.2, §28.2).
import { CF, OF, PF, AF, SF, VM, ZF } from '../eflags.js';
import { raiseGP, raiseUD } from '../fault.js';
import { materialize } from '../flags.js';
import type { Handler, Insn } from '../insn.js';
import { read32, write32 } from '../memory-access.js';
import { FEATURE_CONTROL_VALUE } from '../msr.js';
import type { Cpu } from '../state.js';
import { OPCODES } from '../../x86/opcodes.js';
import { ea, segLin } from '../exec/operands.js';
import type { VmxController } from './controller.js';
import { displacement, vmxInstructionInfo } from './insn-info.js';
import {
  type TlbInvalidation,
  VMX_INSTRUCTION_EXIT_REASON,
  VmxOutcome,
  type VmxCpuState,
  invept,
  invvpid,
  vmcall,
  vmclear,
  vmptrld,
  vmptrst,
  vmread,
  vmwrite,
  vmxoff,
  vmxon,
} from './instructions.js';
import type { VmxState } from './vmx-state.js';
import { enterVm } from './vm-entry.js';

const VMX_RESULT_FLAGS = CF | PF | AF | ZF | SF | OF;

/** The processor as one executing VMX instruction sees it (instructions.ts VmxCpuState). */
class InstructionOperands implements VmxCpuState {
  insn: Insn | null = null;

  constructor(
    private readonly cpu: Cpu,
    private readonly ctl: VmxController,
  ) {}

  get vmx(): VmxState {
    return this.ctl.vmx;
  }
  get cpl(): number {
    return this.cpu.cpl;
  }
  get cr0(): number {
    return this.cpu.cr0;
  }
  get cr4(): number {
    return this.cpu.cr4;
  }
  get v8086(): boolean {
    return (this.cpu.flags & VM) !== 0;
  }
  get featureControl(): number {
    return FEATURE_CONTROL_VALUE;
  }
  get blockedByMovSs(): boolean {
    return this.cpu.inhibitIrq && this.cpu.inhibitMovSs;
  }

  setVmxFlags(cf: boolean, zf: boolean): void {
    const cpu = this.cpu;
    materialize(cpu);
    cpu.flags = (cpu.flags & ~VMX_RESULT_FLAGS) | (cf ? CF : 0) | (zf ? ZF : 0);
  }

  private operandLinear(index: number, write: boolean): number {
    const insn = this.insn!;
    return segLin(this.cpu, insn.seg, (ea(this.cpu, insn) + 4 * index) | 0, 4, write);
  }

  readMemOperand(index: number): number {
    return read32(this.cpu, this.operandLinear(index, false));
  }

  writeMemOperand(index: number, value: number): void {
    write32(this.cpu, this.operandLinear(index, true), value);
  }

  readRmOperand(): number {
    const insn = this.insn!;
    return insn.mod === 3 ? this.cpu.regs[insn.rm]! : this.readMemOperand(0);
  }

  writeRmOperand(value: number): void {
    const insn = this.insn!;
    if (insn.mod === 3) this.cpu.regs[insn.rm] = value;
    else this.writeMemOperand(0, value);
  }

  invalidateTlb(kind: TlbInvalidation, vpid: number, address: number): void {
    this.ctl.invalidateTlb(kind, vpid, address);
  }
}

type Run = (ctl: VmxController, ops: InstructionOperands, cpu: Cpu, insn: Insn) => VmxOutcome;

/** Row name -> the instruction, and the basic exit reason it gives in non-root operation. */
const ROWS: Readonly<Record<string, readonly [Run, number]>> = {
  vmxon_Mq: [(_c, o) => vmxon(o), VMX_INSTRUCTION_EXIT_REASON.VMXON],
  vmxoff: [(_c, o) => vmxoff(o), VMX_INSTRUCTION_EXIT_REASON.VMXOFF],
  vmclear_Mq: [(_c, o) => vmclear(o), VMX_INSTRUCTION_EXIT_REASON.VMCLEAR],
  vmptrld_Mq: [(_c, o) => vmptrld(o), VMX_INSTRUCTION_EXIT_REASON.VMPTRLD],
  vmptrst_Mq: [(_c, o) => vmptrst(o), VMX_INSTRUCTION_EXIT_REASON.VMPTRST],
  vmread_Ed_Gd: [(_c, o, cpu, insn) => vmread(o, cpu.regs[insn.reg]!), VMX_INSTRUCTION_EXIT_REASON.VMREAD],
  vmwrite_Gd_Ed: [(_c, o, cpu, insn) => vmwrite(o, cpu.regs[insn.reg]!), VMX_INSTRUCTION_EXIT_REASON.VMWRITE],
  vmlaunch: [(c, o) => enterVm(c, o, true), VMX_INSTRUCTION_EXIT_REASON.VMLAUNCH],
  vmresume: [(c, o) => enterVm(c, o, false), VMX_INSTRUCTION_EXIT_REASON.VMRESUME],
  vmcall: [(_c, o) => vmcall(o), VMX_INSTRUCTION_EXIT_REASON.VMCALL],
  invept_Gd_Mdq: [(_c, o, cpu, insn) => invept(o, cpu.regs[insn.reg]!), VMX_INSTRUCTION_EXIT_REASON.INVEPT],
  invvpid_Gd_Mdq: [(_c, o, cpu, insn) => invvpid(o, cpu.regs[insn.reg]!), VMX_INSTRUCTION_EXIT_REASON.INVVPID],
};

/** Fills cpu.vmxInstructions (indexed by opcode-table row) with the VMX instruction handlers. */
export function installVmxInstructions(cpu: Cpu, ctl: VmxController): void {
  const ops = new InstructionOperands(cpu, ctl);
  OPCODES.forEach((row, i) => {
    const entry = ROWS[row.name];
    if (!entry) return;
    const [run, reason] = entry;
    const handler: Handler = (c, insn) => {
      ops.insn = insn;
      switch (run(ctl, ops, c, insn)) {
        case VmxOutcome.UD:
          return raiseUD();
        case VmxOutcome.GP:
          return raiseGP(0);
        case VmxOutcome.VM_EXIT:
          ctl.instructionExit(insn, reason, displacement(insn), vmxInstructionInfo(insn));
          return;
        default:
        // DONE (RFLAGS tell), ENTER (the guest runs from its RIP), ENTRY_FAILED (host state loaded).
      }
    };
    cpu.vmxInstructions[i] = handler;
  });
}
