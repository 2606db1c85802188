// Control-register-access exits (SDM Vol. 3 §26.1.3, qualification Table 28-3): MOV to CR0/CR3/CR4,
// MOV from CR3, CLTS and LMSW, decoded from the qualification as KVM's handle_cr does, and carried
// out by the vCPU's paging mode, which owns the CR policy (masks, shadows, CR3 exiting).
import { CR_ACCESS_TYPE, CR_QUAL, VMCS } from '../../cpu/vmx/api.js';
import { Reg } from '../../x86/registers.js';
import { CR0_BITS } from '../arch-defs.js';
import type { Vcpu } from '../vcpu.js';
import { vmwriteChecked } from '../vmx-ops.js';
import { ADVANCE, type Outcome, vmError } from './outcome.js';

/** LMSW loads CR0 bits 3:0 (PE, MP, EM, TS) and cannot clear PE (SDM Vol. 2 LMSW). */
const LMSW_BITS = 0xf;

/** The guest's general register `n`: ESP lives in the VMCS, the others in the vCPU. */
function readGpr(vcpu: Vcpu, n: number): number {
  return n === Reg.ESP ? vcpu.ops.vmread(VMCS.GUEST_RSP) : vcpu.regs[n]!;
}

function writeGpr(vcpu: Vcpu, n: number, value: number): void {
  if (n === Reg.ESP) vmwriteChecked(vcpu.ops, VMCS.GUEST_RSP, value);
  else vcpu.regs[n] = value;
}

export function handleCrAccess(vcpu: Vcpu): Outcome {
  const q = vcpu.ops.vmread(VMCS.EXIT_QUALIFICATION);
  const cr = q & CR_QUAL.CR_MASK;
  const type = (q & CR_QUAL.TYPE_MASK) >>> CR_QUAL.TYPE_SHIFT;
  const gpr = (q & CR_QUAL.GPR_MASK) >>> CR_QUAL.GPR_SHIFT;
  vcpu.vm.stats.cr(cr, type);
  const paging = vcpu.paging;
  switch (type) {
    case CR_ACCESS_TYPE.MOV_TO_CR: {
      const v = readGpr(vcpu, gpr);
      if (cr === 0) return paging.writeCr0(vcpu, v);
      if (cr === 3) return paging.writeCr3(vcpu, v);
      if (cr === 4) return paging.writeCr4(vcpu, v);
      break;
    }
    case CR_ACCESS_TYPE.MOV_FROM_CR:
      if (cr === 3) {
        writeGpr(vcpu, gpr, paging.readCr3(vcpu));
        return ADVANCE;
      }
      break;
    case CR_ACCESS_TYPE.CLTS:
      return paging.writeCr0(vcpu, paging.guestRegs(vcpu).cr0 & ~CR0_BITS.TS);
    case CR_ACCESS_TYPE.LMSW: {
      const old = paging.guestRegs(vcpu).cr0;
      const data = q >>> CR_QUAL.LMSW_DATA_SHIFT;
      return paging.writeCr0(vcpu, (old & ~LMSW_BITS) | (data & LMSW_BITS) | (old & CR0_BITS.PE));
    }
  }
  // The controls never ask for other CR exits (no CR8: IA-32 has none).
  return vmError(`unexpected control-register exit (qualification 0x${q.toString(16)})`);
}
