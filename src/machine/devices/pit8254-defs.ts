// 8254 PIT register layout and the PC's timer clock. Source: Intel 8254 Programmable Interval
// Timer datasheet (order no. 231164), "Control Word Format", "Read-Back Command", "Status Byte".

/** PC: channels 0-2 at 0x40-0x42, control word at 0x43; channel 0's OUT drives IRQ0. */
export const PIT_BASE = 0x40;
export const PIT_PORT_COUNT = 4;
export const PIT_CONTROL_OFFSET = 3;
export const PIT_IRQ = 0;

/** The PC's PIT input clock: 14.31818 MHz / 12 = 1.193182 MHz (IBM PC technical reference). */
export const PIT_HZ = 1_193_182;

/** A count of 0 means the maximum: 2^16 in binary, 10^4 in BCD (datasheet, "Counter Operation"). */
export const PIT_MAX_COUNT = 0x10000;
export const PIT_MAX_COUNT_BCD = 10000;

/** Control word fields. */
export const PitCw = {
  SC_SHIFT: 6,
  SC_READBACK: 3,
  RW_SHIFT: 4,
  RW_MASK: 0x3,
  RW_LATCH: 0,
  RW_LSB: 1,
  RW_MSB: 2,
  RW_LSB_MSB: 3,
  MODE_SHIFT: 1,
  MODE_MASK: 0x7,
  BCD: 0x01,
} as const;

/** Read-back command (SC = 11): bits 5/4 are active-low COUNT/STATUS, bits 3:1 select 2, 1, 0. */
export const PitReadBack = { NOT_COUNT: 0x20, NOT_STATUS: 0x10, CH0: 0x02, CH1: 0x04, CH2: 0x08 } as const;

/** Status byte: OUT level, null count, then the programmed RW, mode and BCD bits. */
export const PitStatus = { OUT: 0x80, NULL_COUNT: 0x40 } as const;

/** Counting modes (6 and 7 are aliases of 2 and 3). */
export const PitMode = {
  INTERRUPT_ON_TERMINAL_COUNT: 0,
  HW_RETRIGGERABLE_ONE_SHOT: 1,
  RATE_GENERATOR: 2,
  SQUARE_WAVE: 3,
  SW_TRIGGERED_STROBE: 4,
  HW_TRIGGERED_STROBE: 5,
} as const;
