// Host (V8) settings for running guests. The processor's traces (src/cpu/trace.ts) call one handler
// per instruction; V8 inlines them only up to a cumulative bytecode budget per optimized function
// (920 bytes by default), after which the rest stay real calls. Raising it lets a whole loop body
// inline: measured with bench/mips.ts, mips-mem 150 -> ~230 MIPS, mips-call 150 -> ~190 MIPS, no
// change for small loops. Node-only (browser builds simply skip it).
import { setFlagsFromString } from 'node:v8';

let tuned = false;

/** Applies the V8 flags once per process, before guest code gets hot. */
export function tuneHostForGuests(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--max-inlined-bytecode-size-cumulative=4000');
}
