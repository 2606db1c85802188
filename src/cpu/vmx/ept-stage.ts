// The EPT second stage as the MMU sees it (mmu/phys.ts SecondStage): every guest-physical access of
// a guest in VMX non-root operation with "enable EPT" (final translations, the guest's own page-walk
// reads and A/D writes) walks the EPT paging structures (mmu/ept.ts); a violation or a
// misconfiguration is a VM exit (SDM Vol. 3 §29.3.3).
import { EptStatus, EptWalkResult, eptTranslate } from '../mmu/ept.js';
import { PhysAccess, type SecondStage } from '../mmu/phys.js';
import type { Cpu } from '../state.js';
import type { VmxCapabilities } from './capabilities.js';
import { EPTE } from './ept-format.js';

/** Where EPT-induced VM exits go (the controller records them and throws VM_EXIT). */
export interface EptExitSink {
  eptViolation(qualification: number, gpa: number, linear: number, linearValid: boolean): never;
  eptMisconfiguration(gpa: number): never;
}

export class EptStage implements SecondStage {
  /** The EPTP's low dword (VM entry checked the high one is 0). */
  eptp = 0;
  /** The last successful translation did not allow read, write and execute (TLB must not cache it). */
  restricted = false;
  private readonly walk = new EptWalkResult();

  constructor(
    private readonly sink: EptExitSink,
    private readonly caps: VmxCapabilities,
  ) {}

  translate(cpu: Cpu, gpa: number, access: PhysAccess, linear: number, linearValid: boolean): number {
    const r = this.walk;
    const status = eptTranslate(cpu.mem, this.eptp, gpa, access, linearValid, r, this.caps);
    cpu.walkRefs += r.refs;
    if (status === EptStatus.OK) {
      this.restricted = r.perms !== EPTE.RWX;
      return r.hpa;
    }
    // Final translations are asked for whole pages: the exit reports the byte that was accessed.
    const exact = access <= PhysAccess.FETCH && linearValid ? ((gpa & ~0xfff) | (linear & 0xfff)) >>> 0 : gpa >>> 0;
    if (status === EptStatus.VIOLATION) return this.sink.eptViolation(r.qualification, exact, linear, linearValid);
    return this.sink.eptMisconfiguration(exact);
  }
}
