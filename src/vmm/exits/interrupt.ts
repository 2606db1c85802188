// Exits that are about time and interrupts rather than an instruction: an external interrupt (the
// host has no interrupt sources, so there is nothing to service), the interrupt window opening, and
// the VMX-preemption timer reaching the VM's next device deadline. The VM's clock was brought up to
// date at the exit; the injection logic before the next entry does the rest (inject.ts).
import { type Outcome, RESUME } from './outcome.js';

export function handleExternalInterrupt(): Outcome {
  return RESUME;
}

export function handleInterruptWindow(): Outcome {
  return RESUME;
}

export function handlePreemptionTimer(): Outcome {
  return RESUME;
}
