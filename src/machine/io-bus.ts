// The port I/O bus: 65,536 ports, each owned by at most one device. A device sees only the offset
// from its base (Firecracker's bus, vm-superio's devices); unclaimed ports read as open bus.

/** A device on the port bus. `size` is 1, 2 or 4 bytes; values are unsigned. */
export interface PortDevice {
  readonly name: string;
  ioRead(offset: number, size: 1 | 2 | 4): number;
  ioWrite(offset: number, size: 1 | 2 | 4, value: number): void;
}

const OPEN_BUS = 0xffffffff;

export class IoBus {
  private readonly owner: (PortDevice | undefined)[] = new Array<PortDevice | undefined>(0x10000);
  private readonly base = new Uint16Array(0x10000);

  /** Claims ports [base, base+count) for `dev`; overlapping claims are a host bug. */
  register(dev: PortDevice, base: number, count: number): void {
    for (let p = base; p < base + count; p++) {
      const prev = this.owner[p];
      if (prev) throw new Error(`port 0x${p.toString(16)} claimed by ${prev.name} and ${dev.name}`);
      this.owner[p] = dev;
      this.base[p] = base;
    }
  }

  deviceAt(port: number): PortDevice | undefined {
    return this.owner[port & 0xffff];
  }

  read(port: number, size: 1 | 2 | 4): number {
    port &= 0xffff;
    const dev = this.owner[port];
    const mask = size === 4 ? OPEN_BUS : (1 << (size * 8)) - 1;
    if (!dev) return (OPEN_BUS & mask) >>> 0;
    return (dev.ioRead(port - this.base[port]!, size) & mask) >>> 0;
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    port &= 0xffff;
    const dev = this.owner[port];
    if (dev) dev.ioWrite(port - this.base[port]!, size, value >>> 0);
  }
}
