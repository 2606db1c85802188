// The debug target for the VM modes: a guest run by the hypervisor (vmm/run-vm.ts). VM exits are
// caught by the exit loop's hook (vcpu.exitHook) after the exit is recorded in the VMCS and before
// the hypervisor handles it. Guest state is read where it lives: in the processor while the guest
// is paused in VMX non-root operation, in the VMCS guest-state area (plus the vCPU's saved GPRs)
// while the hypervisor holds it at an exit, exactly as a hypervisor would see it.
import { HostBugError } from '../../common/assert.js';
import { CR0, CR4 } from '../../cpu/control-regs.js';
import { processorInternals } from '../../cpu/debug-access.js';
import { WRITABLE } from '../../cpu/eflags.js';
import { readEflags } from '../../cpu/flags.js';
import { Insn } from '../../cpu/insn.js';
import type { Core } from '../../cpu/run.js';
import { type Cpu, Pending } from '../../cpu/state.js';
import { VMCS, guestArField, guestBaseField, guestLimitField, guestSelectorField } from '../../cpu/vmx/fields.js';
import { Vmcs, vmcsFieldHeld } from '../../cpu/vmx/vmcs.js';
import { VmxController } from '../../cpu/vmx/controller.js';
import { RunStatus, runVcpu } from '../../vmm/exit-loop.js';
import type { VmStop } from '../../vmm/exits/outcome.js';
import { type HostProcessorFactory, type VmMachine, type VmRunOptions, formatVmStats, prepareVm } from '../../vmm/run-vm.js';
import { type CapturedState, captureState, restoreState } from '../history/object-state.js';
import { setLiveRegister } from './live-register.js';
import { type MemoryImage, MemoryImager, restoreImage } from '../history/memory-image.js';
import {
  type DebugTarget, type EndOutcome, type ExitInfo, type GuestRegisters, type ProbeHit, type RunStop, SEGMENT_NAMES,
  type SegmentName, type SegmentView, type TargetProbes, type TargetSnapshot, type TargetStats, type TranslationReport,
  type VmcsReader, WRITABLE_REGISTERS, type WritableRegister,
} from '../target.js';
import { walk32, walkEpt } from '../walks.js';
import { type CpuSnapshot, captureCpu, cpuCaptureOptions, restoreCpu } from './cpu-state.js';

const PAGE_SHIFT = 12;

export interface VmTargetOptions extends Omit<VmRunOptions, 'maxInsns'> {
  readonly onConsole: (bytes: Uint8Array) => void;
}

interface VmSnapshot extends TargetSnapshot {
  readonly memory: MemoryImage;
  readonly cpu: CpuSnapshot | null;
  readonly ops: CapturedState;
  readonly vm: CapturedState;
  readonly self: { exitCount: number; pending: ExitInfo | null; ended: EndOutcome | null; lastExit: ExitInfo | null };
}

/** Loads `image` into a VM (ImageError on a bad image) and opens it for debugging. */
export function createVmTarget(image: Uint8Array, opts: VmTargetOptions, makeProcessor: HostProcessorFactory): VmTarget {
  return new VmTarget(prepareVm(image, opts, makeProcessor), opts);
}

function endOf(s: VmStop): EndOutcome {
  return s.kind === 'vm-error' ? { kind: 'vm-stopped', message: s.report } : s;
}

export class VmTarget implements DebugTarget {
  readonly mode: string;
  readonly pv: boolean;
  readonly probes: TargetProbes = { breakpoints: new Set(), ioPorts: new Set(), writeFrames: new Set(), exitFilter: null };
  onExit: ((exit: ExitInfo) => void) | null = null;
  readonly ramSize: number;
  /** The processor's internals when it is the real one (a test double has none). */
  private readonly core: Core | null;
  private readonly vmcsView: Vmcs;
  private exitNumber = 0;
  private pending: ExitInfo | null = null;
  private last: ExitInfo | null = null;
  private endedWith: EndOutcome | null = null;
  private hits: ProbeHit[] = [];
  private readonly imager = new MemoryImager();

