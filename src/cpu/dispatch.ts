// Binds the opcode table to the instruction semantics: every supported row gets a handler by ROW
// NAME from the exec/ families, optionally specialised by form (register / memory r/m operand,
// 32- / 16-bit operand size) with the suffixes `/r32 /m32 /r16 /m16 /r /m /32 /16`. The result is a
// dense array of distinct handlers (an instruction's `op`) and a per-row, per-form op table. The
// interpreter (run-block.ts) calls HANDLERS[op]; traces (trace.ts) call or inline them directly.
// Unsupported rows raise #UD; VMX rows go to the table the VMX layer fills.
import { OPCODES } from '../x86/opcodes.js';
import { InsnClass } from '../x86/insn-class.js';
import { HostBugError } from '../common/assert.js';
import { raiseGP, raiseUD } from './fault.js';
import type { Handler } from './insn.js';
import { ALU_HANDLERS } from './exec/alu.js';
import { ALU_FAST_HANDLERS } from './exec/alu-fast.js';
import { BITS_HANDLERS } from './exec/bits.js';
import { CONTROL_HANDLERS } from './exec/control.js';
import { IO_HANDLERS } from './exec/io.js';
import { MOVE_HANDLERS } from './exec/move.js';
import { MULDIV_HANDLERS } from './exec/muldiv.js';
import { SHIFT_HANDLERS } from './exec/shift.js';
import { STACK_HANDLERS } from './exec/stack.js';
import { STRING_HANDLERS } from './exec/string.js';
import { SYSTEM_HANDLERS } from './exec/system.js';

const FAMILIES: readonly Readonly<Record<string, Handler>>[] = [
  ALU_HANDLERS,
  ALU_FAST_HANDLERS,
  MULDIV_HANDLERS,
  SHIFT_HANDLERS,
  BITS_HANDLERS,
  MOVE_HANDLERS,
  STACK_HANDLERS,
  CONTROL_HANDLERS,
  STRING_HANDLERS,
  IO_HANDLERS,
  SYSTEM_HANDLERS,
];

/** Raised for an opcode the decoder reports Invalid or Unsupported (SDM: #UD). */
const undefinedOpcode: Handler = () => raiseUD();
/** An instruction longer than 15 bytes (SDM Vol. 2A §2.3.11: #GP(0)). */
const tooLong: Handler = () => raiseGP(0);
/** A VMX instruction: the handler the VMX layer registered for this row, else #UD. */
const vmxInstruction: Handler = (cpu, insn) => {
  const h = cpu.vmxInstructions[insn.entry];
  if (h === undefined) raiseUD();
  h(cpu, insn);
};

/** Distinct handlers; an instruction's `op` indexes this. */
export const HANDLERS: Handler[] = [];
const idOf = new Map<Handler, number>();
function opFor(h: Handler): number {
  let id = idOf.get(h);
  if (id === undefined) {
    id = HANDLERS.length;
    HANDLERS.push(h);
    idOf.set(h, id);
  }
  return id;
}

export const OP_UD = opFor(undefinedOpcode);
export const OP_TOO_LONG = opFor(tooLong);

/** Form index: bit 0 = memory r/m operand, bit 1 = 16-bit operand size. */
export const FORM_MEM = 1;
export const FORM_16 = 2;
/** ROW_OPS[row * 4 + form]: the op of that row in that form. */
export const ROW_OPS = new Int32Array(OPCODES.length * 4);
/** Per row: its r/m operand can be memory (it has ModRM and mod selects memory). */
export const ROW_HAS_RM = new Uint8Array(OPCODES.length);

/** Per-row block structure (decode-cache.ts): */
export const RowFlag = {
  /** The block ends after this instruction (control transfer, mode or privilege change...). */
  ENDS_BLOCK: 1,
  /** The instruction runs as a block of its own: it touches devices, time or system state, so
   *  everything before it has retired and the virtual clock is exact when it runs. */
  ALONE: 2,
} as const;
export const ROW_FLAGS = new Uint8Array(OPCODES.length);

/** Rows the decoder's subset (issue 2) marks unsupported that this processor implements anyway,
 *  because the exceptions they raise are required (issue 3: #BR needs BOUND, #DB from ICEBP). */
