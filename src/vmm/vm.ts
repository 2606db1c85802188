// One virtual machine: its RAM (a contiguous run of host frames), EPT tables, the identity-map page
// directory used while the guest's paging is off, its own PC device set on its own port bus and
// virtual clock, its vCPU and VMCS, its statistics, and how it stopped.
import { type InitialCpuState } from '../boot/initial-state.js';
import { type LoadedKernel, loadMultiboot } from '../boot/multiboot.js';
import { Clock } from '../machine/clock.js';
import { applyFirmwareInit } from '../machine/firmware-init.js';
import { IoBus } from '../machine/io-bus.js';
import type { ByteSink } from '../machine/devices/uart16550.js';
import type { IrqSink } from '../machine/irq.js';
import { type PcDevices, type PcDevicesState, createPcDevices, loadPcDevices, savePcDevices } from '../machine/pc-devices.js';
import type { ClockState } from '../machine/clock.js';
import { EPTE } from '../cpu/vmx/api.js';
import { HostBugError } from '../common/assert.js';
import { LARGE_PAGE_SHIFT, PAGE_SIZE, PTE } from './arch-defs.js';
import { EptTables } from './ept/build.js';
import { VirtualCpuid } from './exits/cpuid.js';
import type { VmStop } from './exits/outcome.js';
import { FrameUse } from './frames.js';
import { GuestLinear, GuestRam } from './guest-memory.js';
import type { VmxHost } from './host.js';
import { EptPagingMode } from './paging/ept-mode.js';
import type { PagingMode, PagingModeName } from './paging/mode.js';
import { ShadowPagingMode } from './paging/shadow-mode.js';
import type { ShadowLimits } from './shadow/shadow-mmu.js';
import { VmStats } from './stats.js';
import { Vcpu } from './vcpu.js';
import { setupVmcs } from './vmcs-setup.js';

/** The PIT's IRQ line, shared (wired-OR) with the PV one-shot timer (docs/hypercalls.md). */
const TIMER_IRQ = 0;
/** RAM is placed on a 4 MiB boundary so EPT can use 2 MiB pages for all of it. */
const RAM_ALIGN_FRAMES = (1 << LARGE_PAGE_SHIFT) / PAGE_SIZE;

export interface VmOptions {
  /** VM number: its VPID and the owner of its frames (1, 2, ...). */
  readonly id: number;
  readonly memMiB: number;
  readonly mode: PagingModeName;
  /** Advertise the para-virtual interface (CPUID 0x40000000) and accept hypercalls. */
  readonly pv: boolean;
  /** Receives the guest's console bytes (COM1 and CONSOLE_WRITE hypercalls). */
  readonly console: ByteSink;
  /** Shadow mode: bounds of the shadow-page cache (default DEFAULT_SHADOW_LIMITS). */
  readonly shadowLimits?: ShadowLimits;
  /** The image's name and command line, as for a native run. */
  readonly name: string;
  readonly cmdline?: string;
}

export class Vm {
  readonly clock = new Clock();
  readonly bus = new IoBus();
  readonly devices: PcDevices;
  readonly stats = new VmStats();
  readonly ram: GuestRam;
  readonly linear: GuestLinear;
  readonly ept: EptTables;
  /** Guest-physical and host-physical address of the identity-map page directory. */
  readonly identityMapGpa: number;
  readonly identityMapHpa: number;
  readonly cpuid: VirtualCpuid;
  readonly vcpu: Vcpu;
  readonly kernel: LoadedKernel;
  /** Set once the VM has stopped for good. */
  stop: VmStop | null = null;
  /** The VM's clock reads host TSC + this (0: the VM was created at host cycle 0). */
  readonly clockOffset: number;
  /** IRQ0 inputs of the wired-OR: the PIT's OUT and the PV timer's pulse. */
  private pitLevel = false;
  private pvTimerLevel = false;
  /** The PIC's input (null while the devices are being built) and each line's level. */
  private picSink: IrqSink | null = null;
  private readonly lineLevels = new Uint8Array(16);
  /** Pending PV one-shot timer (clock event id), 0 when none, and its deadline. */
  private pvTimerEvent = 0;
  private pvTimerDeadline = 0;

