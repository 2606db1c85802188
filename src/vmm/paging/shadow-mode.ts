// Shadow paging mode (`--mode shadow`: VT-x without EPT, as hypervisors ran before 2008): the
// processor's CR3 (GUEST_CR3) is a shadow root the shadow MMU builds from the guest's own tables;
// the guest's CR3 is virtual (CR3-load/store exiting), CR0.PG/WP and all of CR4 are host-owned, and
// #PF and INVLPG exit so the shadow can be filled and kept coherent. docs/shadow-paging.md.
import { CPU_BASED, CR0, CR4, INTR_INFO, INTR_TYPE, VMCS } from '../../cpu/vmx/api.js';
import { hex } from '../../common/hex.js';
import { CR0_BITS, PFEC, Vector } from '../arch-defs.js';
import { ADVANCE, type Outcome, RESUME, injectException, injectGP0, injectPageFault, stopVm, vmError } from '../exits/outcome.js';
import type { FrameAllocator } from '../frames.js';
import type { GuestRam } from '../guest-memory.js';
import { describeGuest } from '../report.js';
import { DEFAULT_SHADOW_LIMITS, FaultResult, type ShadowLimits, ShadowMmu, type ShadowMmuState } from '../shadow/shadow-mmu.js';
import { ShadowStats } from '../shadow/stats.js';
import { Emulation, WriteEmulator } from '../shadow/write-emulator.js';
import type { PagingView, Vcpu } from '../vcpu.js';
import { vmreadChecked, vmwriteChecked } from '../vmx-ops.js';
import type { PhysicalMemory } from '../../machine/memory.js';
import type { GuestControlRegs, PagingMode } from './mode.js';

/** CR0 bits the hypervisor owns: PE/NE/PG (fixed to 1 in non-root) and WP, which the processor
 *  must always have set so that read-only shadow entries trap supervisor writes too. */
export const SHADOW_CR0_MASK = (CR0.PE | CR0.NE | CR0.PG | CR0.WP) >>> 0;
/** Every CR4 bit is host-owned (PSE changes what the guest's tables mean; VMXE is hidden). */
export const SHADOW_CR4_MASK = 0xffffffff;
/** The CR0 bits an IA-32 processor holds; writes to the others are ignored (SDM Vol. 3 §2.5). */
const CR0_VALID = Object.values(CR0_BITS).reduce((a, b) => a | b, 0) >>> 0;
/** A MOV to CR0 changing these flushes the TLB (SDM Vol. 3 §4.10.4.1). */
const CR0_FLUSH = (CR0.PG | CR0.WP | CR0.PE) >>> 0;
const ALWAYS_EXITING = (CPU_BASED.CR3_LOAD_EXITING | CPU_BASED.CR3_STORE_EXITING | CPU_BASED.INVLPG_EXITING) >>> 0;
/** PFEC bits the processor reports (P, W, U, RSVD, I/D). */
const PFEC_ALL = 0x1f;
/**
 * With the guest's CR0.WP = 1 a shadow entry is never more restrictive than the guest's about
 * user access, so a user-mode read or fetch refused by U/S (error code exactly P|U) is always the
 * guest's own fault: it goes straight to the guest without an exit (exception bitmap bit 14 clear:
 * exit iff PFEC & mask != match). Every other #PF exits. With CR0.WP = 0 every #PF exits.
 */
const PFEC_GUEST_ONLY = PFEC.P | PFEC.U;

export interface ShadowModeEnv {
  readonly mem: PhysicalMemory;
  readonly frames: FrameAllocator;
  /** The VM's number: owner of the shadow frames. */
  readonly owner: number;
  readonly ram: GuestRam;
  readonly cr4Fixed1: number;
  readonly limits?: ShadowLimits;
}

export class ShadowPagingMode implements PagingMode {
  readonly name = 'shadow' as const;
  readonly procControls = ALWAYS_EXITING;
  readonly proc2Controls = 0;
  readonly exceptionBitmap = 1 << Vector.PF;
  readonly stats = new ShadowStats();
  readonly mmu: ShadowMmu;
  private readonly cr4Valid: number;
  private vcpu: Vcpu | null = null;
  private emulator: WriteEmulator | null = null;

  constructor(private readonly env: ShadowModeEnv) {
    this.cr4Valid = (env.cr4Fixed1 & ~CR4.VMXE) >>> 0;
    this.mmu = new ShadowMmu(
      env.mem,
      env.frames,
      env.owner,
      env.ram,
      {
        loadRoot: (hpa) => vmwriteChecked(this.bound().ops, VMCS.GUEST_CR3, hpa),
        flushAll: () => this.bound().flushTlb(false),
        flushPage: (linear) => this.bound().flushPage(linear),
      },
      this.stats,
      env.limits ?? DEFAULT_SHADOW_LIMITS,
    );
  }

  private bound(): Vcpu {
    if (this.vcpu === null) throw new Error('shadow paging used before init');
    return this.vcpu;
  }

