// 16550 UART register map and bits. Source: National Semiconductor PC16550D datasheet
// ("Register Summary", Table II), and the IBM PC/AT wiring for COM1.

/** COM1 on a PC: 8 ports at 0x3F8, interrupt on IRQ4. */
export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;
export const UART_PORT_COUNT = 8;

/** Register offsets (DLAB = LCR bit 7 turns 0 and 1 into the divisor latch). */
export const UartReg = { RBR_THR: 0, IER: 1, IIR_FCR: 2, LCR: 3, MCR: 4, LSR: 5, MSR: 6, SCR: 7, DLL: 0, DLM: 1 } as const;

export const IER = { ERBFI: 0x01, ETBEI: 0x02, ELSI: 0x04, EDSSI: 0x08, MASK: 0x0f } as const;

/** IIR: bit 0 = no interrupt pending, bits 3:1 the source in priority order, bits 7:6 FIFOs on. */
export const IIR = {
  NO_INT: 0x01,
  LINE_STATUS: 0x06,
  RX_DATA: 0x04,
  CHAR_TIMEOUT: 0x0c,
  THR_EMPTY: 0x02,
  MODEM_STATUS: 0x00,
  FIFO_ENABLED: 0xc0,
  /** The interrupt-identification bits (3:0). */
  ID_MASK: 0x0f,
} as const;

export const FCR = { ENABLE: 0x01, CLEAR_RX: 0x02, CLEAR_TX: 0x04, TRIGGER_SHIFT: 6 } as const;
/** Receiver FIFO trigger levels selected by FCR bits 7:6. */
export const RX_TRIGGER_LEVELS = [1, 4, 8, 14] as const;
export const FIFO_SIZE = 16;

export const LCR = { DLAB: 0x80 } as const;
export const MCR = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10, MASK: 0x1f } as const;
export const LSR = { DR: 0x01, OE: 0x02, PE: 0x04, FE: 0x08, BI: 0x10, THRE: 0x20, TEMT: 0x40, RX_FIFO_ERROR: 0x80 } as const;
/** LSR bits that raise the receiver-line-status interrupt and clear on an LSR read. */
export const LSR_ERRORS = LSR.OE | LSR.PE | LSR.FE | LSR.BI;
export const MSR = { DCTS: 0x01, DDSR: 0x02, TERI: 0x04, DDCD: 0x08, CTS: 0x10, DSR: 0x20, RI: 0x40, DCD: 0x80, DELTAS: 0x0f } as const;
