// The `vmm` command's documented process exit statuses (README, "Exit status").
// A guest that ends through the debug-exit port (0xf4) makes the process exit with the value it
// wrote (low 8 bits), so these values are chosen high enough that the sample guests never use them;
// the message on standard error always says which case it was.

export const ExitCode = {
  /** The guest wrote 0 to the debug-exit port (other values pass through unchanged). */
  Ok: 0,
  /** Bad command line, or an image that is malformed, truncated, not i386, or too large. */
  BadInput: 2,
  /** The tool itself failed (a host bug): reported with a one-line message. */
  Internal: 70,
  /** The guest triple-faulted: the machine (or the VM) shut down. */
  TripleFault: 121,
  /** The instruction budget (--max-insns) ran out before the guest ended. */
  BudgetExhausted: 122,
  /** The guest halted with interrupts disabled and nothing pending: it can never wake. */
  HaltedForever: 123,
  /** The hypervisor stopped the VM (VM-entry failure, unhandled exit, EPT violation outside RAM...). */
  VmStopped: 124,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
