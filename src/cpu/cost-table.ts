// The processor's side of the cost model (docs/cost-model.md): modelled cycles per instruction class,
// per page-walk memory reference, per event delivered and per string/port iteration. Modelled
// cycles are an accounting beside virtual time (the clock still counts one per instruction); they
// never change what a guest does. Sources: [S]/[M] tags as in docs/reference/vtx-facts.md.
import { OPCODES } from '../x86/opcodes.js';
import type { OpcodeRow } from '../x86/opcode-row.js';
import { Prefix } from '../x86/decoded.js';

/**
 * Cycles per event on the reference machine, a Core 2-class processor at 2.66 GHz (the second
 * column of Adams & Agesen 2006 Table 1, the chip whose VM-exit costs the hypervisor side uses).
 * Instruction classes: see `costClassOf` for which rows fall into each.
 */
export interface CpuCosts {
  /** ALU, MOV, LEA, PUSH/POP, shifts, SETcc, CMOVcc, bit ops, NOP... (one per cycle: a scalar in-order core). */
  readonly simple: number;
  /** JMP, Jcc, LOOP, JECXZ (predicted: no misprediction model). */
  readonly branch: number;
  /** Near CALL and RET (a branch plus a stack access). */
  readonly callReturn: number;
  /** MUL, IMUL. */
  readonly multiply: number;
  /** DIV, IDIV. */
  readonly divide: number;
  /** Added for a locked read-modify-write: a LOCK prefix, XCHG with memory, CMPXCHG8B with LOCK. */
  readonly locked: number;
  /** Each element a REP string instruction moves or compares after its first. */
  readonly stringIteration: number;
  /** MOV/POP to a segment register, LDS/LES/LFS/LGS/LSS (descriptor load and checks). */
  readonly segmentLoad: number;
  /** IRET, far RET/JMP/CALL (descriptor loads, privilege checks). */
  readonly farTransfer: number;
  /** PUSHF, POPF, CLI, STI, CLD/STD-like flag instructions that touch IF/IOPL. */
  readonly flagsSystem: number;
  /** LGDT LIDT LLDT LTR SGDT SIDT SLDT STR SMSW LAR LSL VERR VERW. */
  readonly descriptorTable: number;
  /** MOV to/from CR0-CR4 and DR0-DR7, CLTS, LMSW (the TLB refills a CR3 load causes are counted as walks). */
  readonly controlRegister: number;
  /** INVLPG. */
  readonly invalidatePage: number;
  /** WBINVD, INVD. */
  readonly cacheFlush: number;
  readonly cpuid: number;
  readonly rdtsc: number;
  /** RDMSR, WRMSR. */
  readonly msr: number;
  /** One port access (IN, OUT, each INS/OUTS element): an ISA-bus I/O cycle. */
  readonly portIo: number;
  /** HLT (the time asleep is idle time, reported apart). */
  readonly halt: number;
  /** VMX instructions executed by guest code (VMXON, VMREAD...). */
  readonly vmxInstruction: number;
  /** Delivering an exception or interrupt through the IDT (gate and descriptor reads, stack switch, frame). */
  readonly eventDelivery: number;
  /** One memory reference of a page walk on a TLB miss (a paging-structure entry read or A/D update). */
  readonly walkRef: number;
}

/** The default table. Each number's source is in docs/cost-model.md. */
export const DEFAULT_CPU_COSTS: CpuCosts = {
  simple: 1,
  branch: 1,
  callReturn: 2,
  multiply: 3,
  divide: 26,
  locked: 20,
  stringIteration: 1,
  segmentLoad: 10,
  farTransfer: 40,
  flagsSystem: 10,
  descriptorTable: 20,
  controlRegister: 30,
  invalidatePage: 100,
  cacheFlush: 2000,
  cpuid: 100,
  rdtsc: 30,
  msr: 100,
  portIo: 2240,
  halt: 0,
  vmxInstruction: 100,
  eventDelivery: 150,
  walkRef: 14,
};

export type CpuCostClass = Exclude<keyof CpuCosts, 'locked' | 'stringIteration' | 'eventDelivery' | 'walkRef'>;

