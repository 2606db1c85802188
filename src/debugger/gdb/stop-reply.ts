// Stop replies (gdb manual, "Stop Reply Packets") for the debugger's stop events, and the words that
// go with them. gdb has no notion of a VM exit, so an exit stop is a SIGTRAP whose description is
// sent just before as an `O` console packet: gdb prints it verbatim above its usual
// "Program received signal SIGTRAP" line, which is the most a stock gdb shows of a stop's cause.
import { hex } from '../../common/hex.js';
import type { StopEvent } from '../core.js';
import { GDB_EBP, GDB_EIP, GDB_ESP } from './i386-registers.js';
import { le32Hex, toHex } from './packet.js';

/** gdb's signal numbers (include/gdb/signals.def), which the remote protocol uses. */
export const GdbSignal = { INT: 2, ILL: 4, TRAP: 5, ABRT: 6, KILL: 9, SEGV: 11 } as const;

export interface StopRegs {
  readonly eip: number;
  readonly esp: number;
  readonly ebp: number;
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

function tPacket(sig: number, regs: StopRegs, reason = ''): string {
  return (
    `T${hex2(sig)}` +
    `${hex2(GDB_EIP)}:${le32Hex(regs.eip)};${hex2(GDB_ESP)}:${le32Hex(regs.esp)};${hex2(GDB_EBP)}:${le32Hex(regs.ebp)};` +
    reason
  );
}

/** An `O` packet carrying console text for gdb to print. */
export function consolePacket(text: string): string {
  return 'O' + toHex(Array.from(text, (c) => c.charCodeAt(0) & 0xff));
}

export interface StopReply {
  /** Text to send first as `O` packets (gdb prints it), or ''. */
  readonly note: string;
  readonly packet: string;
}

/**
 * The reply for a stop. `describe` gives the one-line description the REPL would print (sent as an
 * `O` packet for the stops gdb cannot name itself). `swbreak`: gdb announced swbreak+ support.
 */
export function stopReply(ev: StopEvent, regs: StopRegs, describe: string, swbreak: boolean): StopReply {
  switch (ev.kind) {
    case 'step':
      return { note: '', packet: tPacket(GdbSignal.TRAP, regs) };
    case 'breakpoint':
      return { note: '', packet: tPacket(GdbSignal.TRAP, regs, ev.bp.spec.kind === 'virt' && swbreak ? 'swbreak:;' : 'hwbreak:;') };
    case 'watch':
      return { note: '', packet: tPacket(GdbSignal.TRAP, regs, `watch:${hex(ev.bp.spec.kind === 'watch' ? ev.bp.spec.addr : 0)};`) };
    case 'io':
    case 'vm-exit':
      return { note: `${describe}\n`, packet: tPacket(GdbSignal.TRAP, regs) };
    case 'interrupted':
      return { note: '', packet: tPacket(GdbSignal.INT, regs) };
    case 'history-start':
      return { note: '', packet: tPacket(GdbSignal.TRAP, regs, 'replaylog:begin;') };
    case 'ended':
      switch (ev.outcome.kind) {
        case 'exit':
          return { note: '', packet: `W${hex2(ev.outcome.value)}` };
        case 'triple-fault':
          return { note: `${describe}\n`, packet: `X${hex2(GdbSignal.SEGV)}` };
        case 'unsupported':
          return { note: `${describe}\n`, packet: `X${hex2(GdbSignal.ILL)}` };
        case 'halted-forever':
        case 'vm-stopped':
          return { note: `${describe}\n`, packet: `X${hex2(GdbSignal.ABRT)}` };
      }
  }
}
