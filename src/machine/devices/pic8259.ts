// The cascaded 8259A pair of a PC: master at 0x20/0x21, slave at 0xA0/0xA1 on master IR2.
// Register state machines per the 8259A datasheet (ICW1-4, OCW1-3, fixed or rotating priority,
// special mask and special fully nested modes, auto-EOI, poll), edge- or level-triggered (LTIM),
// with QEMU's conventions where the datasheet leaves room (hw/intc/i8259.c).
import type { PortDevice } from '../io-bus.js';
import type { InterruptController, IrqSink } from '../irq.js';
import { CMD_KIND_MASK, ICW1, ICW2_VECTOR_MASK, ICW4, OCW2, OCW3, PIC_CASCADE_IRQ, POLL_INT, SPURIOUS_IRQ } from './pic8259-defs.js';

export interface Pic8259ChipState {
  irr: number;
  isr: number;
  imr: number;
  lines: number;
  priorityAdd: number;
  vectorBase: number;
  icwStep: number;
  needIcw4: boolean;
  single: boolean;
  levelTriggered: boolean;
  autoEoi: boolean;
  rotateOnAutoEoi: boolean;
  specialMask: boolean;
  specialFullyNested: boolean;
  readIsr: boolean;
  poll: boolean;
  cascade: number;
}

/** No request: get_priority's answer when a mask is empty. */
const NONE = 8;

/** One 8259A. `onChange` lets the pair recompute the cascade and the INTR pin. */
export class Pic8259Chip implements PortDevice {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Current level of each IR input (edge detection). */
  lines = 0;
  /** The IR level with the highest priority (0 = fixed priority, IR0 highest). */
  priorityAdd = 0;
  vectorBase = 0;
  /** 0 = initialised (port 1 writes are OCW1); 2, 3, 4 = the ICW expected next. */
  icwStep = 0;
  needIcw4 = false;
  single = false;
  levelTriggered = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  specialFullyNested = false;
  readIsr = false;
  poll = false;
  cascade = 0;

  constructor(
    readonly name: string,
    private readonly isMaster: boolean,
    private readonly onChange: () => void,
    /** Acknowledges this chip's request from a poll read (the pair handles the cascade). */
    private readonly onPoll: (chip: Pic8259Chip) => number,
  ) {}

  setLine(ir: number, level: boolean): void {
    const bit = 1 << ir;
    if (this.levelTriggered) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && (this.lines & bit) === 0) {
      this.irr |= bit;
    }
    this.lines = level ? this.lines | bit : this.lines & ~bit;
  }

  /** 0..7 relative to priorityAdd, NONE when `mask` is empty. */
  private priorityOf(mask: number): number {
    if (mask === 0) return NONE;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR this chip would present on INT now, or -1. */
  pendingIrq(): number {
    const req = this.priorityOf(this.irr & ~this.imr);
    if (req === NONE) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: a slave request may interrupt the slave's own in-service IR2.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << PIC_CASCADE_IRQ);
    return req < this.priorityOf(inService) ? (req + this.priorityAdd) & 7 : -1;
  }

  /** The INTA cycle for `ir` on this chip. */
  intack(ir: number): void {
    const bit = 1 << ir;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (ir + 1) & 7;
    } else {
      this.isr |= bit;
    }
    if (!this.levelTriggered) this.irr &= ~bit;
  }

  ioRead(offset: number): number {
    if (offset !== 0) return this.imr;
    if (this.poll) {
      this.poll = false;
      return this.onPoll(this);
    }
    return this.readIsr ? this.isr : this.irr;
  }

  ioWrite(offset: number, _size: 1 | 2 | 4, value: number): void {
    value &= 0xff;
    if (offset === 0) this.writeCommand(value);
    else this.writeData(value);
    this.onChange();
  }

  private writeCommand(v: number): void {
    if (v & ICW1.INIT) {
      // ICW1 resets the chip: masks cleared, IR7 lowest priority, special mask off, IRR read
      // selected; the edge detectors restart, so a line already high must fall and rise again.
      this.irr = 0;
      this.isr = 0;
      this.imr = 0;
      this.priorityAdd = 0;
      this.autoEoi = false;
      this.rotateOnAutoEoi = false;
      this.specialMask = false;
      this.specialFullyNested = false;
      this.readIsr = false;
      this.poll = false;
      this.needIcw4 = (v & ICW1.IC4) !== 0;
      this.single = (v & ICW1.SNGL) !== 0;
      this.levelTriggered = (v & ICW1.LTIM) !== 0;
      this.icwStep = 2;
      if (this.levelTriggered) this.irr = this.lines;
      return;
    }
    if ((v & CMD_KIND_MASK) === OCW3.SELECT) {
      if (v & OCW3.P) this.poll = true;
      if (v & OCW3.RR) this.readIsr = (v & OCW3.RIS) !== 0;
      if (v & OCW3.ESMM) this.specialMask = (v & OCW3.SMM) !== 0;
      return;
    }
    if ((v & CMD_KIND_MASK) !== 0) return; // D4=0, D3/D4 pattern 10: not a command on the 8259A
    const level = v & OCW2.LEVEL_MASK;
    switch (v >>> OCW2.CMD_SHIFT) {
      case OCW2.NONSPECIFIC_EOI:
      case OCW2.ROTATE_NONSPECIFIC_EOI: {
        const p = this.priorityOf(this.isr);
        if (p === NONE) return;
        const ir = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << ir);
        if (v >>> OCW2.CMD_SHIFT === OCW2.ROTATE_NONSPECIFIC_EOI) this.priorityAdd = (ir + 1) & 7;
        return;
      }
      case OCW2.SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        return;
      case OCW2.ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        this.priorityAdd = (level + 1) & 7;
        return;
      case OCW2.SET_PRIORITY:
        this.priorityAdd = (level + 1) & 7;
        return;
      case OCW2.ROTATE_AEOI_SET:
        this.rotateOnAutoEoi = true;
        return;
      case OCW2.ROTATE_AEOI_CLEAR:
        this.rotateOnAutoEoi = false;
        return;
      default: // OCW2.NOP
        return;
    }
  }

  private writeData(v: number): void {
    switch (this.icwStep) {
      case 2:
        this.vectorBase = v & ICW2_VECTOR_MASK;
        this.icwStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.cascade = v;
        this.icwStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & ICW4.AEOI) !== 0;
        this.specialFullyNested = (v & ICW4.SFNM) !== 0;
        this.icwStep = 0;
        return;
      default:
        this.imr = v;
    }
  }

  saveState(): Pic8259ChipState {
    const { irr, isr, imr, lines, priorityAdd, vectorBase, icwStep, needIcw4, single, levelTriggered } = this;
    const { autoEoi, rotateOnAutoEoi, specialMask, specialFullyNested, readIsr, poll, cascade } = this;
    return {
      irr, isr, imr, lines, priorityAdd, vectorBase, icwStep, needIcw4, single, levelTriggered,
      autoEoi, rotateOnAutoEoi, specialMask, specialFullyNested, readIsr, poll, cascade,
    };
  }

  loadState(s: Pic8259ChipState): void {
    Object.assign(this, s);
  }
}

