// The shape of one opcode-table row and the parser for the compact encoding notation the table is
// written in (see opcodes.ts for the notation and the naming rule). Pure data; no decoding here.
import { flagMask } from './flags.js';
import { classMask } from './insn-class.js';
import { type OperandForm, isOperandForm, usesModrm } from './operand-forms.js';

/** Opcode maps (SDM Vol. 2A §2.1.2): one-byte, 0F, 0F 38, 0F 3A. */
export const OpcodeMap = { Primary: 0, M0F: 1, M0F38: 2, M0F3A: 3 } as const;
export type OpcodeMap = (typeof OpcodeMap)[keyof typeof OpcodeMap];

/** How the 66/F2/F3 prefixes take part in selecting the row (SDM Vol. 2A §2.1.2, mandatory prefixes). */
export type MandatoryPrefix = 'any' | 'NP' | '66' | 'F3' | 'F2';
/** ModRM.mod constraint: any, memory only (mod != 3), register only (mod == 3). */
export type ModConstraint = 'any' | 'mem' | 'reg';

export interface Encoding {
  readonly map: OpcodeMap;
  /** The opcode byte within the map (for `+r` rows, the base: low 3 bits zero). */
  readonly opcode: number;
  /** `+r`: the opcode's low 3 bits name a register (8 opcode bytes share the row). */
  readonly plusReg: boolean;
  readonly modrm: boolean;
  /** Required ModRM.reg (0..7), or -1 for any (`/r`). */
  readonly reg: number;
  /** Required ModRM.rm (0..7; only with mod 'reg'), or -1 for any. */
  readonly rm: number;
  readonly mod: ModConstraint;
  readonly prefix: MandatoryPrefix;
  /** 3DNow! (0F 0F): the trailing imm8 that selects the instruction, or -1. */
  readonly suffix: number;
}

export interface OpcodeRow {
  /** Unique, stable: mnemonic + '_' + each operand form (`add_Ev_Gv`, `jz_Jb`, `pusha`). */
  readonly name: string;
  /** NASM mnemonic for 32-bit operand size. */
  readonly mnemonic: string;
  /** NASM mnemonic when the operand size is 16 bits, where the spelling changes (cwde -> cbw). */
  readonly mnemonic16: string;
  /** The encodings that decode to this row; the first is the canonical one (others are aliases the
   *  hardware accepts, e.g. 82 for 80, F6 /1 for F6 /0). */
  readonly encodings: readonly Encoding[];
  /** Operand forms in Intel order. For unsupported rows only the forms that decide the length. */
  readonly operands: readonly OperandForm[];
  /** EFLAGS bits (Flag.*) the instruction reads, writes, and leaves undefined (a subset of written). */
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly flagsUndefined: number;
  /** InsnClass bits; 0 = ordinary. */
  readonly cls: number;
  /** LOCK is allowed (with a memory destination); otherwise LOCK makes the instruction invalid. */
  readonly lockable: boolean;
  /** Condition code 0..15 (SDM Vol. 1 Appendix B, the low nibble of Jcc/SETcc/CMOVcc) or -1. */
  readonly cc: number;
  /** false for real instructions outside the emulated subset (x87, SSE...): decoded, then #UD. */
  readonly supported: boolean;
}

export interface RowOptions {
  /** Flags read / written / undefined, as letters (flags.ts): `'OSZAPC'`. */
  r?: string;
  w?: string;
  u?: string;
  /** InsnClass letters (insn-class.ts): P S I V B R. */
  c?: string;
  lock?: boolean;
  cc?: number;
  m16?: string;
  unsupported?: boolean;
}

const MAP_BY_ESCAPE: Readonly<Record<string, OpcodeMap>> = { '38': OpcodeMap.M0F38, '3A': OpcodeMap.M0F3A };

/**
 * Parses one encoding: `[66|F2|F3|NP] [0F [38|3A]] XX[+r] [/digit|/r] [XX] [mem|reg] [sfx=XX]`.
 * A hex byte after the opcode is an exact ModRM byte (mod 3), e.g. `0F 01 C1` (VMCALL).
 */
