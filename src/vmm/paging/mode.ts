// The memory-virtualization strategy of a vCPU (KVM's "MMU mode"): it owns the guest's CR0/CR3/CR4
// policy (guest/host masks, read shadows, CR3 exiting), the handling of #PF and INVLPG, and the
// guest's view of its paging for software walks: `ept` (ept-mode.ts) and `shadow` (shadow-mode.ts).
import type { Outcome } from '../exits/outcome.js';
import type { GuestPagingView } from '../shadow/guest-walk.js';
import type { Vcpu } from '../vcpu.js';

export type PagingModeName = 'ept' | 'shadow';

/** The guest's control registers as it set them (what `mov eax, crN` must return). */
export interface GuestControlRegs {
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
}

export interface PagingMode {
  readonly name: PagingModeName;
  /** Primary processor-based controls this mode wants at start (CR3/INVLPG exiting...). */
  readonly procControls: number;
  /** Secondary controls this mode wants (ENABLE_EPT...). */
  readonly proc2Controls: number;
  /** Exceptions that must exit (#PF for shadow paging). */
  readonly exceptionBitmap: number;
  /** Writes the guest's control registers, masks and shadows for a guest starting with `start`. */
  init(vcpu: Vcpu, start: GuestControlRegs): void;
  /** The guest's MOV to CR0 / LMSW / CLTS result `value`, after the exit: validate and apply. */
  writeCr0(vcpu: Vcpu, value: number): Outcome;
  /** MOV to CR3 that exited, or a NEW_CR3 hypercall (value already validated). */
  writeCr3(vcpu: Vcpu, value: number): Outcome;
  writeCr4(vcpu: Vcpu, value: number): Outcome;
  /** MOV from CR3 that exited: what the guest must read. */
  readCr3(vcpu: Vcpu): number;
  /** The guest's CR0/CR3/CR4 as it sees them. */
  guestRegs(vcpu: Vcpu): GuestControlRegs;
  /** The guest's paging for software walks (refreshed from the VMCS on each call). */
  view(vcpu: Vcpu): GuestPagingView;
  /** INVLPG that exited, or an INVLPG hypercall. */
  invlpg(vcpu: Vcpu, linear: number): Outcome;
  /** A #PF exit (exception bitmap bit 14): the guest's own fault, or the shadow MMU's business. */
  pageFault(vcpu: Vcpu, linear: number, errorCode: number): Outcome;
  /** The hypervisor wrote guest memory [gpa, gpa + len) on the guest's behalf (MMU_UPDATE, string
   *  I/O): shadow paging drops what it made from entries there. */
  guestWrote?(vcpu: Vcpu, gpa: number, len: number): void;
  /** A monitor-trap-flag exit the mode asked for (shadow paging single-steps a page-table write). */
  monitorTrap?(vcpu: Vcpu): Outcome;
  /** The mode's own software state as plain JSON (shadow paging's MMU), for Vm.saveState. */
  saveState?(): unknown;
  /** Restores saveState's result, after host memory has been restored. */
  loadState?(state: unknown): void;
}
