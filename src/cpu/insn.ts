// The processor's cached instruction: the decoder's fields plus what the run loop needs to dispatch
// and chain it. Records live in the decode cache (decode-cache.ts) and are reused until their page is
// invalidated, so executing an instruction allocates nothing.
import { DecodedInsn } from '../x86/decoded.js';

const NO_PREFIX = new Float64Array(1);

export class Insn extends DecodedInsn {
  /** Index of the handler in the dense dispatch array (dispatch.ts). */
  op = 0;
  /** `base` / `index` with NO_REG replaced by 8, the processor's always-zero register slot. */
  eaBase = 8;
  eaIndex = 8;
  /** The next instruction of the same block when this one falls through, else null. */
  next: Insn | null = null;
  /** Modelled cycles of this instruction (cost-table.ts) and of it plus the rest of its block: the
   *  interpreter charges a whole block at its head and refunds what did not retire. */
  cost = 0;
  costToEnd = 0;
  /** EIP of the following instruction (the block is valid for one starting EIP only). */
  nextEip = 0;
  /** First instruction of a block: it must run alone (dispatch.ts RowFlag.ALONE), so no chain may
   *  lead into it (the run loop syncs the clock before it). */
  alone = false;
  // Last instruction of a block: up to two chained successor blocks, each valid for one EIP and
  // one Cpu.codeGen (run-block.ts). Conditional branches use both.
  c0: Insn | null = null;
  c0Eip = 0;
  c0Gen = -1;
  c1: Insn | null = null;
  c1Eip = 0;
  c1Gen = -1;
  // First instruction of a block: how often the block was entered, and the compiled trace starting
  // here (trace.ts), valid while Cpu.codeGen === traceGen; it runs at most traceLen instructions
  // per pass, so the run loop enters it only with at least that much budget left.
  hits = 0;
  trace: ((cpu: import('./state.js').Cpu, budget: number) => number) | null = null;
  traceGen = -1;
  traceLen = 0;
  /** Modelled cycles of the trace's first k instructions (index k, 0..traceLen) and of one pass. */
  tracePrefix: Float64Array = NO_PREFIX;
  traceCost = 0;
}

/** A handler: the semantics of one opcode-table row (or one operand-size / register-vs-memory form
 *  of it). On entry cpu.eip already points past the instruction. */
export type Handler = (cpu: import('./state.js').Cpu, insn: Insn) => void;
