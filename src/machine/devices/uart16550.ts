// A 16550 UART (COM1): every register, the FIFOs, the interrupt sources with the IIR priority
// rules, modem status and loopback. Transmission is instantaneous: THR is empty again the moment
// it is written, and the byte goes to the output sink. On a PC the interrupt reaches the PIC only
// while MCR.OUT2 is set (it gates the IRQ buffer) and never in loopback (OUT2 is forced inactive).
import type { PortDevice } from '../io-bus.js';
import type { IrqLine } from '../irq.js';
import { FCR, FIFO_SIZE, IER, IIR, LCR, LSR, LSR_ERRORS, MCR, MSR, RX_TRIGGER_LEVELS, UartReg } from './uart16550-defs.js';

export type ByteSink = (byte: number) => void;

export interface Uart16550State {
  ier: number;
  lcr: number;
  mcr: number;
  msr: number;
  scr: number;
  dll: number;
  dlm: number;
  fifoEnabled: boolean;
  rxTrigger: number;
  lsrErrors: number;
  thrIpending: boolean;
  rx: number[];
  lastRbr: number;
  irqLevel: boolean;
}

/** The modem inputs of an unconnected port as QEMU presents them: carrier, DSR and CTS up. */
const EXTERNAL_MODEM_LINES = MSR.DCD | MSR.DSR | MSR.CTS;

export class Uart16550 implements PortDevice {
  ier = 0;
  lcr = 0;
  /** QEMU's reset value: OUT2 set, so a kernel that never touches MCR still gets interrupts. */
  mcr: number = MCR.OUT2;
  msr: number = EXTERNAL_MODEM_LINES;
  scr = 0;
  /** Divisor 12 (9600 baud), QEMU's reset value; the rate does not matter here. */
  dll = 0x0c;
  dlm = 0;
  fifoEnabled = false;
  rxTrigger = 1;
  lsrErrors = 0;
  thrIpending = false;
  rx: number[] = [];
  lastRbr = 0;
  private irqLevel = false;

  constructor(
    readonly name: string,
    private readonly irq: IrqLine,
    private readonly sink: ByteSink,
  ) {}

  /** Free space in the receiver (16 with FIFOs, else 1): feed at most this many bytes. */
  get rxSpace(): number {
    return (this.fifoEnabled ? FIFO_SIZE : 1) - this.rx.length;
  }

  /** Host input arriving on the line. Takes what fits and returns how many bytes it took; the
   *  caller keeps the rest and offers it again later (no host-side overrun). */
  receive(bytes: ArrayLike<number>): number {
    const n = Math.min(bytes.length, this.rxSpace);
    for (let i = 0; i < n; i++) this.rx.push(bytes[i]! & 0xff);
    if (n > 0) this.updateIrq();
    return n;
  }

  /** IIR: the highest-priority pending source (PC16550D Table IV). */
  private iir(): number {
    const fifo = this.fifoEnabled ? IIR.FIFO_ENABLED : 0;
    if (this.ier & IER.ELSI && this.lsrErrors) return fifo | IIR.LINE_STATUS;
    if (this.ier & IER.ERBFI && this.rx.length > 0) {
      // Below the trigger level the FIFO reports a character timeout; the 4-character idle
      // time it waits for on silicon has passed at once here (transfers are instantaneous).
      return fifo | (this.fifoEnabled && this.rx.length < this.rxTrigger ? IIR.CHAR_TIMEOUT : IIR.RX_DATA);
    }
    if (this.ier & IER.ETBEI && this.thrIpending) return fifo | IIR.THR_EMPTY;
    if (this.ier & IER.EDSSI && this.msr & MSR.DELTAS) return fifo | IIR.MODEM_STATUS;
    return fifo | IIR.NO_INT;
  }