  constructor(
    private readonly machine: VmMachine,
    opts: VmTargetOptions,
  ) {
    this.mode = opts.mode;
    this.pv = opts.pv;
    const vm = machine.vm;
    this.ramSize = vm.ram.size;
    this.core = processorInternals(machine.ops) ?? null;
    this.vmcsView = new Vmcs(vm.host.mem, vm.vcpu.vmcs);
    vm.vcpu.exitHook = (_vcpu, reason) => this.exitHook(reason);
    this.installWriteProbe();
  }

  private get cpu(): Cpu | null {
    return this.core?.cpu ?? null;
  }

  /** The guest's state is in the processor (paused in non-root operation), not in the VMCS. */
  private get live(): boolean {
    return this.core !== null && this.machine.vm.vcpu.paused && this.pending === null;
  }

  private field(encoding: number): number {
    this.syncHeld(encoding);
    return this.vmcsView.read(encoding);
  }

  /** The processor may hold guest-state fields outside the region (vmcs.ts HELD): have it write them. */
  private syncHeld(encoding: number): void {
    const ctl = this.cpu?.vmx;
    if (vmcsFieldHeld(encoding) && ctl instanceof VmxController) ctl.flushGuestState();
  }

  private exitHook(reason: number): boolean {
    const f = (e: number): number => this.field(e);
    const exit: ExitInfo = {
      number: ++this.exitNumber,
      reason: reason >>> 0,
      qualification: f(VMCS.EXIT_QUALIFICATION),
      guestLinear: f(VMCS.GUEST_LINEAR_ADDRESS),
      guestPhysical: f(VMCS.GUEST_PHYSICAL_ADDRESS),
      instructionLength: f(VMCS.VM_EXIT_INSTRUCTION_LEN),
      instructionInfo: f(VMCS.VMX_INSTRUCTION_INFO),
      interruptionInfo: f(VMCS.VM_EXIT_INTR_INFO),
      interruptionErrorCode: f(VMCS.VM_EXIT_INTR_ERROR_CODE),
      idtVectoringInfo: f(VMCS.IDT_VECTORING_INFO_FIELD),
      rip: f(VMCS.GUEST_RIP),
      instructions: this.machine.ops.instructionsRetired,
      cycle: this.machine.vm.clock.now,
    };
    this.last = exit;
    this.onExit?.(exit);
    const stop = this.probes.exitFilter?.(exit) ?? false;
    if (stop) this.pending = exit;
    return stop;
  }

  private installWriteProbe(): void {
    const mem = this.machine.vm.host.mem;
    const invalidate = mem.onCodeWrite;
    const ramFrame = this.machine.vm.ram.base >>> PAGE_SHIFT;
    const frames = this.probes.writeFrames;
    mem.onCodeWrite = (frame) => {
      invalidate(frame);
      const g = frame - ramFrame;
      if (frames.has(g)) {
        mem.codeFrames[frame] = 1;
        const last = this.hits[this.hits.length - 1];
        if (!(last?.kind === 'write' && last.frame === g)) this.hits.push({ kind: 'write', frame: g });
        const c = this.cpu;
        if (c) c.pending |= Pending.STOP;
      }
    };
  }

  // ---------------------------------------------------------------- state

