// Capturing and restoring the processor for history, shared by the native and VM targets: every
// field of Cpu (registers, segment caches, control registers, VT-x state...) by in-place capture,
// leaving out the board (memory, buses, devices, clock: the targets save those) and the caches
// (TLB, decoded instructions), which are flushed on restore instead.
import { Insn } from '../../cpu/insn.js';
import type { Core } from '../../cpu/run.js';
import type { Cpu } from '../../cpu/state.js';
import { type CapturedState, type CaptureOptions, captureState, restoreState } from '../history/object-state.js';

/** Typed arrays this large are caches (TLB contexts of 1M entries), never architectural state. */
const CACHE_ARRAY_BYTES = 1 << 20;

export interface CpuSnapshot {
  readonly state: CapturedState;
  readonly tlbTag: number;
  readonly fruitless: number;
}

/** What a capture of `cpu` must leave alone, plus `extra` objects the caller saves otherwise. */
export function cpuCaptureOptions(cpu: Cpu, extra: readonly object[] = []): CaptureOptions & { skip: Set<object> } {
  const skip = new Set<object>([cpu.mem, cpu.io, cpu.intc, cpu.msrs, cpu.tlb, cpu.vmxInstructions, ...extra]);
  return {
    skip,
    skipBuffers: new Set([cpu.mem.buffer]),
    skipIf: (o) => o instanceof Insn || (ArrayBuffer.isView(o) && o.byteLength >= CACHE_ARRAY_BYTES),
  };
}

export function captureCpu(core: Core, extra: readonly object[] = []): CpuSnapshot {
  const cpu = core.cpu;
  return {
    state: captureState(cpu, cpuCaptureOptions(cpu, extra)),
    tlbTag: cpu.tlb.tag,
    fruitless: (core as unknown as { fruitless: number }).fruitless,
  };
}

/** Restores the processor, then drops what caches knew of the state it replaced. */
export function restoreCpu(core: Core, s: CpuSnapshot): void {
  const cpu = core.cpu;
  restoreState(s.state);
  (core as unknown as { fruitless: number }).fruitless = s.fruitless;
  core.cache.clear();
  cpu.faultInsn = null;
  cpu.thrown = null;
  cpu.chainFrom = null;
  cpu.codeGen++;
  cpu.tlb.flushAll();
  cpu.tlb.setTag(s.tlbTag);
  cpu.tlbData = cpu.tlb.data;
}
