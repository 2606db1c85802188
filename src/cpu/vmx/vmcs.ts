// A VMCS region in host-physical memory (SDM Vol. 3 §25.2 "Format of the VMCS Region") and width-
// masked access to its fields by encoding. Everything lives in the region, the launch state included,
// so VMCLEAR/VMPTRLD semantics follow memory; our field layout is fixed and documented in docs/vmx.md.

import { HostBugError } from '../../common/assert.js';
import type { PhysicalMemory } from '../../machine/memory.js';
import { FIELDS, FieldType, FieldWidth, fieldName } from './fields.js';

/**
 * Region layout. Offsets 0 and 4 are architectural (revision identifier with the shadow-VMCS
 * indicator in bit 31; VMX-abort indicator). The rest is implementation-specific: ours puts the
 * launch state at 8 and the fields from 16 on, 4 bytes each (8 for 64-bit fields, low half first),
 * in encoding order. Silicon caches the VMCS on chip, which the SDM allows since software must not
 * touch an active VMCS with ordinary memory accesses (§25.11.1); we write through, except for the
 * guest-state fields a lazy VM exit leaves in the registers (HELD below, docs/vmx.md).
 */
export const VMCS_LAYOUT = {
  REVISION_ID: 0,
  ABORT_INDICATOR: 4,
  LAUNCH_STATE: 8,
  FIELDS_START: 16,
} as const;

/** Bit 31 of the revision dword: a shadow VMCS (not supported here: VMCS shadowing is off). */
export const SHADOW_VMCS_INDICATOR = 0x80000000;

/** Launch state word at LAUNCH_STATE (SDM §25.1: "clear" after VMCLEAR, "launched" after VMLAUNCH). */
export const LaunchState = { CLEAR: 0, LAUNCHED: 1 } as const;

/** The value of the current-VMCS pointer when there is none (all ones, SDM §25.1). */
export const INVALID_VMCS_POINTER = -1;

/** Access kinds per encoding. */
const Kind = { NONE: 0, W16: 1, W32: 2, W64_LOW: 3, W64_HIGH: 4 } as const;
const ENCODINGS = 0x8000;
/** Byte offset of each encoding's data in the region, -1 for unsupported encodings. */
const OFFSET = new Int16Array(ENCODINGS).fill(-1);
const KIND = new Uint8Array(ENCODINGS);
const READ_ONLY = new Uint8Array(ENCODINGS);
/** VmcsDirty bit a write sets (its field type), 0 for fields VM entry never checks (see below). */
const DIRTY = new Uint8Array(ENCODINGS);

let next = VMCS_LAYOUT.FIELDS_START;
for (const f of FIELDS) {
  OFFSET[f.encoding] = next;
  READ_ONLY[f.encoding] = f.readOnly ? 1 : 0;
  if (f.width === FieldWidth.W64) {
    KIND[f.encoding] = Kind.W64_LOW;
    OFFSET[f.encoding | 1] = next + 4;
    KIND[f.encoding | 1] = Kind.W64_HIGH;
    READ_ONLY[f.encoding | 1] = READ_ONLY[f.encoding]!;
    next += 8;
  } else {
    KIND[f.encoding] = f.width === FieldWidth.W16 ? Kind.W16 : Kind.W32;
    next += 4;
  }
}
for (let enc = 0; enc < ENCODINGS; enc++) if (OFFSET[enc]! >= 0) DIRTY[enc] = 1 << ((enc >>> 10) & 3);
// No VM-entry check reads these (RIP and RSP have no checks on a processor without Intel 64; the
// timer value is only loaded): writing them does not make entry re-check the guest state.
for (const f of FIELDS) {
  if (f.name === 'GUEST_RIP' || f.name === 'GUEST_RSP' || f.name === 'VMX_PREEMPTION_TIMER_VALUE') DIRTY[f.encoding] = 0;
}

/**
 * What a write means for the guest registers the processor may still hold after a VM exit
 * (GuestWrites bits): RIP, RSP, RFLAGS, interruptibility, activity and pending debug exceptions are
 * re-read at every entry anyway; any other guest-state field means the whole guest state reloads.
 */
export const GuestWrites = { CHEAP: 1, OTHER: 2 } as const;
const GUEST_WRITES = new Uint8Array(ENCODINGS);
const CHEAP_GUEST_FIELDS = new Set(['GUEST_RIP', 'GUEST_RSP', 'GUEST_RFLAGS', 'GUEST_INTERRUPTIBILITY_INFO', 'GUEST_ACTIVITY_STATE', 'GUEST_PENDING_DBG_EXCEPTIONS', 'VMX_PREEMPTION_TIMER_VALUE']);
for (const f of FIELDS) {
  if (f.type !== FieldType.GUEST) continue;
  const bits = CHEAP_GUEST_FIELDS.has(f.name) ? GuestWrites.CHEAP : GuestWrites.OTHER;
  GUEST_WRITES[f.encoding] = bits;
  if (f.width === FieldWidth.W64) GUEST_WRITES[f.encoding | 1] = bits;
}

