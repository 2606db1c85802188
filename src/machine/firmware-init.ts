// The device programming SeaBIOS does before QEMU's Multiboot ROM starts a kernel, replayed as the
// same port writes so a kernel finds the devices as it would on QEMU (measured on QEMU 7.2 with
// SeaBIOS 1.16: PIC vectors 0x08/0x70, masks 0xb8/0x8e, PIT channel 0 in mode 2 with count 65536).
// Sources: SeaBIOS src/hw/pic.c (__pic_setup) and src/hw/timer.c (pit_setup).
import type { IoBus } from './io-bus.js';
import { ICW1, ICW4, PIC_CASCADE_IRQ, PIC_MASTER_BASE, PIC_SLAVE_BASE } from './devices/pic8259-defs.js';
import { PIT_BASE, PIT_CONTROL_OFFSET, PitCw, PitMode } from './devices/pit8254-defs.js';

/** SeaBIOS: BIOS vectors 0x08 (IRQ0-7) and 0x70 (IRQ8-15). */
export const BIOS_PIC_VECTORS = { master: 0x08, slave: 0x70 } as const;
/** The masks a kernel finds (IRQ 0, 1, 2, 6 and 8, 12, 13, 14 enabled by SeaBIOS drivers). */
export const BIOS_PIC_MASKS = { master: 0xb8, slave: 0x8e } as const;

export function applyFirmwareInit(bus: IoBus): void {
  const out = (port: number, v: number): void => bus.write(port, 1, v);
  // ICW1 edge-triggered + ICW4, ICW2 vectors, ICW3 cascade on IR2 (master: a bit mask, slave: its
  // id), ICW4 8086 mode, then OCW1 masks.
  out(PIC_MASTER_BASE, ICW1.INIT | ICW1.IC4);
  out(PIC_SLAVE_BASE, ICW1.INIT | ICW1.IC4);
  out(PIC_MASTER_BASE + 1, BIOS_PIC_VECTORS.master);
  out(PIC_SLAVE_BASE + 1, BIOS_PIC_VECTORS.slave);
  out(PIC_MASTER_BASE + 1, 1 << PIC_CASCADE_IRQ);
  out(PIC_SLAVE_BASE + 1, PIC_CASCADE_IRQ);
  out(PIC_MASTER_BASE + 1, ICW4.UPM);
  out(PIC_SLAVE_BASE + 1, ICW4.UPM);
  out(PIC_MASTER_BASE + 1, BIOS_PIC_MASKS.master);
  out(PIC_SLAVE_BASE + 1, BIOS_PIC_MASKS.slave);
  // PIT channel 0: lobyte/hibyte, mode 2, binary, count 0 (65536: the 18.2 Hz BIOS tick).
  out(PIT_BASE + PIT_CONTROL_OFFSET, (PitCw.RW_LSB_MSB << PitCw.RW_SHIFT) | (PitMode.RATE_GENERATOR << PitCw.MODE_SHIFT));
  out(PIT_BASE, 0);
  out(PIT_BASE, 0);
}
