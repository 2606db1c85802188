// The debugger's commands, their aliases and help, over a Debugger. The REPL runs them from the
// keyboard or a script; gdb's `monitor` runs the ones that do not move the guest. Every command
// answers bad input with a short message: nothing typed here can end the session but `quit`.
import { allExitReasons } from '../cpu/vmx/exit-reasons.js';
import { parseCount } from './command-args.js';
import {
  STEP_CHUNK, VMCS_GROUPS, breakCommand, disasCommand, examine, historyCommand, infoCommand, parseAddressArg, reportStop,
  runContinue, statsCommand, stepLong, vmcsCommand, watchCommand,
} from './command-handlers.js';
import type { CommandHost } from './command-host.js';
import { describeExit, formatRegisters, formatTranslation } from './format.js';

export type { CommandHost } from './command-host.js';

/** `quit` ends the session; anything else (commands that return nothing) goes on. */
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
