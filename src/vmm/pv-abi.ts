// The para-virtual interface's numbers: discovery through CPUID, hypercall numbers, error codes and
// MMU_UPDATE commands. docs/hypercalls.md is the contract (guests/lib/pv.inc has the same numbers).

/** CPUID leaf 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = this signature. */
export const PV_SIGNATURE = 'VTXVMM-PV-01';
export const PV_LEAF_BASE = 0x40000000;
export const PV_LEAF_FEATURES = 0x40000001;

/** Feature bits in CPUID.0x40000001:EAX. */
export const PV_FEATURE = {
  CONSOLE: 1 << 0,
  MMU: 1 << 1,
  TIMER: 1 << 2,
  BLOCK: 1 << 3,
  EOI: 1 << 4,
  SHUTDOWN: 1 << 5,
} as const;
export const PV_FEATURES_ALL = Object.values(PV_FEATURE).reduce((a, b) => a | b, 0);

/** Hypercall numbers (EAX at VMCALL). */
export const HC = {
  CONSOLE_WRITE: 1,
  MMU_UPDATE: 2,
  SET_TIMER: 3,
  BLOCK: 4,
  EOI: 5,
  SHUTDOWN: 6,
} as const;
export const HC_NAMES: Record<number, string> = {
  [HC.CONSOLE_WRITE]: 'CONSOLE_WRITE',
  [HC.MMU_UPDATE]: 'MMU_UPDATE',
  [HC.SET_TIMER]: 'SET_TIMER',
  [HC.BLOCK]: 'BLOCK',
  [HC.EOI]: 'EOI',
  [HC.SHUTDOWN]: 'SHUTDOWN',
};

/** Results in EAX: negative values are errors. */
export const PV_ERR = {
  /** Unknown hypercall number. */
  ENOSYS: -1,
  /** A guest pointer that is not mapped, or not inside the VM's RAM. */
  EFAULT: -2,
  /** A bad argument (length, command, IRQ number). */
  EINVAL: -3,
  /** Not allowed: a hypercall from CPL > 0, or a PTE/CR3 that would map memory outside the VM. */
  EPERM: -4,
} as const;

/** MMU_UPDATE: each request is {u32 ptr, u32 val}; ptr bits 1:0 select the command. */
export const MMU_CMD = { PT_UPDATE: 0, NEW_CR3: 1, INVLPG: 2 } as const;
export const MMU_CMD_MASK = 3;
export const MMU_REQUEST_SIZE = 8;

/** CONSOLE_WRITE accepts at most this many bytes per call (EINVAL above). */
export const CONSOLE_WRITE_MAX = 4096;
/** MMU_UPDATE processes at most this many requests per call (EINVAL above): bounds host work. */
export const MMU_UPDATE_MAX = 1024;
/** SET_TIMER's unit: microseconds of virtual time, at 1000 virtual cycles each (1 GHz clock). */
export const CYCLES_PER_MICROSECOND = 1000;