  private updateIrq(): void {
    const gated = (this.mcr & (MCR.OUT2 | MCR.LOOP)) === MCR.OUT2;
    const level = gated && (this.iir() & IIR.NO_INT) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  private lsr(): number {
    let v = LSR.THRE | LSR.TEMT | this.lsrErrors;
    if (this.rx.length > 0) v |= LSR.DR;
    if (this.fifoEnabled && this.lsrErrors) v |= LSR.RX_FIFO_ERROR;
    return v;
  }

  ioRead(offset: number): number {
    const dlab = (this.lcr & LCR.DLAB) !== 0;
    switch (offset) {
      case UartReg.RBR_THR: {
        if (dlab) return this.dll;
        const b = this.rx.shift();
        if (b !== undefined) this.lastRbr = b;
        this.updateIrq();
        return this.lastRbr;
      }
      case UartReg.IER:
        return dlab ? this.dlm : this.ier;
      case UartReg.IIR_FCR: {
        const v = this.iir();
        // Reading IIR while it reports THRE acknowledges that source.
        if ((v & IIR.ID_MASK) === IIR.THR_EMPTY) {
          this.thrIpending = false;
          this.updateIrq();
        }
        return v;
      }
      case UartReg.LCR:
        return this.lcr;
      case UartReg.MCR:
        return this.mcr;
      case UartReg.LSR: {
        const v = this.lsr();
        this.lsrErrors = 0;
        this.updateIrq();
        return v;
      }
      case UartReg.MSR: {
        const v = this.msr;
        this.msr &= ~MSR.DELTAS;
        this.updateIrq();
        return v;
      }
      default:
        return this.scr;
    }
  }

  ioWrite(offset: number, _size: 1 | 2 | 4, value: number): void {
    value &= 0xff;
    const dlab = (this.lcr & LCR.DLAB) !== 0;
    switch (offset) {
      case UartReg.RBR_THR:
        if (dlab) this.dll = value;
        else this.transmit(value);
        break;
      case UartReg.IER:
        if (dlab) {
          this.dlm = value;
        } else {
          const enabling = value & IER.ETBEI & ~this.ier;
          this.ier = value & IER.MASK;
          // Enabling the THRE interrupt with THR empty (always, here) raises it at once.
          if (enabling) this.thrIpending = true;
        }
        break;
      case UartReg.IIR_FCR:
        this.writeFcr(value);
        break;
      case UartReg.LCR:
        this.lcr = value;
        break;
      case UartReg.MCR:
        this.writeMcr(value & MCR.MASK);
        break;
      case UartReg.LSR:
      case UartReg.MSR:
        break; // factory test registers: writes ignored
      default:
        this.scr = value;
    }
    this.updateIrq();
  }

  private transmit(byte: number): void {
    this.thrIpending = false;
    this.updateIrq();
    if (this.mcr & MCR.LOOP) {
      if (this.rxSpace > 0) this.rx.push(byte);
      else this.lsrErrors |= LSR.OE; // overrun: the new character is lost
    } else {
      this.sink(byte);
    }
    this.thrIpending = true;
  }

  private writeFcr(v: number): void {
    const enable = (v & FCR.ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      this.rx.length = 0;
      this.fifoEnabled = enable;
    }
    if (!enable) return;
    if (v & FCR.CLEAR_RX) this.rx.length = 0;
    this.rxTrigger = RX_TRIGGER_LEVELS[v >>> FCR.TRIGGER_SHIFT]!;
  }

  private writeMcr(v: number): void {
    this.mcr = v;
    const lines =
      v & MCR.LOOP
        ? (v & MCR.RTS ? MSR.CTS : 0) | (v & MCR.DTR ? MSR.DSR : 0) | (v & MCR.OUT1 ? MSR.RI : 0) | (v & MCR.OUT2 ? MSR.DCD : 0)
        : EXTERNAL_MODEM_LINES;
    const old = this.msr;
    let deltas = old & MSR.DELTAS;
    if ((old ^ lines) & MSR.CTS) deltas |= MSR.DCTS;
    if ((old ^ lines) & MSR.DSR) deltas |= MSR.DDSR;
    if ((old ^ lines) & MSR.DCD) deltas |= MSR.DDCD;
    if (old & MSR.RI && !(lines & MSR.RI)) deltas |= MSR.TERI; // trailing edge of RI
    this.msr = lines | deltas;
  }

  saveState(): Uart16550State {
    const { ier, lcr, mcr, msr, scr, dll, dlm, fifoEnabled, rxTrigger, lsrErrors, thrIpending, lastRbr } = this;
    const rx = [...this.rx];
    return { ier, lcr, mcr, msr, scr, dll, dlm, fifoEnabled, rxTrigger, lsrErrors, thrIpending, rx, lastRbr, irqLevel: this.irqLevel };
  }

  loadState(s: Uart16550State): void {
    const { irqLevel, rx, ...regs } = s;
    Object.assign(this, regs);
    this.rx = [...rx];
    this.irqLevel = irqLevel;
    this.updateIrq();
  }
}
