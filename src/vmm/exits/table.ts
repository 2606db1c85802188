// The exit dispatch table: one handler per basic exit reason (SDM Appendix C), indexed by number
// (hvpp's handler array). Reasons without an entry are "unexpected": no control asked for them.
import { EXIT_REASON } from '../../cpu/vmx/api.js';
import type { Vcpu } from '../vcpu.js';
import { handleCpuid } from './cpuid.js';
import { handleCrAccess } from './cr-access.js';
import { handleEptMisconfig, handleEptViolation } from './ept.js';
import { handleException } from './exception.js';
import { handleEntryFailure, handleTripleFault, handleUnexpected, handleVmxInstruction } from './fatal.js';
import { handleHlt } from './hlt.js';
import { handleExternalInterrupt, handleInterruptWindow, handlePreemptionTimer } from './interrupt.js';
import { handleInvlpg, handleMonitorTrap } from './invlpg.js';
import { handleIo } from './io.js';
import type { Outcome } from './outcome.js';
import { handleRdmsr, handleRdtsc, handleWrmsr } from './rdtsc-msr.js';
import { handleVmcall } from './vmcall.js';

/** A handler gets the vCPU (registers saved, clock synced) and the full exit-reason value. */
export type ExitHandler = (vcpu: Vcpu, reason: number) => Outcome;

const TABLE_SIZE = 80;

export const EXIT_HANDLERS: readonly ExitHandler[] = (() => {
  const t: ExitHandler[] = new Array<ExitHandler>(TABLE_SIZE).fill(handleUnexpected);
  const R = EXIT_REASON;
  t[R.EXCEPTION_NMI] = handleException;
  t[R.EXTERNAL_INTERRUPT] = handleExternalInterrupt;
  t[R.TRIPLE_FAULT] = handleTripleFault;
  t[R.INTERRUPT_WINDOW] = handleInterruptWindow;
  t[R.CPUID] = handleCpuid;
  t[R.HLT] = handleHlt;
  t[R.INVLPG] = handleInvlpg;
  t[R.MONITOR_TRAP_FLAG] = handleMonitorTrap;
  t[R.RDTSC] = handleRdtsc;
  t[R.VMCALL] = handleVmcall;
  for (const r of [R.VMCLEAR, R.VMLAUNCH, R.VMPTRLD, R.VMPTRST, R.VMREAD, R.VMRESUME, R.VMWRITE, R.VMOFF, R.VMON, R.INVEPT, R.INVVPID]) {
    t[r] = handleVmxInstruction;
  }
  t[R.CR_ACCESS] = handleCrAccess;
  t[R.IO_INSTRUCTION] = handleIo;
  t[R.MSR_READ] = handleRdmsr;
  t[R.MSR_WRITE] = handleWrmsr;
  t[R.INVALID_STATE] = handleEntryFailure;
  t[R.MSR_LOAD_FAIL] = handleEntryFailure;
  t[R.MCE_DURING_VMENTRY] = handleEntryFailure;
  t[R.EPT_VIOLATION] = handleEptViolation;
  t[R.EPT_MISCONFIG] = handleEptMisconfig;
  t[R.PREEMPTION_TIMER] = handlePreemptionTimer;
  return t;
})();

/** The handler for a basic exit reason. */
export function exitHandler(basic: number): ExitHandler {
  return EXIT_HANDLERS[basic] ?? handleUnexpected;
}
