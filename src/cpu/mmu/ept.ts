// The EPT second stage (SDM Vol. 3 §29.3 "The Extended Page Table Mechanism"): EPTP checks and an
// allocation-free 4-level walk over host-physical memory that reports a translation, an EPT violation
// (with its exit qualification) or an EPT misconfiguration, and sets EPT A/D flags when enabled.

import type { PhysicalMemory } from '../../machine/memory.js';
import { EPT_CAP, MEMTYPE, VMX_CAPABILITIES, type VmxCapabilities } from '../vmx/capabilities.js';
import { EPTE, EPTP } from '../vmx/ept-format.js';
import { EPT_VIOLATION } from '../vmx/qualification.js';

/**
 * With MAXPHYADDR = 32, bits 51:32 of every entry are reserved; bits 63:52 are ignored (bit 63 is
 * "suppress #VE", which only matters with EPT-violation #VE, not supported).
 */
const RESERVED_HIGH = 0x000fffff;

/** What the access is, as the MMU's physical-access function names it (mmu/phys.ts PhysAccess). */
export const EptAccess = {
  READ: 0,
  WRITE: 1,
  FETCH: 2,
  /** Reading a guest paging-structure entry during a linear-address walk. */
  WALK_READ: 3,
  /** Setting accessed/dirty bits in a guest paging-structure entry. */
  WALK_WRITE: 4,
} as const;
export type EptAccess = (typeof EptAccess)[keyof typeof EptAccess];

export const EptStatus = { OK: 0, VIOLATION: 1, MISCONFIG: 2 } as const;
export type EptStatus = (typeof EptStatus)[keyof typeof EptStatus];

/** The outcome of one walk; callers keep one and pass it to every walk (nothing is allocated). */
export class EptWalkResult {
  status: EptStatus = EptStatus.OK;
  /** Host-physical address (OK only). */
  hpa = 0;
  /** R/W/X allowed by the translation: bits 2:0 ANDed over every entry walked. */
  perms = 0;
  /** 12 for a 4 KiB page, 21 for a 2 MiB page (OK only). */
  pageShift = 12;
  /** The EPT-violation exit qualification (VIOLATION only). */
  qualification = 0;
  /** Level of the entry that ended the walk: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE. */
  level = 0;
  /** EPT entries the walk read or updated (A/D): its memory references, for the cost model. */
  refs = 0;
}

/**
 * The EPTP checks of VM entry and single-context INVEPT (SDM §27.2.1.1): a supported memory type
 * (UC or WB), page-walk length 4, A/D enable only if supported, reserved bits 11:7 and 63:N clear.
 */
export function eptpValid(lo: number, hi: number, caps: VmxCapabilities = VMX_CAPABILITIES): boolean {
  const mt = lo & EPTP.MEMTYPE_MASK;
  const cap = caps.eptVpidCap.lo;
  if (mt === MEMTYPE.UC ? (cap & EPT_CAP.EPTP_UC) === 0 : mt === MEMTYPE.WB ? (cap & EPT_CAP.EPTP_WB) === 0 : true) return false;
  if ((lo & EPTP.WALK_LENGTH_MASK) >>> EPTP.WALK_LENGTH_SHIFT !== 3 || (cap & EPT_CAP.PAGE_WALK_4) === 0) return false;
  if ((lo & EPTP.AD_ENABLE) !== 0 && (cap & EPT_CAP.AD_FLAGS) === 0) return false;
  return (lo & EPTP.RESERVED_LOW) === 0 && hi === 0;
}

/** Leaf memory types 2, 3 and 7 are reserved (SDM §29.3.7). */
function badMemtype(lo: number): boolean {
  const mt = (lo & EPTE.MEMTYPE_MASK) >>> EPTE.MEMTYPE_SHIFT;
  return mt === 2 || mt === 3 || mt === 7;
}

/** True when a present entry is misconfigured (SDM §29.3.3.1), given its level and whether it is a leaf. */
function misconfigured(lo: number, hi: number, level: number, execOnly: boolean): boolean {
  const rwx = lo & EPTE.RWX;
  if ((rwx & (EPTE.R | EPTE.W)) === EPTE.W) return true; // writable but not readable
  if (rwx === EPTE.X && !execOnly) return true;
  if ((hi & RESERVED_HIGH) !== 0) return true;
  switch (level) {
    case 4: return (lo & EPTE.RESERVED_PML4E) !== 0;
    case 3: return (lo & EPTE.PS) !== 0 /* no 1 GiB pages */ || (lo & EPTE.RESERVED_NONLEAF) !== 0;
    case 2: return (lo & EPTE.PS) !== 0 ? (lo & EPTE.RESERVED_2M) !== 0 || badMemtype(lo) : (lo & EPTE.RESERVED_NONLEAF) !== 0;
    default: return badMemtype(lo);
  }
}

