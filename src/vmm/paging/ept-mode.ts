// EPT paging mode (KVM with EPT but without unrestricted guest, as before Westmere): the guest owns
// its page tables and CR3 once its CR0.PG = 1; before that it runs with paging on over the VM's
// identity-map page directory (KVM's "EPT identity map"), because VMX without unrestricted guest
// fixes CR0.PE, CR0.PG and CR0.NE to 1 in non-root operation. The guest's own CR0/CR4 values live
// in the read shadows, its CR3 in the vCPU while the identity map is loaded (CR3 exiting on).
import { CPU_BASED, CR0, CR4, SECONDARY_EXEC, VMCS } from '../../cpu/vmx/api.js';
import { CR0_BITS, Vector } from '../arch-defs.js';
import { ADVANCE, type Outcome, injectException, injectGP0, injectPageFault, stopVm } from '../exits/outcome.js';
import type { PagingView, Vcpu } from '../vcpu.js';
import { vmreadChecked, vmwriteChecked } from '../vmx-ops.js';
import type { GuestControlRegs, PagingMode } from './mode.js';

/** CR0 bits the hypervisor owns: the three that are fixed to 1 in non-root operation. */
export const EPT_CR0_MASK = (CR0.PE | CR0.NE | CR0.PG) >>> 0;
/** Every CR4 bit is host-owned: CR4 writes are rare, and PSE and VMXE need it. */
export const EPT_CR4_MASK = 0xffffffff;
/** The CR0 bits an IA-32 processor holds; writes to the others are ignored (SDM Vol. 3 §2.5). */
const CR0_VALID = Object.values(CR0_BITS).reduce((a, b) => a | b, 0) >>> 0;
/** Bits whose change flushes the TLB on a MOV to CR0 (SDM Vol. 3 §4.10.4.1). */
const CR0_FLUSH = (CR0.PG | CR0.WP | CR0.PE) >>> 0;
const CR3_EXITING = (CPU_BASED.CR3_LOAD_EXITING | CPU_BASED.CR3_STORE_EXITING) >>> 0;

export class EptPagingMode implements PagingMode {
  readonly name = 'ept' as const;
  /** CR3 exiting starts on: a Multiboot guest starts with CR0.PG = 0. `init` turns it off otherwise. */
  readonly procControls = CR3_EXITING;
  readonly proc2Controls = SECONDARY_EXEC.ENABLE_EPT;
  readonly exceptionBitmap = 0;
  /** CR4 bits the guest may set: whatever VMX operation allows, except VMXE (VMX is hidden). */
  private readonly cr4Valid: number;

  constructor(
    /** Guest-physical address of the identity-map page directory (just above the VM's RAM). */
    private readonly identityMapGpa: number,
    cr4Fixed1: number,
  ) {
    this.cr4Valid = (cr4Fixed1 & ~CR4.VMXE) >>> 0;
  }

  init(vcpu: Vcpu, start: GuestControlRegs): void {
    const ops = vcpu.ops;
    vmwriteChecked(ops, VMCS.CR0_GUEST_HOST_MASK, EPT_CR0_MASK);
    vmwriteChecked(ops, VMCS.CR4_GUEST_HOST_MASK, EPT_CR4_MASK);
    const paging = (start.cr0 & CR0.PG) !== 0;
    vcpu.cr0Shadow = start.cr0 >>> 0;
    vcpu.cr4Shadow = start.cr4 >>> 0;
    vcpu.cr3Virtual = start.cr3 >>> 0;
    vmwriteChecked(ops, VMCS.CR0_READ_SHADOW, vcpu.cr0Shadow);
    vmwriteChecked(ops, VMCS.GUEST_CR0, (start.cr0 | EPT_CR0_MASK) >>> 0);
    vmwriteChecked(ops, VMCS.CR4_READ_SHADOW, vcpu.cr4Shadow);
    vmwriteChecked(ops, VMCS.GUEST_CR4, this.realCr4(vcpu.cr4Shadow, paging));
    vmwriteChecked(ops, VMCS.GUEST_CR3, paging ? start.cr3 : this.identityMapGpa);
    vcpu.setProcControls(paging ? 0 : CR3_EXITING, paging ? CR3_EXITING : 0);
  }

  private guestPaging(vcpu: Vcpu): boolean {
    return (vcpu.cr0Shadow & CR0.PG) !== 0;
  }

  /** CR4 in non-root: the guest's bits, VMXE (fixed to 1), and PSE while the identity map is in use. */
  private realCr4(guestCr4: number, paging: boolean): number {
    return (guestCr4 | CR4.VMXE | (paging ? 0 : CR4.PSE)) >>> 0;
  }

