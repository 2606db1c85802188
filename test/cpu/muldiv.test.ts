// MUL/IMUL/DIV/IDIV: the 64-bit helpers against BigInt, and the #DE cases (zero divisor, quotient
// overflow, including IDIV's -2^31 / -1).
import { describe, expect, it } from 'vitest';
import { div64ForTest, mul64ForTest } from '../../src/cpu/exec/muldiv.js';
import { CODE, machine } from './harness.js';

function rnd32(seed: { s: number }): number {
  seed.s ^= seed.s << 13;
  seed.s ^= seed.s >>> 17;
  seed.s ^= seed.s << 5;
  return seed.s | 0;
}

describe('64-bit helpers', () => {
  it('unsigned and signed 32x32 products match BigInt', () => {
    const seed = { s: 12345 };
    const edge = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000];
    const vals = [...edge, ...Array.from({ length: 200 }, () => rnd32(seed))];
    for (const a of vals) {
      for (const b of vals.slice(0, 40)) {
        const [lo, hi] = mul64ForTest(a, b, false);
        const p = BigInt(a >>> 0) * BigInt(b >>> 0);
        expect(((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16)).toBe(p.toString(16));
        const [slo, shi] = mul64ForTest(a, b, true);
        const sp = BigInt.asUintN(64, BigInt(a) * BigInt(b));
        expect(((BigInt(shi >>> 0) << 32n) | BigInt(slo >>> 0)).toString(16)).toBe(sp.toString(16));
      }
    }
  });

  it('64/32 division matches BigInt when the quotient fits', () => {
    const seed = { s: 999 };
    for (let i = 0; i < 2000; i++) {
      const d = (rnd32(seed) >>> 0) || 1;
      const hi = (rnd32(seed) >>> 0) % d;
      const lo = rnd32(seed) >>> 0;
      const n = (BigInt(hi) << 32n) | BigInt(lo);
      const [q, r] = div64ForTest(hi, lo, d);
      expect([q >>> 0, r >>> 0]).toEqual([Number(n / BigInt(d)), Number(n % BigInt(d))]);
    }
  });
});

describe('instructions', () => {
  it('DIV and IDIV results, and #DE on overflow', () => {
    const m = machine('mov edx, 5\nmov eax, 7\nmov ebx, 0x10\ndiv ebx\nmov esi, eax\nmov edi, edx\n' + 'mov eax, -7\ncdq\nmov ebx, 2\nidiv ebx\nmov ebp, eax\nhlt');
    m.run();
    expect([m.cpu.regs[6], m.cpu.regs[7]]).toEqual([0x50000000, 7]);
    expect([m.cpu.regs[5], m.cpu.regs[2]]).toEqual([-3, -1]);
    for (const code of ['mov edx, 1\nmov eax, 0\nmov ebx, 1\ndiv ebx', 'mov eax, 0x80000000\ncdq\nmov ebx, -1\nidiv ebx', 'xor ebx, ebx\ndiv bl']) {
      const d = machine(`${code}\nhlt`);
      d.run();
      expect(d.lastVector(), code).toBe(0);
      expect(d.frame(0)).toBeGreaterThan(CODE);
    }
  });

  it('IMUL forms set CF=OF exactly when the result does not fit', () => {
    const m = machine('mov eax, 0x10000\nimul eax, eax\npushfd\npop esi\nmov eax, 0x7fff\nimul eax, eax, 2\npushfd\npop edi\nhlt');
    m.run();
    expect(m.cpu.regs[6]! & 0x801).toBe(0x801);
    expect(m.cpu.regs[7]! & 0x801).toBe(0);
    expect(m.cpu.regs[0]).toBe(0xfffe);
  });
});
