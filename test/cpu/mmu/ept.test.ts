// The EPT walk over hand-built EPT tables: translations (4 KiB and 2 MiB), permission violations at
// every level with the exit qualification kvm-unit-tests' ept_access_* tests expect, misconfigurations,
// accessed/dirty flags, and the EPTP checks.
import { beforeEach, describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/machine/memory.js';
import { EptAccess, EptStatus, EptWalkResult, eptTranslate, eptpValid } from '../../../src/cpu/mmu/ept.js';
import { EPTE, makeEptp } from '../../../src/cpu/vmx/ept-format.js';
import { EPT_VIOLATION as Q } from '../../../src/cpu/vmx/qualification.js';

const PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, PT = 0x13000;
const WB = 6;
const EPTP = makeEptp(PML4, WB); // walk length 4, WB
const EPTP_AD = EPTP | (1 << 6);
const RWX = 7;
const LEAF = RWX | (WB << 3); // leaf: RWX, memory type WB

let mem: PhysicalMemory;
const out = new EptWalkResult();
const GPA = 0x00403123; // PDPTE 0, PDE 2, PTE 3
const HPA_PAGE = 0x00056000;

function set(addr: number, lo: number, hi = 0): void {
  mem.write32(addr, lo);
  mem.write32(addr + 4, hi);
}
/** Entry addresses for GPA, by level. */
const at = { 4: PML4, 3: PDPT + 0 * 8, 2: PD + 2 * 8, 1: PT + 3 * 8 } as const;

beforeEach(() => {
  mem = new PhysicalMemory(0x100000);
  set(at[4], PDPT | RWX);
  set(at[3], PD | RWX);
  set(at[2], PT | RWX);
  set(at[1], HPA_PAGE | LEAF);
});

function walk(access: number, eptp = EPTP, linearValid = true): number {
  return eptTranslate(mem, eptp, GPA, access as EptAccess, linearValid, out);
}

describe('EPT translation', () => {
  it('translates a 4 KiB page', () => {
    expect(walk(EptAccess.READ)).toBe(EptStatus.OK);
    expect(out.hpa).toBe(HPA_PAGE | 0x123);
    expect(out.pageShift).toBe(12);
    expect(out.perms).toBe(RWX);
  });

  it('translates a 2 MiB page', () => {
    set(at[2], 0x00600000 | EPTE.PS | LEAF);
    expect(walk(EptAccess.WRITE)).toBe(EptStatus.OK);
    expect(out.hpa).toBe(0x00600000 | (GPA & 0x1fffff));
    expect(out.pageShift).toBe(21);
  });

  it('reaches guest-physical addresses above 2 GiB through higher PDPTEs', () => {
    set(PDPT + 3 * 8, 0x14000 | RWX);
    set(0x14000 + 0x1ff * 8, 0x00a00000 | EPTE.PS | LEAF);
    expect(eptTranslate(mem, EPTP, 0xffe01234, EptAccess.FETCH, false, out)).toBe(EptStatus.OK);
    expect(out.hpa).toBe(0x00a01234);
  });
});

describe('EPT violations (ept_access_* expectations)', () => {
  it('a not-present entry at any level is a violation with no permissions', () => {
    for (const level of [4, 3, 2, 1] as const) {
      beforeEachReset();
      set(at[level], 0);
      expect(walk(EptAccess.READ)).toBe(EptStatus.VIOLATION);
      expect(out.level).toBe(level);
      expect(out.qualification).toBe(Q.ACC_READ | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
    }
  });

  it('permissions are ANDed over the levels; the qualification reports the access and the AND', () => {
    // Read-only at the PDE level: a write faults, reporting readable+executable.
    set(at[2], PT | EPTE.R | EPTE.X);
    expect(walk(EptAccess.WRITE)).toBe(EptStatus.VIOLATION);
    expect(out.qualification).toBe(Q.ACC_WRITE | Q.READABLE | Q.EXECUTABLE | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
    expect(walk(EptAccess.READ)).toBe(EptStatus.OK);
    // Not executable at the PML4E level.
    beforeEachReset();
    set(at[4], PDPT | EPTE.R | EPTE.W);
    expect(walk(EptAccess.FETCH)).toBe(EptStatus.VIOLATION);
    expect(out.qualification).toBe(Q.ACC_INSTR | Q.READABLE | Q.WRITABLE | Q.GVA_IS_VALID | Q.GVA_TRANSLATED);
  });

  it('execute-only pages (advertised) allow fetches and deny reads', () => {
    set(at[1], HPA_PAGE | EPTE.X | (WB << 3));
    expect(walk(EptAccess.FETCH)).toBe(EptStatus.OK);
    expect(walk(EptAccess.READ)).toBe(EptStatus.VIOLATION);
    expect(out.qualification & 0x3f).toBe(Q.ACC_READ | Q.EXECUTABLE);
  });

  it('guest paging-structure accesses clear bit 8; without a linear address bits 7-8 are clear', () => {
    set(at[1], HPA_PAGE | EPTE.R | EPTE.X | (WB << 3));
    expect(walk(EptAccess.WALK_WRITE)).toBe(EptStatus.VIOLATION);
    expect(out.qualification).toBe(Q.ACC_WRITE | Q.READABLE | Q.EXECUTABLE | Q.GVA_IS_VALID);
    expect(walk(EptAccess.WALK_READ)).toBe(EptStatus.OK);
    expect(walk(EptAccess.WRITE, EPTP, false)).toBe(EptStatus.VIOLATION);
    expect(out.qualification & (Q.GVA_IS_VALID | Q.GVA_TRANSLATED)).toBe(0);
  });

  it('with A/D enabled, guest paging-structure reads are writes (ept_access_test_paddr_read_only_ad_enabled)', () => {
    set(at[1], HPA_PAGE | EPTE.R | (WB << 3));
    expect(walk(EptAccess.WALK_READ, EPTP_AD)).toBe(EptStatus.VIOLATION);
    expect(out.qualification).toBe(Q.ACC_WRITE | Q.READABLE | Q.GVA_IS_VALID);
    expect(walk(EptAccess.WALK_READ, EPTP)).toBe(EptStatus.OK);
  });
});

describe('EPT misconfigurations', () => {
  const cases: [string, 4 | 3 | 2 | 1, number, number][] = [
    ['write without read (leaf)', 1, HPA_PAGE | EPTE.W | (WB << 3), 0],
    ['write+exec without read (non-leaf)', 3, PD | EPTE.W | EPTE.X, 0],
    ['reserved bits 7:3 in a PML4E', 4, PDPT | RWX | (1 << 3), 0],
    ['reserved bit 7 (1 GiB page, not supported) in a PDPTE', 3, 0 | EPTE.PS | LEAF, 0],
    ['reserved bits 6:3 in a non-leaf PDE', 2, PT | RWX | (1 << 4), 0],
    ['reserved bits 20:12 in a 2 MiB PDE', 2, 0x00601000 | EPTE.PS | LEAF, 0],
    ['memory type 2', 1, HPA_PAGE | RWX | (2 << 3), 0],
    ['memory type 3', 1, HPA_PAGE | RWX | (3 << 3), 0],
    ['memory type 7', 1, HPA_PAGE | RWX | (7 << 3), 0],
    ['address bits beyond MAXPHYADDR (32)', 1, HPA_PAGE | LEAF, 1],
  ];
  for (const [name, level, lo, hi] of cases) {
    it(name, () => {
      set(at[level], lo, hi);
      expect(walk(EptAccess.READ)).toBe(EptStatus.MISCONFIG);
      expect(out.level).toBe(level);
      expect(out.qualification).toBe(0);
    });
  }

  it('ignored bits do not misconfigure: bits 63:52, bit 11, IPAT, and UC/WT/WP/WC memory types', () => {
    set(at[1], HPA_PAGE | RWX | EPTE.IPAT | (1 << 11) | (4 << 3), 0xfff00000);
    expect(walk(EptAccess.READ)).toBe(EptStatus.OK);
    for (const mt of [0, 1, 5]) {
      set(at[1], HPA_PAGE | RWX | (mt << 3));
      expect(walk(EptAccess.READ)).toBe(EptStatus.OK);
    }
  });

  it('a not-present entry is a violation even with other bits set', () => {
    set(at[2], PT | (1 << 4));
    expect(walk(EptAccess.READ)).toBe(EptStatus.VIOLATION);
  });
});

describe('EPT accessed and dirty flags', () => {
  it('are left alone when A/D is disabled', () => {
    walk(EptAccess.WRITE);
    for (const level of [4, 3, 2, 1] as const) expect(mem.read32(at[level]) & (EPTE.ACCESSED | EPTE.DIRTY)).toBe(0);
  });

  it('set A on every entry walked and D on the leaf for writes', () => {
    walk(EptAccess.READ, EPTP_AD);
    for (const level of [4, 3, 2, 1] as const) expect(mem.read32(at[level]) & EPTE.ACCESSED).toBe(EPTE.ACCESSED);
    expect(mem.read32(at[1]) & EPTE.DIRTY).toBe(0);
    walk(EptAccess.WRITE, EPTP_AD);
    expect(mem.read32(at[1]) & EPTE.DIRTY).toBe(EPTE.DIRTY);
    expect(mem.read32(at[2]) & EPTE.DIRTY).toBe(0);
  });

  it('treat guest paging-structure reads as writes (dirty set), and are not set on a violation', () => {
    walk(EptAccess.WALK_READ, EPTP_AD);
    expect(mem.read32(at[1]) & EPTE.DIRTY).toBe(EPTE.DIRTY);
    beforeEachReset();
    set(at[1], HPA_PAGE | EPTE.R | (WB << 3));
    walk(EptAccess.WRITE, EPTP_AD);
    expect(mem.read32(at[4]) & EPTE.ACCESSED).toBe(0);
  });

  it('set D on a 2 MiB leaf', () => {
    set(at[2], 0x00600000 | EPTE.PS | LEAF);
    walk(EptAccess.WRITE, EPTP_AD);
    expect(mem.read32(at[2]) & (EPTE.ACCESSED | EPTE.DIRTY)).toBe(EPTE.ACCESSED | EPTE.DIRTY);
  });
});

describe('EPTP checks', () => {
  it('makeEptp builds memory type, walk length 4 and the A/D bit (SDM Table 25-9)', () => {
    expect(EPTP).toBe(PML4 | 0x1e);
    expect(makeEptp(PML4, WB, true)).toBe(PML4 | 0x5e);
  });
  it('accepts WB and UC with walk length 4, with or without A/D', () => {
    expect(eptpValid(EPTP, 0)).toBe(true);
    expect(eptpValid(EPTP_AD, 0)).toBe(true);
    expect(eptpValid(PML4 | (3 << 3) | 0, 0)).toBe(true);
  });
  it('rejects other memory types, other walk lengths, reserved bits, and high address bits', () => {
    expect(eptpValid(PML4 | (3 << 3) | 4, 0)).toBe(false); // WT
    expect(eptpValid(PML4 | (3 << 3) | 7, 0)).toBe(false);
    expect(eptpValid(PML4 | (4 << 3) | WB, 0)).toBe(false); // 5-level
    expect(eptpValid(PML4 | (2 << 3) | WB, 0)).toBe(false);
    expect(eptpValid(EPTP | (1 << 7), 0)).toBe(false);
    expect(eptpValid(EPTP | (1 << 11), 0)).toBe(false);
    expect(eptpValid(EPTP, 1)).toBe(false);
  });
});

function beforeEachReset(): void {
  set(at[4], PDPT | RWX);
  set(at[3], PD | RWX);
  set(at[2], PT | RWX);
  set(at[1], HPA_PAGE | LEAF);
}
