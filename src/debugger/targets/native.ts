// The debug target for native mode: the bare emulated machine (vmm/run-native.ts) with the
// processor's internals opened through cpu/debug-access.ts. Breakpoints use the run loop's EIP set;
// I/O probes wrap the port bus; write probes mark watched frames as code frames, so every write to
// them leaves the TLB fast path and reaches PhysicalMemory's write hook.
import { processorInternals } from '../../cpu/debug-access.js';
import { CR0, CR4 } from '../../cpu/control-regs.js';
import { readEflags } from '../../cpu/flags.js';
import type { Core } from '../../cpu/run.js';
import { type Cpu, Pending } from '../../cpu/state.js';
import { HostBugError } from '../../common/assert.js';
import { type NativeMachine, type NativeRunOptions, prepareNative } from '../../vmm/run-native.js';
import { type MemoryImage, MemoryImager, restoreImage } from '../history/memory-image.js';
import {
  type DebugTarget, type EndOutcome, type ExitInfo, type GuestRegisters, type ProbeHit, type RunStop, SEGMENT_NAMES, type SegmentName,
  type SegmentView, type TargetProbes, type TargetSnapshot, type TargetStats, type TranslationReport, type VmcsReader,
  type WritableRegister,
} from '../target.js';
import { walk32 } from '../walks.js';
import { type CpuSnapshot, captureCpu, restoreCpu } from './cpu-state.js';
import { setLiveRegister } from './live-register.js';

type BoardState = ReturnType<NativeMachine['board']['saveState']>;

interface NativeSnapshot extends TargetSnapshot {
  readonly memory: MemoryImage;
  readonly cpu: CpuSnapshot;
  readonly board: BoardState;
  readonly ended: EndOutcome | null;
}

/** The run loop's resume-from-breakpoint mark (TypeScript `private`, reachable by name). */
interface CorePrivate {
  bpResume: number;
}

export interface NativeTargetOptions extends Omit<NativeRunOptions, 'maxInsns'> {
  /** Console bytes, as the guest writes them. */
  readonly onConsole: (bytes: Uint8Array) => void;
}

/** Loads `image` on a bare machine (ImageError on a bad image) and opens it for debugging. */
export function createNativeTarget(image: Uint8Array, opts: NativeTargetOptions): NativeTarget {
  return new NativeTarget(prepareNative(image, opts));
}

export class NativeTarget implements DebugTarget {
  readonly mode = 'native';
  readonly pv = false;
  readonly probes: TargetProbes = { breakpoints: new Set(), ioPorts: new Set(), writeFrames: new Set(), exitFilter: null };
  onExit: ((exit: ExitInfo) => void) | null = null;
  readonly ramSize: number;
  private readonly core: Core;
  private readonly cpu: Cpu;
  private hits: ProbeHit[] = [];
  private endedWith: EndOutcome | null = null;
  private readonly imager = new MemoryImager();

  constructor(private readonly machine: NativeMachine) {
    const core = processorInternals(machine.processor);
    if (!core) throw new HostBugError('the native machine has no registered processor internals');
    this.core = core;
    this.cpu = core.cpu;
    this.ramSize = this.cpu.memSize;
    this.installIoProbe();
    this.installWriteProbe();
  }

  private installIoProbe(): void {
    const bus = this.machine.board.bus;
    const read = bus.read.bind(bus);
    const write = bus.write.bind(bus);
    const ports = this.probes.ioPorts;
    bus.read = (port, size) => {
      const v = read(port, size);
      if (ports.size !== 0 && ports.has(port & 0xffff)) this.ioHit(port, size, false, v);
      return v;
    };
    bus.write = (port, size, value) => {
      if (ports.size !== 0 && ports.has(port & 0xffff)) this.ioHit(port, size, true, value);
      write(port, size, value);
    };
  }

  private ioHit(port: number, size: number, write: boolean, value: number): void {
    this.hits.push({ kind: 'io', port: port & 0xffff, size, write, value: value >>> 0 });
    this.cpu.pending |= Pending.STOP;
  }

  private installWriteProbe(): void {
    const mem = this.cpu.mem;
    const invalidate = mem.onCodeWrite;
    const frames = this.probes.writeFrames;
    mem.onCodeWrite = (frame) => {
      invalidate(frame);
      if (frames.has(frame)) {
        // Stay marked so the next write to the frame reaches this hook too.
        mem.codeFrames[frame] = 1;
        const last = this.hits[this.hits.length - 1];
        if (!(last?.kind === 'write' && last.frame === frame)) this.hits.push({ kind: 'write', frame });
        this.cpu.pending |= Pending.STOP;
      }
    };
  }

  // ---------------------------------------------------------------- state

  registers(): GuestRegisters {
    const c = this.cpu;
    const segs = {} as Record<SegmentName, SegmentView>;
    SEGMENT_NAMES.forEach((name, i) => {
      segs[name] = { selector: c.segSel[i]! & 0xffff, base: c.segBase[i]! >>> 0, limit: c.segLimit[i]! >>> 0, attrs: c.segAr[i]! >>> 0 };
    });
    return {
      gpr: Array.from(c.regs.subarray(0, 8), (r) => r >>> 0),
      eip: c.eip >>> 0,
      eflags: readEflags(c) >>> 0,
      segs,
      cr0: c.cr0 >>> 0,
      cr2: c.cr2 >>> 0,
      cr3: c.cr3 >>> 0,
      cr4: c.cr4 >>> 0,
      gdtr: { base: c.gdtBase >>> 0, limit: c.gdtLimit },
      idtr: { base: c.idtBase >>> 0, limit: c.idtLimit },
      cpl: c.cpl,
    };
  }

