// Chooses the debug target for a run mode: the bare machine natively, the hypervisor otherwise.
import { hostProcessor } from '../../vmm/host-processor.js';
import type { DebugTarget } from '../target.js';
import { type NativeTargetOptions, createNativeTarget } from './native.js';
import { createVmTarget } from './vm.js';

/** Modes the debugger can run a guest in. */
export const DEBUG_MODES = ['native', 'ept', 'shadow'] as const;
export type DebugMode = (typeof DEBUG_MODES)[number];

export interface TargetOptions extends NativeTargetOptions {
  readonly mode: DebugMode;
  readonly pv?: boolean;
}

/** A mode that cannot run here (the processor lacks what it needs): a message for the user. */
export class TargetUnavailable extends Error {
  override name = 'TargetUnavailable';
}

/** Loads `image` for debugging (ImageError on a bad image, TargetUnavailable for a mode that cannot run). */
export function createTarget(image: Uint8Array, opts: TargetOptions): DebugTarget {
  if (opts.mode === 'native') {
    if (opts.pv) throw new TargetUnavailable('--pv needs a VM mode (--mode ept): natively there is no hypervisor to call');
    return createNativeTarget(image, opts);
  }
  const factory = hostProcessor();
  if (!factory) throw new TargetUnavailable(`--mode ${opts.mode} needs VT-x in the processor, which is not wired in yet`);
  return createVmTarget(image, { ...opts, mode: opts.mode, pv: opts.pv ?? false }, factory);
}
