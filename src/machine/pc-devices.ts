// The device set of a bare PC on a given port bus and clock: the 8259A pair, the 8254 PIT on
// IRQ0, COM1 on IRQ4 and the debug-exit port. The bare board builds one; the hypervisor builds
// one per VM over the VM's own bus and clock, routing IRQ lines where it wants.
import type { Clock } from './clock.js';
import { DEBUG_EXIT_BASE, DEBUG_EXIT_PORT_COUNT, DebugExit, type DebugExitState } from './devices/debug-exit.js';
import { PIC_MASTER_BASE, PIC_PORT_COUNT, PIC_SLAVE_BASE } from './devices/pic8259-defs.js';
import { Pic8259Pair, type Pic8259PairState } from './devices/pic8259.js';
import { PIT_BASE, PIT_IRQ, PIT_PORT_COUNT } from './devices/pit8254-defs.js';
import { Pit8254, type Pit8254State } from './devices/pit8254.js';
import { COM1_BASE, COM1_IRQ, UART_PORT_COUNT } from './devices/uart16550-defs.js';
import { Uart16550, type ByteSink, type Uart16550State } from './devices/uart16550.js';
import type { IoBus } from './io-bus.js';
import { irqLine, type IrqSink } from './irq.js';

export interface PcDeviceOptions {
  /** Receives each byte the guest sends on COM1. */
  readonly console: ByteSink;
  /** Called when the guest writes `value` (low 8 bits) to the debug-exit port. */
  readonly onExit: (value: number) => void;
  /** Where IRQ lines go; by default the set's own PIC pair (`pic.sink`). */
  readonly irqSink?: IrqSink;
}

export interface PcDevices {
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly com1: Uart16550;
  readonly debugExit: DebugExit;
}

export interface PcDevicesState {
  pic: Pic8259PairState;
  pit: Pit8254State;
  com1: Uart16550State;
  debugExit: DebugExitState;
}

/** Creates the devices and claims their ports on `bus`. Port 0x80 (POST codes) stays unclaimed:
 *  writes vanish and reads give 0xff, as on QEMU. */
export function createPcDevices(bus: IoBus, clock: Clock, opts: PcDeviceOptions): PcDevices {
  const pic = new Pic8259Pair();
  const sink = opts.irqSink ?? pic.sink;
  const pit = new Pit8254(clock, irqLine(sink, PIT_IRQ));
  const com1 = new Uart16550('com1', irqLine(sink, COM1_IRQ), opts.console);
  const debugExit = new DebugExit(opts.onExit);
  bus.register(pic.master, PIC_MASTER_BASE, PIC_PORT_COUNT);
  bus.register(pic.slave, PIC_SLAVE_BASE, PIC_PORT_COUNT);
  bus.register(pit, PIT_BASE, PIT_PORT_COUNT);
  bus.register(com1, COM1_BASE, UART_PORT_COUNT);
  bus.register(debugExit, DEBUG_EXIT_BASE, DEBUG_EXIT_PORT_COUNT);
  return { pic, pit, com1, debugExit };
}

export function savePcDevices(d: PcDevices): PcDevicesState {
  return { pic: d.pic.saveState(), pit: d.pit.saveState(), com1: d.com1.saveState(), debugExit: d.debugExit.saveState() };
}

/** Restore the clock before calling this (the PIT schedules from the clock's time). */
export function loadPcDevices(d: PcDevices, s: PcDevicesState): void {
  d.pic.loadState(s.pic);
  d.com1.loadState(s.com1);
  d.pit.loadState(s.pit);
  d.debugExit.loadState(s.debugExit);
}
