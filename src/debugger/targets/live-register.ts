// Writing a register of the processor while it holds the guest's state (the native target always,
// the VM target between exits): the user's `set` or gdb's `P` packet, as if an instruction did it.
import { WRITABLE } from '../../cpu/eflags.js';
import { writeEflags } from '../../cpu/flags.js';
import { type Cpu, Pending } from '../../cpu/state.js';
import { WRITABLE_REGISTERS, type WritableRegister } from '../target.js';

export function setLiveRegister(c: Cpu, name: WritableRegister, value: number): void {
  const i = WRITABLE_REGISTERS.indexOf(name);
  if (i < 8) c.regs[i] = value | 0;
  else if (name === 'eip') {
    c.eip = value | 0;
    // The block chain from the last instruction does not lead to a new EIP.
    c.chainFrom = null;
  } else {
    writeEflags(c, value, WRITABLE);
    // IF may have just been set: the processor looks for a pending interrupt.
    c.pending |= Pending.CHECK_IRQ;
  }
}