export interface Pic8259PairState {
  master: Pic8259ChipState;
  slave: Pic8259ChipState;
}

/** The cascaded pair: the IrqSink devices drive, and the CPU's InterruptController. */
export class Pic8259Pair implements InterruptController {
  readonly master: Pic8259Chip;
  readonly slave: Pic8259Chip;
  /** The INTR pin, recomputed after every change. */
  private intr = false;
  /** Bind once so devices can hold it without a closure per call. */
  readonly sink: IrqSink = (irq, level) => this.setIrq(irq, level);

  constructor() {
    const update = (): void => this.update();
    const poll = (chip: Pic8259Chip): number => this.pollRead(chip);
    this.master = new Pic8259Chip('pic-master', true, update, poll);
    this.slave = new Pic8259Chip('pic-slave', false, update, poll);
  }

  /** Drives ISA IRQ `irq` (0-15; 2 is the cascade and not a device line on a PC/AT). */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setLine(irq, level);
    else this.slave.setLine(irq - 8, level);
    this.update();
  }

  hasInterrupt(): boolean {
    return this.intr;
  }

  acknowledge(): number {
    const irq = this.master.pendingIrq();
    let vector: number;
    if (irq < 0) {
      vector = this.master.vectorBase + SPURIOUS_IRQ;
    } else {
      this.master.intack(irq);
      if (irq === PIC_CASCADE_IRQ) {
        const irq2 = this.slave.pendingIrq();
        if (irq2 >= 0) {
          this.slave.intack(irq2);
          vector = this.slave.vectorBase + irq2;
        } else {
          // The slave dropped its request: spurious IRQ15 (master IR2 stays in service).
          vector = this.slave.vectorBase + SPURIOUS_IRQ;
        }
      } else {
        vector = this.master.vectorBase + irq;
      }
    }
    this.update();
    return vector;
  }

  /** OCW3 poll: the read acknowledges like INTA and returns 0x80 | level, or 0 with nothing. */
  private pollRead(chip: Pic8259Chip): number {
    const irq = chip.pendingIrq();
    if (irq < 0) return 0;
    chip.intack(irq);
    // Polling the slave also retires the master's cascade request for it.
    if (chip === this.slave) this.master.irr &= ~(1 << PIC_CASCADE_IRQ);
    this.update();
    return POLL_INT | irq;
  }

  private update(): void {
    this.master.setLine(PIC_CASCADE_IRQ, this.slave.pendingIrq() >= 0);
    this.intr = this.master.pendingIrq() >= 0;
  }

  saveState(): Pic8259PairState {
    return { master: this.master.saveState(), slave: this.slave.saveState() };
  }

  loadState(s: Pic8259PairState): void {
    this.master.loadState(s.master);
    this.slave.loadState(s.slave);
    this.update();
  }
}
