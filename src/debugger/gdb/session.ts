// One gdb connection speaking the remote serial protocol over a Debugger: register and memory
// access, breakpoints (Z0/Z1) and write watchpoints (Z2), stepping and continuing (s, c, vCont),
// reverse execution (bs, bc), stop replies, `monitor` commands (qRcmd), kill and detach.
// Transport-free: bytes come in through receive(), replies go out through `send`.
import { hex } from '../../common/hex.js';
import { type CommandHost, executeLine } from '../commands.js';
import { CONTINUE_SLICE, type Debugger, type StopEvent } from '../core.js';
import { describeStop } from '../format.js';
import { readVirtual } from '../guest-memory.js';
import { WRITABLE_REGISTERS, type GuestRegisters, type WritableRegister } from '../target.js';
import { GDB_I386_REGS, gdbRegisterSize } from './i386-registers.js';
import { MAX_PACKET, PacketReader, bytesOf, framePacket, fromHex, le32Hex, parseLe32Hex, stringOf, toHex, unescapeBinary } from './packet.js';
import { consolePacket, stopReply } from './stop-reply.js';

/** What the session tells its owner. */
export interface SessionEvents {
  /** gdb sent `k` (kill): the run should end now. */
  onKill(): void;
  /** gdb detached (`D`): the guest should run on without the debugger. */
  onDetach(): void;
}

/** Errors in gdb's `Exx` form (the numbers are errno values, as gdbserver uses them). */
const E_FAULT = 'E0e';
const E_INVAL = 'E16';

/** The register values in gdb's order (eax..edi, eip, eflags, cs, ss, ds, es, fs, gs). */
function gdbRegisterValues(r: GuestRegisters): number[] {
  const s = r.segs;
  return [...r.gpr, r.eip, r.eflags, s.cs.selector, s.ss.selector, s.ds.selector, s.es.selector, s.fs.selector, s.gs.selector];
}

export class GdbSession {
  private readonly reader = new PacketReader();
  private noAck = false;
  private swbreak = false;
  /** The last packet sent, for retransmission when gdb NAKs it. */
  private lastSent: Uint8Array | null = null;
  private running = false;
  private interruptRequested = false;
  private lastStop: StopEvent;
  private closed = false;
  /** gdb's breakpoint addresses (Z0/Z1) and watchpoints (Z2) -> our breakpoint numbers. */
  private readonly codeBps = new Map<number, number>();
  private readonly watchBps = new Map<string, number>();

  constructor(
    private readonly dbg: Debugger,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly events: SessionEvents,
  ) {
    this.lastStop = { kind: 'step', pos: dbg.position };
  }

  /** Bytes from gdb. */
  receive(bytes: Uint8Array): void {
    for (const m of this.reader.feed(bytes)) {
      if (this.closed) return;
      switch (m.kind) {
        case 'ack':
          break;
        case 'nak':
          if (this.lastSent) this.send(this.lastSent);
          break;
        case 'interrupt':
          if (this.running) this.interruptRequested = true;
          break;
        case 'bad-checksum':
          if (!this.noAck) this.send(bytesOf('-'));
          break;
        case 'packet':
          if (!this.noAck) this.send(bytesOf('+'));
          try {
            this.handle(stringOf(m.data), m.data);
          } catch (e) {
            // A host bug must not take the session down: say so (gdb prints O packets) and fail the request.
            this.running = false;
            this.send(framePacket(consolePacket(`vmm: internal error: ${e instanceof Error ? e.message : String(e)}\n`)));
            this.reply('E01');
          }
          break;
      }
    }
  }

  private reply(payload: string): void {
    const framed = framePacket(payload, true);
    this.lastSent = framed;
    this.send(framed);
  }

  private handle(p: string, raw: Uint8Array): void {
    if (this.running) {
      // gdb sends nothing but the interrupt byte while the target runs; ignore anything else.
      return;
    }
    const cmd = p[0] ?? '';
    switch (cmd) {
      case '?':
        return this.sendStop(this.lastStop);
      case 'g':
        return this.reply(gdbRegisterValues(this.dbg.registers()).map(le32Hex).join(''));
      case 'G':
        return this.reply(this.writeAllRegisters(p.slice(1)));
      case 'p':
        return this.reply(this.readRegister(p.slice(1)));
      case 'P':
        return this.reply(this.writeRegister(p.slice(1)));
      case 'm':
        return this.reply(this.readMemory(p.slice(1)));
      case 'M':
        return this.reply(this.writeMemoryHex(p.slice(1)));
      case 'X':
        return this.reply(this.writeMemoryBinary(raw));
      case 'Z':
      case 'z':
        return this.reply(this.breakpoint(cmd === 'Z', p.slice(1)));
      case 's':
      case 'S':
        return this.startRun('step');
      case 'c':
      case 'C':
        return this.startRun('continue');
      case 'b':
        if (p === 'bs') return this.startRun('reverse-step');
        if (p === 'bc') return this.startRun('reverse-continue');
        return this.reply('');
      case 'v':
        return this.handleV(p);
      case 'q':
      case 'Q':
        return this.handleQuery(p);
      case 'H':
        return this.reply('OK');
      case 'T':
        return this.reply('OK');
      case 'k':
        this.closed = true;
        return this.events.onKill();
      case 'D':
        this.reply('OK');
        this.closed = true;
        return this.events.onDetach();
      default:
        return this.reply('');
    }
  }

