// A bare PC: RAM, the port bus, virtual time and the PC device set, wired PIT -> IRQ0 and
// COM1 -> IRQ4 through the 8259A pair. It holds what the CPU needs (memory, bus, clock,
// interrupt controller) and what the runner needs (console output, the debug-exit value).
import { Clock, type ClockState } from './clock.js';
import { applyFirmwareInit } from './firmware-init.js';
import type { ByteSink } from './devices/uart16550.js';
import { IoBus } from './io-bus.js';
import type { InterruptController } from './irq.js';
import { PhysicalMemory } from './memory.js';
import { createPcDevices, loadPcDevices, savePcDevices, type PcDevices, type PcDevicesState } from './pc-devices.js';

/** RAM sizes in MiB: 128 by default (QEMU's default for -m); 2..3072 supported (the Multiboot
 *  memory map follows QEMU's i440fx layout, which keeps all RAM below 4 GiB up to 3.5 GiB). */
export const MEM_MIB_DEFAULT = 128;
export const MEM_MIB_MIN = 2;
export const MEM_MIB_MAX = 3072;

export interface BoardOptions {
  readonly memMiB?: number;
  /** Bytes the guest writes to COM1; by default they collect in `board.consoleOutput`. */
  readonly console?: ByteSink;
  /** Called when the guest writes to the debug-exit port (e.g. to stop the CPU's run loop). */
  readonly onExit?: (value: number) => void;
  /** Program the PIC and PIT as SeaBIOS leaves them on QEMU (default true). */
  readonly firmwareInit?: boolean;
}

export interface BoardState {
  clock: ClockState;
  devices: PcDevicesState;
}

export class Board {
  readonly memory: PhysicalMemory;
  readonly bus = new IoBus();
  readonly clock = new Clock();
  readonly devices: PcDevices;
  readonly interruptController: InterruptController;
  /** Console bytes, when no console sink was given. */
  readonly consoleOutput: number[] = [];

  constructor(opts: BoardOptions = {}) {
    const mib = opts.memMiB ?? MEM_MIB_DEFAULT;
    if (!Number.isInteger(mib) || mib < MEM_MIB_MIN || mib > MEM_MIB_MAX) {
      throw new RangeError(`memory size must be a whole number of MiB from ${MEM_MIB_MIN} to ${MEM_MIB_MAX}: ${mib}`);
    }
    this.memory = new PhysicalMemory(mib * 1024 * 1024);
    const onExit = opts.onExit ?? (() => {});
    this.devices = createPcDevices(this.bus, this.clock, {
      console: opts.console ?? ((b) => this.consoleOutput.push(b)),
      onExit,
    });
    this.interruptController = this.devices.pic;
    if (opts.firmwareInit ?? true) applyFirmwareInit(this.bus);
  }

  /** True once the guest has written to the debug-exit port. */
  get exitRequested(): boolean {
    return this.devices.debugExit.requested;
  }

  /** The value written to the debug-exit port (low 8 bits), once `exitRequested`. */
  get exitValue(): number {
    return this.devices.debugExit.value;
  }

  /** Device and clock state as plain JSON (RAM is not included: snapshot `memory` separately). */
  saveState(): BoardState {
    return { clock: this.clock.saveState(), devices: savePcDevices(this.devices) };
  }

  loadState(s: BoardState): void {
    this.clock.loadState(s.clock);
    loadPcDevices(this.devices, s.devices);
  }
}
