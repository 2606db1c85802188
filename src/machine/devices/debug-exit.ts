// QEMU's isa-debug-exit device (hw/misc/debugexit.c) at 0xF4, iosize 4: any write ends the
// machine. QEMU exits with status (value << 1) | 1; we report the value itself (low 8 bits), which
// the `vmm` command uses as its exit status. Reads return 0, as on QEMU.
import type { PortDevice } from '../io-bus.js';

export const DEBUG_EXIT_BASE = 0xf4;
export const DEBUG_EXIT_PORT_COUNT = 4;

export interface DebugExitState {
  requested: boolean;
  value: number;
}

export class DebugExit implements PortDevice {
  readonly name = 'isa-debug-exit';
  requested = false;
  value = 0;

  constructor(private readonly onExit: (value: number) => void) {}

  ioRead(): number {
    return 0;
  }

  ioWrite(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.requested = true;
    this.value = value & 0xff;
    this.onExit(this.value);
  }

  saveState(): DebugExitState {
    return { requested: this.requested, value: this.value };
  }

  loadState(s: DebugExitState): void {
    this.requested = s.requested;
    this.value = s.value;
  }
}