  constructor(
    readonly host: VmxHost,
    readonly opts: VmOptions,
    image: Uint8Array,
  ) {
    const { mem, frames, ops, caps } = host;
    const id = opts.id;
    const ramSize = opts.memMiB * 1024 * 1024;
    const ramBase = frames.alloc(ramSize / PAGE_SIZE, FrameUse.GuestRam, id, RAM_ALIGN_FRAMES);
    this.ram = new GuestRam(mem, ramBase, ramSize);

    // The identity map: 1024 PDEs of 4 MiB pages covering guest-physical space, in a frame at the
    // first guest-physical page after RAM, absent from the guest's memory map.
    this.identityMapGpa = ramSize;
    this.identityMapHpa = frames.alloc(1, FrameUse.IdentityMap, id);
    for (let i = 0; i < 1024; i++) {
      mem.write32(this.identityMapHpa + i * 4, (i << LARGE_PAGE_SHIFT) | PTE.P | PTE.RW | PTE.US | PTE.PS | PTE.A | PTE.D);
    }

    // EPT accessed/dirty flags stay off although the processor advertises them: with them, the
    // processor's reads of guest paging structures count as writes (SDM Vol. 3 §29.3.3.2), so the
    // identity map would have to be writable by the guest, a frame outside its RAM. Nothing here
    // consumes EPT dirty bits yet. Read-only works because its PDEs have A and D preset.
    this.ept = new EptTables(mem, frames, id, { largePages: caps.ept2mPages, accessedDirty: false });
    this.ept.map(0, ramBase, ramSize);
    this.ept.map(this.identityMapGpa, this.identityMapHpa, PAGE_SIZE, EPTE.R);

    this.clockOffset = -ops.rdtsc();
    this.clock.now = 0;
    this.devices = createPcDevices(this.bus, this.clock, {
      console: opts.console,
      onExit: (value) => this.requestStop({ kind: 'exit', value: value & 0xff }),
      irqSink: (irq, level) => this.irq(irq, level),
    });
    // Lines the devices raised while being built (the PIT's OUT) reach the PIC now.
    this.picSink = this.devices.pic.sink;
    this.lineLevels.forEach((level, irq) => {
      if (level) this.picSink!(irq, true);
    });
    applyFirmwareInit(this.bus);

    this.kernel = loadMultiboot(image, this.ram.writer(), { name: opts.name, cmdline: opts.cmdline ?? '' });
    this.cpuid = new VirtualCpuid(ops, opts.pv);

    let paging: PagingMode;
    if (opts.mode === 'ept') {
      paging = new EptPagingMode(this.identityMapGpa, caps.cr4Fixed1);
    } else if (opts.mode === 'shadow') {
      const shadow = new ShadowPagingMode({ mem, frames, owner: id, ram: this.ram, cr4Fixed1: caps.cr4Fixed1, ...(opts.shadowLimits ? { limits: opts.shadowLimits } : {}) });
      this.stats.shadow = shadow.stats;
      paging = shadow;
    } else {
      throw new HostBugError(`unknown paging mode ${String(opts.mode)}`);
    }
    const vmcs = frames.alloc(1, FrameUse.Vmcs, id);
    this.vcpu = new Vcpu(this, ops, vmcs, paging, id);
    this.linear = new GuestLinear(this.ram, this.vcpu.pagingView);
    if (paging.guestWrote) {
      const vcpu = this.vcpu;
      const wrote = paging.guestWrote.bind(paging);
      this.linear.onWrite = (gpa, len) => wrote(vcpu, gpa, len);
    }
    setupVmcs(this.vcpu, this.kernel.state);
    loadRegisters(this.vcpu, this.kernel.state);
  }

  get pic(): PcDevices['pic'] {
    return this.devices.pic;
  }

  /** The first stop wins (a debug-exit write followed by a triple fault is still an exit). */
  requestStop(stop: VmStop): void {
    this.stop ??= stop;
  }

