// The bodies of the debugger's longer commands (commands.ts holds the table, aliases and help):
// running with Ctrl-C, breakpoints and watchpoints, info, the VMCS, memory, disassembly, history.
import { hex } from '../common/hex.js';
import { exitReasonByName } from '../cpu/vmx/exit-reasons.js';
import { dumpVmcs } from '../cpu/vmx/vmcs-dump.js';
import { describeSpec } from './breakpoints.js';
import { parseCount, parseValue, parseXSpec } from './command-args.js';
import type { CommandHost } from './command-host.js';
import { CONTINUE_SLICE, type StopEvent } from './core.js';
import { describeExit, describeStop, formatExitInfo, formatExitLine, formatRegisters, location } from './format.js';
import { disassemble, readPhysical, readVirtual } from './guest-memory.js';
import { formatMemory, formatString } from './memory-dump.js';

export const VMCS_GROUPS: Record<string, string> = { guest: 'Guest state', host: 'Host state', controls: 'Controls', exit: 'Exit information' };

function regsOf(h: CommandHost) {
  return () => h.dbg.registers();
}

export function reportStop(h: CommandHost, ev: StopEvent): void {
  h.print(describeStop(h.dbg, ev));
}

export async function runContinue(h: CommandHost): Promise<void> {
  const dbg = h.dbg;
  if (h.trace === 'on') {
    // Instruction by instruction, printing each, until something other than a plain step stops it.
    for (let n = 0; ; n++) {
      h.print(location(dbg, dbg.linearEip()));
      const ev = dbg.step(1);
      if (ev.kind === 'vm-exit' && ev.bp === null) {
        h.print(describeExit(dbg, ev.exit));
        continue;
      }
      if (ev.kind !== 'step') return reportStop(h, ev);
      const bp = dbg.breakpointHere();
      if (bp) return reportStop(h, bp);
      if (n % 10_000 === 9_999 && (await h.pause())) return reportStop(h, dbg.interrupted());
    }
  }
  let first = true;
  for (;;) {
    const ev = dbg.resume(CONTINUE_SLICE, first);
    first = false;
    if (ev) return reportStop(h, ev);
    if (await h.pause()) return reportStop(h, dbg.interrupted());
  }
}

/** Steps per slice of a long `step N`, between which Ctrl-C is noticed. */
export const STEP_CHUNK = 10_000;

export async function stepLong(h: CommandHost, n: number): Promise<void> {
  for (let left = n; left > 0; left -= STEP_CHUNK) {
    const k = Math.min(STEP_CHUNK, left);
    const ev = h.dbg.step(k);
    const plainUnit = ev.kind === 'step' || (ev.kind === 'vm-exit' && ev.bp === null);
    if (!plainUnit || left === k) return reportStop(h, ev);
    const bp = h.dbg.breakpointHere();
    if (bp) return reportStop(h, bp);
    if (await h.pause()) return reportStop(h, h.dbg.interrupted());
  }
}

export function parseAddressArg(h: CommandHost, text: string | undefined, what = 'address'): number | null {
  if (text === undefined) {
    h.print(`missing ${what}`);
    return null;
  }
  const v = parseValue(text, regsOf(h));
  if (v === null) h.print(`bad ${what} "${text}": use 0x hex, decimal or a register ($eip)`);
  return v;
}

