// Unit tests of the decoder on raw bytes (disassembly in the comments): the DecodedInsn fields the
// CPU reads, the 15-byte limit, the `limit` contract, and never throwing or reading past `limit`.
import { describe, expect, it } from 'vitest';
import { DecodeStatus, DecodedInsn, NO_REG, Prefix } from '../../src/x86/decoded.js';
import { MAX_INSN_LEN, decode } from '../../src/x86/decoder.js';
import { OPCODES } from '../../src/x86/opcodes.js';
import { Reg, Seg } from '../../src/x86/registers.js';
import { rng } from './gen.js';

function dec(hex: string, limit?: number): DecodedInsn {
  const bytes = Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));
  const out = new DecodedInsn();
  decode(bytes, 0, limit ?? bytes.length, out);
  return out;
}
const name = (d: DecodedInsn): string => OPCODES[d.entry]?.name ?? '?';

describe('decoder: fields', () => {
  it('8b 45 08: mov eax, [ebp+0x8] -- SS default for EBP', () => {
    const d = dec('8b4508');
    expect([d.status, name(d), d.len, d.mod, d.reg, d.rm, d.base, d.index, d.disp, d.seg]).toEqual(
      [DecodeStatus.Ok, 'mov_Gv_Ev', 3, 1, Reg.EAX, Reg.EBP, Reg.EBP, NO_REG, 8, Seg.SS]);
  });
  it('89 44 8b fc: mov [ebx+ecx*4-0x4], eax -- SIB, negative disp8', () => {
    const d = dec('89448bfc');
    expect([name(d), d.base, d.index, d.scale, d.disp, d.seg]).toEqual(['mov_Ev_Gv', Reg.EBX, Reg.ECX, 2, -4, Seg.DS]);
  });
  it('8b 04 25 78 56 34 12: mov eax, [0x12345678] -- SIB with no base and no index', () => {
    const d = dec('8b042578563412');
    expect([d.len, d.base, d.index, d.disp]).toEqual([7, NO_REG, NO_REG, 0x12345678]);
  });
  it('64 a1 30 00 00 00: mov eax, [fs:0x30] -- moffs is the disp, the override is the seg', () => {
    const d = dec('64a130000000');
    expect([name(d), d.mod, d.base, d.index, d.disp, d.seg, d.prefixes & Prefix.SEG]).toEqual(['mov_eAX_Ov', 0, NO_REG, NO_REG, 0x30, Seg.FS, Prefix.SEG]);
  });
  it('67 8b 42 10: mov eax, [bp+si+0x10] -- 16-bit addressing', () => {
    const d = dec('678b4210');
    expect([d.addrSize, d.base, d.index, d.disp, d.seg]).toEqual([2, Reg.EBP, Reg.ESI, 0x10, Seg.SS]);
  });
  it('66 b8 34 12: mov ax, 0x1234 -- +r register in reg, opSize 2, Iz is 16 bits', () => {
    const d = dec('66b83412');
    expect([name(d), d.len, d.opSize, d.reg, d.imm]).toEqual(['mov_Zv_Iz', 4, 2, Reg.EAX, 0x1234]);
  });
  it('83 c4 f0: add esp, -0x10 -- Ibs is sign-extended; c7 c0 ff ff ff ff: Iz as int32', () => {
    expect(dec('83c4f0').imm).toBe(-16);
    expect(dec('c7c0ffffffff').imm).toBe(-1);
    expect(dec('80c0f0').imm).toBe(0xf0); // Ib: zero-extended
  });
  it('e8 fb ff ff ff: call $ -- Jz displacement; 0f 84: jz near with cc 4', () => {
    expect([name(dec('e8fbffffff')), dec('e8fbffffff').imm]).toEqual(['call_Jz', -5]);
    const j = dec('0f8400010000');
    expect([name(j), j.cc, j.imm, j.opcode]).toEqual(['jz_Jz', 4, 0x100, 0x84]);
  });
  it('c8 10 00 02: enter 0x10, 0x2; ea: jmp 0x8:0x12345678', () => {
    const e = dec('c8100002');
    expect([e.imm, e.imm2]).toEqual([0x10, 2]);
    const f = dec('ea785634120800');
    expect([name(f), f.len, f.imm, f.imm2]).toEqual(['jmp_Ap', 7, 0x12345678, 8]);
  });
  it('0f 20 00 / 0f 20 c0: mov eax, cr0 ignores mod (mod reads as 3); 0f 20 c8 (cr1) is invalid', () => {
    for (const h of ['0f2000', '0f20c0']) {
      const d = dec(h);
      expect([name(d), d.len, d.mod, d.rm, d.reg]).toEqual(['mov_Rd_Cd', 3, 3, 0, 0]);
    }
    expect(dec('0f20c8').status).toBe(DecodeStatus.Invalid);
  });
  it('LOCK: allowed on a memory destination of a lockable row only', () => {
    expect(dec('f00100').status).toBe(DecodeStatus.Ok); // lock add [eax], eax
    expect(dec('f001c0').status).toBe(DecodeStatus.Invalid); // lock add eax, eax
    expect(dec('f08b00').status).toBe(DecodeStatus.Invalid); // lock mov eax, [eax]
  });
  it('F2/F3: the last one wins; rep movsd sets REP only', () => {
    const d = dec('f2f3a5');
    expect([name(d), d.prefixes & (Prefix.REP | Prefix.REPNE)]).toEqual(['movs_Yv_Xv', Prefix.REP]);
    expect(name(dec('f390'))).toBe('pause');
    expect(name(dec('f30fbcc1'))).toBe('bsf_Gv_Ev'); // gcc's `rep bsf` (no BMI1 on this CPU)
  });
  it('VMX: vmxon/vmclear/vmptrld share 0F C7 /6 by mandatory prefix', () => {
    expect(name(dec('f30fc730'))).toBe('vmxon_Mq');
    expect(name(dec('660fc730'))).toBe('vmclear_Mq');
    expect(name(dec('0fc730'))).toBe('vmptrld_Mq');
    expect(name(dec('0f01c1'))).toBe('vmcall');
    expect(dec('660f01c1').status).toBe(DecodeStatus.Invalid);
  });
  it('unsupported instructions decode to their length: x87, SSE, VEX, 3DNow!', () => {
    for (const [h, len] of [['d9c0', 2], ['dd442408', 4], ['0f10c0', 3], ['660f3a0fc108', 6], ['c5f877', 3], ['c4e37d18c001', 6], ['0f0fc09e', 4]] as const) {
      const d = dec(h);
      expect([h, d.status, d.len]).toEqual([h, DecodeStatus.Unsupported, len]);
    }
    expect(name(dec('c400'))).toBe('les_Gv_Mp'); // C4 with mod != 3 is LES, not VEX
  });
  it('not instructions: invalid', () => {
    for (const h of ['0f04', '0f0a', 'fe10', 'ff38', '8ec8', 'c6c800']) expect([h, dec(h + '00000000').status]).toEqual([h, DecodeStatus.Invalid]);
  });
  it('15 bytes is the limit: 14 prefixes + nop is valid, 15 are too many (Invalid, len > 15)', () => {
    const ok = dec('66'.repeat(14) + '90' + '00'.repeat(20));
    expect([ok.status, ok.len]).toEqual([DecodeStatus.Ok, 15]);
    const bad = dec('66'.repeat(15) + '90' + '00'.repeat(20));
    expect(bad.status).toBe(DecodeStatus.Invalid);
    expect(bad.len).toBeGreaterThan(MAX_INSN_LEN);
    const long = dec('66'.repeat(8) + '8184' + 'c8'.repeat(5) + '11223344' + '00'.repeat(20)); // 8 + 2 + 1 + 4 + 4 = 19
    expect([long.status, long.len > MAX_INSN_LEN]).toEqual([DecodeStatus.Invalid, true]);
  });
});

