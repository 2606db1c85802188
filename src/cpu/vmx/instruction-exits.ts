// Which instructions exit in VMX non-root operation and with what (SDM Vol. 3 §26.1.2-26.1.3,
// §28.2.1): the decisions of intercept.ts applied at the CPU's intercept points (hooks.ts Intercept),
// recording the exit reason, qualification, length and, where defined, linear address and
// instruction information. The VMX instructions' own exits are instruction-handlers.ts.
import { Intercept } from '../hooks.js';
import type { Insn } from '../insn.js';
import type { Cpu } from '../state.js';
import type { VmxController } from './controller.js';
import { EXIT_REASON } from './exit-reasons.js';
import { descriptorTableInfo, descriptorTableReason, displacement, stringIoInfo } from './insn-info.js';
import {
  InsnIntercept,
  cltsExits,
  cr3LoadExits,
  cr3StoreExits,
  instructionExits,
  ioCausesExit,
  lmswExits,
  movToCrExits,
  msrCausesExit,
} from './intercept.js';
import { CLTS_QUALIFICATION, CR_ACCESS_TYPE, crAccessQualification, drAccessQualification, lmswQualification } from './qualification.js';

/** Records the VM exit `kind` causes under the loaded controls and returns true, or returns false. */
export function instructionCausesExit(ctl: VmxController, cpu: Cpu, kind: Intercept, insn: Insn, a: number, b: number): boolean {
  const c = ctl.vmx.controls;
  switch (kind) {
    case Intercept.CPUID:
      return ctl.instructionExit(insn, EXIT_REASON.CPUID, 0);
    case Intercept.INVD:
      return ctl.instructionExit(insn, EXIT_REASON.INVD, 0);
    case Intercept.HLT:
      return instructionExits(c, InsnIntercept.HLT) && ctl.instructionExit(insn, EXIT_REASON.HLT, 0);
    case Intercept.INVLPG:
      return instructionExits(c, InsnIntercept.INVLPG) && ctl.instructionExit(insn, EXIT_REASON.INVLPG, a >>> 0);
    case Intercept.RDTSC:
      return instructionExits(c, InsnIntercept.RDTSC) && ctl.instructionExit(insn, EXIT_REASON.RDTSC, 0);
    case Intercept.RDMSR:
      return msrCausesExit(c, cpu.mem, cpu.regs[1]!, false) && ctl.instructionExit(insn, EXIT_REASON.MSR_READ, 0);
    case Intercept.WRMSR:
      return msrCausesExit(c, cpu.mem, cpu.regs[1]!, true) && ctl.instructionExit(insn, EXIT_REASON.MSR_WRITE, 0);
    case Intercept.MOV_TO_CR: {
      const v = cpu.regs[b]!;
      const exits =
        a === 0 ? movToCrExits(c.cr0Mask, c.cr0Shadow, v) : a === 4 ? movToCrExits(c.cr4Mask, c.cr4Shadow, v) : a === 3 && cr3LoadExits(c, v);
      return exits && ctl.instructionExit(insn, EXIT_REASON.CR_ACCESS, crAccessQualification(a, CR_ACCESS_TYPE.MOV_TO_CR, b));
    }
    case Intercept.MOV_FROM_CR:
      return a === 3 && cr3StoreExits(c) && ctl.instructionExit(insn, EXIT_REASON.CR_ACCESS, crAccessQualification(a, CR_ACCESS_TYPE.MOV_FROM_CR, b));
    case Intercept.CLTS:
      return cltsExits(c) && ctl.instructionExit(insn, EXIT_REASON.CR_ACCESS, CLTS_QUALIFICATION);
    case Intercept.LMSW:
      if (!lmswExits(c, a)) return false;
      ctl.instructionExit(insn, EXIT_REASON.CR_ACCESS, lmswQualification(a, b !== -1));
      if (b !== -1) ctl.exit.guestLinear = b >>> 0;
      return true;
    case Intercept.MOV_DR:
      return instructionExits(c, InsnIntercept.MOV_DR) && ctl.instructionExit(insn, EXIT_REASON.DR_ACCESS, drAccessQualification(a, (b & 0x100) !== 0, b & 0xff));
    case Intercept.IO:
      return ioCausesExit(c, cpu.mem, a, (b & 7) + 1) && ioExit(ctl, cpu, insn, a, b);
    case Intercept.PAUSE:
      return instructionExits(c, InsnIntercept.PAUSE) && ctl.instructionExit(insn, EXIT_REASON.PAUSE, 0);
    case Intercept.WBINVD:
      return instructionExits(c, InsnIntercept.WBINVD) && ctl.instructionExit(insn, EXIT_REASON.WBINVD, 0);
    case Intercept.DESC_TABLE:
      return instructionExits(c, InsnIntercept.GDTR_IDTR) && ctl.instructionExit(insn, descriptorTableReason(insn), displacement(insn), descriptorTableInfo(insn));
    case Intercept.TASK_SWITCH:
      return ctl.instructionExit(insn, EXIT_REASON.TASK_SWITCH, 0);
  }
  return false;
}

/** I/O exit: the qualification (SDM Table 28-5); INS/OUTS add the linear address and operand info. */
function ioExit(ctl: VmxController, cpu: Cpu, insn: Insn, port: number, bits: number): true {
const x = ctl.exit;
  ctl.instructionExit(insn, EXIT_REASON.IO_INSTRUCTION, (bits | (port << 16)) >>> 0);
  if ((bits & 16) !== 0) {
    const isIn = (bits & 8) !== 0;
    const seg = isIn ? 0 : insn.seg;
    const off = cpu.regs[isIn ? 7 : 6]!;
    x.guestLinear = (cpu.segBase[seg]! + (insn.addrSize === 2 ? off & 0xffff : off)) >>> 0;
    x.instructionInfo = stringIoInfo(insn, isIn);
  }
  return true;
}