export function breakCommand(h: CommandHost, args: string[]): void {
  const dbg = h.dbg;
  const sub = args[0]?.toLowerCase();
  if (sub === undefined) return h.print('usage: break ADDR | break phys ADDR | break exit [REASON...] | break io PORT');
  if (sub === 'exit') {
    const reasons: number[] = [];
    for (const a of args.slice(1)) {
      const r = exitReasonByName(a);
      if (r === undefined) return h.print(`unknown VM exit reason "${a}" (try "help break" for the names)`);
      reasons.push(r);
    }
    const bp = dbg.addBreakpoint({ kind: 'exit', reasons: reasons.length > 0 ? reasons : null });
    if (typeof bp === 'string') return h.print(bp);
    if (dbg.target.mode === 'native') h.print('note: the guest runs natively (--mode native): there are no VM exits to stop at');
    return h.print(`Breakpoint ${bp.id}: ${describeSpec(bp.spec)}`);
  }
  if (sub === 'io') {
    const port = args[1] === undefined ? null : parseValue(args[1]);
    if (port === null || port > 0xffff) return h.print(`bad port "${args[1] ?? ''}": a number from 0 to 0xffff`);
    const bp = dbg.addBreakpoint({ kind: 'io', port });
    if (typeof bp !== 'string') h.print(`Breakpoint ${bp.id}: ${describeSpec(bp.spec)}`);
    return;
  }
  const phys = sub === 'phys' || sub === 'p' || sub === '-p';
  const addr = parseAddressArg(h, phys ? args[1] : args[0]);
  if (addr === null) return;
  const bp = dbg.addBreakpoint(phys ? { kind: 'phys', addr } : { kind: 'virt', addr });
  if (typeof bp === 'string') return h.print(bp);
  if (!phys && dbg.target.translate(addr) === null) h.print(`note: 0x${hex(addr)} is not mapped now`);
  h.print(`Breakpoint ${bp.id}: ${describeSpec(bp.spec)}`);
}

export function watchCommand(h: CommandHost, args: string[]): void {
  const dbg = h.dbg;
  const phys = args[0] === 'phys' || args[0] === 'p' || args[0] === '-p';
  const rest = phys ? args.slice(1) : args;
  const addr = parseAddressArg(h, rest[0]);
  if (addr === null) return;
  const len = rest[1] === undefined ? 4 : parseCount(rest[1], 1, 4096);
  if (len === null) return h.print(`bad length "${rest[1]}": 1 to 4096 bytes`);
  let gpa = addr;
  if (!phys) {
    const t = dbg.target.translate(addr);
    if (t === null) return h.print(`cannot watch 0x${hex(addr)}: it is not mapped`);
    if (((addr & 0xfff) + len) > 0x1000 && dbg.target.translate((addr + len - 1) >>> 0) !== ((t + len - 1) >>> 0)) {
      return h.print('cannot watch a range that crosses into a page mapped elsewhere: watch each page separately');
    }
    gpa = t;
  }
  const bp = dbg.addBreakpoint({ kind: 'watch', addr, phys: gpa, len, virtual: !phys });
  if (typeof bp === 'string') return h.print(bp);
  h.print(`Watchpoint ${bp.id}: ${describeSpec(bp.spec)}`);
}

export function infoCommand(h: CommandHost, args: string[]): void {
  const what = args[0]?.toLowerCase();
  const dbg = h.dbg;
  if (what === 'breakpoints' || what === 'b' || what === 'break' || what === 'watchpoints') {
    if (dbg.breakpoints.all.length === 0) return h.print('No breakpoints or watchpoints.');
    h.print('Num  Hits  What');
    for (const b of dbg.breakpoints.all) h.print(`${String(b.id).padEnd(4)} ${String(b.hits).padEnd(5)} ${describeSpec(b.spec)}`);
    return;
  }
  if (what === 'exit') {
    const e = dbg.lastExit;
    if (!e) return h.print(dbg.target.mode === 'native' ? 'No VM exits: the guest runs natively.' : 'No VM exit yet.');
    for (const l of formatExitInfo(dbg, e, dbg.target.pendingExit !== null)) h.print(l);
    return;
  }
  if (what === 'registers' || what === 'r' || what === 'reg') {
    for (const l of formatRegisters(dbg.registers())) h.print(l);
    return;
  }
  h.print('usage: info breakpoints | info exit | info registers');
}