  private handleV(p: string): void {
    if (p === 'vCont?') return this.reply('vCont;c;C;s;S');
    if (p.startsWith('vCont;')) {
      // One thread: the first action decides (s / S: step; c / C: continue).
      const action = p.slice(6).split(';')[0] ?? '';
      if (action.startsWith('s') || action.startsWith('S')) return this.startRun('step');
      if (action.startsWith('c') || action.startsWith('C')) return this.startRun('continue');
      return this.reply(E_INVAL);
    }
    if (p.startsWith('vKill')) {
      this.reply('OK');
      this.closed = true;
      return this.events.onKill();
    }
    return this.reply('');
  }

  private handleQuery(p: string): void {
    if (p.startsWith('qSupported')) {
      this.swbreak = p.includes('swbreak+');
      return this.reply(
        `PacketSize=${MAX_PACKET.toString(16)};QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+;ReverseStep+;ReverseContinue+`,
      );
    }
    if (p === 'QStartNoAckMode') {
      this.reply('OK');
      this.noAck = true;
      return;
    }
    if (p === 'qAttached' || p.startsWith('qAttached:')) return this.reply('1');
    if (p === 'qC') return this.reply('QC1');
    if (p === 'qfThreadInfo') return this.reply('m1');
    if (p === 'qsThreadInfo') return this.reply('l');
    if (p === 'qSymbol::') return this.reply('OK');
    if (p.startsWith('qRcmd,')) return this.monitor(p.slice(6));
    return this.reply('');
  }

  // ---------------------------------------------------------------- registers and memory

  private readRegister(arg: string): string {
    const n = parseInt(arg, 16);
    if (!Number.isInteger(n)) return E_INVAL;
    if (n < GDB_I386_REGS.length) return le32Hex(gdbRegisterValues(this.dbg.registers())[n]!);
    const size = gdbRegisterSize(n);
    // x87 and SSE registers: this processor has none; 'x' digits say "unavailable".
    return size > 0 ? 'xx'.repeat(size) : E_INVAL;
  }

  private setRegister(n: number, value: number): string | null {
    const name = GDB_I386_REGS[n];
    if (name === undefined) return 'no such register';
    if ((WRITABLE_REGISTERS as readonly string[]).includes(name)) return this.dbg.setRegister(name as WritableRegister, value);
    // Segment registers: accept writes that change nothing (gdb's G rewrites every register).
    return gdbRegisterValues(this.dbg.registers())[n] === value ? null : 'segment registers cannot be written';
  }

  private writeRegister(arg: string): string {
    const [num, val] = arg.split('=');
    const n = parseInt(num ?? '', 16);
    const v = parseLe32Hex(val ?? '');
    if (!Number.isInteger(n) || v === null) return E_INVAL;
    if (n >= GDB_I386_REGS.length) return gdbRegisterSize(n) > 0 ? 'OK' : E_INVAL;
    return this.setRegister(n, v) === null ? 'OK' : E_INVAL;
  }

  private writeAllRegisters(data: string): string {
    for (let n = 0; n < GDB_I386_REGS.length && (n + 1) * 8 <= data.length; n++) {
      const chunk = data.slice(n * 8, n * 8 + 8);
      if (chunk.includes('x')) continue;
      const v = parseLe32Hex(chunk);
      if (v === null || this.setRegister(n, v) !== null) return E_INVAL;
    }
    return 'OK';
  }

  private readMemory(arg: string): string {
    const m = /^([0-9a-f]+),([0-9a-f]+)$/i.exec(arg);
    if (!m) return E_INVAL;
    const addr = parseInt(m[1]!, 16);
    const len = Math.min(parseInt(m[2]!, 16), MAX_PACKET / 2 - 8);
    const r = readVirtual(this.dbg.target, addr, len);
    // A partial read returns what was readable (gdb asks again for the rest and gets the error).
    return r.bytes.length > 0 || len === 0 ? toHex(r.bytes) : E_FAULT;
  }

