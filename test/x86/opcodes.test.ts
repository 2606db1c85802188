// The opcode table itself: naming rule, coverage of issue 2's instruction list, conditional rows,
// flag and class consistency, and that the dense decode tables build without ambiguity.
import { describe, expect, it } from 'vitest';
import { OPC, SUB } from '../../src/x86/decode-tables.js';
import { Flag } from '../../src/x86/flags.js';
import { InsnClass } from '../../src/x86/insn-class.js';
import { CONDITIONS, OPCODES, rowIndex } from '../../src/x86/opcodes.js';

const supported = OPCODES.filter((r) => r.supported);

/** Issue 2's list, as mnemonics (string ops by their base name, conditionals expanded below). */
const ISSUE_LIST = `add or adc sbb and sub xor cmp test inc dec neg not mov movzx movsx lea xchg xadd cmpxchg
  cmpxchg8b bswap push pop pusha popa pushf popf call ret retf jmp loop loopz loopnz jecxz enter leave
  rol ror rcl rcr shl shr sar shld shrd mul imul div idiv bt bts btr btc bsf bsr movs stos lods cmps scas
  ins outs cwde cdq clc stc cmc cld std cli sti nop int int3 into iret hlt in out lgdt lidt sgdt sidt lldt
  sldt ltr str lmsw smsw invlpg cpuid rdtsc rdmsr wrmsr lar lsl verr verw clts wbinvd invd pause ud2 lds
  les lfs lgs lss vmcall vmlaunch vmresume vmxoff vmxon vmclear vmptrld vmptrst vmread vmwrite invept
  invvpid`.split(/\s+/);

describe('opcode table', () => {
  it('row names are unique and follow the naming rule (mnemonic + operand forms)', () => {
    const names = OPCODES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of supported) expect(r.name).toBe([r.mnemonic, ...r.operands].join('_'));
  });
  it('covers every instruction of issue 2 with a supported row', () => {
    const have = new Set(supported.map((r) => r.mnemonic));
    expect(ISSUE_LIST.filter((m) => !have.has(m))).toEqual([]);
    for (const cc of CONDITIONS) {
      for (const n of [`j${cc}_Jb`, `j${cc}_Jz`, `set${cc}_Eb`, `cmov${cc}_Gv_Ev`]) expect(rowIndex(n), n).toBeGreaterThanOrEqual(0);
    }
    for (const n of ['mov_AL_Ob', 'mov_eAX_Ov', 'mov_Ob_AL', 'mov_Ov_eAX', 'nop_Ev', 'push_Iz', 'push_Ibs', 'imul_Gv_Ev_Iz', 'imul_Gv_Ev_Ibs',
      'shl_Ev_1', 'shl_Ev_CL', 'shl_Ev_Ib', 'in_AL_DX', 'out_Ib_eAX', 'jmp_Ap', 'call_Mp', 'mov_Rd_Cd', 'mov_Dd_Rd', 'mov_Sw_Ew']) {
      expect(rowIndex(n), n).toBeGreaterThanOrEqual(0);
    }
  });
  it('conditional rows carry their condition code (the low nibble of the opcode)', () => {
    for (const r of OPCODES.filter((x) => x.cc >= 0)) {
      const e = r.encodings[0];
      if (r.mnemonic.startsWith('loop')) continue;
      expect([r.name, (e?.opcode ?? -1) & 15]).toEqual([r.name, r.cc]);
    }
  });
  it('flags: undefined is a subset of written; status flags as the SDM lists them for a sample', () => {
    for (const r of OPCODES) expect(r.flagsUndefined & ~r.flagsWritten, r.name).toBe(0);
    const row = (n: string) => OPCODES[rowIndex(n)]!;
    const OSZAPC = Flag.OF | Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF;
    expect(row('add_Ev_Gv').flagsWritten).toBe(OSZAPC);
    expect(row('adc_Ev_Gv').flagsRead).toBe(Flag.CF);
    expect(row('inc_Ev').flagsWritten & Flag.CF).toBe(0); // INC leaves CF alone
    expect(row('and_Ev_Gv').flagsUndefined).toBe(Flag.AF);
    expect(row('div_Ev').flagsUndefined).toBe(OSZAPC);
    expect(row('jbe_Jb').flagsRead).toBe(Flag.CF | Flag.ZF);
    expect(row('cld').flagsWritten).toBe(Flag.DF);
  });
  it('classes: port I/O, privileged, VMX, branches', () => {
    const has = (n: string, c: number) => ((OPCODES[rowIndex(n)]?.cls ?? 0) & c) !== 0;
    for (const n of ['in_AL_DX', 'out_Ib_AL', 'ins_Yb_DX', 'outs_DX_Xv']) expect(has(n, InsnClass.Io), n).toBe(true);
    for (const n of ['hlt', 'lgdt_Ms', 'mov_Cd_Rd', 'invlpg_M', 'wrmsr', 'clts', 'vmxon_Mq']) expect(has(n, InsnClass.Privileged), n).toBe(true);
    for (const n of ['sgdt_Ms', 'smsw_Ev', 'pushf', 'popf', 'lar_Gv_Ew', 'push_CS', 'mov_Ev_Sw']) expect(has(n, InsnClass.Sensitive), n).toBe(true);
    for (const n of ['vmcall', 'vmread_Ed_Gd', 'invept_Gd_Mdq']) expect(has(n, InsnClass.Vmx), n).toBe(true);
    for (const n of ['jz_Jb', 'call_Ev', 'ret', 'iret', 'loop_Jb', 'int_Ib']) expect(has(n, InsnClass.Branch), n).toBe(true);
    expect(has('add_Ev_Gv', ~0)).toBe(false);
  });
  it('lock is allowed exactly on the read-modify-write rows the SDM lists (LOCK prefix page)', () => {
    const lockable = supported.filter((r) => r.lockable).map((r) => r.mnemonic);
    expect([...new Set(lockable)].sort()).toEqual(['adc', 'add', 'and', 'btc', 'btr', 'bts', 'cmpxchg', 'cmpxchg8b', 'dec', 'inc', 'neg', 'not', 'or', 'sbb', 'sub', 'xadd', 'xchg', 'xor']);
  });
  it('the dense decode tables are built (no two rows claim the same bytes)', () => {
    expect(OPC.length).toBe(1024);
    expect(SUB.length).toBeGreaterThan(1000);
  });
});
