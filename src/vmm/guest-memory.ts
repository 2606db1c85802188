// A VM's memory as the hypervisor touches it: guest-physical RAM (GPA g < ramSize is host-physical
// ramBase + g, one contiguous run of host frames) and guest-linear accesses made on the guest's
// behalf (string I/O, hypercall buffers) through a walk of the guest's own page tables. Every
// access is bounds-checked against the VM's RAM: a guest pointer can never reach other host memory.
import type { PhysWriter } from '../boot/phys-writer.js';
import type { PhysicalMemory } from '../machine/memory.js';
import { HostBugError } from '../common/assert.js';
import { PAGE_SIZE } from './arch-defs.js';
import { type GuestPagingView, type GuestPhysAccess, GuestWalk, WalkStatus, walkGuest } from './shadow/guest-walk.js';

/** Guest-physical RAM of one VM. Callers check `contains` before the unchecked read/write calls. */
export class GuestRam implements GuestPhysAccess {
  /** Software accesses the hypervisor made through read8/32 and write8/32 (page-walk entries, PTE
   *  updates, buffer bytes): the cost model charges them (cost-model.ts). */
  accesses = 0;

  constructor(
    readonly mem: PhysicalMemory,
    /** Host-physical address of guest-physical 0. */
    readonly base: number,
    readonly size: number,
  ) {}

  contains(gpa: number, len: number): boolean {
    gpa >>>= 0;
    return gpa + len <= this.size;
  }

  /** Host-physical address of a guest-physical one inside RAM. */
  hpa(gpa: number): number {
    return this.base + (gpa >>> 0);
  }

  read8(gpa: number): number {
    this.accesses++;
    return this.mem.read8(this.base + (gpa >>> 0));
  }
  read32(gpa: number): number {
    this.accesses++;
    return this.mem.read32(this.base + (gpa >>> 0));
  }
  write8(gpa: number, value: number): void {
    this.accesses++;
    this.mem.write8(this.base + (gpa >>> 0), value);
  }
  write32(gpa: number, value: number): void {
    this.accesses++;
    this.mem.write32(this.base + (gpa >>> 0), value);
  }

  /** The Multiboot loader's writer: guest-physical addresses, checked against the VM's RAM. */
  writer(): PhysWriter {
    const check = (addr: number, len: number): void => {
      if (!this.contains(addr, len)) throw new HostBugError(`loader write outside the VM's RAM: 0x${addr.toString(16)}+${len}`);
    };
    return {
      size: this.size,
      write: (addr, bytes) => {
        check(addr, bytes.length);
        this.mem.writeBytes(this.base + addr, bytes);
      },
      fill: (addr, len, value) => {
        check(addr, len);
        this.mem.fill(this.base + addr, len, value);
      },
    };
  }
}

/** How a guest-linear access went. */
export const AccessStatus = {
  OK: 0,
  /** Not mapped or not allowed: `errorCode` and `faultLinear` describe the #PF the guest would get. */
  PAGE_FAULT: 1,
  /** The translation (or a page table on the way) is outside the VM's RAM. */
  OUTSIDE_RAM: 2,
} as const;
export type AccessStatus = (typeof AccessStatus)[keyof typeof AccessStatus];

/** The most pages one access may touch (a hypercall buffer is at most 4 KiB: two pages). */
const MAX_PAGES = 8;

/**
 * Guest-linear accesses through the guest's paging (or none, with its CR0.PG = 0). Accessed and dirty
 * flags are set as the processor would set them; a write checks every page before writing any byte.
 */
export class GuestLinear {
  readonly walk = new GuestWalk();
  /** Linear address of the access that failed. */
  faultLinear = 0;
  /** #PF error code of the access that failed (PAGE_FAULT). */
  errorCode = 0;
  private readonly gpas = new Float64Array(MAX_PAGES);
  /** Told of every write (guest-physical range per page): shadow paging resyncs page tables there. */
  onWrite: ((gpa: number, len: number) => void) | null = null;

  constructor(
    readonly ram: GuestRam,
    readonly view: GuestPagingView,
  ) {}

  /** Guest-physical address of `linear`, or -1 (see faultLinear/errorCode and the status). */
  translate(linear: number, write: boolean, user: boolean): number {
    const s = walkGuest(this.ram, this.view, linear, write, user, true, this.walk);
    if (s !== WalkStatus.OK) {
      this.fail(linear, s);
      return -1;
    }
    return this.walk.gpa;
  }

  /** Status of the last failed translate/read/write. */
  lastStatus: AccessStatus = AccessStatus.OK;

  /** Checks that [linear, linear + len) may be accessed, without touching the data. */
  check(linear: number, len: number, write: boolean, user: boolean): AccessStatus {
    return this.translateAll(linear, len, write, user) ? AccessStatus.OK : this.lastStatus;
  }

  read(linear: number, dst: Uint8Array, len: number, user: boolean): AccessStatus {
    if (!this.translateAll(linear, len, false, user)) return this.lastStatus;
    this.copy(linear, dst, len, false);
    return AccessStatus.OK;
  }

  write(linear: number, src: Uint8Array, len: number, user: boolean): AccessStatus {
    if (!this.translateAll(linear, len, true, user)) return this.lastStatus;
    this.copy(linear, src, len, true);
    if (this.onWrite !== null) this.notify(linear, len);
    return AccessStatus.OK;
  }

  /** Translates every page [linear, linear + len) touches into `gpas`; false on the first failure. */
  private translateAll(linear: number, len: number, write: boolean, user: boolean): boolean {
    linear >>>= 0;
    const first = linear - (linear % PAGE_SIZE);
    const pages = len === 0 ? 0 : Math.floor((linear + len - 1 - first) / PAGE_SIZE) + 1;
    if (pages > MAX_PAGES) throw new HostBugError(`guest access of ${len} bytes spans too many pages`);
    for (let i = 0; i < pages; i++) {
      const lin = i === 0 ? linear : ((first + i * PAGE_SIZE) >>> 0);
      const gpa = this.translate(lin, write, user);
      if (gpa < 0) return false;
      const inPage = Math.min(PAGE_SIZE - (lin % PAGE_SIZE), linear + len - lin);
      if (!this.ram.contains(gpa, inPage)) {
        this.fail(lin, WalkStatus.OUTSIDE_RAM);
        return false;
      }
      this.gpas[i] = gpa;
    }
    this.lastStatus = AccessStatus.OK;
    return true;
  }

  private copy(linear: number, buf: Uint8Array, len: number, write: boolean): void {
    linear >>>= 0;
    let page = 0;
    let gpa = this.gpas[0]!;
    for (let i = 0; i < len; i++) {
      const lin = linear + i;
      if (i > 0 && lin % PAGE_SIZE === 0) gpa = this.gpas[++page]!;
      else if (i > 0) gpa++;
      if (write) this.ram.write8(gpa, buf[i]!);
      else buf[i] = this.ram.read8(gpa);
    }
  }

  private notify(linear: number, len: number): void {
    linear >>>= 0;
    let page = 0;
    for (let done = 0; done < len; page++) {
      const inPage = Math.min(PAGE_SIZE - ((linear + done) % PAGE_SIZE), len - done);
      this.onWrite!(this.gpas[page]!, inPage);
      done += inPage;
    }
  }

  private fail(linear: number, s: WalkStatus): void {
    this.faultLinear = linear >>> 0;
    this.errorCode = this.walk.errorCode;
    this.lastStatus = s === WalkStatus.PAGE_FAULT ? AccessStatus.PAGE_FAULT : AccessStatus.OUTSIDE_RAM;
  }
}