export function vmcsCommand(h: CommandHost, args: string[]): void {
  const v = h.dbg.target.vmcs();
  if (!v) return h.print('No VMCS: the guest runs natively (use --mode ept or shadow to run it under the hypervisor).');
  const group = args[0]?.toLowerCase();
  if (group !== undefined && !(group in VMCS_GROUPS)) return h.print('usage: vmcs [guest|host|controls|exit]');
  const lines = dumpVmcs((e) => v.read(e) ?? 0, (e) => v.read(e | 1) ?? 0);
  h.print(`VMCS at host-physical 0x${hex(v.pointer)}`);
  let show = group === undefined;
  for (const l of lines) {
    const m = /^\*\*\* (.*) \*\*\*$/.exec(l);
    if (m) show = group === undefined || m[1] === VMCS_GROUPS[group];
    if (show) h.print(l);
  }
}

export function examine(h: CommandHost, args: string[], suffix: string, physical: boolean): void {
  const spec = parseXSpec(suffix);
  if (typeof spec === 'string') return h.print(spec);
  const addr = args.length > 0 ? parseAddressArg(h, args.join(' ')) : physical ? null : h.dbg.linearEip();
  if (addr === null) return;
  const t = h.dbg.target;
  if (spec.format === 'i') {
    if (physical) return h.print('x/i needs a guest-virtual address: use x/i, or disas');
    const d = disassemble(t, addr, spec.count);
    for (const l of d.lines) h.print(`0x${hex(l.addr)}:\t${l.text}`);
    if (d.error) h.print(`Cannot access memory: ${d.error}`);
    return;
  }
  const read = (a: number, n: number) => (physical ? readPhysical(t, a, n) : readVirtual(t, a, n));
  if (spec.format === 's') {
    let at = addr;
    for (let i = 0; i < spec.count; i++) {
      const r = read(at, 201);
      const s = formatString(r.bytes, at);
      if (r.bytes.length === 0) return h.print(`Cannot access memory at address 0x${hex(at)}: ${r.why ?? ''}`);
      h.print(s.line);
      at = (at + s.len) >>> 0;
    }
    return;
  }
  const r = read(addr, spec.count * spec.unit);
  for (const l of formatMemory(r.bytes, addr, spec)) h.print(l);
  if (r.failedAt !== undefined) h.print(`Cannot access memory at address 0x${hex(r.failedAt)}: ${r.why ?? ''}`);
}

export function disasCommand(h: CommandHost, args: string[]): void {
  const dbg = h.dbg;
  const addr = args[0] !== undefined ? parseAddressArg(h, args[0]) : dbg.linearEip();
  if (addr === null) return;
  const n = args[1] === undefined ? 10 : parseCount(args[1], 1, 1000);
  if (n === null) return h.print(`bad count "${args[1]}": 1 to 1000`);
  const eip = dbg.linearEip();
  const d = disassemble(dbg.target, addr, n);
  for (const l of d.lines) {
    const bytes = Array.from(l.bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    h.print(`${l.addr === eip ? '=>' : '  '} 0x${hex(l.addr)}  ${bytes.padEnd(16)} ${l.text}`);
  }
  if (d.error) h.print(`Cannot access memory: ${d.error}`);
}

export function historyCommand(h: CommandHost, args: string[]): void {
  const n = args[0] === undefined ? 10 : parseCount(args[0], 1, 1_000_000);
  if (n === null) return h.print(`bad count "${args[0]}"`);
  const list = h.dbg.exitHistory(n);
  if (list.length === 0) return h.print(h.dbg.target.mode === 'native' ? 'No VM exits: the guest runs natively.' : 'No VM exits yet.');
  for (const e of list) h.print(formatExitLine(e));
}

export function statsCommand(h: CommandHost): void {
  const dbg = h.dbg;
  const p = dbg.position;
  h.print(`mode ${dbg.target.mode}${dbg.target.pv ? ' +pv' : ''}; instructions ${p.insns}, VM exits ${p.exits}, virtual time ${dbg.target.cycles} cycles`);
  for (const l of dbg.target.stats().lines) h.print(l);
  h.print(`history: ${dbg.snapshots.count} snapshots, every ${dbg.snapshots.interval} instructions, ${(dbg.snapshots.bytes() / 1048576).toFixed(1)} MiB`);
}