  writeCr0(vcpu: Vcpu, value: number): Outcome {
    const ops = vcpu.ops;
    // MOV to CR0 (SDM Vol. 2 MOV CR; Vol. 3 §2.5): ET reads as 1, reserved bits are dropped.
    const v = ((value & CR0_VALID) | CR0.ET) >>> 0;
    if ((v & CR0.PG) !== 0 && (v & CR0.PE) === 0) return injectGP0();
    if ((v & CR0.NW) !== 0 && (v & CR0.CD) === 0) return injectGP0();
    if ((v & CR0.PE) === 0) {
      return stopVm({ kind: 'unsupported', message: 'clearing CR0.PE (real mode) cannot run in VMX non-root operation without unrestricted guest' });
    }
    const actual = vmreadChecked(ops, VMCS.GUEST_CR0);
    const old = ((actual & ~EPT_CR0_MASK) | (vcpu.cr0Shadow & EPT_CR0_MASK)) >>> 0;
    vcpu.cr0Shadow = v;
    vmwriteChecked(ops, VMCS.CR0_READ_SHADOW, v);
    vmwriteChecked(ops, VMCS.GUEST_CR0, (v | EPT_CR0_MASK) >>> 0);
    if ((old ^ v) & CR0.PG) this.switchPaging(vcpu, (v & CR0.PG) !== 0);
    if ((old ^ v) & CR0_FLUSH) vcpu.flushTlb(false);
    return ADVANCE;
  }

  /** The guest turned its paging on or off: swap its CR3 with the identity map. */
  private switchPaging(vcpu: Vcpu, on: boolean): void {
    const ops = vcpu.ops;
    if (on) {
      vmwriteChecked(ops, VMCS.GUEST_CR3, vcpu.cr3Virtual);
      vcpu.setProcControls(0, CR3_EXITING);
    } else {
      vcpu.cr3Virtual = vmreadChecked(ops, VMCS.GUEST_CR3);
      vmwriteChecked(ops, VMCS.GUEST_CR3, this.identityMapGpa);
      vcpu.setProcControls(CR3_EXITING, 0);
    }
    vmwriteChecked(ops, VMCS.GUEST_CR4, this.realCr4(vcpu.cr4Shadow, on));
  }

  writeCr3(vcpu: Vcpu, value: number): Outcome {
    if (this.guestPaging(vcpu)) {
      vmwriteChecked(vcpu.ops, VMCS.GUEST_CR3, value >>> 0);
      vcpu.flushTlb(true);
    } else {
      // The identity map stays loaded; the value takes effect when the guest sets CR0.PG.
      vcpu.cr3Virtual = value >>> 0;
    }
    return ADVANCE;
  }

  writeCr4(vcpu: Vcpu, value: number): Outcome {
    value >>>= 0;
    // Setting a bit the processor does not implement is #GP(0) (SDM Vol. 3 §2.5), VMXE included:
    // CPUID hides VMX, so the guest sees a processor without it.
    if ((value & ~this.cr4Valid) !== 0) return injectException(Vector.GP, 0);
    const old = vcpu.cr4Shadow;
    vcpu.cr4Shadow = value;
    vmwriteChecked(vcpu.ops, VMCS.CR4_READ_SHADOW, value);
    vmwriteChecked(vcpu.ops, VMCS.GUEST_CR4, this.realCr4(value, this.guestPaging(vcpu)));
    if ((old ^ value) & (CR4.PSE | CR4.PGE)) vcpu.flushTlb(false);
    return ADVANCE;
  }

  readCr3(vcpu: Vcpu): number {
    return this.guestPaging(vcpu) ? vmreadChecked(vcpu.ops, VMCS.GUEST_CR3) : vcpu.cr3Virtual;
  }

  guestRegs(vcpu: Vcpu): GuestControlRegs {
    const actual = vmreadChecked(vcpu.ops, VMCS.GUEST_CR0);
    return {
      cr0: ((actual & ~EPT_CR0_MASK) | (vcpu.cr0Shadow & EPT_CR0_MASK)) >>> 0,
      cr3: this.readCr3(vcpu),
      cr4: vcpu.cr4Shadow,
    };
  }

  view(vcpu: Vcpu): PagingView {
    const v = vcpu.pagingView;
    v.paging = this.guestPaging(vcpu);
    v.cr3 = v.paging ? vmreadChecked(vcpu.ops, VMCS.GUEST_CR3) : vcpu.cr3Virtual;
    v.pse = (vcpu.cr4Shadow & CR4.PSE) !== 0;
    v.wp = (vmreadChecked(vcpu.ops, VMCS.GUEST_CR0) & CR0.WP) !== 0;
    return v;
  }

  invlpg(vcpu: Vcpu, linear: number): Outcome {
    vcpu.flushPage(linear);
    return ADVANCE;
  }

  /** With EPT the guest's page faults are its own; one only exits if the debugger asked (reflect). */
  pageFault(_vcpu: Vcpu, linear: number, errorCode: number): Outcome {
    return injectPageFault(linear, errorCode);
  }
}
