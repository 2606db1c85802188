// The inner loop, generated once at load time from the dense handler array: a switch over `op`
// whose every case calls one handler, so each call site has a single target V8 can call directly
// (or inline) instead of a megamorphic indirect call. Measured on the MIPS loops: an indirect
// `insn.fn(cpu, insn)` loop ran ~155-185 MIPS, this switch ~260-310 MIPS (bench/mips.ts).
// Blocks follow each other along their chains; a block entered often enough is compiled into a
// trace (trace.ts) and runs through that instead.
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

/** Set to false to run the interpreter alone (tests and benchmarks compare the tiers). */
export const tiers = { traces: true };

export function makeBlockRunner(handlers: readonly Handler[]): BlockRunner {
  const params: string[] = [];
  let cases = '';
  for (let i = 0; i < handlers.length; i++) {
    params.push(`h${i}`);
    cases += `          case ${i}: h${i}(cpu, insn); break;\n`;
  }
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
            if (r < 0) return r - n;
            n += r;
            if (n >= limit || cpu.pending !== 0) return n;
            const from = cpu.traceExit;
            const eip = cpu.eip;
            if (from.c0Eip === eip && from.c0Gen === cpu.codeGen) insn = from.c0;
            else if (from.c1Eip === eip && from.c1Gen === cpu.codeGen) insn = from.c1;
            else {
              cpu.chainFrom = from;
              return n;
            }
            continue;
          }
        } else {
          insn.trace = null;
          insn.hits = 0;
        }
      } else if (++insn.hits === HOT && tiers.traces) {
        compileTrace(insn, cpu.codeGen, cpu.csLimit === -1);
        continue;
      }
      for (;;) {
        cpu.eip = insn.nextEip;
        switch (insn.op) {
${cases}        }
        n++;
        const nx = insn.next;
        if (nx === null) break;
        insn = nx;
        if (n >= limit || cpu.pending !== 0) return n;
      }
      if (n >= limit || cpu.pending !== 0) return n;
      const eip = cpu.eip;
      if (insn.c0Eip === eip && insn.c0Gen === cpu.codeGen) insn = insn.c0;
      else if (insn.c1Eip === eip && insn.c1Gen === cpu.codeGen) insn = insn.c1;
      else {
        cpu.chainFrom = insn;
        return n;
      }
    }
  } catch (e) {
    cpu.thrown = e;
    cpu.faultInsn = insn;
    return -1 - n;
  }
};`;
  const factory = new Function('HOT', 'compileTrace', 'tiers', ...params, body) as (...args: unknown[]) => BlockRunner;
  return factory(HOT_THRESHOLD, compileTrace, tiers, ...handlers);
}
