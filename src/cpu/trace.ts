// The second execution tier: a hot block and the blocks it is chained to are compiled into one JS
// function (a "trace") that calls each instruction's handler directly -- every call site has one
// constant target, so V8 inlines the handlers -- and loops back when the trace closes a loop.
// Between blocks, guards check that execution really went where the chain predicted (EIP) and that
// no translation or decoded code changed (Cpu.codeGen); a failed guard leaves the trace at an
// instruction boundary. Semantics are those of the interpreter (run-block.ts): same handlers, EIP
// set before each one, pending checked after anything that may write memory.
import { OPCODES } from '../x86/opcodes.js';
import { InsnClass } from '../x86/insn-class.js';
import { HANDLERS, ROW_HAS_RM } from './dispatch.js';
import { getCF, getZF, testCond } from './flags.js';
import { raiseGP } from './fault.js';
import { read32, write32 } from './memory-access.js';
import { checkSegAccess } from './segmentation.js';
import { TEMPLATE_RUNTIME, inlineTemplate } from './trace-templates.js';
import type { Insn } from './insn.js';
import type { Cpu } from './state.js';

/** Block entries before a block is compiled. Compiling (and V8 optimising) a trace costs ~10-20 ms
 *  of compile time, which only long-running loops repay: with 50, cwork.elf (20 M instructions of
 *  varied C code) took ~600 ms against ~290 ms untraced; at 100 000 it stays at ~290 ms while the
 *  MIPS loops are still traced within their first milliseconds. */
export const HOT_THRESHOLD = 100000;

/** Tier switches (tests compare the tiers; benchmarks can turn templates off to measure them). */
export const traceOptions = { templates: true };

const RUNTIME: Record<(typeof TEMPLATE_RUNTIME)[number], unknown> = { read32, write32, checkSegAccess, getCF, getZF, testCond, raiseGP };
/** Most blocks / instructions in one trace. */
const MAX_BLOCKS = 16;
const MAX_INSNS = 128;

export type TraceFn = (cpu: Cpu, budget: number) => number;

/** Traces compiled in this process (tests check the tier really ran; --stats could show it). */
export const traceStats = { compiled: 0 };

/** Rows that may write memory without a ModRM memory operand (stack pushes, strings, moffs
 *  stores), or through an M operand (conservatively: SGDT, CMPXCHG8B...). Pops and returns only
 *  read. */
const IMPLICIT_MEMORY = new Uint8Array(OPCODES.length);
OPCODES.forEach((row, i) => {
  const implicit =
    (row.cls & InsnClass.String) !== 0 ||
    row.operands.some((f) => f[0] === 'O' || f[0] === 'X' || f[0] === 'Y' || f[0] === 'M') ||
    /^(push|call|enter|int)/.test(row.name);
  IMPLICIT_MEMORY[i] = implicit ? 1 : 0;
});

/** False only for instructions that certainly write no memory (so cannot modify code). */
function mayWrite(insn: Insn): boolean {
  if (IMPLICIT_MEMORY[insn.entry]) return true;
  return ROW_HAS_RM[insn.entry] === 1 && insn.mod !== 3;
}

function blockInsns(head: Insn): Insn[] {
  const out: Insn[] = [];
  for (let i: Insn | null = head; i !== null; i = i.next) out.push(i);
  return out;
}

/** The chained successor of a block end, valid for `gen`, preferring `prefer` (the trace head). */
function successor(last: Insn, gen: number, prefer: Insn): Insn | null {
  const a = last.c0Gen === gen ? last.c0 : null;
  const b = last.c1Gen === gen ? last.c1 : null;
  if (a === prefer || b === prefer) return prefer;
  return a ?? b;
}

/**
 * Compiles the trace starting at block head `head` for the current Cpu.codeGen `gen` and stores it
 * on `head`. Blocks are followed along their chains; the trace ends at a block with no chained
 * successor, a successor already in the trace, a block that must run alone, or the size limits.
 */