const BEYOND_SUBSET = new Set(['bound_Gv_M', 'int1']);

/** Unsupported rows that are hints, executed as NOPs by a processor without the feature (SDM Vol. 2
 *  "NOP" reserved-NOP space 0F 18-1F, PREFETCHh, ENDBR32/64 without CET, CLDEMOTE): gcc emits
 *  ENDBR32 and prefetches, so compiled guests need them. They never touch memory or fault. */
function isHintNop(name: string): boolean {
  return /^(reservednop|prefetch|endbr|cldemote)/.test(name);
}
const hintNop: Handler = () => {};

/** Rows that need the processor's undivided attention besides the privileged/sensitive/io/vmx
 *  classes of the table: time, identification, traps and faults by design. */
const ALONE_EXTRA = new Set(['cpuid', 'rdtsc', 'pause', 'int3', 'into', 'int_Ib', 'ud2', 'hlt']);

const FORM_SUFFIXES = [
  ['r32', 'r', '32'],
  ['m32', 'm', '32'],
  ['r16', 'r', '16'],
  ['m16', 'm', '16'],
] as const;

/** Rows whose names have no handler, and handler names that match no row (both must stay empty:
 *  test/cpu/dispatch.test.ts fails otherwise; the rows meanwhile raise #UD). */
export const MISSING_HANDLERS: string[] = [];
export const UNMATCHED_HANDLERS: string[] = [];

function build(): void {
  const all = new Map<string, Handler>();
  for (const fam of FAMILIES) {
    for (const [k, h] of Object.entries(fam)) {
      if (all.has(k)) throw new HostBugError(`two handlers for ${k}`);
      all.set(k, h);
    }
  }
  const used = new Set<string>();
  OPCODES.forEach((row, i) => {
    const enc = row.encodings[0];
    ROW_HAS_RM[i] = enc && enc.modrm && !row.operands.some((f) => f === 'Rd' || f === 'Cd' || f === 'Dd') ? 1 : 0;
    const cls = row.cls;
    let flags = 0;
    if (cls & (InsnClass.Branch | InsnClass.Privileged | InsnClass.Sensitive | InsnClass.Io | InsnClass.Vmx)) {
      flags |= RowFlag.ENDS_BLOCK;
    }
    if (cls & (InsnClass.Privileged | InsnClass.Sensitive | InsnClass.Io | InsnClass.Vmx) || ALONE_EXTRA.has(row.name)) {
      flags |= RowFlag.ENDS_BLOCK | RowFlag.ALONE;
    }
    if (!row.supported) flags |= RowFlag.ENDS_BLOCK;
    ROW_FLAGS[i] = flags;

    const beyond = !row.supported && BEYOND_SUBSET.has(row.name);
    const nopHint = !row.supported && isHintNop(row.name);
    if (beyond) ROW_FLAGS[i] = RowFlag.ENDS_BLOCK | RowFlag.ALONE;
    if (nopHint) ROW_FLAGS[i] = 0;
    for (let form = 0; form < 4; form++) {
      let h: Handler | undefined;
      if (nopHint) h = hintNop;
      else if (!row.supported && !beyond) h = undefinedOpcode;
      else if (cls & InsnClass.Vmx) h = vmxInstruction;
      else {
        const [full, rm, sz] = FORM_SUFFIXES[form]!;
        for (const key of [`${row.name}/${full}`, `${row.name}/${rm}`, `${row.name}/${sz}`, row.name]) {
          const c = all.get(key);
          if (c) {
            h = c;
            used.add(key);
            break;
          }
        }
      }
      if (!h) {
        if (form === 0) MISSING_HANDLERS.push(row.name);
        h = undefinedOpcode;
      }
      ROW_OPS[i * 4 + form] = opFor(h);
    }
  });
  for (const k of all.keys()) if (!used.has(k)) UNMATCHED_HANDLERS.push(k);
}

build();

/** The op for a decoded row in its form. */
export function opOf(row: number, memForm: boolean, opSize: number): number {
  // Unsupported rows map to OP_UD here unless the processor implements them (BEYOND_SUBSET).
  return ROW_OPS[row * 4 + (memForm && ROW_HAS_RM[row] ? FORM_MEM : 0) + (opSize === 2 ? FORM_16 : 0)]!;
}