export function parseEncoding(spec: string, forms: readonly OperandForm[]): Encoding {
  const t = spec.trim().split(/\s+/);
  let i = 0;
  let prefix: MandatoryPrefix = 'any';
  const p0 = t[0];
  if (p0 === '66' || p0 === 'F2' || p0 === 'F3' || p0 === 'NP') {
    prefix = p0;
    i++;
  }
  let map: OpcodeMap = OpcodeMap.Primary;
  if (t[i] === '0F') {
    i++;
    map = OpcodeMap.M0F;
    const esc = MAP_BY_ESCAPE[t[i] ?? ''];
    if (esc !== undefined && t.length > i + 1 && /^[0-9A-F]{2}(\+r)?$/.test(t[i + 1] ?? '')) {
      map = esc;
      i++;
    }
  }
  const opTok = t[i++] ?? '';
  const m = /^([0-9A-F]{2})(\+r)?$/.exec(opTok);
  if (!m) throw new Error(`bad opcode '${opTok}' in '${spec}'`);
  const opcode = parseInt(m[1] ?? '', 16);
  const plusReg = m[2] !== undefined;
  let modrm = forms.some(usesModrm);
  let reg = -1;
  let rm = -1;
  let mod: ModConstraint = 'any';
  let suffix = -1;
  for (; i < t.length; i++) {
    const tok = t[i] ?? '';
    if (tok === '/r') modrm = true;
    else if (/^\/[0-7]$/.test(tok)) {
      modrm = true;
      reg = Number(tok[1]);
    } else if (/^[0-9A-F]{2}$/.test(tok)) {
      const b = parseInt(tok, 16);
      if (b >> 6 !== 3) throw new Error(`exact ModRM must have mod 3 in '${spec}'`);
      modrm = true;
      mod = 'reg';
      reg = (b >> 3) & 7;
      rm = b & 7;
    } else if (tok === 'mem' || tok === 'reg') mod = tok;
    else if (/^sfx=[0-9A-F]{2}$/.test(tok)) suffix = parseInt(tok.slice(4), 16);
    else throw new Error(`bad token '${tok}' in '${spec}'`);
  }
  if (forms.some((f) => f[0] === 'M') && mod === 'any') mod = 'mem';
  if (forms.includes('Cd') || forms.includes('Dd')) mod = 'any'; // MOV CR/DR ignore mod (SDM MOV-to/from-CR: "mod bits are ignored")
  if (plusReg && (opcode & 7) !== 0) throw new Error(`+r opcode must be a multiple of 8 in '${spec}'`);
  return { map, opcode, plusReg, modrm, reg, rm, mod, prefix, suffix };
}

/** Builds a row from `asm` (`'add Ev,Gv'`: mnemonic then comma-separated forms) and encodings. */
export function makeRow(enc: string | readonly string[], asm: string, o: RowOptions = {}): OpcodeRow {
  const sp = asm.indexOf(' ');
  const mnemonic = sp < 0 ? asm : asm.slice(0, sp);
  const forms: OperandForm[] = [];
  if (sp >= 0) {
    for (const f of asm.slice(sp + 1).split(',')) {
      const ff = f.trim();
      if (!isOperandForm(ff)) throw new Error(`unknown operand form '${ff}' in '${asm}'`);
      forms.push(ff);
    }
  }
  const encs = (typeof enc === 'string' ? [enc] : enc).map((e) => parseEncoding(e, forms));
  const written = flagMask(o.w ?? '') | flagMask(o.u ?? '');
  return {
    name: [mnemonic, ...forms].join('_'),
    mnemonic,
    mnemonic16: o.m16 ?? mnemonic,
    encodings: encs,
    operands: forms,
    flagsRead: flagMask(o.r ?? ''),
    flagsWritten: written,
    flagsUndefined: flagMask(o.u ?? ''),
    cls: classMask(o.c ?? ''),
    lockable: o.lock ?? false,
    cc: o.cc ?? -1,
    supported: !(o.unsupported ?? false),
  };
}
