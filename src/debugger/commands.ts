// The debugger's commands, their aliases and help, over a Debugger. The REPL runs them from the
// keyboard or a script; gdb's `monitor` runs the ones that do not move the guest. Every command
// answers bad input with a short message: nothing typed here can end the session but `quit`.
import { hex } from '../common/hex.js';
import { allExitReasons, exitReasonByName } from '../cpu/vmx/exit-reasons.js';
import { dumpVmcs } from '../cpu/vmx/vmcs-dump.js';
import { describeSpec } from './breakpoints.js';
import { parseCount, parseValue, parseXSpec } from './command-args.js';
import { CONTINUE_SLICE, type Debugger, type StopEvent } from './core.js';
import { describeExit, describeStop, formatExitInfo, formatExitLine, formatRegisters, formatTranslation, location } from './format.js';
import { disassemble, readPhysical, readVirtual } from './guest-memory.js';
import { formatMemory, formatString } from './memory-dump.js';

/** What a command may use of the front end that runs it. */
export interface CommandHost {
  readonly dbg: Debugger;
  print(line: string): void;
  /** False under gdb's `monitor`: gdb itself moves the guest. */
  readonly canRun: boolean;
  /** Between slices of a long run: lets input arrive; true when the user asked to interrupt. */
  pause(): Promise<boolean>;
  /** `trace`: 'off', 'exits' (each VM exit as it happens) or 'on' (every instruction and exit). */
  trace: 'off' | 'exits' | 'on';
}

// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type CommandOutcome = 'quit' | undefined | void;

interface Command {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly details?: readonly string[];
  /** Moves the guest (refused under gdb's monitor). */
  readonly runs?: boolean;
  run(h: CommandHost, args: string[], suffix: string): Promise<CommandOutcome> | CommandOutcome;
}

const VMCS_GROUPS: Record<string, string> = { guest: 'Guest state', host: 'Host state', controls: 'Controls', exit: 'Exit information' };

function regsOf(h: CommandHost) {
  return () => h.dbg.registers();
}

function reportStop(h: CommandHost, ev: StopEvent): void {
  h.print(describeStop(h.dbg, ev));
}

