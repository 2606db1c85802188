// Host-physical memory: one ArrayBuffer, read through typed views. Guest RAM, VMCS regions, shadow
// page tables and EPT tables are all frames in it (DESIGN.md invariant 2).
//
// Addresses beyond the buffer read as open bus (all ones) and writes to them are dropped, as on a PC
// with nothing decoding those addresses. Multi-byte accesses are little-endian; aligned ones take a
// typed-array fast path, the rest go byte by byte so a straddling access never reads past the end.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

/** Called when a write hits a frame marked as holding decoded code (the decode cache drops it). */
export type CodeWriteHook = (frame: number) => void;

export class PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** One byte per 4 KiB frame: non-zero when the decode cache holds instructions from that frame. */
  readonly codeFrames: Uint8Array;
  onCodeWrite: CodeWriteHook = () => {};

  constructor(sizeBytes: number) {
    if (sizeBytes <= 0 || sizeBytes % PAGE_SIZE !== 0) {
      throw new RangeError(`memory size must be a positive multiple of ${PAGE_SIZE}: ${sizeBytes}`);
    }
    this.size = sizeBytes;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.codeFrames = new Uint8Array(sizeBytes >>> PAGE_SHIFT);
  }

  read8(addr: number): number {
    addr >>>= 0;
    return addr < this.size ? this.u8[addr]! : 0xff;
  }

  read16(addr: number): number {
    addr >>>= 0;
    if ((addr & 1) === 0 && addr + 1 < this.size) return this.u16[addr >>> 1]!;
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  /** Returns the dword as a signed 32-bit number (callers use `>>> 0` where they need unsigned). */
  read32(addr: number): number {
    addr >>>= 0;
    if ((addr & 3) === 0 && addr + 3 < this.size) return this.i32[addr >>> 2]!;
    return (
      this.read8(addr) | (this.read8(addr + 1) << 8) | (this.read8(addr + 2) << 16) | (this.read8(addr + 3) << 24)
    );
  }

  write8(addr: number, value: number): void {
    addr >>>= 0;
    if (addr >= this.size) return;
    if (this.codeFrames[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite(addr >>> PAGE_SHIFT);
    this.u8[addr] = value;
  }

  write16(addr: number, value: number): void {
    addr >>>= 0;
    if ((addr & 1) === 0 && addr + 1 < this.size) {
      if (this.codeFrames[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite(addr >>> PAGE_SHIFT);
      this.u16[addr >>> 1] = value;
      return;
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
  }

  write32(addr: number, value: number): void {
    addr >>>= 0;
    if ((addr & 3) === 0 && addr + 3 < this.size) {
      if (this.codeFrames[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite(addr >>> PAGE_SHIFT);
      this.i32[addr >>> 2] = value;
      return;
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
    this.write8(addr + 2, value >>> 16);
    this.write8(addr + 3, value >>> 24);
  }

  /** Copies bytes in (loader, hypervisor); marks code frames dirty like any other write. */
  writeBytes(addr: number, bytes: Uint8Array): void {
    addr >>>= 0;
    if (addr + bytes.length > this.size) throw new RangeError(`write of ${bytes.length} bytes at ${addr} is outside memory`);
    if (bytes.length === 0) return;
    for (let f = addr >>> PAGE_SHIFT; f <= (addr + bytes.length - 1) >>> PAGE_SHIFT; f++) {
      if (this.codeFrames[f] !== 0) this.onCodeWrite(f);
    }
    this.u8.set(bytes, addr);
  }

  /** Sets `len` bytes to `value` (loader: bss and zeroed areas); marks code frames dirty. */
  fill(addr: number, len: number, value: number): void {
    addr >>>= 0;
    if (addr + len > this.size) throw new RangeError(`fill of ${len} bytes at ${addr} is outside memory`);
    if (len <= 0) return;
    for (let f = addr >>> PAGE_SHIFT; f <= (addr + len - 1) >>> PAGE_SHIFT; f++) {
      if (this.codeFrames[f] !== 0) this.onCodeWrite(f);
    }
    this.u8.fill(value, addr, addr + len);
  }

  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8(addr + i);
    return out;
  }
}
