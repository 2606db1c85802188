// IA-32 facts the hypervisor needs beyond the VT-x surface (cpu/vmx/api.ts): exception vectors,
// EFLAGS bits, 32-bit paging entries and #PF error codes, MSR numbers. The hypervisor is separate
// software from the processor, so it has its own copy of these architectural constants, as KVM has.

/** Exception vectors (SDM Vol. 3 §6.3.1, Table 6-1). */
export const Vector = { DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, UD: 6, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14, AC: 17, MC: 18 } as const;

/** EFLAGS bits (SDM Vol. 1 §3.4.3). */
export const EFLAGS = { CF: 1 << 0, FIXED1: 1 << 1, TF: 1 << 8, IF: 1 << 9, DF: 1 << 10, IOPL: 3 << 12, VM: 1 << 17, AC: 1 << 18 } as const;

/** 32-bit paging-structure entry bits (SDM Vol. 3 §4.3, Tables 4-4..4-6). */
export const PTE = {
  P: 1 << 0,
  RW: 1 << 1,
  US: 1 << 2,
  A: 1 << 5,
  D: 1 << 6,
  /** In a PDE with CR4.PSE = 1: maps a 4 MiB page. */
  PS: 1 << 7,
  FRAME: 0xfffff000,
  FRAME_4M: 0xffc00000,
} as const;
export const LARGE_PAGE_SHIFT = 22;
export const LARGE_PAGE_SIZE = 1 << LARGE_PAGE_SHIFT;

/** Page-fault error code bits (SDM Vol. 3 §4.7, Figure 4-12). */
export const PFEC = { P: 1 << 0, W: 1 << 1, U: 1 << 2, RSVD: 1 << 3 } as const;

/** The CR0 bits an IA-32 processor implements (SDM Vol. 3 §2.5); the others are reserved. */
export const CR0_BITS = {
  PE: 1 << 0,
  MP: 1 << 1,
  EM: 1 << 2,
  TS: 1 << 3,
  ET: 1 << 4,
  NE: 1 << 5,
  WP: 1 << 16,
  AM: 1 << 18,
  NW: 1 << 29,
  CD: 1 << 30,
  PG: 0x80000000,
} as const;

/** Architectural MSR numbers the virtual CPU answers for (SDM Vol. 4 Table 2-2). */
export const MSR_INDEX = {
  IA32_TIME_STAMP_COUNTER: 0x10,
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
} as const;

/** IA32_FEATURE_CONTROL bit 0: locked (SDM Vol. 3 §24.7). */
export const FEATURE_CONTROL_LOCKED = 1 << 0;

/** CPUID.1:ECX bits the virtual CPUID changes (SDM Vol. 2A CPUID, Table 3-10). */
export const CPUID1_ECX = {
  VMX: 1 << 5,
  /** Reserved for hypervisor use: "a hypervisor is present" (set by hypervisors, never by silicon). */
  HYPERVISOR: 1 << 31,
} as const;
/** The basic and extended CPUID ranges (SDM Vol. 2A CPUID: out-of-range leaves return the highest
 *  basic leaf's data on Intel processors). */
export const CPUID_EXTENDED_BASE = 0x80000000;
/** The range software reserves for hypervisors (CPUID 0x40000000-0x4FFFFFFF, by convention). */
export const CPUID_HYPERVISOR_BASE = 0x40000000;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