  registers(): GuestRegisters {
    const vcpu = this.machine.vm.vcpu;
    const c = this.cpu;
    const segs = {} as Record<SegmentName, SegmentView>;
    const view = this.guestControl();
    if (this.live && c) {
      SEGMENT_NAMES.forEach((name, i) => {
        segs[name] = { selector: c.segSel[i]! & 0xffff, base: c.segBase[i]! >>> 0, limit: c.segLimit[i]! >>> 0, attrs: c.segAr[i]! >>> 0 };
      });
      return {
        gpr: Array.from(c.regs.subarray(0, 8), (r) => r >>> 0),
        eip: c.eip >>> 0,
        eflags: readEflags(c) >>> 0,
        segs,
        ...view,
        cr2: c.cr2 >>> 0,
        gdtr: { base: c.gdtBase >>> 0, limit: c.gdtLimit },
        idtr: { base: c.idtBase >>> 0, limit: c.idtLimit },
        cpl: c.cpl,
        actual: { cr0: c.cr0 >>> 0, cr3: c.cr3 >>> 0, cr4: c.cr4 >>> 0 },
      };
    }
    const f = (e: number): number => this.field(e);
    SEGMENT_NAMES.forEach((name, i) => {
      segs[name] = { selector: f(guestSelectorField(i)), base: f(guestBaseField(i)), limit: f(guestLimitField(i)), attrs: f(guestArField(i)) };
    });
    const gpr = Array.from(vcpu.regs, (r) => r >>> 0);
    gpr[4] = f(VMCS.GUEST_RSP);
    return {
      gpr,
      eip: f(VMCS.GUEST_RIP),
      eflags: f(VMCS.GUEST_RFLAGS),
      segs,
      ...view,
      // CR2 is not in the VMCS (SDM §25.4.1): the processor keeps the guest's across exits.
      cr2: c ? c.cr2 >>> 0 : 0,
      gdtr: { base: f(VMCS.GUEST_GDTR_BASE), limit: f(VMCS.GUEST_GDTR_LIMIT) },
      idtr: { base: f(VMCS.GUEST_IDTR_BASE), limit: f(VMCS.GUEST_IDTR_LIMIT) },
      cpl: (f(VMCS.GUEST_SS_AR_BYTES) >>> 5) & 3,
      actual: { cr0: f(VMCS.GUEST_CR0), cr3: f(VMCS.GUEST_CR3), cr4: f(VMCS.GUEST_CR4) },
    };
  }

  /** CR0/CR3/CR4 as the guest reads them: the masked bits from the read shadows (SDM §25.6.6). */
  private guestControl(): { cr0: number; cr3: number; cr4: number } {
    const c = this.cpu;
    const live = this.live && c !== null;
    const cr0 = live ? c.cr0 : this.field(VMCS.GUEST_CR0);
    const cr4 = live ? c.cr4 : this.field(VMCS.GUEST_CR4);
    const m0 = this.field(VMCS.CR0_GUEST_HOST_MASK);
    const m4 = this.field(VMCS.CR4_GUEST_HOST_MASK);
    const g0 = ((cr0 & ~m0) | (this.field(VMCS.CR0_READ_SHADOW) & m0)) >>> 0;
    const g4 = ((cr4 & ~m4) | (this.field(VMCS.CR4_READ_SHADOW) & m4)) >>> 0;
    const vcpu = this.machine.vm.vcpu;
    if (!live) {
      // The hypervisor holds the guest: its paging mode knows what the guest's CR3 is.
      return { cr0: g0, cr3: vcpu.paging.guestRegs(vcpu).cr3 >>> 0, cr4: g4 };
    }
    // With the guest's paging off (EPT mode) the processor runs on the identity map; the guest's
    // CR3 is the value it loaded, which the hypervisor keeps (CR3-load exiting).
    const cr3 = (g0 & CR0.PG) !== 0 && this.mode === 'ept' ? c.cr3 >>> 0 : vcpu.cr3Virtual >>> 0;
    return { cr0: g0, cr3, cr4: g4 };
  }

  setRegister(name: WritableRegister, value: number): string | null {
    const vcpu = this.machine.vm.vcpu;
    const c = this.cpu;
    const i = WRITABLE_REGISTERS.indexOf(name);
    if (this.live && c) {
      setLiveRegister(c, name, value);
      return null;
    }
    // At an exit the hypervisor holds the state: change it where the next VM entry loads it from.
    if (i < 8 && i !== 4) vcpu.regs[i] = value | 0;
    else {
      const enc = name === 'esp' ? VMCS.GUEST_RSP : name === 'eip' ? VMCS.GUEST_RIP : VMCS.GUEST_RFLAGS;
      this.vmcsView.write(enc, name === 'eflags' ? ((value & WRITABLE) | 2) >>> 0 : value >>> 0);
    }
    return null;
  }

