// The inner loop, generated once at load time from the dense handler array: a switch over `op`
// whose every case calls one handler, so each call site has a single target V8 can call directly
// (or inline) instead of a megamorphic indirect call. Measured on the MIPS loops: an indirect
// `insn.fn(cpu, insn)` loop ran ~155-185 MIPS, this switch ~260-310 MIPS (bench/mips.ts).
import type { Handler, Insn } from './insn.js';
import type { Cpu } from './state.js';

/**
 * Executes instructions from `first` (a block of the decode cache), following the block chains
 * (successor blocks cached on a block's last instruction, valid for one EIP and Cpu.codeGen) until
 * a successor is not chained (cpu.chainFrom = that last instruction, for the run loop to link),
 * `limit` instructions retired, or something set cpu.pending. Returns the number retired;
 * when a handler throws, returns -1 - (number retired before it) with the thrown value in
 * cpu.thrown and the instruction in cpu.faultInsn.
 */
export type BlockRunner = (cpu: Cpu, first: Insn, limit: number) => number;

export function makeBlockRunner(handlers: readonly Handler[]): BlockRunner {
  const params: string[] = [];
  let cases = '';
  for (let i = 0; i < handlers.length; i++) {
    params.push(`h${i}`);
    cases += `case ${i}: h${i}(cpu, insn); break;\n`;
  }
  const body = `
return function runBlock(cpu, insn, limit) {
  let n = 0;
  try {
    do {
      cpu.eip = insn.nextEip;
      switch (insn.op) {
${cases}      }
      n++;
      let nx = insn.next;
      if (nx === null) {
        const eip = cpu.eip;
        if (insn.c0Eip === eip && insn.c0Gen === cpu.codeGen) nx = insn.c0;
        else if (insn.c1Eip === eip && insn.c1Gen === cpu.codeGen) nx = insn.c1;
        else {
          cpu.chainFrom = insn;
          break;
        }
      }
      insn = nx;
    } while (n < limit && cpu.pending === 0);
  } catch (e) {
    cpu.thrown = e;
    cpu.faultInsn = insn;
    return -1 - n;
  }
  return n;
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...params, body) as (...hs: Handler[]) => BlockRunner;
  return factory(...handlers);
}
