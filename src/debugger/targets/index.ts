// Chooses the debug target for a run mode: the bare machine natively, the hypervisor otherwise.
import { type NativeTargetOptions, createNativeTarget } from './native.js';
import type { DebugTarget } from '../target.js';

/** Modes the debugger can run a guest in. The VM modes join once the hypervisor runs guests. */
export const DEBUG_MODES = ['native'] as const;
export type DebugMode = (typeof DEBUG_MODES)[number];

export interface TargetOptions extends NativeTargetOptions {
  readonly mode: DebugMode;
  readonly pv?: boolean;
}

/** Loads `image` for debugging (ImageError on a bad image). */
export function createTarget(image: Uint8Array, opts: TargetOptions): DebugTarget {
  switch (opts.mode) {
    case 'native':
      return createNativeTarget(image, opts);
  }
}
