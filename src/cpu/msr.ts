// Model-specific registers: numbers (SDM Vol. 4 Table 2-2), the table RDMSR/WRMSR dispatch through,
// and the architectural MSRs this processor implements. The VMX layer registers IA32_VMX_* into the
// same table (registerMsr). Any MSR not in the table is #GP(0) on RDMSR and WRMSR.
import type { Cpu } from './state.js';

export const MsrIndex = {
  IA32_TIME_STAMP_COUNTER: 0x10,
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
} as const;

/** IA32_FEATURE_CONTROL: lock (bit 0) and "VMXON outside SMX" (bit 2), SDM Vol. 3 §24.7. The BIOS
 *  of a real machine sets and locks it; here it is born that way, so VMXON is allowed. */
export const FEATURE_CONTROL_VALUE = (1 << 0) | (1 << 2);

/** The 64-bit value of a read, as two 32-bit halves (out-parameter: no allocation). */
export interface MsrValue {
  lo: number;
  hi: number;
}

export type MsrReader = (cpu: Cpu, out: MsrValue) => void;
/** Returns false when the value is not acceptable (#GP(0)), e.g. a write to a read-only MSR. */
export type MsrWriter = (cpu: Cpu, lo: number, hi: number) => boolean;

export class MsrTable {
  private readonly readers = new Map<number, MsrReader>();
  private readonly writers = new Map<number, MsrWriter>();

  /** Defines (or replaces) an MSR. Without a writer, WRMSR to it is #GP(0). */
  define(index: number, read: MsrReader, write?: MsrWriter): void {
    this.readers.set(index >>> 0, read);
    if (write) this.writers.set(index >>> 0, write);
    else this.writers.delete(index >>> 0);
  }

  has(index: number): boolean {
    return this.readers.has(index >>> 0);
  }

  /** False: no such MSR (#GP(0)). */
  read(cpu: Cpu, index: number, out: MsrValue): boolean {
    const r = this.readers.get(index >>> 0);
    if (!r) return false;
    r(cpu, out);
    return true;
  }

  /** False: no such MSR or the value is refused (#GP(0)). */
  write(cpu: Cpu, index: number, lo: number, hi: number): boolean {
    const w = this.writers.get(index >>> 0);
    return w ? w(cpu, lo, hi) : false;
  }
}

/** The time-stamp counter: virtual cycles plus the offset software wrote (SDM Vol. 3 §18.17), plus
 *  the VMCS TSC offset in VMX non-root operation (SDM Vol. 3 §26.6.5). */
export function readTsc(cpu: Cpu): number {
  return cpu.clock.now + cpu.tscOffset + cpu.vmxTscOffset;
}

function split(v: number, out: MsrValue): void {
  out.lo = v >>> 0;
  out.hi = Math.floor(v / 4294967296) >>> 0;
}

/** Installs the architectural MSRs of this processor into its table. */
export function installArchitecturalMsrs(cpu: Cpu): void {
  const t = cpu.msrs;
  t.define(
    MsrIndex.IA32_TIME_STAMP_COUNTER,
    (c, out) => split(readTsc(c), out),
    (c, lo, hi) => {
      c.tscOffset = (hi >>> 0) * 4294967296 + (lo >>> 0) - c.clock.now - c.vmxTscOffset;
      return true;
    },
  );
  t.define(MsrIndex.IA32_FEATURE_CONTROL, (_c, out) => {
    out.lo = FEATURE_CONTROL_VALUE;
    out.hi = 0;
  });
  t.define(
    MsrIndex.IA32_SYSENTER_CS,
    (c, out) => {
      out.lo = c.sysenterCs >>> 0;
      out.hi = 0;
    },
    (c, lo) => {
      c.sysenterCs = lo & 0xffff;
      return true;
    },
  );
  t.define(
    MsrIndex.IA32_SYSENTER_ESP,
    (c, out) => {
      out.lo = c.sysenterEsp >>> 0;
      out.hi = 0;
    },
    (c, lo) => {
      c.sysenterEsp = lo | 0;
      return true;
    },
  );
  t.define(
    MsrIndex.IA32_SYSENTER_EIP,
    (c, out) => {
      out.lo = c.sysenterEip >>> 0;
      out.hi = 0;
    },
    (c, lo) => {
      c.sysenterEip = lo | 0;
      return true;
    },
  );
}