const BY_MNEMONIC: Readonly<Record<string, CpuCostClass>> = {
  loop: 'branch', loopz: 'branch', loopnz: 'branch', jecxz: 'branch',
  ret: 'callReturn',
  mul: 'multiply', imul: 'multiply',
  div: 'divide', idiv: 'divide',
  lds: 'segmentLoad', les: 'segmentLoad', lfs: 'segmentLoad', lgs: 'segmentLoad', lss: 'segmentLoad',
  iret: 'farTransfer', retf: 'farTransfer',
  pushf: 'flagsSystem', popf: 'flagsSystem', cli: 'flagsSystem', sti: 'flagsSystem',
  lgdt: 'descriptorTable', lidt: 'descriptorTable', lldt: 'descriptorTable', ltr: 'descriptorTable',
  sgdt: 'descriptorTable', sidt: 'descriptorTable', sldt: 'descriptorTable', str: 'descriptorTable',
  smsw: 'descriptorTable', lar: 'descriptorTable', lsl: 'descriptorTable', verr: 'descriptorTable', verw: 'descriptorTable',
  clts: 'controlRegister', lmsw: 'controlRegister',
  invlpg: 'invalidatePage',
  wbinvd: 'cacheFlush', invd: 'cacheFlush',
  cpuid: 'cpuid',
  rdtsc: 'rdtsc',
  rdmsr: 'msr', wrmsr: 'msr',
  in: 'portIo', out: 'portIo', ins: 'portIo', outs: 'portIo',
  hlt: 'halt',
};

/** The cost class of an opcode-table row. */
export function costClassOf(row: OpcodeRow): CpuCostClass {
  const m = row.mnemonic;
  if (m === 'jmp' || m === 'call') return row.operands.some((f) => f === 'Ap' || f === 'Mp') ? 'farTransfer' : m === 'jmp' ? 'branch' : 'callReturn';
  const byName = BY_MNEMONIC[m];
  if (byName !== undefined) return byName;
  if (m.startsWith('vm') || m === 'invept' || m === 'invvpid') return 'vmxInstruction';
  if (row.cc >= 0 && m.startsWith('j')) return 'branch';
  if (row.operands.includes('Cd') || row.operands.includes('Dd')) return 'controlRegister';
  // Loads of a segment register (MOV Sreg, POP Sreg); storing or pushing one is an ordinary move.
  const dst = row.operands[0] ?? '';
  if ((m === 'mov' && dst === 'Sw') || (m === 'pop' && /^(ES|SS|DS|FS|GS)$/.test(dst))) return 'segmentLoad';
  return 'simple';
}

/** The class of every row, computed once. */
const ROW_CLASS: readonly CpuCostClass[] = OPCODES.map(costClassOf);

/** Rows whose memory form is an implicitly locked read-modify-write (XCHG with memory, SDM XCHG). */
const IMPLICIT_LOCK: Uint8Array = Uint8Array.from(OPCODES, (row) => (row.mnemonic === 'xchg' && row.operands.some((f) => f.startsWith('E')) ? 1 : 0));

/** Cycles per opcode-table row under `costs` (the processor keeps one per cost table). */
export function rowCosts(costs: CpuCosts): Float64Array {
  return Float64Array.from(ROW_CLASS, (cls) => costs[cls]);
}

/** Cycles of one decoded instruction: its row's class plus a locked read-modify-write. Runs at
 *  decode time, never per execution. */
export function insnCost(rowCost: Float64Array, costs: CpuCosts, entry: number, mod: number, prefixes: number): number {
  let c = rowCost[entry] ?? costs.simple;
  if ((prefixes & Prefix.LOCK) !== 0 || (IMPLICIT_LOCK[entry] === 1 && mod !== 3)) c += costs.locked;
  return c;
}

/** Checks a table supplied from outside (a --cost file): every field a finite number >= 0. */
export function cpuCostProblems(c: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(DEFAULT_CPU_COSTS)) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) out.push(`cpu.${k} must be a number >= 0 (got ${JSON.stringify(v)})`);
  }
  return out;
}