  translate(linear: number): number | null {
    return this.guestWalk(linear).result;
  }

  private guestWalk(linear: number) {
    const ram = this.machine.vm.ram;
    const read = (a: number): number | null => (ram.contains(a, 4) ? ram.read32(a) >>> 0 : null);
    const g = this.guestControl();
    return walk32('guest page tables', linear, g.cr3, (g.cr0 & CR0.PG) !== 0, (g.cr4 & CR4.PSE) !== 0, read);
  }

  readPhysical(gpa: number, len: number): Uint8Array | null {
    const ram = this.machine.vm.ram;
    if (len < 0 || !ram.contains(gpa, len)) return null;
    const h = ram.hpa(gpa);
    return ram.mem.u8.slice(h, h + len);
  }

  writePhysical(gpa: number, bytes: Uint8Array): boolean {
    const ram = this.machine.vm.ram;
    if (!ram.contains(gpa, bytes.length)) return false;
    ram.mem.writeBytes(ram.hpa(gpa), bytes);
    // Shadow paging write-protects the guest's page tables; a write from here bypasses that.
    const vcpu = this.machine.vm.vcpu;
    vcpu.paging.guestWrote?.(vcpu, gpa, bytes.length);
    return true;
  }

  pageWalk(linear: number): TranslationReport {
    const guest = this.guestWalk(linear);
    const mem = this.machine.vm.host.mem;
    const readHost = (a: number): number | null => ((a >>> 0) + 4 <= mem.size ? mem.read32(a) >>> 0 : null);
    if (this.mode === 'ept') {
      if (guest.result === null) return { guest, host: null };
      const second = walkEpt(guest.result, this.field(VMCS.EPT_POINTER), readHost);
      return { guest, second, host: second.result };
    }
    // Shadow paging: the processor walks the hypervisor's shadow tables for the same linear address.
    const r = this.registers();
    const cr3 = r.actual?.cr3 ?? r.cr3;
    const second = walk32('shadow page tables', linear, cr3, true, ((r.actual?.cr4 ?? r.cr4) & CR4.PSE) !== 0, readHost, 'shadow ');
    return { guest, second, host: second.result };
  }

  vmcs(): VmcsReader {
    const v = this.vmcsView;
    return {
      pointer: v.base,
      read: (e) => {
        try {
          this.syncHeld(e);
          return v.read(e);
        } catch {
          return undefined;
        }
      },
    };
  }

  get instructions(): number {
    return this.machine.ops.instructionsRetired;
  }

  get exitCount(): number {
    return this.exitNumber;
  }

  get pendingExit(): ExitInfo | null {
    return this.pending;
  }

  get cycles(): number {
    return this.machine.vm.clock.now;
  }

  get ended(): EndOutcome | null {
    return this.endedWith;
  }

  stats(): TargetStats {
    return { lines: formatVmStats(this.machine.vm.stats) };
  }

  // ---------------------------------------------------------------- running

  takeHits(): ProbeHit[] {
    const h = this.hits;
    this.hits = [];
    return h;
  }