export function compileTrace(head: Insn, gen: number, flatCs: boolean): void {
  const blocks: Insn[][] = [];
  const seen = new Set<Insn>();
  let loops = false;
  let total = 0;
  for (let b: Insn | null = head; b !== null && blocks.length < MAX_BLOCKS; ) {
    const insns = blockInsns(b);
    if (total + insns.length > MAX_INSNS && blocks.length > 0) break;
    blocks.push(insns);
    seen.add(b);
    total += insns.length;
    const next = successor(insns[insns.length - 1]!, gen, head);
    if (next === head && !head.alone) {
      loops = true;
      break;
    }
    if (next === null || seen.has(next) || next.alone) break;
    b = next;
  }

  const handlerIds: number[] = [];
  const handlerSlot = new Map<number, number>();
  const insnList: Insn[] = [];
  const hOf = (op: number): string => {
    let s = handlerSlot.get(op);
    if (s === undefined) {
      s = handlerIds.length;
      handlerIds.push(op);
      handlerSlot.set(op, s);
    }
    return `h${s}`;
  };
  let body = '';
  let j = 0;
  blocks.forEach((insns, bi) => {
    insns.forEach((insn, ii) => {
      const slot = insnList.length;
      insnList.push(insn);
      const call = `${hOf(insn.op)}(cpu, i${slot})`;
      // Templates assume a flat CS (no limit checks on branch targets); CS changes bump codeGen.
      const inline = traceOptions.templates && flatCs ? inlineTemplate(insn) : null;
      body += `j = ${j}; cpu.eip = ${insn.nextEip | 0}; ${inline !== null ? inline.replace('HANDLER', call) : `${call};`}\n`;
      const lastOfTrace = bi === blocks.length - 1 && ii === insns.length - 1;
      if (ii < insns.length - 1) {
        if (mayWrite(insn)) body += `if (cpu.pending !== 0) return k + ${j + 1};\n`;
      } else if (bi < blocks.length - 1 || loops) {
        // Block end: continue only where the chain predicted. Only a block that runs alone (a
        // system instruction, which can only be the head) can change translations or decoded code
        // without a store; stores are followed by a pending check (self-modifying code).
        const target = bi < blocks.length - 1 ? blocks[bi + 1]![0]! : head;
        const expect = ((target.nextEip - target.len) | 0).toString();
        let cond = `cpu.eip !== ${expect}`;
        if (bi === 0 && head.alone) cond += ` || cpu.codeGen !== ${gen} || cpu.pending !== 0`;
        else if (mayWrite(insn)) cond += ' || cpu.pending !== 0';
        body += `if (${cond}) { cpu.traceExit = i${slot}; return k + ${j + 1}; }\n`;
      } else if (lastOfTrace) {
        body += `cpu.traceExit = i${slot};\n`;
      }
      j++;
    });
  });
  const len = j;
  const lastSlot = insnList.length - 1;
  const loopTail = loops
    ? `k += ${len};\nif (k + ${len} > budget) { cpu.traceExit = i${lastSlot}; return k; }\n`
    : `return k + ${len};\n`;
  const src =
    `${TEMPLATE_RUNTIME.map((n) => `const ${n} = F.${n};`).join('\n')}\n` +
    `${handlerIds.map((_, s) => `const h${s} = H[${s}];`).join('\n')}\n` +
    `${insnList.map((_, s) => `const i${s} = I[${s}];`).join('\n')}\n` +
    `return function trace(cpu, budget) {\n  const R = cpu.regs;\n  let k = 0;\n  let j = 0;\n  try {\n    for (;;) {\n${body}${loopTail}    }\n` +
    `  } catch (e) {\n    cpu.thrown = e;\n    cpu.faultInsn = I[j];\n    return -1 - (k + j);\n  }\n};`;
  const factory = new Function('F', 'H', 'I', src) as (f: unknown, h: unknown[], i: Insn[]) => TraceFn;
  head.trace = factory(
    RUNTIME,
    handlerIds.map((op) => HANDLERS[op]),
    insnList,
  );
  head.traceGen = gen;
  head.traceLen = len;
  const prefix = new Float64Array(len + 1);
  insnList.forEach((insn, k) => (prefix[k + 1] = prefix[k]! + insn.cost));
  head.tracePrefix = prefix;
  head.traceCost = prefix[len]!;
  traceStats.compiled++;
}
