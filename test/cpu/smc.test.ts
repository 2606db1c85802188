// Self-modifying code: a write to a page holding decoded instructions drops them, including the
// instruction right after the store in the same block, and code copied elsewhere runs as written.
import { describe, expect, it } from 'vitest';
import { machine } from './harness.js';

describe('self-modifying code', () => {
  it('a store patching the next instruction takes effect immediately', () => {
    const m = machine('mov byte [t + 1], 0x42\nt: mov eax, 0x11111111\nhlt');
    m.run();
    expect(m.cpu.regs[0]! >>> 0).toBe(0x11111142);
  });

  it('code that ran (and is cached) runs the patched bytes next time', () => {
    const m = machine('mov ecx, 3\nl: mov eax, 1\nadd ebx, eax\nmov byte [l + 1], 5\ndec ecx\njnz l\nhlt');
    m.run();
    expect(m.cpu.regs[3]).toBe(1 + 5 + 5);
  });

  it('REP MOVSB copies a routine into a buffer that is then called', () => {
    const m = machine(
      'mov esi, src\nmov edi, 0x60000\nmov ecx, src_end - src\ncld\nrep movsb\nmov eax, 0x60000\ncall eax\n' +
        'mov esi, src2\nmov edi, 0x60000\nmov ecx, src_end - src\nrep movsb\nmov eax, 0x60000\ncall eax\nhlt\n' +
        'src: add ebx, 7\nret\nsrc_end:\nsrc2: add ebx, 9\nret',
    );
    m.run();
    expect(m.cpu.regs[3]).toBe(16);
  });
});