  setRegister(name: WritableRegister, value: number): string | null {
    setLiveRegister(this.cpu, name, value);
    return null;
  }

  translate(linear: number): number | null {
    return this.guestWalk(linear).result;
  }

  private guestWalk(linear: number) {
    const c = this.cpu;
    const mem = c.mem;
    const read = (a: number): number | null => (a >>> 0) + 4 <= mem.size ? mem.read32(a) >>> 0 : null;
    return walk32('guest page tables', linear, c.cr3, (c.cr0 & CR0.PG) !== 0, (c.cr4 & CR4.PSE) !== 0, read);
  }

  readPhysical(gpa: number, len: number): Uint8Array | null {
    gpa >>>= 0;
    if (len < 0 || gpa + len > this.ramSize) return null;
    return this.cpu.mem.u8.slice(gpa, gpa + len);
  }

  writePhysical(gpa: number, bytes: Uint8Array): boolean {
    gpa >>>= 0;
    if (gpa + bytes.length > this.ramSize) return false;
    this.cpu.mem.writeBytes(gpa, bytes);
    return true;
  }

  pageWalk(linear: number): TranslationReport {
    const guest = this.guestWalk(linear);
    return { guest, host: guest.result !== null && guest.result < this.ramSize ? guest.result : null };
  }

  vmcs(): VmcsReader | null {
    return null;
  }

  get instructions(): number {
    return this.cpu.icount;
  }

  readonly exitCount = 0;
  readonly pendingExit = null;

  get cycles(): number {
    return this.machine.board.clock.now;
  }

  get ended(): EndOutcome | null {
    return this.endedWith;
  }

  stats(): TargetStats {
    return {
      lines: [
        `instructions retired   ${this.cpu.icount}`,
        `virtual time           ${this.machine.board.clock.now} cycles`,
        `decoded blocks built   ${this.machine.processor.counters.blocksDecoded}`,
      ],
    };
  }

  // ---------------------------------------------------------------- running

  takeHits(): ProbeHit[] {
    const h = this.hits;
    this.hits = [];
    return h;
  }

  run(maxInsns: number, stepOver = false): RunStop {
    if (this.endedWith) return { kind: 'ended', outcome: this.endedWith };
    const bps = this.core.breakpoints;
    bps.clear();
    for (const b of this.probes.breakpoints) bps.add(b >>> 0);
    for (const f of this.probes.writeFrames) if (f < this.cpu.codeFrames.length) this.cpu.codeFrames[f] = 1;
    const priv = this.core as unknown as CorePrivate;
    priv.bpResume = stepOver ? this.cpu.icount : -1;
    const stop = this.machine.processor.run(maxInsns);
    this.machine.flushConsole();
    switch (stop.kind) {
      case 'budget':
        return { kind: 'budget' };
      case 'breakpoint':
        return { kind: 'breakpoint', eip: stop.eip };
      case 'stop-requested': {
        const exited = this.machine.board.exitRequested;
        if (this.hits.length === 0) {
          if (exited) return this.end({ kind: 'exit', value: this.machine.board.exitValue });
          return { kind: 'budget' };
        }
        if (exited) this.endedWith = { kind: 'exit', value: this.machine.board.exitValue };
        else this.settle();
        return { kind: 'probe' };
      }
      case 'triple-fault':
        return this.end({ kind: 'triple-fault', report: stop.report });
      case 'halted-forever':
        return this.end({ kind: 'halted-forever', why: stop.why });
      case 'unsupported':
        return this.end({ kind: 'unsupported', message: stop.message });
    }
  }

  /**
   * A probe stopped the processor at the instruction boundary before it looked at pending events.
   * Let it look (deliver a due interrupt, sleep in HLT) without executing anything, so the state at
   * a given instruction count is the same however the run got there: replay depends on it.
   */
  private settle(): void {
    const stop = this.machine.processor.run(0);
    this.machine.flushConsole();
    if (stop.kind === 'triple-fault') this.endedWith = { kind: 'triple-fault', report: stop.report };
    else if (stop.kind === 'halted-forever') this.endedWith = { kind: 'halted-forever', why: stop.why };
    else if (stop.kind === 'unsupported') this.endedWith = { kind: 'unsupported', message: stop.message };
  }

  private end(outcome: EndOutcome): RunStop {
    this.endedWith = outcome;
    return { kind: 'ended', outcome };
  }

  // ---------------------------------------------------------------- history

  snapshot(): TargetSnapshot {
    const c = this.cpu;
    const memory = this.imager.take(c.mem.u8);
    // The clock and devices are the board's: Board.saveState has them.
    const cpu = captureCpu(this.core, [c.clock]);
    const snap: NativeSnapshot = {
      bytes: memory.newBytes + cpu.state.bytes + 4096,
      memory,
      cpu,
      board: this.machine.board.saveState(),
      ended: this.endedWith,
    };
    return snap;
  }

  restore(s: TargetSnapshot): void {
    const snap = s as NativeSnapshot;
    restoreImage(this.cpu.mem.u8, snap.memory);
    restoreCpu(this.core, snap.cpu);
    this.machine.board.loadState(snap.board);
    this.endedWith = snap.ended;
    this.hits = [];
  }
}