  init(vcpu: Vcpu, start: GuestControlRegs): void {
    this.vcpu = vcpu;
    this.emulator = new WriteEmulator(this.env.ram, vcpu.vm.linear, (gpa, len) => this.mmu.guestWrote(gpa, len, true));
    const ops = vcpu.ops;
    vmwriteChecked(ops, VMCS.CR0_GUEST_HOST_MASK, SHADOW_CR0_MASK);
    vmwriteChecked(ops, VMCS.CR4_GUEST_HOST_MASK, SHADOW_CR4_MASK);
    vcpu.cr0Shadow = start.cr0 >>> 0;
    vcpu.cr4Shadow = start.cr4 >>> 0;
    vcpu.cr3Virtual = start.cr3 >>> 0;
    vmwriteChecked(ops, VMCS.CR0_READ_SHADOW, vcpu.cr0Shadow);
    vmwriteChecked(ops, VMCS.GUEST_CR0, (start.cr0 | SHADOW_CR0_MASK) >>> 0);
    vmwriteChecked(ops, VMCS.CR4_READ_SHADOW, vcpu.cr4Shadow);
    vmwriteChecked(ops, VMCS.GUEST_CR4, (vcpu.cr4Shadow | CR4.VMXE) >>> 0);
    this.setPfFilter(vcpu);
    this.mmu.switchRoot(this.guestPaging(vcpu), vcpu.cr3Virtual);
  }

  private guestPaging(vcpu: Vcpu): boolean {
    return (vcpu.cr0Shadow & CR0.PG) !== 0;
  }

  /** Exception bitmap and PFEC mask/match for the guest's CR0.WP (see PFEC_GUEST_ONLY). */
  private setPfFilter(vcpu: Vcpu): void {
    const ops = vcpu.ops;
    const wp = (vcpu.cr0Shadow & CR0.WP) !== 0;
    vmwriteChecked(ops, VMCS.EXCEPTION_BITMAP, wp ? 0 : this.exceptionBitmap);
    vmwriteChecked(ops, VMCS.PAGE_FAULT_ERROR_CODE_MASK, wp ? PFEC_ALL : 0);
    vmwriteChecked(ops, VMCS.PAGE_FAULT_ERROR_CODE_MATCH, wp ? PFEC_GUEST_ONLY : 0);
  }

  /** The guest's CR0: its own bits from GUEST_CR0, the host-owned ones from the shadow. */
  private guestCr0(vcpu: Vcpu): number {
    const actual = vmreadChecked(vcpu.ops, VMCS.GUEST_CR0);
    return ((actual & ~SHADOW_CR0_MASK) | (vcpu.cr0Shadow & SHADOW_CR0_MASK)) >>> 0;
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
    const old = this.guestCr0(vcpu);
    vcpu.cr0Shadow = v;
    vmwriteChecked(ops, VMCS.CR0_READ_SHADOW, v);
    vmwriteChecked(ops, VMCS.GUEST_CR0, (v | SHADOW_CR0_MASK) >>> 0);
    const diff = old ^ v;
    if (diff & CR0.WP) {
      // Shadow entries depend on WP (the supervisor-write trick): rebuild them all.
      this.setPfFilter(vcpu);
      this.mmu.reset();
    }
    if (diff & (CR0.PG | CR0.WP)) this.mmu.switchRoot(this.guestPaging(vcpu), vcpu.cr3Virtual);
    else if (diff & CR0_FLUSH) vcpu.flushTlb(false);
    return ADVANCE;
  }

  writeCr3(vcpu: Vcpu, value: number): Outcome {
    vcpu.cr3Virtual = value >>> 0;
    // With paging off the identity root stays; the value takes effect when the guest sets CR0.PG.
    if (this.guestPaging(vcpu)) this.mmu.switchRoot(true, vcpu.cr3Virtual);
    return ADVANCE;
  }

  writeCr4(vcpu: Vcpu, value: number): Outcome {
    value >>>= 0;
    // A bit the processor does not implement, or VMXE (CPUID hides VMX), is #GP(0) (SDM Vol. 3 §2.5).
    if ((value & ~this.cr4Valid) !== 0) return injectException(Vector.GP, 0);
    const old = vcpu.cr4Shadow;
    vcpu.cr4Shadow = value;
    vmwriteChecked(vcpu.ops, VMCS.CR4_READ_SHADOW, value);
    vmwriteChecked(vcpu.ops, VMCS.GUEST_CR4, (value | CR4.VMXE) >>> 0);
    if ((old ^ value) & CR4.PSE) {
      // PSE changes what a PDE's bit 7 means: every shadow page is stale.
      this.mmu.reset();
      this.mmu.switchRoot(this.guestPaging(vcpu), vcpu.cr3Virtual);
    } else if ((old ^ value) & CR4.PGE) {
      vcpu.flushTlb(false);
    }
    return ADVANCE;
  }

  readCr3(vcpu: Vcpu): number {
    return vcpu.cr3Virtual;
  }

  guestRegs(vcpu: Vcpu): GuestControlRegs {
    return { cr0: this.guestCr0(vcpu), cr3: vcpu.cr3Virtual, cr4: vcpu.cr4Shadow };
  }