  run(maxInsns: number, stepOver = false): RunStop {
    if (this.endedWith) return { kind: 'ended', outcome: this.endedWith };
    const { ops, vm } = this.machine;
    const core = this.core;
    if (core) {
      core.breakpoints.clear();
      for (const b of this.probes.breakpoints) core.breakpoints.add(b >>> 0);
      (core as unknown as { bpResume: number }).bpResume = stepOver ? core.cpu.icount : -1;
    }
    const ramFrame = vm.ram.base >>> PAGE_SHIFT;
    for (const f of this.probes.writeFrames) vm.host.mem.codeFrames[ramFrame + f] = 1;
    this.pending = null;
    ops.pauseAt = ops.instructionsRetired + maxInsns;
    const status = runVcpu(vm.vcpu);
    this.machine.flushConsole();
    if (status === RunStatus.EXIT_BREAK) {
      if (!this.pending) throw new HostBugError('the exit loop broke at an exit the hook did not ask for');
      return { kind: 'vm-exit', exit: this.pending };
    }
    if (status === RunStatus.STOPPED) {
      this.endedWith = endOf(vm.stop ?? { kind: 'vm-error', report: 'the VM stopped without a reason' });
      return { kind: 'ended', outcome: this.endedWith };
    }
    const why = ops.pauseReason;
    if (why?.kind === 'breakpoint') return { kind: 'breakpoint', eip: why.eip };
    if (why?.kind === 'unsupported') {
      this.endedWith = { kind: 'unsupported', message: why.message };
      return { kind: 'ended', outcome: this.endedWith };
    }
    if (why?.kind === 'triple-fault') {
      this.endedWith = { kind: 'triple-fault', report: why.report };
      return { kind: 'ended', outcome: this.endedWith };
    }
    if (this.hits.length > 0) {
      if (why?.kind === 'stop-requested') this.settle();
      return { kind: 'probe' };
    }
    return { kind: 'budget' };
  }

  /**
   * A probe stopped the guest before the processor looked at pending events; let it look (and the
   * hypervisor handle any exit that causes) without executing an instruction, so the state at an
   * instruction count is the same however the run got there (replay depends on it).
   */
  private settle(): void {
    const { ops, vm } = this.machine;
    const filter = this.probes.exitFilter;
    this.probes.exitFilter = null;
    try {
      ops.pauseAt = ops.instructionsRetired;
      const status = runVcpu(vm.vcpu);
      this.machine.flushConsole();
      if (status === RunStatus.STOPPED) this.endedWith = endOf(vm.stop ?? { kind: 'vm-error', report: 'the VM stopped without a reason' });
    } finally {
      this.probes.exitFilter = filter;
    }
  }

  // ---------------------------------------------------------------- history

  /** Capture options for the VM graph and the VT-x interface object: the processor and host are
   *  captured (or static) separately. */
  private graphOptions(exclude: object | null) {
    const { vm, ops } = this.machine;
    const mem = vm.host.mem;
    const c = this.cpu;
    // The processor's own capture leaves big typed arrays out as caches; the VM's big arrays (flat
    // statistics tables) are state, so only decoded instructions are left out here.
    const skip = c ? cpuCaptureOptions(c, [vm.host, vm.kernel, c]).skip : new Set<object>([mem, vm.host, vm.kernel]);
    const opts = { skip, skipBuffers: new Set<ArrayBufferLike>([mem.buffer]), skipIf: (o: object) => o instanceof Insn };
    if (this.core) opts.skip.add(this.core);
    opts.skip.add(ops);
    if (exclude) opts.skip.delete(exclude);
    return opts;
  }

  snapshot(): TargetSnapshot {
    const { vm, ops } = this.machine;
    const memory = this.imager.take(vm.host.mem.u8);
    const cpu = this.core ? captureCpu(this.core, [vm.host, vm.kernel]) : null;
    // The VT-x interface object has state of its own (pause budget, GPRs, a test double's script).
    const opsState = captureState(ops, this.graphOptions(ops));
    const vmState = captureState(vm, this.graphOptions(null));
    const snap: VmSnapshot = {
      bytes: memory.newBytes + (cpu?.state.bytes ?? 0) + opsState.bytes + vmState.bytes,
      memory,
      cpu,
      ops: opsState,
      vm: vmState,
      self: { exitCount: this.exitNumber, pending: this.pending, ended: this.endedWith, lastExit: this.last },
    };
    return snap;
  }

  restore(s: TargetSnapshot): void {
    const snap = s as VmSnapshot;
    restoreImage(this.machine.vm.host.mem.u8, snap.memory);
    if (snap.cpu && this.core) restoreCpu(this.core, snap.cpu);
    restoreState(snap.ops);
    restoreState(snap.vm);
    this.exitNumber = snap.self.exitCount;
    this.pending = snap.self.pending;
    this.endedWith = snap.self.ended;
    this.last = snap.self.lastExit;
    this.hits = [];
  }
}