  private writeMemoryHex(arg: string): string {
    const m = /^([0-9a-f]+),([0-9a-f]+):([0-9a-f]*)$/i.exec(arg);
    if (!m) return E_INVAL;
    const bytes = fromHex(m[3]!);
    if (bytes === null || bytes.length !== parseInt(m[2]!, 16)) return E_INVAL;
    return this.dbg.writeVirtual(parseInt(m[1]!, 16), bytes) === null ? 'OK' : E_FAULT;
  }

  private writeMemoryBinary(raw: Uint8Array): string {
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return E_INVAL;
    const m = /^X([0-9a-f]+),([0-9a-f]+)$/i.exec(stringOf(raw.subarray(0, colon)));
    if (!m) return E_INVAL;
    const data = unescapeBinary(raw.subarray(colon + 1));
    if (data.length !== parseInt(m[2]!, 16)) return E_INVAL;
    if (data.length === 0) return 'OK'; // gdb probes for X support with an empty write
    return this.dbg.writeVirtual(parseInt(m[1]!, 16), data) === null ? 'OK' : E_FAULT;
  }

  private breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-f]+),([0-9a-f]+)/i.exec(arg);
    if (!m) return E_INVAL;
    const type = Number(m[1]);
    const addr = parseInt(m[2]!, 16) >>> 0;
    const kind = parseInt(m[3]!, 16);
    const dbg = this.dbg;
    if (type === 0 || type === 1) {
      const existing = this.codeBps.get(addr);
      if (insert) {
        if (existing === undefined) {
          const bp = dbg.addBreakpoint({ kind: 'virt', addr });
          if (typeof bp === 'string') return E_INVAL;
          this.codeBps.set(addr, bp.id);
        }
      } else if (existing !== undefined) {
        dbg.deleteBreakpoint(existing);
        this.codeBps.delete(addr);
      }
      return 'OK';
    }
    if (type === 2) {
      const key = `${addr},${kind}`;
      if (insert) {
        const gpa = dbg.target.translate(addr);
        if (gpa === null || kind < 1) return E_FAULT;
        const bp = dbg.addBreakpoint({ kind: 'watch', addr, phys: gpa, len: kind, virtual: true });
        if (typeof bp === 'string') return E_FAULT;
        this.watchBps.set(key, bp.id);
      } else {
        const id = this.watchBps.get(key);
        if (id !== undefined) dbg.deleteBreakpoint(id);
        this.watchBps.delete(key);
      }
      return 'OK';
    }
    return ''; // read and access watchpoints: not supported
  }

  // ---------------------------------------------------------------- running

  private sendStop(ev: StopEvent): void {
    const r = this.dbg.registers();
    const reply = stopReply(ev, { eip: r.eip, esp: r.gpr[4] ?? 0, ebp: r.gpr[5] ?? 0 }, describeStop(this.dbg, ev), this.swbreak);
    if (reply.note) this.send(framePacket(consolePacket(reply.note)));
    this.reply(reply.packet);
  }

  private startRun(what: 'step' | 'continue' | 'reverse-step' | 'reverse-continue'): void {
    const dbg = this.dbg;
    if (what !== 'continue') {
      const ev = what === 'step' ? dbg.step(1) : what === 'reverse-step' ? dbg.reverseStep() : dbg.reverseContinue();
      this.lastStop = ev;
      return this.sendStop(ev);
    }
    this.running = true;
    this.interruptRequested = false;
    let first = true;
    const slice = (): void => {
      if (this.closed) return;
      let ev: StopEvent | null;
      try {
        ev = dbg.resume(CONTINUE_SLICE, first);
      } catch (e) {
        this.running = false;
        this.send(framePacket(consolePacket(`vmm: internal error: ${e instanceof Error ? e.message : String(e)}\n`)));
        this.lastStop = dbg.interrupted();
        this.sendStop(this.lastStop);
        return;
      }
      first = false;
      if (ev === null && this.interruptRequested) ev = dbg.interrupted();
      if (ev === null) {
        setImmediate(slice);
        return;
      }
      this.running = false;
      this.lastStop = ev;
      this.sendStop(ev);
    };
    setImmediate(slice);
  }

  /** `monitor CMD`: the debugger's own commands that do not move the guest (vmcs, pt, info exit...). */
  private monitor(hexCmd: string): void {
    const bytes = fromHex(hexCmd);
    if (bytes === null) return this.reply(E_INVAL);
    const lines: string[] = [];
    const host: CommandHost = {
      dbg: this.dbg,
      canRun: false,
      trace: 'off',
      print: (l) => lines.push(l),
      pause: () => Promise.resolve(false),
    };
    void executeLine(host, stringOf(bytes)).then(() => {
      for (const l of lines) this.send(framePacket(consolePacket(l + '\n')));
      this.reply('OK');
    });
  }

  /** The guest address gdb sees (for messages). */
  describeWhere(): string {
    return `0x${hex(this.dbg.registers().eip)}`;
  }
}
