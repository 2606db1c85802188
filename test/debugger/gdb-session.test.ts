// The gdb session at the protocol level (no socket, no gdb): acknowledgements and retransmission,
// no-ack mode, queries, the interrupt byte during a continue, and errors for bad requests.
import { describe, expect, it } from 'vitest';
import { GdbSession } from '../../src/debugger/gdb/session.js';
import { bytesOf, framePacket, runLengthDecode, stringOf } from '../../src/debugger/gdb/packet.js';
import { nativeSession } from './helpers.js';

function harness(name = 'hello') {
  const s = nativeSession(name);
  const sent: string[] = [];
  let killed = false;
  const session = new GdbSession(s.dbg, (b) => sent.push(stringOf(b)), { onKill: () => (killed = true), onDetach: () => {} });
  const send = (p: string): void => session.receive(framePacket(p));
  /** Payloads of the packets sent since the last call (acks dropped, RLE expanded). */
  const replies = (): string[] => {
    const out = sent.splice(0).filter((x) => x.startsWith('$')).map((x) => runLengthDecode(x.slice(1, x.lastIndexOf('#'))));
    return out;
  };
  return { s, session, sent, send, replies, killed: () => killed };
}

describe('gdb session', () => {
  it('acknowledges packets, NAKs a bad checksum, retransmits on NAK, and stops acking in no-ack mode', () => {
    const h = harness();
    h.session.receive(bytesOf('$?#00'));
    expect(h.sent.splice(0)).toEqual(['-']);
    h.send('?');
    expect(h.sent[0]).toBe('+');
    const stop = h.sent[1]!;
    expect(stop).toMatch(/^\$T05/);
    h.sent.length = 0;
    h.session.receive(bytesOf('-'));
    expect(h.sent).toEqual([stop]);
    h.sent.length = 0;
    h.send('QStartNoAckMode');
    expect(h.sent.splice(0)).toEqual(['+', stringOf(framePacket('OK'))]);
    h.send('g');
    expect(h.sent[0]).not.toBe('+');
  });

  it('answers the queries gdb sends on connect', () => {
    const h = harness();
    h.send('qSupported:multiprocess+;swbreak+;hwbreak+');
    h.send('vMustReplyEmpty');
    h.send('qAttached');
    h.send('vCont?');
    h.send('qfThreadInfo');
    h.send('qC');
    h.send('qXfer:features:read:target.xml:0,fff');
    const r = h.replies();
    expect(r[0]).toContain('swbreak+');
    expect(r[0]).toContain('ReverseStep+');
    expect(r.slice(1)).toEqual(['', '1', 'vCont;c;C;s;S', 'm1', 'QC1', '']);
  });

  it('reports the stop with EIP, ESP and EBP expedited, and 16 registers in g', () => {
    const h = harness();
    h.send('?');
    h.send('g');
    const [stop, g] = h.replies();
    const eip = h.s.dbg.registers().eip;
    const le = (v: number): string => [0, 8, 16, 24].map((sh) => ((v >>> sh) & 0xff).toString(16).padStart(2, '0')).join('');
    expect(stop).toBe(`T0508:${le(eip)};04:00000000;05:00000000;`);
    expect(g!.length).toBe(16 * 8);
    expect(g!.slice(8 * 8, 9 * 8)).toBe(le(eip));
    h.send('p10'); // register 16, st0: the x87 is not implemented, so its 10 bytes are unavailable
    h.send('p8');
    expect(h.replies()).toEqual(['xx'.repeat(10), le(eip)]);
  });

  it('errors: unmapped memory, bad arguments, segment writes; unknown packets are empty', () => {
    const h = harness();
    h.send('m7ffffff0,4');
    h.send('mzz');
    h.send('Pa=10000000'); // cs := 0x10
    h.send('Z3,1000,4');
    h.send('jfoo');
    expect(h.replies()).toEqual(['E0e', 'E16', 'E16', '', '']);
  });

  it('the interrupt byte stops a running continue with SIGINT', async () => {
    const h = harness('sched');
    h.send('QStartNoAckMode');
    h.replies();
    h.send('c');
    h.session.receive(Uint8Array.of(0x03));
    for (let i = 0; i < 200 && h.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const r = h.replies();
    expect(r[0]).toMatch(/^T02/);
    expect(h.s.dbg.position.insns).toBeGreaterThan(0);
  });

  it('k kills the session', () => {
    const h = harness();
    h.send('k');
    expect(h.killed()).toBe(true);
  });
});