  /** Brings the VM's devices up to the host's present: fires their due deadlines (PIT edges...). */
  syncClock(): void {
    const now = this.host.ops.rdtsc() + this.clockOffset;
    const clock = this.clock;
    if (now >= clock.nextDeadline) clock.advanceTo(now);
    else if (now > clock.now) clock.now = now;
  }

  /** Host TSC value at which the VM's clock reads `vmCycle`. */
  hostCycle(vmCycle: number): number {
    return vmCycle - this.clockOffset;
  }

  /** Fires IRQ 0 through the wired-OR as a PV timer pulse (an edge when the PIT's OUT is low). */
  pulseTimerIrq(): void {
    this.pvTimerLevel = true;
    this.irq(TIMER_IRQ, this.pitLevel);
    this.pvTimerLevel = false;
    this.irq(TIMER_IRQ, this.pitLevel);
  }

  saveState(): VmState {
    return {
      clock: this.clock.saveState(),
      devices: savePcDevices(this.devices),
      vcpu: this.vcpu.saveState(),
      stop: this.stop,
      pvTimerAt: this.pvTimerEvent !== 0 ? this.pvTimerDeadline : null,
      pitLevel: this.pitLevel,
      lineLevels: [...this.lineLevels],
      paging: this.vcpu.paging.saveState?.() ?? null,
    };
  }

  /** Restores a saved state (the clock first: the devices re-schedule their own deadlines on it). */
  loadState(s: VmState): void {
    this.clock.loadState(s.clock);
    loadPcDevices(this.devices, s.devices);
    this.vcpu.loadState(s.vcpu);
    if (s.paging !== null && s.paging !== undefined) this.vcpu.paging.loadState?.(s.paging);
    this.stop = s.stop;
    this.pitLevel = s.pitLevel;
    this.lineLevels.set(s.lineLevels);
    this.pvTimerEvent = 0;
    if (s.pvTimerAt !== null) this.armPvTimer(s.pvTimerAt);
  }

  /** Arms the PV one-shot timer for VM cycle `at`, replacing an armed one (SET_TIMER). */
  armPvTimer(at: number): void {
    this.cancelPvTimer();
    this.pvTimerDeadline = at;
    this.pvTimerEvent = this.clock.schedule(at, () => {
      this.pvTimerEvent = 0;
      this.pulseTimerIrq();
    });
  }

  cancelPvTimer(): void {
    if (this.pvTimerEvent !== 0) this.clock.cancel(this.pvTimerEvent);
    this.pvTimerEvent = 0;
  }

  /** A device's IRQ line changed. */
  private irq(n: number, level: boolean): void {
    if (n === TIMER_IRQ) {
      this.pitLevel = level;
      level ||= this.pvTimerLevel;
    }
    this.lineLevels[n] = level ? 1 : 0;
    this.picSink?.(n, level);
  }
}

/**
 * Everything of a VM that evolves, apart from memory (host-physical memory holds RAM, VMCS and
 * tables; snapshot it whole) and the processor: the hypervisor's own software state, the devices,
 * the clock and the PV timer. Plain JSON.
 */
export interface VmState {
  readonly clock: ClockState;
  readonly devices: PcDevicesState;
  readonly vcpu: VcpuState;
  readonly stop: VmStop | null;
  /** Deadline of the armed PV one-shot timer (VM cycles), null when none. */
  readonly pvTimerAt: number | null;
  readonly pitLevel: boolean;
  readonly lineLevels: number[];
  /** The paging mode's own state (shadow paging's MMU; null for EPT). */
  readonly paging: unknown;
}

export type VcpuState = ReturnType<Vcpu['saveState']>;

/** The Multiboot entry registers (EAX magic, EBX info address...) into the vCPU's register file. */
function loadRegisters(vcpu: Vcpu, s: InitialCpuState): void {
  const r = vcpu.regs;
  r[0] = s.eax;
  r[1] = s.ecx;
  r[2] = s.edx;
  r[3] = s.ebx;
  r[4] = s.esp;
  r[5] = s.ebp;
  r[6] = s.esi;
  r[7] = s.edi;
}
