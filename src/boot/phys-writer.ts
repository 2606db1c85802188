// Where the loader writes: host RAM for a native run, or a VM's guest-physical RAM (the hypervisor
// gives its own writer that translates guest-physical addresses to its frames).
import type { PhysicalMemory } from '../machine/memory.js';

export interface PhysWriter {
  /** Bytes of RAM starting at physical address 0. */
  readonly size: number;
  write(addr: number, bytes: Uint8Array): void;
  fill(addr: number, len: number, value: number): void;
}

/** A writer over the whole of `mem` (physical address = offset in the buffer). */
export function physWriterFor(mem: PhysicalMemory): PhysWriter {
  return {
    size: mem.size,
    write: (addr, bytes) => mem.writeBytes(addr, bytes),
    fill: (addr, len, value) => mem.fill(addr, len, value),
  };
}