/**
 * Guest-state fields a lazy VM exit leaves in the processor's registers instead of the region
 * (vm-exit.ts): control registers, segment registers but SS's access rights, GDTR/IDTR, SYSENTER MSRs. Any
 * access to one through a Vmcs first has the holder write them all (SDM §25.11.1 lets the processor
 * keep the current VMCS on chip in any format; VMREAD and VMCLEAR must see the values).
 */
const HELD = new Uint8Array(ENCODINGS);
const HELD_GUEST_FIELDS = new Set(['GUEST_CR0', 'GUEST_CR3', 'GUEST_CR4', 'GUEST_GDTR_BASE', 'GUEST_GDTR_LIMIT', 'GUEST_IDTR_BASE', 'GUEST_IDTR_LIMIT', 'GUEST_SYSENTER_CS', 'GUEST_SYSENTER_ESP', 'GUEST_SYSENTER_EIP']);
for (const f of FIELDS) {
  if (f.type !== FieldType.GUEST) continue;
  // SS access rights are the CPL (SDM §27.3.1.2), which a hypervisor reads on most exits
  // (hypercall privilege, instruction emulation): the exit writes them at once.
  if (!HELD_GUEST_FIELDS.has(f.name) && !/^GUEST_(ES|CS|SS|DS|FS|GS|LDTR|TR)_(SELECTOR|BASE|LIMIT|AR_BYTES)$/.test(f.name)) continue;
  if (f.name === 'GUEST_SS_AR_BYTES') continue;
  HELD[f.encoding] = 1;
  if (f.width === FieldWidth.W64) HELD[f.encoding | 1] = 1;
}

/** True when a lazy exit may leave `encoding` in the registers (vmcs.ts HELD). */
export function vmcsFieldHeld(encoding: number): boolean {
  return encoding >>> 0 < ENCODINGS && HELD[encoding] === 1;
}

/** Who holds guest-state fields of a VMCS outside its region (the processor after a lazy exit). */
export interface GuestStateHolder {
  /** Writes the held fields into the region and detaches (Vmcs.holder becomes null). */
  flushGuestState(): void;
}

/** Bytes of the region our layout uses (fits the 4096 IA32_VMX_BASIC advertises). */
export const VMCS_LAYOUT_SIZE = next;

/** Byte offset of an encoding's data in a VMCS region, or -1 if the encoding names no supported field. */
export function vmcsFieldOffset(encoding: number): number {
  return encoding >>> 0 < ENCODINGS ? OFFSET[encoding]! : -1;
}

/** True when `encoding` names a supported field (or the high half of a supported 64-bit one). */
export function vmcsFieldSupported(encoding: number): boolean {
  return vmcsFieldOffset(encoding) >= 0;
}

/** True when VMWRITE may not write `encoding` (exit-information fields; IA32_VMX_MISC bit 29 is 0). */
export function vmcsFieldReadOnly(encoding: number): boolean {
  return encoding >>> 0 < ENCODINGS && READ_ONLY[encoding] === 1;
}

/** Field groups, for dirty tracking (bit per FieldType). */
export const VmcsDirty = {
  CONTROL: 1 << FieldType.CONTROL,
  EXIT_INFO: 1 << FieldType.EXIT_INFO,
  GUEST: 1 << FieldType.GUEST,
  HOST: 1 << FieldType.HOST,
  ALL: 0xf,
} as const;

/**
 * A view of one VMCS region (`base`, a host-physical address; the processor repoints it on VMPTRLD).
 * Reads return unsigned values; a 64-bit field's full encoding reads and writes its low half (and a
 * write clears the high half), as VMREAD/VMWRITE with 32-bit operands do (SDM Vol. 3 §31.3 VMREAD,
 * VMWRITE); `read64`/`write64` give the CPU the whole value.
 */
export class Vmcs {
  /**
   * Groups written since the processor last cleared this word (VmcsDirty bits): lets VM entry skip
   * re-checking control and host state that did not change since the last successful entry.
   */
  dirty: number = VmcsDirty.ALL;
  /** GuestWrites bits of the guest-state fields written since the processor last cleared this. */
  guestWrites = 0;
  /**
   * Non-null while the HELD guest-state fields of this region are stale and the processor's
   * registers have them (vm-exit.ts): every access to such a field through this view flushes first.
   */
  holder: GuestStateHolder | null = null;

  constructor(
    readonly mem: PhysicalMemory,
    public base: number = INVALID_VMCS_POINTER,
  ) {}

  private offset(encoding: number): number {
    const off = encoding >>> 0 < ENCODINGS ? OFFSET[encoding]! : -1;
    if (off < 0) throw new HostBugError(`VMCS access to unsupported ${fieldName(encoding)}`);
    return this.base + off;
  }

