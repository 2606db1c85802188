// Exact conversion between PIT input-clock ticks (1.193182 MHz) and virtual CPU cycles (1 GHz):
// tick k happens at cycle ceil(k * 1e9 / 1193182), so PIT time never drifts from CPU time.
// Products are split by whole seconds to stay below 2^53 (exact in float64) for any cycle count.
import { CPU_HZ } from '../clock.js';
import { PIT_HZ } from './pit8254-defs.js';

/** floor(x / d) for non-negative integers x < 2^53, corrected for float rounding. */
function floorDiv(x: number, d: number): number {
  let q = Math.floor(x / d);
  if (q * d > x) q--;
  else if ((q + 1) * d <= x) q++;
  return q;
}

/** The index of the last PIT tick at or before `cycle` (tick 0 is at cycle 0). */
export function pitTicksAt(cycle: number): number {
  const sec = Math.floor(cycle / CPU_HZ);
  const rem = cycle - sec * CPU_HZ;
  return sec * PIT_HZ + floorDiv(rem * PIT_HZ, CPU_HZ);
}

/** The cycle at which PIT tick `tick` happens. */
export function cycleOfPitTick(tick: number): number {
  const sec = Math.floor(tick / PIT_HZ);
  const rem = tick - sec * PIT_HZ;
  const x = rem * CPU_HZ;
  const q = floorDiv(x, PIT_HZ);
  return sec * CPU_HZ + (q * PIT_HZ === x ? q : q + 1);
}
