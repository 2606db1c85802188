// THE opcode table: every instruction the decoder knows, once. The decoder's dense lookup arrays,
// the disassembler and the CPU's handler binding are all derived from OPCODES at load time.
//
// Naming rule (the CPU binds handlers by `name`, so names are stable):
//   name = mnemonic + '_' + each operand form, in Intel operand order, forms in the SDM opcode-map
//   notation of operand-forms.ts: `add_Ev_Gv`, `add_Eb_Ib`, `add_Ev_Ibs` (83: sign-extended imm8),
//   `mov_Gv_Ev`, `mov_eAX_Ov`, `push_Zv` (50+r), `shl_Ev_1`, `shl_Ev_CL`, `in_AL_DX`, `pusha`.
//   Mnemonics are NASM's as it spells them in 32-bit code (`cwde`, `cdq`, `pusha`, `pushf`, `iret`;
//   the row's mnemonic16 is the spelling with a 66 prefix: `cbw`, `cwd`, `pushaw`, `pushfw`, `iretw`). Conditional rows exist once per condition, named with the SDM/NASM
//   condition suffixes o no b ae z nz be a s ns p np l ge le g: `jz_Jb`, `jz_Jz`, `setz_Eb`,
//   `cmovz_Gv_Ev`. String instructions use the X/Y forms: `movs_Yv_Xv`, `cmps_Xb_Yb`,
//   `stos_Yv_eAX`. One row serves both operand sizes (the 66 prefix sets DecodedInsn.opSize = 2);
//   byte forms are separate rows. A row may have alias encodings (82 = 80, F6 /1 = F6 /0,
//   /6 = /4 in the shift groups): they decode to the same row.
//
// Encoding notation (opcode-row.ts parseEncoding): `[66|F2|F3|NP] [0F [38|3A]] XX[+r] [/n|/r] [XX]
// [mem|reg]`: a mandatory prefix (NP = none of 66/F2/F3), the opcode bytes, `/n` a ModRM.reg
// constraint, an exact mod-3 ModRM byte, and a mod constraint. Without a mandatory prefix the row
// ignores 66/F2/F3 for selection (they keep their prefix meaning).
// Flags: letters of flags.ts (O S Z A P C D I T N R V K L, * = all). Class: letters of insn-class.ts
// (P privileged, S sensitive, I io, V vmx, B branch, R string).
import { type OpcodeRow, type RowOptions, makeRow } from './opcode-row.js';
import { UNSUPPORTED_ROWS } from './opcodes-unsupported.js';

export type { OpcodeRow, Encoding, OpcodeMap, MandatoryPrefix, ModConstraint } from './opcode-row.js';