async function runContinue(h: CommandHost): Promise<void> {
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
const STEP_CHUNK = 10_000;

async function stepLong(h: CommandHost, n: number): Promise<void> {
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

function parseAddressArg(h: CommandHost, text: string | undefined, what = 'address'): number | null {
  if (text === undefined) {
    h.print(`missing ${what}`);
    return null;
  }
  const v = parseValue(text, regsOf(h));
  if (v === null) h.print(`bad ${what} "${text}": use 0x hex, decimal or a register ($eip)`);
  return v;
}

function breakCommand(h: CommandHost, args: string[]): void {
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

function watchCommand(h: CommandHost, args: string[]): void {
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

function infoCommand(h: CommandHost, args: string[]): void {
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

function vmcsCommand(h: CommandHost, args: string[]): void {
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

function examine(h: CommandHost, args: string[], suffix: string, physical: boolean): void {
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

function disasCommand(h: CommandHost, args: string[]): void {
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

function historyCommand(h: CommandHost, args: string[]): void {
  const n = args[0] === undefined ? 10 : parseCount(args[0], 1, 1_000_000);
  if (n === null) return h.print(`bad count "${args[0]}"`);
  const list = h.dbg.exitHistory(n);
  if (list.length === 0) return h.print(h.dbg.target.mode === 'native' ? 'No VM exits: the guest runs natively.' : 'No VM exits yet.');
  for (const e of list) h.print(formatExitLine(e));
}

function statsCommand(h: CommandHost): void {
  const dbg = h.dbg;
  const p = dbg.position;
  h.print(`mode ${dbg.target.mode}${dbg.target.pv ? ' +pv' : ''}; instructions ${p.insns}, VM exits ${p.exits}, virtual time ${dbg.target.cycles} cycles`);
  for (const l of dbg.target.stats().lines) h.print(l);
  h.print(`history: ${dbg.snapshots.count} snapshots, every ${dbg.snapshots.interval} instructions, ${(dbg.snapshots.bytes() / 1048576).toFixed(1)} MiB`);
}

const COMMANDS: readonly Command[] = [
  {
    name: 'step', aliases: ['s', 'si', 'stepi'], usage: 'step [N]', runs: true,
    summary: 'execute N instructions (a VM exit counts as one step; from an exit, the next step lets the hypervisor handle it)',
    run(h, args) {
      const n = args[0] === undefined ? 1 : parseCount(args[0], 1, 100_000_000);
      if (n === null) return h.print(`bad count "${args[0]}": a number from 1`);
      if (h.trace !== 'on' && n > STEP_CHUNK) return stepLong(h, n);
      if (h.trace === 'on') {
        for (let i = 0; i < n; i++) {
          const ev = h.dbg.step(1);
          reportStop(h, ev);
          if (ev.kind !== 'step' && !(ev.kind === 'vm-exit' && ev.bp === null)) return;
          const bp = i < n - 1 ? h.dbg.breakpointHere() : null;
          if (bp) return reportStop(h, bp);
        }
        return;
      }
      reportStop(h, h.dbg.step(n));
    },
  },
  {
    name: 'continue', aliases: ['c', 'cont'], usage: 'continue', runs: true,
    summary: 'run until a breakpoint, watchpoint or VM-exit breakpoint, the guest ends, or Ctrl-C',
    run: (h) => runContinue(h),
  },
  {
    name: 'break', aliases: ['b'], usage: 'break ADDR | break phys ADDR | break exit [REASON...] | break io PORT',
    summary: 'stop at a guest-virtual or guest-physical address, at VM exits (all, or by reason), or at port I/O',
    details: [
      'ADDR: 0x hex, decimal, or a register ($eip, $esp+8); a leading * is accepted as in gdb.',
      'break exit with no reason stops at every VM exit. Reasons are the Linux vmx.h names, any case,',
      'or numbers: ' + allExitReasons().map(([n, name]) => `${name} (${n})`).join(', ') + '.',
      'break io PORT: in VM modes, stops at the I/O-instruction exit for that port (before the hypervisor',
      'emulates it); natively, just after the IN or OUT.',
    ],
    run: (h, args) => breakCommand(h, args),
  },
  {
    name: 'watch', aliases: [], usage: 'watch ADDR [LEN] | watch phys ADDR [LEN]',
    summary: 'stop after an instruction changes LEN bytes (default 4) at a guest-virtual or guest-physical address',
    run: (h, args) => watchCommand(h, args),
  },
  {
    name: 'delete', aliases: ['d'], usage: 'delete [N...]',
    summary: 'delete breakpoints/watchpoints by number (all of them without a number)',
    run(h, args) {
      if (args.length === 0) {
        h.dbg.breakpoints.clear();
        return h.print('Deleted all breakpoints.');
      }
      for (const a of args) {
        const n = parseCount(a, 1, Number.MAX_SAFE_INTEGER);
        if (n === null || !h.dbg.deleteBreakpoint(n)) h.print(`No breakpoint number ${a}.`);
      }
    },
  },
  {
    name: 'info', aliases: ['i'], usage: 'info breakpoints | info exit | info registers',
    summary: 'list breakpoints; show the current (or last) VM exit in full; show registers',
    run: (h, args) => infoCommand(h, args),
  },
  {
    name: 'regs', aliases: ['r', 'registers', 'creg'], usage: 'regs',
    summary: 'guest registers: general, EIP, EFLAGS decoded, segments, control and table registers',
    run(h) {
      for (const l of formatRegisters(h.dbg.registers())) h.print(l);
    },
  },
  {
    name: 'vmcs', aliases: [], usage: 'vmcs [guest|host|controls|exit]',
    summary: 'every VMCS field by name with its value; controls with bit names; the exit decoded into words',
    run: (h, args) => vmcsCommand(h, args),
  },
  {
    name: 'x', aliases: [], usage: 'x/NFU [ADDR]',
    summary: 'examine guest-virtual memory (gdb formats: N count, F x d u o t c a s i, U b h w g)',
    run: (h, args, suffix) => examine(h, args, suffix, false),
  },
  {
    name: 'xp', aliases: [], usage: 'xp/NFU ADDR',
    summary: 'examine guest-physical memory',
    run: (h, args, suffix) => examine(h, args, suffix, true),
  },
  {
    name: 'disas', aliases: ['u', 'disassemble'], usage: 'disas [ADDR] [N]',
    summary: 'disassemble N instructions (default 10) at ADDR (default EIP)',
    run: (h, args) => disasCommand(h, args),
  },
  {
    name: 'pt', aliases: ['page'], usage: 'pt ADDR',
    summary: "translate a guest-virtual address: the guest's page walk level by level, the EPT or shadow walk, the host frame",
    run(h, args) {
      const addr = parseAddressArg(h, args[0]);
      if (addr === null) return;
      for (const l of formatTranslation(addr, h.dbg.target.pageWalk(addr), h.dbg.target.mode)) h.print(l);
    },
  },
  {
    name: 'stats', aliases: [], usage: 'stats',
    summary: 'instructions, VM exits by reason, virtual time, history snapshots',
    run: (h) => statsCommand(h),
  },
  {
    name: 'history', aliases: [], usage: 'history [N]',
    summary: 'the last N VM exits (default 10), one line each',
    run: (h, args) => historyCommand(h, args),
  },
  {
    name: 'reverse-step', aliases: ['rs'], usage: 'reverse-step', runs: true,
    summary: 'go back one step: from a VM-exit stop to the previous VM exit, else to the previous instruction',
    run: (h) => reportStop(h, h.dbg.reverseStep()),
  },
  {
    name: 'reverse-continue', aliases: ['rc'], usage: 'reverse-continue', runs: true,
    summary: 'go back to the last point a breakpoint, watchpoint or exit breakpoint would have stopped at',
    run: (h) => reportStop(h, h.dbg.reverseContinue()),
  },
  {
    name: 'trace', aliases: [], usage: 'trace on|exits|off',
    summary: 'print every instruction and VM exit as the guest runs (on), only VM exits (exits), or nothing',
    run(h, args) {
      const v = args[0]?.toLowerCase();
      if (v !== 'on' && v !== 'off' && v !== 'exits') return h.print('usage: trace on|exits|off');
      h.trace = v;
      h.dbg.traceExit = v === 'off' ? null : (e) => h.print(describeExit(h.dbg, e));
      h.print(`trace ${v}`);
    },
  },
  {
    name: 'help', aliases: ['h', '?'], usage: 'help [COMMAND]',
    summary: 'list commands, or explain one',
    run: (h, args) => helpCommand(h, args[0]),
  },
  {
    name: 'quit', aliases: ['q', 'exit'], usage: 'quit',
    summary: 'end the session',
    run: () => 'quit',
  },
];

const BY_NAME = new Map<string, Command>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(n, c);

function helpCommand(h: CommandHost, name: string | undefined): void {
  if (name === undefined) {
    for (const c of COMMANDS) {
      const aliases = c.aliases.length > 0 ? ` (${c.aliases.join(', ')})` : '';
      h.print(`${(c.usage + aliases).padEnd(44)} ${c.summary}`);
    }
    return;
  }
  const c = BY_NAME.get(name.toLowerCase());
  if (!c) return h.print(`No command "${name}". Try "help".`);
  h.print(`${c.usage}${c.aliases.length > 0 ? `   (aliases: ${c.aliases.join(', ')})` : ''}`);
  h.print(`  ${c.summary}`);
  for (const d of c.details ?? []) h.print(`  ${d}`);
}

/** Every command name and alias (tab completion). */
export function commandNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

/** Words that may follow a command (tab completion of the second word). */
export function argumentWords(command: string): string[] {
  const c = BY_NAME.get(command);
  switch (c?.name) {
    case 'break':
      return ['exit', 'io', 'phys'];
    case 'vmcs':
      return Object.keys(VMCS_GROUPS);
    case 'trace':
      return ['on', 'exits', 'off'];
    case 'info':
      return ['breakpoints', 'exit', 'registers'];
    case 'help':
      return COMMANDS.map((x) => x.name);
    default:
      return [];
  }
}

/** Exit reason names for `break exit` completion. */
export function exitReasonWords(): string[] {
  return allExitReasons().map(([, n]) => n);
}

/** Runs one command line. Never throws: a host bug is reported as one line. */
export async function executeLine(h: CommandHost, line: string): Promise<CommandOutcome> {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const m = /^([A-Za-z?-]+)(\/\S*)?\s*(.*)$/.exec(text);
  if (!m) {
    h.print(`Unknown command "${text.split(/\s+/)[0]}". Try "help".`);
    return undefined;
  }
  const c = BY_NAME.get(m[1]!.toLowerCase());
  if (!c) {
    h.print(`Unknown command "${m[1]}". Try "help".`);
    return undefined;
  }
  const suffix = m[2] ?? '';
  if (suffix !== '' && c.name !== 'x' && c.name !== 'xp') {
    h.print(`"${c.name}" takes no /format`);
    return undefined;
  }
  if (c.runs && !h.canRun) {
    h.print(`"${c.name}" moves the guest: use gdb's own commands (stepi, continue, reverse-stepi, reverse-continue)`);
    return undefined;
  }
  const args = (m[3] ?? '').split(/\s+/).filter((a) => a !== '');
  try {
    return await c.run(h, args, suffix);
  } catch (e) {
    h.print(`internal error in "${c.name}": ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
