// NASM-syntax (Intel) formatting of a DecodedInsn: `mov eax, [ebp+0x8]`. Mnemonic spellings and
// operand syntax follow NASM (and iced-x86's NASM formatter, which the tests compare against).
import { DecodeStatus, type DecodedInsn, NO_REG, Prefix } from './decoded.js';
import { MEM16_ROWS, type MemOperand, type Operand, operandsOf, regName } from './operands.js';
import { OPCODES, type OpcodeRow } from './opcodes.js';
import { SEG_NAMES, Seg } from './registers.js';
import { InsnClass } from './insn-class.js';

const SIZE_KW: Readonly<Record<number, string>> = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword', 16: 'oword' };
const STRING_SUFFIX: Readonly<Record<number, string>> = { 1: 'b', 2: 'w', 4: 'd' };

function hx(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

/** The mnemonic as NASM spells it for this instance (operand/address size, string suffix). */
export function mnemonicOf(insn: DecodedInsn): string {
  const row = OPCODES[insn.entry];
  if (!row || insn.status === DecodeStatus.Invalid || insn.status === DecodeStatus.Truncated) return '(bad)';
  if ((row.cls & InsnClass.String) !== 0) {
    const size = row.operands.some((f) => f.endsWith('b') || f === 'AL') ? 1 : insn.opSize;
    return row.mnemonic + (STRING_SUFFIX[size] ?? '');
  }
  if (row.name === 'jecxz_Jb' && insn.addrSize === 2) return 'jcxz';
  return insn.opSize === 2 ? row.mnemonic16 : row.mnemonic;
}

function memText(m: MemOperand, showSize: boolean): string {
  let s = '';
  if (m.far) s = (m.size === 4 ? 'word ' : '') + 'far ';
  else if (showSize && m.size > 0) s = (SIZE_KW[m.size] ?? '') + ' ';
  let inner = '';
  const rn = (r: number): string => regName(r, m.addrSize);
  if (m.base !== NO_REG) inner = rn(m.base);
  // `*1` on a base-less index keeps the SIB form (NASM would otherwise encode [reg+disp]).
  if (m.index !== NO_REG) inner += (inner ? '+' : '') + rn(m.index) + (m.scale || m.base === NO_REG ? `*${1 << m.scale}` : '');
  if (m.base === NO_REG && m.index === NO_REG) inner = (m.addrSize === 2 && m.moffs ? 'word ' : '') + hx(m.addrSize === 2 ? m.disp & 0xffff : m.disp);
  else if (m.disp !== 0) inner += m.disp < 0 ? `-${hx(-m.disp)}` : `+${hx(m.disp)}`;
  const seg = m.segExplicit ? `${SEG_NAMES[m.seg] ?? '?'}:` : '';
  if (inner.startsWith('word ')) return `${s}[word ${seg}${inner.slice(5)}]`;
  return `${s}[${seg}${inner}]`;
}

/** Forms whose register fixes the operation size, so NASM needs no size keyword on the memory
 *  operand (CL as a count and DX as a port do not). */
const SIZE_FIXING: ReadonlySet<string> = new Set(['Gb', 'Gw', 'Gd', 'Gv', 'Zb', 'Zv', 'AL', 'eAX', 'Sw', 'Rd', 'Cd', 'Dd']);

/** Mnemonics whose memory operand has more than one possible size across the table: only those
 *  need a size keyword (NASM knows `sete [eax]` is a byte, `lgdt [eax]` a pseudo-descriptor). */
const AMBIGUOUS: ReadonlySet<string> = (() => {
  const sizes = new Map<string, Set<number>>();
  for (const row of OPCODES) {
    if (!row.supported) continue;
    let set = sizes.get(row.mnemonic);
    if (!set) sizes.set(row.mnemonic, (set = new Set()));
    for (const f of row.operands) {
      if (f === 'Eb') set.add(1);
      else if (f === 'Ew') set.add(2);
      else if (f === 'Ed') set.add(4);
      else if (f === 'Ev') MEM16_ROWS.has(row.name) ? set.add(2) : (set.add(2), set.add(4));
    }
  }
  return new Set([...sizes].filter(([, s]) => s.size > 1).map(([m]) => m));
})();

function needsSize(row: OpcodeRow, m: MemOperand): boolean {
  if (m.size === 0 || m.far) return false;
  if (row.mnemonic === 'movzx' || row.mnemonic === 'movsx') return true;
  return AMBIGUOUS.has(row.mnemonic) && !row.operands.some((f) => SIZE_FIXING.has(f));
}

function operandText(o: Operand, row: OpcodeRow, opSize: number): string {
  switch (o.kind) {
    case 'reg': return o.name;
    // 66 68 iw: NASM needs `push word imm` (a bare `push imm` is the 32-bit push).
    case 'imm': return (row.name === 'push_Iz' && opSize === 2 ? 'word ' : '') + hx(o.value);
    case 'rel': return hx(o.target);
    case 'far': return `${hx(o.sel)}:${hx(o.off)}`;
    case 'mem': return memText(o, needsSize(row, o));
    case 'str': return '';
  }
}

const BRANCH_HINTS: Readonly<Record<number, string>> = { 1: 'cs ', 3: 'ds ' };
/** Rows whose operand size matters but shows nowhere in their text: a 66 prefix prints `o16`. */
const O16_ROWS: ReadonlySet<string> = new Set([
  'jmp_Jb', 'jecxz_Jb', 'loop_Jb', 'loopz_Jb', 'loopnz_Jb', 'enter_Iw_Ib', 'leave', 'sgdt_Ms', 'sidt_Ms',
  'lgdt_Ms', 'lidt_Ms', 'push_Ibs', 'push_ES', 'push_CS', 'push_SS', 'push_DS', 'push_FS', 'push_GS',
  'pop_ES', 'pop_SS', 'pop_DS', 'pop_FS', 'pop_GS', 'lldt_Ew', 'ltr_Ew', 'verr_Ew', 'verw_Ew', 'lmsw_Ew',
]);
/** MOV forms that take an XRELEASE prefix (SDM Vol. 1 §16.3.3). */
const HLE_MOV: ReadonlySet<string> = new Set(['mov_Eb_Gb', 'mov_Ev_Gv', 'mov_Eb_Ib', 'mov_Ev_Iz']);
/** Near branches that take the MPX BND prefix (F2). */
function bndBranch(row: OpcodeRow): boolean {
  return (row.cc >= 0 && row.mnemonic[0] === 'j') || ['jmp_Jz', 'jmp_Ev', 'call_Jz', 'call_Ev', 'ret', 'ret_Iw'].includes(row.name);
}

/** Prefixes that change what the instruction means but are not visible in its operands, in
 *  NASM's order: o16/a16, segment, REP-class (rep, bnd, xacquire/xrelease), lock. */
function prefixText(insn: DecodedInsn, row: OpcodeRow, ops: readonly Operand[]): string {
  const p = insn.prefixes;
  const rep = (p & Prefix.REP) !== 0;
  const repne = (p & Prefix.REPNE) !== 0;
  const memDest = ops[0]?.kind === 'mem';
  let size = '';
  let seg = '';
  let rp = '';
  if ((row.cls & InsnClass.String) !== 0) {
    const cmp = row.mnemonic === 'cmps' || row.mnemonic === 'scas';
    if ((p & Prefix.SEG) !== 0 && insn.seg !== Seg.DS && ops.some((o) => o.kind === 'str' && o.which === 'X')) seg = `${SEG_NAMES[insn.seg] ?? '?'} `;
    if (insn.addrSize === 2) size = 'a16 ';
    if (rep) rp = cmp ? 'repz ' : 'rep ';
    else if (repne) rp = 'repnz ';
  } else {
    // CS / DS on a conditional jump are branch hints (SDM Vol. 2A §2.1.1).
    if (row.cc >= 0 && row.mnemonic[0] === 'j' && (p & Prefix.SEG) !== 0) seg = BRANCH_HINTS[insn.seg] ?? '';
    // HLE (SDM Vol. 1 §16.3.3): F2/F3 on a LOCKed (or implicitly locked XCHG) memory write.
    const hle = memDest && ((p & Prefix.LOCK) !== 0 || row.mnemonic === 'xchg');
    if (hle && repne) rp = 'xacquire ';
    else if ((hle || (memDest && HLE_MOV.has(row.name))) && rep) rp = 'xrelease ';
    else if (repne && bndBranch(row)) rp = 'bnd ';
    else if (rep && (row.name === 'ret' || row.mnemonic === 'bsf' || row.mnemonic === 'bsr')) rp = 'rep '; // `rep ret`, gcc's `rep bsf`
    // 3E on an indirect near CALL/JMP is CET's NOTRACK (SDM Vol. 1 §18.3.8).
    if ((row.name === 'call_Ev' || row.name === 'jmp_Ev') && (p & Prefix.SEG) !== 0 && insn.seg === Seg.DS) seg = 'notrack ';
    const memForm = insn.mod !== 3 && (MEM16_ROWS.has(row.name) || row.name === 'mov_Sw_Ew');
    if (insn.opSize === 2 && (O16_ROWS.has(row.name) || (row.cc >= 0 && row.operands[0] === 'Jb') || memForm)) size = 'o16 ';
  }
  return size + seg + rp + ((p & Prefix.LOCK) !== 0 ? 'lock ' : '');
}

/** Formats one decoded instruction at address `ip`. Invalid bytes print as `db 0x..`. */
export function formatInsn(insn: DecodedInsn, ip: number, firstByte = 0): string {
  if (insn.status === DecodeStatus.Invalid || insn.status === DecodeStatus.Truncated) return `db ${hx(firstByte & 0xff)}`;
  const row = OPCODES[insn.entry];
  if (!row) return `db ${hx(firstByte & 0xff)}`;
  const mn = mnemonicOf(insn);
  if (insn.status === DecodeStatus.Unsupported) return `${mn} ; unsupported`;
  let pre = '';
  const isString = (row.cls & InsnClass.String) !== 0;
  const ops = operandsOf(insn, ip);
  pre += prefixText(insn, row, ops);
  if (isString) return pre + mn;
  // LOOPcc / JCXZ with a 67 prefix count in CX: NASM writes `loop target, cx`.
  if (insn.addrSize === 2 && row.mnemonic.startsWith('loop')) ops.push({ kind: 'reg', name: 'cx', size: 2 });
  if (row.mnemonic === 'lea') for (const o of ops) if (o.kind === 'mem') o.segExplicit = false;
  // XCHG prints the ModRM.reg operand first, the order NASM encodes back to the same bytes.
  if (row.mnemonic === 'xchg' && row.operands[0]?.[0] === 'E') ops.reverse();
  // IMUL r, r/m, imm with r == r/m prints as NASM's two-operand form.
  if (row.mnemonic === 'imul' && ops.length === 3 && ops[1]?.kind === 'reg' && ops[0]?.kind === 'reg' && ops[0].name === ops[1].name) ops.splice(1, 1);
  const text = ops.map((o) => operandText(o, row, insn.opSize)).filter((t) => t !== '').join(', ');
  return pre + mn + (text ? ' ' + text : '');
}
