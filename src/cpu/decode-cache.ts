// Decoded instructions cached per PHYSICAL page, as chains ("blocks") of reused Insn records: a
// block starts at some physical address, runs straight through, and ends at a control transfer, an
// instruction that must run alone (dispatch.ts RowFlag), the end of the page, or an invalid byte.
// PhysicalMemory.codeFrames marks the frames holding blocks; a write to one calls onCodeWrite and
// the whole frame's blocks are dropped (self-modifying code). A block records the EIP it was built
// for (its instructions hold absolute next-EIPs), so another linear alias of the same bytes rebuilds.
import { DecodeStatus, DecodedInsn } from '../x86/decoded.js';
import { decode } from '../x86/decoder.js';
import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from '../machine/memory.js';
import { OP_TOO_LONG, OP_UD, ROW_FLAGS, RowFlag, opOf } from './dispatch.js';

import { Insn } from './insn.js';
import { type CpuCosts, insnCost } from './cost-table.js';

/** Where blocks get their modelled cycles from (the processor's cost table: state.ts Cpu). */
export interface CostSource {
  readonly costs: CpuCosts;
  readonly rowCost: Float64Array;
}

/** Longest block built (keeps one block's cost bounded for the decoder). */
const MAX_BLOCK = 256;

class CodePage {
  /** First instruction of the block starting at each page offset. */
  readonly blocks: (Insn | null)[] = new Array<Insn | null>(PAGE_SIZE).fill(null);
}

const scratch = new DecodedInsn();

/** Copies the decoder's fields into a cached record and sets its op. */
export function fillInsn(insn: Insn, d: DecodedInsn, nextEip: number): void {
  insn.entry = d.entry;
  insn.status = d.status;
  insn.len = d.len;
  insn.prefixes = d.prefixes;
  insn.opSize = d.opSize;
  insn.addrSize = d.addrSize;
  insn.mod = d.mod;
  insn.reg = d.reg;
  insn.rm = d.rm;
  insn.base = d.base;
  insn.index = d.index;
  insn.scale = d.scale;
  insn.disp = d.disp;
  insn.seg = d.seg;
  insn.imm = d.imm;
  insn.imm2 = d.imm2;
  insn.cc = d.cc;
  insn.opcode = d.opcode;
  insn.eaBase = d.base < 0 ? 8 : d.base;
  insn.eaIndex = d.index < 0 ? 8 : d.index;
  insn.nextEip = nextEip | 0;
  insn.next = null;
  insn.alone = false;
  insn.c0 = null;
  insn.c0Gen = -1;
  insn.c1 = null;
  insn.c1Gen = -1;
  insn.hits = 0;
  insn.trace = null;
  insn.traceGen = -1;
  if (d.status === DecodeStatus.Ok || d.status === DecodeStatus.Unsupported) insn.op = opOf(d.entry, d.mod !== 3, d.opSize);
  else insn.op = d.len > 15 ? OP_TOO_LONG : OP_UD;
}

/** Decodes one instruction from `bytes` (used for instructions that straddle pages). */
export function decodeOne(bytes: Uint8Array, len: number, eip: number, out: Insn, costs: CostSource): boolean {
  decode(bytes, 0, len, scratch);
  if (scratch.status === DecodeStatus.Truncated) return false;
  fillInsn(out, scratch, eip + scratch.len);
  out.cost = out.costToEnd = insnCost(costs.rowCost, costs.costs, out.entry, out.mod, out.prefixes);
  // A scratch record is reused for other instructions: it must never become a trace head.
  out.hits = -0x40000000;
  return true;
}

/** Each instruction's cycles and the suffix sums along the block (decode time, not run time). */
function setBlockCosts(first: Insn, src: CostSource): void {
  const { rowCost, costs } = src;
  let total = 0;
  for (let i: Insn | null = first; i !== null; i = i.next) {
    i.cost = insnCost(rowCost, costs, i.entry, i.mod, i.prefixes);
    total += i.cost;
  }
  for (let i: Insn | null = first; i !== null; i = i.next) {
    i.costToEnd = total;
    total -= i.cost;
  }
}

export class DecodeCache {
  private readonly pages: (CodePage | undefined)[];
  private readonly mem: PhysicalMemory;
  /** Blocks built (a counter for --stats and the benchmarks). */
  built = 0;

  private readonly costs: CostSource;

  constructor(mem: PhysicalMemory, costs: CostSource) {
    this.mem = mem;
    this.costs = costs;
    this.pages = new Array<CodePage | undefined>(mem.size >>> PAGE_SHIFT);
  }

  /** The block starting at host-physical `phys` built for `eip`, or null. */
  lookup(phys: number, eip: number): Insn | null {
    const page = this.pages[phys >>> PAGE_SHIFT];
    if (page === undefined) return null;
    const first = page.blocks[phys & (PAGE_SIZE - 1)]!;
    if (first === null || ((first.nextEip - first.len) | 0) !== eip) return null;
    return first;
  }

  /**
   * Decodes a block at `phys` (inside RAM) for `eip`. Returns null when the very first instruction
   * straddles the page end: the run loop executes that one through a scratch copy instead.
   */
  build(phys: number, eip: number): Insn | null {
    const frame = phys >>> PAGE_SHIFT;
    const pageEnd = (frame + 1) << PAGE_SHIFT;
    const u8 = this.mem.u8;
    let first: Insn | null = null;
    let prev: Insn | null = null;
    let at = phys;
    let e = eip;
    for (let n = 0; n < MAX_BLOCK && at < pageEnd; n++) {
      decode(u8, at, pageEnd, scratch);
      if (scratch.status === DecodeStatus.Truncated) break;
      const flags = scratch.status <= DecodeStatus.Unsupported ? ROW_FLAGS[scratch.entry]! : RowFlag.ENDS_BLOCK;
      if (flags & RowFlag.ALONE && prev !== null) break;
      const insn = new Insn();
      fillInsn(insn, scratch, e + scratch.len);
      if (prev === null) first = insn;
      else prev.next = insn;
      prev = insn;
      at += scratch.len;
      e = (e + scratch.len) | 0;
      if (flags & RowFlag.ENDS_BLOCK) break;
    }
    if (first === null) return null;
    setBlockCosts(first, this.costs);
    first.alone = (ROW_FLAGS[first.entry]! & RowFlag.ALONE) !== 0 && first.status <= DecodeStatus.Unsupported;
    let page = this.pages[frame];
    if (page === undefined) {
      page = new CodePage();
      this.pages[frame] = page;
    }
    page.blocks[phys & (PAGE_SIZE - 1)] = first;
    this.mem.codeFrames[frame] = 1;
    this.built++;
    return first;
  }

  /** Drops every block of a frame (its bytes changed). */
  invalidateFrame(frame: number): void {
    this.pages[frame] = undefined;
    this.mem.codeFrames[frame] = 0;
  }

  /** Drops everything (e.g. after loading a new image). */
  clear(): void {
    this.pages.fill(undefined);
    this.mem.codeFrames.fill(0);
  }
}