  view(vcpu: Vcpu): PagingView {
    const v = vcpu.pagingView;
    v.paging = this.guestPaging(vcpu);
    v.cr3 = vcpu.cr3Virtual;
    v.pse = (vcpu.cr4Shadow & CR4.PSE) !== 0;
    v.wp = (vcpu.cr0Shadow & CR0.WP) !== 0;
    return v;
  }

  invlpg(vcpu: Vcpu, linear: number): Outcome {
    this.mmu.invlpg(this.view(vcpu), linear);
    return ADVANCE;
  }

  /** Guest memory written behind the guest's page-table protection (hypercalls, string I/O). */
  guestWrote(_vcpu: Vcpu, gpa: number, len: number): void {
    this.mmu.guestWrote(gpa, len, false);
  }

  pageFault(vcpu: Vcpu, linear: number, errorCode: number): Outcome {
    if (errorCode & PFEC.RSVD) {
      return vmError(`reserved-bit page fault at 0x${hex(linear)} in a shadow table (a hypervisor bug); ${describeGuest(vcpu)}`);
    }
    const view = this.view(vcpu);
    switch (this.mmu.fault(view, linear, errorCode)) {
      case FaultResult.FILLED:
      case FaultResult.RETRY:
        this.stats.hiddenFaults++;
        return RESUME;
      case FaultResult.GUEST_FAULT:
        return this.guestFault(vcpu, linear, this.mmu.walk.errorCode);
      case FaultResult.WRITE_PROTECTED:
        return this.writeProtected(vcpu, linear);
      case FaultResult.OUTSIDE_RAM:
        return vmError(
          `the guest's page tables map linear 0x${hex(linear)}, but ${this.mmu.badWhat} is at guest-physical ` +
            `0x${hex(this.mmu.badGpa)}, outside the VM's ${this.env.ram.size >>> 20} MiB of RAM (no MMIO is emulated); ${describeGuest(vcpu)}`,
        );
    }
    return vmError('unknown shadow fault result');
  }

  /**
   * The guest's own #PF. If the exit interrupted the delivery of another event (its IDT-vectoring
   * information was saved for re-injection), the two combine as the processor combines a fault
   * during delivery (SDM Vol. 3 §6.15, Table 6-5; cpu/exceptions.ts deliverEvent): after a #PF it is
   * #DF, after #DF a triple fault; after anything else the #PF replaces the event.
   */
  private guestFault(vcpu: Vcpu, linear: number, errorCode: number): Outcome {
    this.stats.injectedFaults++;
    const first = vcpu.eventInfo;
    if (first !== 0) {
      vcpu.eventInfo = 0;
      // The second #PF loads CR2 even when it turns into #DF or a shutdown (SDM Vol. 3 §6.15).
      vcpu.ops.cr2 = linear >>> 0;
      const type = (first & INTR_INFO.TYPE_MASK) >>> INTR_INFO.TYPE_SHIFT;
      const vector = first & INTR_INFO.VECTOR_MASK;
      if (type === INTR_TYPE.HARD_EXCEPTION && vector === Vector.DF) {
        return stopVm({ kind: 'triple-fault', report: `#PF while delivering #DF (triple fault in the VM); ${describeGuest(vcpu)}` });
      }
      if (type === INTR_TYPE.HARD_EXCEPTION && vector === Vector.PF) return injectException(Vector.DF, 0);
    }
    return injectPageFault(linear, errorCode);
  }

  /** A write to one of the guest's page tables: emulate it, or run it under the monitor trap flag. */
  private writeProtected(vcpu: Vcpu, linear: number): Outcome {
    // An exit during event delivery (the processor pushing a frame onto a page-table page) has no
    // instruction of its own to emulate: the delivery runs again with the page writable.
    if (vcpu.eventInfo === 0 && this.mmu.windows === 0) {
      const r = this.emulator!.emulate(vcpu, linear);
      if (r !== Emulation.UNSUPPORTED) {
        this.stats.emulatedWrites++;
        return RESUME;
      }
    }
    // Windows all open (a REP string crossing several page tables): the elements written so far are
    // committed (REP progress is architectural), so close them and carry on with this one.
    if (!this.mmu.openWindow(linear)) {
      this.mmu.closeWindows();
      if (!this.mmu.openWindow(linear)) {
        return vmError(`cannot carry out a write to the guest page table at linear 0x${hex(linear)}; ${describeGuest(vcpu)}`);
      }
    }
    this.stats.singleSteps++;
    vcpu.setProcControls(CPU_BASED.MONITOR_TRAP_FLAG, 0);
    return RESUME;
  }

  saveState(): ShadowMmuState {
    return this.mmu.saveState();
  }

  loadState(state: unknown): void {
    this.mmu.loadState(state as ShadowMmuState);
  }

  /** MTF exit: the single-stepped write is done. */
  monitorTrap(vcpu: Vcpu): Outcome {
    this.mmu.closeWindows();
    vcpu.setProcControls(0, CPU_BASED.MONITOR_TRAP_FLAG);
    return RESUME;
  }
}
