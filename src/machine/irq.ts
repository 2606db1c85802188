// Interrupt wiring between devices, the PIC and the processor. Devices drive request lines; the
// CPU sees only the small InterruptController interface (INTR pin + INTA cycle).

/** Where a device's interrupt request lines end: `irq` is the ISA IRQ number (0-15). The bare
 *  board wires it to the PIC pair; a hypervisor may route it to a VM's virtual PIC. */
export type IrqSink = (irq: number, level: boolean) => void;

/** One device's request line (the device calls it only when its level changes). */
export type IrqLine = (level: boolean) => void;

/** The processor's view of the interrupt controller. */
export interface InterruptController {
  /** The INTR pin: an unmasked request of higher priority than any in service. Cheap (a field
   *  read); it changes only on port I/O to the PIC or on an IRQ line change (device I/O or a
   *  clock event), so the CPU may re-check it only after those and when IF becomes 1. */
  hasInterrupt(): boolean;
  /** The INTA cycle: returns the vector and moves the request from IRR to ISR. With no request
   *  pending it returns the spurious vector (IRQ7 of the master, or IRQ15 of the slave). */
  acknowledge(): number;
}

/** `sink` bound to one IRQ number. */
export function irqLine(sink: IrqSink, irq: number): IrqLine {
  return (level) => sink(irq, level);
}