/** The permission an access needs. Guest paging-structure reads count as writes with A/D on (§29.3.3.2). */
function requiredPerm(access: EptAccess, adEnabled: boolean): number {
  switch (access) {
    case EptAccess.READ: return EPTE.R;
    case EptAccess.FETCH: return EPTE.X;
    case EptAccess.WALK_READ: return adEnabled ? EPTE.W : EPTE.R;
    default: return EPTE.W;
  }
}

/** Host-physical addresses of the entries of the walk in progress, by level (scratch, reused). */
const entryAddr = new Float64Array(5);
/** Bit position of each level's 9-bit index in the guest-physical address. */
const INDEX_SHIFT = [0, 12, 21, 30, 39] as const;

/**
 * Translates guest-physical `gpa` through the EPT paging structures named by `eptpLo` (the EPTP's low
 * dword; the high one must be 0, as VM entry checked). `linearValid` says whether the access has a
 * guest-linear address (false for accesses such as PDPTE loads); it sets qualification bits 7-8.
 * Writes the outcome to `out` and returns its status.
 */
export function eptTranslate(
  mem: PhysicalMemory,
  eptpLo: number,
  gpa: number,
  access: EptAccess,
  linearValid: boolean,
  out: EptWalkResult,
  caps: VmxCapabilities = VMX_CAPABILITIES,
): EptStatus {
  gpa >>>= 0;
  const ad = (eptpLo & EPTP.AD_ENABLE) !== 0;
  const execOnly = (caps.eptVpidCap.lo & EPT_CAP.EXECUTE_ONLY) !== 0;
  const need = requiredPerm(access, ad);
  let perms = EPTE.RWX;
  // A 32-bit guest-physical address has bits 47:39 clear: the walk always starts at PML4 entry 0.
  let addr = (eptpLo & EPTP.FRAME_MASK) >>> 0;
  let level = 4;
  let lo = 0;
  out.refs = 0;
  for (;;) {
    out.refs++;
    lo = mem.read32(addr);
    const hi = mem.read32(addr + 4);
    entryAddr[level] = addr;
    perms &= lo & EPTE.RWX;
    if ((lo & EPTE.RWX) === 0) return fail(out, EptStatus.VIOLATION, level, perms, access, ad, linearValid);
    if (misconfigured(lo, hi, level, execOnly)) return fail(out, EptStatus.MISCONFIG, level, perms, access, ad, linearValid);
    if (level === 1 || (level === 2 && (lo & EPTE.PS) !== 0)) break;
    level--;
    addr = ((lo & EPTE.FRAME_MASK) >>> 0) + ((gpa >>> INDEX_SHIFT[level]!) & 0x1ff) * 8;
  }
  if ((perms & need) === 0) return fail(out, EptStatus.VIOLATION, level, perms, access, ad, linearValid);

  if (ad) {
    for (let l = 4; l > level; l--) out.refs += setBits(mem, entryAddr[l]!, EPTE.ACCESSED);
    out.refs += setBits(mem, addr, EPTE.ACCESSED | (need === EPTE.W ? EPTE.DIRTY : 0));
  }
  const pageShift = level === 2 ? 21 : 12;
  const frame = level === 2 ? lo & EPTE.FRAME_2M_MASK : lo & EPTE.FRAME_MASK;
  out.status = EptStatus.OK;
  out.level = level;
  out.perms = perms;
  out.pageShift = pageShift;
  out.qualification = 0;
  out.hpa = ((frame >>> 0) + (gpa & ((1 << pageShift) - 1))) >>> 0;
  return EptStatus.OK;
}

/** Records a failed walk; a violation gets its exit qualification (SDM Table 28-7), a misconfig none. */
function fail(out: EptWalkResult, status: EptStatus, level: number, perms: number, access: EptAccess, ad: boolean, linearValid: boolean): EptStatus {
  out.status = status;
  out.level = level;
  out.perms = perms;
  out.hpa = 0;
  if (status !== EptStatus.VIOLATION) {
    out.qualification = 0;
    return status;
  }
  let q = 0;
  switch (access) {
    case EptAccess.READ: q = EPT_VIOLATION.ACC_READ; break;
    case EptAccess.FETCH: q = EPT_VIOLATION.ACC_INSTR; break;
    case EptAccess.WALK_READ: q = ad ? EPT_VIOLATION.ACC_WRITE : EPT_VIOLATION.ACC_READ; break;
    default: q = EPT_VIOLATION.ACC_WRITE;
  }
  q |= perms << EPT_VIOLATION.PERM_SHIFT;
  if (linearValid) {
    q |= EPT_VIOLATION.GVA_IS_VALID;
    if (access <= EptAccess.FETCH) q |= EPT_VIOLATION.GVA_TRANSLATED;
  }
  out.qualification = q;
  return status;
}

/** Sets flags in an entry the walk already read; returns the references added (1 if it wrote). */
function setBits(mem: PhysicalMemory, addr: number, bits: number): number {
  const lo = mem.read32(addr);
  if ((lo & bits) === bits) return 0;
  mem.write32(addr, lo | bits);
  return 1;
}
