// The interpreter tier: runs decoded blocks one instruction at a time through the dense handler
// array, following block chains, and hands blocks entered often enough to the trace tier
// (trace.ts), which is where hot code runs fast. Measured (bench/mips.ts, guests/bin/cwork.elf):
// a generated switch with one call site per handler interprets tight loops faster (~260 vs ~170
// MIPS) but becomes a huge function V8 recompiles every time a new case is reached (cwork: 12
// recompiles, ~1 s of compile, 1050 ms run); the plain indirect call compiles once (6 ms) and
// runs cwork in ~300 ms, while the hot loops are traced either way.
import type { Handler, Insn } from './insn.js';
import type { Cpu } from './state.js';
import { HOT_THRESHOLD, compileTrace } from './trace.js';

/**
 * Executes instructions from block head `first`, following the block chains (successor blocks
 * cached on a block's last instruction, valid for one EIP and Cpu.codeGen) until a successor is not
 * chained (cpu.chainFrom = that block end, for the run loop to link), `limit` instructions retired,
 * or something set cpu.pending. Returns the number retired; when a handler throws, returns
 * -1 - (number retired before it) with the thrown value in cpu.thrown and the instruction in
 * cpu.faultInsn.
 */
export type BlockRunner = (cpu: Cpu, first: Insn, limit: number) => number;

/** Tier settings: `traces` false runs the interpreter alone; `hotThreshold` is the number of block
 *  entries before a block is compiled (tests lower it to exercise traces on short programs). */
export const tiers = { traces: true, hotThreshold: HOT_THRESHOLD };

export function makeBlockRunner(handlers: readonly Handler[]): BlockRunner {
  // Built with `new Function` so that the constants are closure values of a function created once.
  const body = `
return function runBlock(cpu, insn, limit) {
  let n = 0;
  try {
    for (;;) {
      // insn is a block head
      const t = insn.trace;
      if (t !== null) {
        if (insn.traceGen === cpu.codeGen) {
          if (limit - n >= insn.traceLen) {
            const r = t(cpu, limit - n);
            // Modelled cycles of what the trace retired: whole passes plus a prefix of one.
            const done = r < 0 ? -1 - r : r;
            const len = insn.traceLen;
            cpu.modelCycles += Math.floor(done / len) * insn.traceCost + insn.tracePrefix[done % len];
            if (r < 0) return r - n;
            n += r;
            if (n >= limit || cpu.pending !== 0) return n;
            const from = cpu.traceExit;
            const eip = cpu.eip;
            if (from.c0Eip === eip && from.c0Gen === cpu.codeGen) insn = from.c0;
            else if (from.c1Eip === eip && from.c1Gen === cpu.codeGen) insn = from.c1;
            else {
              const nb = cpu.blockLookup(cpu, from);
              if (nb === null) {
                cpu.chainFrom = from;
                return n;
              }
              insn = nb;
            }
            continue;
          }
        } else {
          insn.trace = null;
          insn.hits = 0;
        }
      } else if (++insn.hits === tiers.hotThreshold && tiers.traces) {
        compileTrace(insn, cpu.codeGen, cpu.csLimit === -1);
        continue;
      }
      // The whole block's modelled cycles up front; what does not retire is refunded.
      cpu.modelCycles += insn.costToEnd;
      for (;;) {
        cpu.eip = insn.nextEip;
        HS[insn.op](cpu, insn);
        n++;
        const nx = insn.next;
        if (nx === null) break;
        insn = nx;
        if (n >= limit || cpu.pending !== 0) {
          cpu.modelCycles -= insn.costToEnd;
          return n;
        }
      }
      if (n >= limit || cpu.pending !== 0) return n;
      const eip = cpu.eip;
      if (insn.c0Eip === eip && insn.c0Gen === cpu.codeGen) insn = insn.c0;
      else if (insn.c1Eip === eip && insn.c1Gen === cpu.codeGen) insn = insn.c1;
      else {
        const nb = cpu.blockLookup(cpu, insn);
        if (nb === null) {
          cpu.chainFrom = insn;
          return n;
        }
        insn = nb;
      }
    }
  } catch (e) {
    // Only a handler of the interpreter loop throws here (traces catch their own): that
    // instruction and the rest of its block did not retire.
    cpu.modelCycles -= insn.costToEnd;
    cpu.thrown = e;
    cpu.faultInsn = insn;
    return -1 - n;
  }
};`;
  const factory = new Function('compileTrace', 'tiers', 'HS', body) as (...args: unknown[]) => BlockRunner;
  return factory(compileTrace, tiers, handlers);
}