  /** The field's value (16-bit zero-extended; 64-bit full encoding: the low half). */
  read(encoding: number): number {
    if (this.holder !== null && HELD[encoding] === 1) this.holder.flushGuestState();
    const addr = this.offset(encoding);
    // Hot (every VM entry and exit moves ~100 fields): aligned dword straight from the buffer.
    const v = addr + 4 <= this.mem.size ? this.mem.i32[addr >>> 2]! : this.mem.read32(addr);
    return KIND[encoding] === Kind.W16 ? v & 0xffff : v >>> 0;
  }

  /**
   * VMREAD's fast path: the field's value as read() gives it, or -1 when `encoding` names no
   * supported field (one table look-up instead of a support check and then read()).
   */
  tryRead(encoding: number): number {
    const off = encoding >>> 0 < ENCODINGS ? OFFSET[encoding]! : -1;
    if (off < 0) return -1;
    if (this.holder !== null && HELD[encoding] === 1) this.holder.flushGuestState();
    const addr = this.base + off;
    const v = addr + 4 <= this.mem.size ? this.mem.i32[addr >>> 2]! : this.mem.read32(addr);
    return KIND[encoding] === Kind.W16 ? v & 0xffff : v >>> 0;
  }

  /** VMWRITE's fast path: write() for a supported, writable field; false (nothing written) otherwise. */
  tryWrite(encoding: number, value: number): boolean {
    if (encoding >>> 0 >= ENCODINGS || OFFSET[encoding]! < 0 || READ_ONLY[encoding] === 1) return false;
    this.write(encoding, value);
    return true;
  }

  /** Writes the field as VMWRITE does (16-bit truncated; 64-bit full encoding clears the high half). */
  write(encoding: number, value: number): void {
    // Flush first: the held values must not overwrite this write later.
    if (this.holder !== null && HELD[encoding] === 1) this.holder.flushGuestState();
    const addr = this.offset(encoding);
    const kind = KIND[encoding];
    const v = kind === Kind.W16 ? value & 0xffff : value;
    const mem = this.mem;
    // A VMCS frame never holds decoded code unless software put code there: then take the slow way.
    if (addr + 8 <= mem.size && mem.codeFrames[addr >>> 12] === 0) {
      mem.i32[addr >>> 2] = v;
      if (kind === Kind.W64_LOW) mem.i32[(addr >>> 2) + 1] = 0;
    } else {
      mem.write32(addr, v);
      if (kind === Kind.W64_LOW) mem.write32(addr + 4, 0);
    }
    this.dirty |= DIRTY[encoding]!;
    this.guestWrites |= GUEST_WRITES[encoding]!;
  }

  /** A 64-bit field as a number (exact below 2^53; the TSC offset is read signed). */
  read64(encoding: number): number {
    if (this.holder !== null && HELD[encoding] === 1) this.holder.flushGuestState();
    const addr = this.offset(encoding);
    return this.mem.read32(addr + 4) * 0x100000000 + (this.mem.read32(addr) >>> 0);
  }

  /** The high half of a 64-bit field (its `encoding | 1`). */
  readHigh(encoding: number): number {
    return this.read(encoding | 1);
  }

  /** Writes a 64-bit field from its two halves. */
  write64(encoding: number, lo: number, hi: number): void {
    if (this.holder !== null && HELD[encoding & ~1] === 1) this.holder.flushGuestState();
    const addr = this.offset(encoding & ~1);
    this.mem.write32(addr, lo);
    this.mem.write32(addr + 4, hi);
    this.dirty |= DIRTY[encoding & ~1]!;
    this.guestWrites |= GUEST_WRITES[encoding & ~1]!;
  }

  get revisionId(): number {
    return this.mem.read32(this.base + VMCS_LAYOUT.REVISION_ID) >>> 0;
  }

  get launchState(): number {
    return this.mem.read32(this.base + VMCS_LAYOUT.LAUNCH_STATE) >>> 0;
  }

  set launchState(state: number) {
    this.mem.write32(this.base + VMCS_LAYOUT.LAUNCH_STATE, state);
  }

  get abortIndicator(): number {
    return this.mem.read32(this.base + VMCS_LAYOUT.ABORT_INDICATOR) >>> 0;
  }

  set abortIndicator(code: number) {
    this.mem.write32(this.base + VMCS_LAYOUT.ABORT_INDICATOR, code);
  }
}

/** Reads the revision dword of any region (VMXON, VMPTRLD and the VMCS-link check use it). */
export function regionRevision(mem: PhysicalMemory, addr: number): number {
  return mem.read32(addr + VMCS_LAYOUT.REVISION_ID) >>> 0;
}

/** Sets the launch state of the VMCS region at `addr` (VMCLEAR on a VMCS that need not be current). */
export function setRegionLaunchState(mem: PhysicalMemory, addr: number, state: number): void {
  mem.write32(addr + VMCS_LAYOUT.LAUNCH_STATE, state);
}