describe('decoder: the limit contract', () => {
  it('an instruction cut by `limit` is Truncated; with 15 bytes available, never', () => {
    expect(dec('8b45', 2).status).toBe(DecodeStatus.Truncated);
    expect(dec('e80000', 3).status).toBe(DecodeStatus.Truncated);
    expect(dec('', 0).status).toBe(DecodeStatus.Truncated);
    expect(dec('66'.repeat(14), 14).status).toBe(DecodeStatus.Truncated);
    expect(dec('66'.repeat(15), 15).status).toBe(DecodeStatus.Invalid);
  });
  it('never reads at or past limit: the bytes after it do not change the result', () => {
    const r = rng(77);
    const a = new DecodedInsn();
    const b = new DecodedInsn();
    for (let k = 0; k < 20_000; k++) {
      const buf = new Uint8Array(64);
      for (let i = 0; i < 64; i++) buf[i] = r() & 0xff;
      const start = r() % 20;
      const limit = start + (r() % 20);
      const other = buf.slice();
      for (let i = limit; i < 64; i++) other[i] = r() & 0xff;
      decode(buf, start, limit, a);
      decode(other, start, limit, b);
      expect([b.status, b.len, b.entry]).toEqual([a.status, a.len, a.entry]);
    }
  });
  it('never throws, whatever the bytes, start and limit', () => {
    const r = rng(99);
    const out = new DecodedInsn();
    const buf = new Uint8Array(4096);
    for (let i = 0; i < buf.length; i++) buf[i] = r() & 0xff;
    expect(() => {
      for (let k = 0; k < 100_000; k++) {
        const start = r() % 4100;
        decode(buf, start, Math.min(buf.length + 8, start + (r() % 40) - 4), out);
      }
    }).not.toThrow();
  });
});

describe('decoder: the fast path and the general path agree', () => {
  // Prefix-free instructions take the table-driven fast path; a DS override (3E) sends the same
  // instruction through the byte-at-a-time general path. Apart from the prefix's own effects (one
  // byte longer, SEG in prefixes, seg = DS) every field must be the same.
  const FIELDS = ['entry', 'status', 'opSize', 'addrSize', 'mod', 'reg', 'rm', 'base', 'index', 'scale', 'disp', 'imm', 'imm2', 'cc', 'opcode'] as const;
  it('on 200,000 random byte strings, and with a 0F escape in front', () => {
    const r = rng(2024);
    const fast = new DecodedInsn();
    const general = new DecodedInsn();
    const buf = new Uint8Array(48);
    const withDs = new Uint8Array(49);
    let compared = 0;
    for (let k = 0; k < 200_000; k++) {
      for (let i = 0; i < 48; i++) buf[i] = r() & 0xff;
      if (k & 1) buf[0] = 0x0f;
      if (PREFIXES.has(buf[0] ?? 0)) continue;
      withDs[0] = 0x3e;
      withDs.set(buf, 1);
      decode(buf, 0, buf.length, fast);
      decode(withDs, 0, withDs.length, general);
      expect([general.status, general.len]).toEqual([fast.status, fast.len + 1]);
      if (fast.status === DecodeStatus.Invalid) {
        expect(general.entry).toBe(fast.entry);
        continue;
      }
      for (const f of FIELDS) if (general[f] !== fast[f]) expect([Buffer.from(buf.subarray(0, 12)).toString('hex'), f, general[f]]).toEqual(['', f, fast[f]]);
      expect([general.prefixes, general.seg]).toEqual([Prefix.SEG, Seg.DS]);
      compared++;
    }
    expect(compared).toBeGreaterThan(150_000);
  });
});
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