/** Condition-code suffixes in encoding order (SDM Vol. 1 Appendix B, Table B-1). */
export const CONDITIONS = ['o', 'no', 'b', 'ae', 'z', 'nz', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;
/** Flags each condition reads, indexed by condition code. */
const CC_READS = ['O', 'O', 'C', 'C', 'Z', 'Z', 'CZ', 'CZ', 'S', 'S', 'P', 'P', 'SO', 'SO', 'ZSO', 'ZSO'] as const;

const rows: OpcodeRow[] = [];
const add = (enc: string | readonly string[], asm: string, o?: RowOptions): void => {
  rows.push(makeRow(enc, asm, o));
};
const hx = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

// --- ALU: ADD OR ADC SBB AND SUB XOR CMP (SDM Vol. 2A/2B, one page each; opcode map Table A-2) ---
const ALU = [
  ['add', '', 'OSZAPC', ''], ['or', '', 'OSZPC', 'A'], ['adc', 'C', 'OSZAPC', ''], ['sbb', 'C', 'OSZAPC', ''],
  ['and', '', 'OSZPC', 'A'], ['sub', '', 'OSZAPC', ''], ['xor', '', 'OSZPC', 'A'], ['cmp', '', 'OSZAPC', ''],
] as const;
ALU.forEach(([mn, r, w, u], i) => {
  const base = i * 8;
  const lock = mn !== 'cmp';
  const f = { r, w, u };
  add(`${hx(base)} /r`, `${mn} Eb,Gb`, { ...f, lock });
  add(`${hx(base + 1)} /r`, `${mn} Ev,Gv`, { ...f, lock });
  add(`${hx(base + 2)} /r`, `${mn} Gb,Eb`, f);
  add(`${hx(base + 3)} /r`, `${mn} Gv,Ev`, f);
  add(hx(base + 4), `${mn} AL,Ib`, f);
  add(hx(base + 5), `${mn} eAX,Iz`, f);
  add([`80 /${i}`, `82 /${i}`], `${mn} Eb,Ib`, { ...f, lock });
  add(`81 /${i}`, `${mn} Ev,Iz`, { ...f, lock });
  add(`83 /${i}`, `${mn} Ev,Ibs`, { ...f, lock });
});
add('84 /r', 'test Eb,Gb', { w: 'OSZPC', u: 'A' });
add('85 /r', 'test Ev,Gv', { w: 'OSZPC', u: 'A' });
add('A8', 'test AL,Ib', { w: 'OSZPC', u: 'A' });
add('A9', 'test eAX,Iz', { w: 'OSZPC', u: 'A' });
add(['F6 /0', 'F6 /1'], 'test Eb,Ib', { w: 'OSZPC', u: 'A' });
add(['F7 /0', 'F7 /1'], 'test Ev,Iz', { w: 'OSZPC', u: 'A' });
add('F6 /2', 'not Eb', { lock: true });
add('F7 /2', 'not Ev', { lock: true });
add('F6 /3', 'neg Eb', { w: 'OSZAPC', lock: true });
add('F7 /3', 'neg Ev', { w: 'OSZAPC', lock: true });
for (const [n, mn] of [[4, 'mul'], [5, 'imul']] as const) {
  add(`F6 /${n}`, `${mn} Eb`, { w: 'OC', u: 'SZAP' });
  add(`F7 /${n}`, `${mn} Ev`, { w: 'OC', u: 'SZAP' });
}
for (const [n, mn] of [[6, 'div'], [7, 'idiv']] as const) {
  add(`F6 /${n}`, `${mn} Eb`, { u: 'OSZAPC' });
  add(`F7 /${n}`, `${mn} Ev`, { u: 'OSZAPC' });
}
add('0F AF /r', 'imul Gv,Ev', { w: 'OC', u: 'SZAP' });
add('69 /r', 'imul Gv,Ev,Iz', { w: 'OC', u: 'SZAP' });
add('6B /r', 'imul Gv,Ev,Ibs', { w: 'OC', u: 'SZAP' });
add('40+r', 'inc Zv', { w: 'OSZAP' });
add('48+r', 'dec Zv', { w: 'OSZAP' });
add('FE /0', 'inc Eb', { w: 'OSZAP', lock: true });
add('FE /1', 'dec Eb', { w: 'OSZAP', lock: true });
add('FF /0', 'inc Ev', { w: 'OSZAP', lock: true });
add('FF /1', 'dec Ev', { w: 'OSZAP', lock: true });

// --- Shifts and rotates: groups 2 (C0 C1 D0-D3), SHLD/SHRD. /6 is SHL's undocumented alias. ---
const SHIFTS = [
  ['rol', [0], '', 'OC'], ['ror', [1], '', 'OC'], ['rcl', [2], 'C', 'OC'], ['rcr', [3], 'C', 'OC'],
  ['shl', [4, 6], '', 'OSZPC'], ['shr', [5], '', 'OSZPC'], ['sar', [7], '', 'OSZPC'],
] as const;
for (const [mn, regs, r, w] of SHIFTS) {
  const enc = (op: string): string[] => regs.map((n) => `${op} /${n}`);
  const u1 = w.includes('A') || w.includes('S') ? 'A' : ''; // count 1: OF defined; AF undefined for shifts
  const un = u1 + 'O'; // count > 1: OF undefined too (SDM SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR "Flags Affected")
  add(enc('D0'), `${mn} Eb,1`, { r, w, u: u1 });
  add(enc('D1'), `${mn} Ev,1`, { r, w, u: u1 });
  add(enc('D2'), `${mn} Eb,CL`, { r, w, u: un });
  add(enc('D3'), `${mn} Ev,CL`, { r, w, u: un });
  add(enc('C0'), `${mn} Eb,Ib`, { r, w, u: un });
  add(enc('C1'), `${mn} Ev,Ib`, { r, w, u: un });
}
add('0F A4 /r', 'shld Ev,Gv,Ib', { w: 'OSZPC', u: 'AO' });
add('0F A5 /r', 'shld Ev,Gv,CL', { w: 'OSZPC', u: 'AO' });
add('0F AC /r', 'shrd Ev,Gv,Ib', { w: 'OSZPC', u: 'AO' });
add('0F AD /r', 'shrd Ev,Gv,CL', { w: 'OSZPC', u: 'AO' });

// --- Bit tests and scans ---
const BT = [['bt', 'A3', 4, false], ['bts', 'AB', 5, true], ['btr', 'B3', 6, true], ['btc', 'BB', 7, true]] as const;
for (const [mn, op, n, lock] of BT) {
  add(`0F ${op} /r`, `${mn} Ev,Gv`, { w: 'C', u: 'OSAP', lock });
  add(`0F BA /${n}`, `${mn} Ev,Ib`, { w: 'C', u: 'OSAP', lock });
}
// F3 0F BC/BD is TZCNT/LZCNT only with BMI1/LZCNT (CPUID); this CPU has neither, so the prefix is
// ignored and the instruction is BSF/BSR (SDM TZCNT: "on processors that do not support TZCNT, the
// instruction byte encoding is executed as BSF") -- gcc emits `rep bsf` for __builtin_ctz.
add('0F BC /r', 'bsf Gv,Ev', { w: 'Z', u: 'OSAPC' });
add('0F BD /r', 'bsr Gv,Ev', { w: 'Z', u: 'OSAPC' });

// --- Data movement ---
add('88 /r', 'mov Eb,Gb');
add('89 /r', 'mov Ev,Gv');
add('8A /r', 'mov Gb,Eb');
add('8B /r', 'mov Gv,Ev');
// Sreg 6 and 7 do not exist, and MOV CS, r/m is #UD (SDM MOV: "If attempt is made to load the CS register").
add(['8C /0', '8C /1', '8C /2', '8C /3', '8C /4', '8C /5'], 'mov Ev,Sw', { c: 'S' });
add(['8E /0', '8E /2', '8E /3', '8E /4', '8E /5'], 'mov Sw,Ew', { c: 'S' });
add('A0', 'mov AL,Ob');
add('A1', 'mov eAX,Ov');
add('A2', 'mov Ob,AL');
add('A3', 'mov Ov,eAX');
add('B0+r', 'mov Zb,Ib');
add('B8+r', 'mov Zv,Iz');
add('C6 /0', 'mov Eb,Ib');
add('C7 /0', 'mov Ev,Iz');
add('8D /r', 'lea Gv,M');
add('0F B6 /r', 'movzx Gv,Eb');
add('0F B7 /r', 'movzx Gv,Ew');
add('0F BE /r', 'movsx Gv,Eb');
add('0F BF /r', 'movsx Gv,Ew');
add('86 /r', 'xchg Eb,Gb', { lock: true });
add('87 /r', 'xchg Ev,Gv', { lock: true });
add('90', 'nop', { m16: 'xchg ax, ax' }); // 66 90: NASM spells it `xchg ax, ax`
add('90+r', 'xchg Zv,eAX'); // 91-97: 90 itself decodes to the more specific NOP row
add('0F C0 /r', 'xadd Eb,Gb', { w: 'OSZAPC', lock: true });
add('0F C1 /r', 'xadd Ev,Gv', { w: 'OSZAPC', lock: true });
add('0F B0 /r', 'cmpxchg Eb,Gb', { w: 'OSZAPC', lock: true });
add('0F B1 /r', 'cmpxchg Ev,Gv', { w: 'OSZAPC', lock: true });
add('0F C7 /1 mem', 'cmpxchg8b Mq', { w: 'Z', lock: true });
add('0F C8+r', 'bswap Zv');
add('98', 'cwde', { m16: 'cbw' });
add('99', 'cdq', { m16: 'cwd' });
for (let cc = 0; cc < 16; cc++) {
  add(`0F ${hx(0x40 + cc)} /r`, `cmov${CONDITIONS[cc]} Gv,Ev`, { r: CC_READS[cc], cc });
  add(`0F ${hx(0x90 + cc)} /r`, `set${CONDITIONS[cc]} Eb`, { r: CC_READS[cc], cc });
}

// --- Stack ---
add('50+r', 'push Zv');
add('58+r', 'pop Zv');
add('FF /6', 'push Ev');
add('8F /0', 'pop Ev');
add('68', 'push Iz');
add('6A', 'push Ibs');
for (const [seg, push, pop] of [['ES', '06', '07'], ['CS', '0E', ''], ['SS', '16', '17'], ['DS', '1E', '1F'], ['FS', '0F A0', '0F A1'], ['GS', '0F A8', '0F A9']] as const) {
  add(push, `push ${seg}`, { c: 'S' });
  if (pop) add(pop, `pop ${seg}`, { c: 'S' });
}
add('60', 'pusha', { m16: 'pushaw' });
add('61', 'popa', { m16: 'popaw' });
add('9C', 'pushf', { r: '*', c: 'S', m16: 'pushfw' });
add('9D', 'popf', { w: '*', c: 'S', m16: 'popfw' });
add('C8', 'enter Iw,Ib');
add('C9', 'leave');

// --- Control transfer ---
for (let cc = 0; cc < 16; cc++) {
  add(hx(0x70 + cc), `j${CONDITIONS[cc]} Jb`, { r: CC_READS[cc], cc, c: 'B' });
  add(`0F ${hx(0x80 + cc)}`, `j${CONDITIONS[cc]} Jz`, { r: CC_READS[cc], cc, c: 'B' });
}
add('EB', 'jmp Jb', { c: 'B' });
add('E9', 'jmp Jz', { c: 'B' });
add('FF /4', 'jmp Ev', { c: 'B' });
add('EA', 'jmp Ap', { c: 'BS' });
add('FF /5', 'jmp Mp', { c: 'BS' });
add('E8', 'call Jz', { c: 'B' });
add('FF /2', 'call Ev', { c: 'B' });
add('9A', 'call Ap', { c: 'BS' });
add('FF /3', 'call Mp', { c: 'BS' });
add('C3', 'ret', { c: 'B', m16: 'retw' });
add('C2', 'ret Iw', { c: 'B', m16: 'retw' });
add('CB', 'retf', { c: 'BS', m16: 'retfw' });
add('CA', 'retf Iw', { c: 'BS', m16: 'retfw' });
add('E2', 'loop Jb', { c: 'B' });
add('E1', 'loopz Jb', { r: 'Z', c: 'B' });
add('E0', 'loopnz Jb', { r: 'Z', c: 'B' });
add('E3', 'jecxz Jb', { c: 'B' }); // 67 E3 is JCXZ: the disassembler spells it by address size
add('CC', 'int3', { w: 'ITNRVK', c: 'B' });
add('CD', 'int Ib', { w: 'ITNRVK', c: 'BS' });
add('CE', 'into', { r: 'O', w: 'ITNRVK', c: 'B' });
add('CF', 'iret', { w: '*', c: 'BS', m16: 'iretw' });

// --- Strings (REP/REPE/REPNE per SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ") ---
add('A4', 'movs Yb,Xb', { r: 'D', c: 'R' });
add('A5', 'movs Yv,Xv', { r: 'D', c: 'R' });
add('A6', 'cmps Xb,Yb', { r: 'D', w: 'OSZAPC', c: 'R' });
add('A7', 'cmps Xv,Yv', { r: 'D', w: 'OSZAPC', c: 'R' });
add('AA', 'stos Yb,AL', { r: 'D', c: 'R' });
add('AB', 'stos Yv,eAX', { r: 'D', c: 'R' });
add('AC', 'lods AL,Xb', { r: 'D', c: 'R' });
add('AD', 'lods eAX,Xv', { r: 'D', c: 'R' });
add('AE', 'scas AL,Yb', { r: 'D', w: 'OSZAPC', c: 'R' });
add('AF', 'scas eAX,Yv', { r: 'D', w: 'OSZAPC', c: 'R' });
add('6C', 'ins Yb,DX', { r: 'D', c: 'RI' });
add('6D', 'ins Yv,DX', { r: 'D', c: 'RI' });
add('6E', 'outs DX,Xb', { r: 'D', c: 'RI' });
add('6F', 'outs DX,Xv', { r: 'D', c: 'RI' });

// --- Flag control, misc ---
add('F8', 'clc', { w: 'C' });
add('F9', 'stc', { w: 'C' });
add('F5', 'cmc', { r: 'C', w: 'C' });
add('FC', 'cld', { w: 'D' });
add('FD', 'std', { w: 'D' });
add('FA', 'cli', { w: 'I', c: 'S' });
add('FB', 'sti', { w: 'I', c: 'S' });
add('0F 1F /0', 'nop Ev');
add('F3 90', 'pause');
add('0F 0B', 'ud2');
add('0F A2', 'cpuid');
add('0F 31', 'rdtsc');

// --- Port I/O ---
add('E4', 'in AL,Ib', { c: 'I' });
add('E5', 'in eAX,Ib', { c: 'I' });
add('EC', 'in AL,DX', { c: 'I' });
add('ED', 'in eAX,DX', { c: 'I' });
add('E6', 'out Ib,AL', { c: 'I' });
add('E7', 'out Ib,eAX', { c: 'I' });
add('EE', 'out DX,AL', { c: 'I' });
add('EF', 'out DX,eAX', { c: 'I' });

// --- System (SDM Vol. 3A §2.8 "System instruction summary") ---
add('F4', 'hlt', { c: 'P' });
add('0F 01 /0 mem', 'sgdt Ms', { c: 'S' });
add('0F 01 /1 mem', 'sidt Ms', { c: 'S' });
add('0F 01 /2 mem', 'lgdt Ms', { c: 'P' });
add('0F 01 /3 mem', 'lidt Ms', { c: 'P' });
add('0F 01 /4', 'smsw Ev', { c: 'S' });
add('0F 01 /6', 'lmsw Ew', { c: 'P' });
add('0F 01 /7 mem', 'invlpg M', { c: 'P' });
add('0F 00 /0', 'sldt Ev', { c: 'S' });
add('0F 00 /1', 'str Ev', { c: 'S' });
add('0F 00 /2', 'lldt Ew', { c: 'P' });
add('0F 00 /3', 'ltr Ew', { c: 'P' });
add('0F 00 /4', 'verr Ew', { w: 'Z', c: 'S' });
add('0F 00 /5', 'verw Ew', { w: 'Z', c: 'S' });
add('0F 02 /r', 'lar Gv,Ew', { w: 'Z', c: 'S' });
add('0F 03 /r', 'lsl Gv,Ew', { w: 'Z', c: 'S' });
// MOV to/from CRn/DRn: ModRM.mod is ignored (always a register); CR1, CR5-7 are #UD (invalid).
add(['0F 20 /0', '0F 20 /2', '0F 20 /3', '0F 20 /4'], 'mov Rd,Cd', { u: 'OSZAPC', c: 'P' });
add(['0F 22 /0', '0F 22 /2', '0F 22 /3', '0F 22 /4'], 'mov Cd,Rd', { u: 'OSZAPC', c: 'P' });
add('0F 21 /r', 'mov Rd,Dd', { u: 'OSZAPC', c: 'P' });
add('0F 23 /r', 'mov Dd,Rd', { u: 'OSZAPC', c: 'P' });
add('0F 06', 'clts', { c: 'P' });
add('0F 08', 'invd', { c: 'P' });
add('0F 09', 'wbinvd', { c: 'P' });
add('0F 30', 'wrmsr', { c: 'P' });
add('0F 32', 'rdmsr', { c: 'P' });
add('C4 /r mem', 'les Gv,Mp');
add('C5 /r mem', 'lds Gv,Mp');
add('0F B2 /r', 'lss Gv,Mp');
add('0F B4 /r', 'lfs Gv,Mp');
add('0F B5 /r', 'lgs Gv,Mp');

// --- VMX (SDM Vol. 2 / Vol. 3C chapter 31; VMX instructions report success/failure in CF/ZF) ---
// The 0F 01 register forms take no 66/F2/F3 prefix (with one they are #UD).
const VMX = { w: 'OSZAPC', c: 'PV' } as const;
add('NP 0F 01 C1', 'vmcall', VMX);
add('NP 0F 01 C2', 'vmlaunch', { ...VMX, c: 'PVB' });
add('NP 0F 01 C3', 'vmresume', { ...VMX, c: 'PVB' });
add('NP 0F 01 C4', 'vmxoff', VMX);
add('F3 0F C7 /6 mem', 'vmxon Mq', VMX);
add('66 0F C7 /6 mem', 'vmclear Mq', VMX);
add('NP 0F C7 /6 mem', 'vmptrld Mq', VMX);
add('NP 0F C7 /7 mem', 'vmptrst Mq', VMX);
add('NP 0F 78 /r', 'vmread Ed,Gd', VMX);
add('NP 0F 79 /r', 'vmwrite Gd,Ed', VMX);
add('66 0F 38 80 /r mem', 'invept Gd,Mdq', VMX);
add('66 0F 38 81 /r mem', 'invvpid Gd,Mdq', VMX);

/**
 * Every row, supported first; a row's index is DecodedInsn.entry. Supported names are unique;
 * unsupported rows whose names would repeat get the canonical encoding appended.
 */
export const OPCODES: readonly OpcodeRow[] = Object.freeze(uniqueNames([...rows, ...UNSUPPORTED_ROWS]));

function uniqueNames(all: OpcodeRow[]): OpcodeRow[] {
  const seen = new Set<string>();
  return all.map((r) => {
    if (!seen.has(r.name)) {
      seen.add(r.name);
      return r;
    }
    if (r.supported) throw new Error(`duplicate opcode-table row name ${r.name}`);
    const e = r.encodings[0];
    const tag = e ? `${['', '0F', '0F38', '0F3A'][e.map] ?? ''}${hx(e.opcode)}${e.reg >= 0 ? `r${e.reg}` : ''}${e.rm >= 0 ? `m${e.rm}` : ''}${e.prefix === 'any' ? '' : e.prefix}` : '';
    let name = `${r.name}@${tag}`;
    for (let k = 2; seen.has(name); k++) name = `${r.name}@${tag}#${k}`;
    seen.add(name);
    return { ...r, name };
  });
}

/** Row index by name (built once). */
const BY_NAME = new Map(OPCODES.map((r, i) => [r.name, i]));
export function rowIndex(name: string): number {
  return BY_NAME.get(name) ?? -1;
}
