// The GDB remote-protocol framing, against the examples and rules of the gdb manual (Appendix E:
// "Overview", "Binary data", "Run-Length Encoding") rather than our own output.
import { describe, expect, it } from 'vitest';
import {
  PacketReader, bytesOf, checksum, escapeBinary, framePacket, fromHex, le32Hex, parseLe32Hex, runLengthDecode,
  runLengthEncode, stringOf, unescapeBinary,
} from '../../src/debugger/gdb/packet.js';

describe('gdb packet framing', () => {
  it('frames with the modulo-256 checksum gdb itself sends', () => {
    // gdb's own packets, as `set debug remote 1` shows them.
    expect(stringOf(framePacket('vMustReplyEmpty'))).toBe('$vMustReplyEmpty#3a');
    expect(stringOf(framePacket('QStartNoAckMode'))).toBe('$QStartNoAckMode#b0');
    expect(stringOf(framePacket('g'))).toBe('$g#67');
    expect(stringOf(framePacket('?'))).toBe('$?#3f');
    expect(checksum(bytesOf(''))).toBe(0);
  });

  it('expands run-length encoding as the manual describes ("0* " is "0000")', () => {
    expect(runLengthDecode('0* ')).toBe('0000');
    expect(runLengthDecode('x*"y')).toBe('xxxxxxy'); // '"' = 34: 5 more
  });

  it('run-length encodes without producing # or $ as a count, and round-trips', () => {
    for (let n = 1; n < 200; n++) {
      const s = 'ab' + '0'.repeat(n) + 'cd' + 'f'.repeat(n % 37);
      const e = runLengthEncode(s);
      expect(runLengthDecode(e)).toBe(s);
      for (let i = 0; i < e.length; i++) if (e[i] === '*') expect(['#', '$']).not.toContain(e[i + 1]);
    }
    expect(runLengthEncode('00000000').length).toBeLessThan(8);
  });

  it('escapes and unescapes binary data (} then byte XOR 0x20)', () => {
    const data = Uint8Array.from([0x23, 0x24, 0x7d, 0x2a, 0x41, 0x00]);
    const esc = escapeBinary(data);
    expect(Array.from(esc)).toEqual([0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x41, 0x00]);
    expect(Array.from(unescapeBinary(esc))).toEqual(Array.from(data));
  });

  it('splits a byte stream into packets, acks, naks and the interrupt byte', () => {
    const r = new PacketReader();
    const got = r.feed(bytesOf('+$g#67-\x03noise$m100,4#'));
    expect(got.map((m) => m.kind)).toEqual(['ack', 'packet', 'nak', 'interrupt']);
    const rest = r.feed(bytesOf('5e')); // 'm100,4' sums to 350 = 0x15e
    expect(rest).toHaveLength(1);
    expect(rest[0]!.kind).toBe('packet');
    if (rest[0]!.kind === 'packet') expect(stringOf(rest[0]!.data)).toBe('m100,4');
  });

  it('reports a bad checksum (so the session can NAK it)', () => {
    const r = new PacketReader();
    const got = r.feed(bytesOf('$g#00'));
    expect(got).toEqual([{ kind: 'bad-checksum', expected: 0x67, got: 0 }]);
  });

  it('encodes registers in target (little-endian) byte order', () => {
    expect(le32Hex(0x00101920)).toBe('20191000');
    expect(parseLe32Hex('20191000')).toBe(0x00101920);
    expect(parseLe32Hex('201910')).toBeNull();
    expect(fromHex('zz')).toBeNull();
  });
});
