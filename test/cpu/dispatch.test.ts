// Handler binding: every supported opcode-table row has semantics (a row without a handler is a
// failure here, not a silent #UD), every handler name matches a row, and the block structure flags
// put system instructions in blocks of their own.
import { describe, expect, it } from 'vitest';
import { HANDLERS, MISSING_HANDLERS, OP_UD, ROW_FLAGS, ROW_OPS, RowFlag, UNMATCHED_HANDLERS } from '../../src/cpu/dispatch.js';
import { OPCODES, rowIndex } from '../../src/x86/opcodes.js';

describe('dispatch table', () => {
  it('binds every supported row and every handler', () => {
    expect(MISSING_HANDLERS).toEqual([]);
    expect(UNMATCHED_HANDLERS).toEqual([]);
  });

  it('gives supported rows real handlers in every form, unsupported ones #UD', () => {
    OPCODES.forEach((row, i) => {
      for (let f = 0; f < 4; f++) {
        const op = ROW_OPS[i * 4 + f]!;
        expect(HANDLERS[op]).toBeTypeOf('function');
        if (row.supported) expect(op, row.name).not.toBe(OP_UD);
      }
    });
  });

  it('runs I/O, time and system instructions alone; ends blocks at branches', () => {
    for (const name of ['in_AL_DX', 'out_DX_AL', 'rdtsc', 'cpuid', 'hlt', 'mov_Cd_Rd', 'sti', 'popf', 'int_Ib']) {
      expect(ROW_FLAGS[rowIndex(name)]! & RowFlag.ALONE, name).toBe(RowFlag.ALONE);
    }
    for (const name of ['jnz_Jb', 'ret', 'call_Jz', 'jmp_Ev']) {
      expect(ROW_FLAGS[rowIndex(name)], name).toBe(RowFlag.ENDS_BLOCK);
    }
    expect(ROW_FLAGS[rowIndex('add_Ev_Gv')]).toBe(0);
  });
});
