// 8259A register bits. Source: Intel 8259A Programmable Interrupt Controller datasheet
// (order no. 231468), "Initialization Command Words" and "Operation Command Words" figures.

/** PC wiring (IBM PC/AT): master at 0x20/0x21, slave at 0xA0/0xA1 cascaded on master IR2. */
export const PIC_MASTER_BASE = 0x20;
export const PIC_SLAVE_BASE = 0xa0;
export const PIC_PORT_COUNT = 2;
export const PIC_CASCADE_IRQ = 2;

/** ICW1 (written to A0=0 with D4=1). */
export const ICW1 = { IC4: 0x01, SNGL: 0x02, ADI: 0x04, LTIM: 0x08, INIT: 0x10 } as const;
/** ICW2: the vector base; the low 3 bits come from the IR level in 8086 mode. */
export const ICW2_VECTOR_MASK = 0xf8;
/** ICW4. */
export const ICW4 = { UPM: 0x01, AEOI: 0x02, MS: 0x04, BUF: 0x08, SFNM: 0x10 } as const;
/** OCW2 (A0=0, D4=D3=0): R SL EOI in bits 7:5, level in 2:0. */
export const OCW2 = {
  LEVEL_MASK: 0x07,
  CMD_SHIFT: 5,
  /** Command codes (R, SL, EOI). */
  ROTATE_AEOI_CLEAR: 0b000,
  NONSPECIFIC_EOI: 0b001,
  NOP: 0b010,
  SPECIFIC_EOI: 0b011,
  ROTATE_AEOI_SET: 0b100,
  ROTATE_NONSPECIFIC_EOI: 0b101,
  SET_PRIORITY: 0b110,
  ROTATE_SPECIFIC_EOI: 0b111,
} as const;
/** OCW3 (A0=0, D4=0, D3=1). */
export const OCW3 = { RIS: 0x01, RR: 0x02, P: 0x04, SELECT: 0x08, SMM: 0x20, ESMM: 0x40 } as const;
/** Bits 4:3 of a write to A0=0 that tell ICW1 / OCW2 / OCW3 apart. */
export const CMD_KIND_MASK = 0x18;
export const POLL_INT = 0x80;
/** The spurious request an INTA with nothing pending reports: IR7 of the chip. */
export const SPURIOUS_IRQ = 7;
