// `vmm debug IMAGE`: loads a Multiboot kernel stopped before its first instruction and opens the
// debugger REPL on it (docs/debugger.md). The guest's console goes to standard output as it runs.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ImageError } from '../boot/image-error.js';
import { Debugger } from '../debugger/core.js';
import { describeOutcome } from '../debugger/format.js';
import { serveGdb } from '../debugger/gdb/server.js';
import { runRepl } from '../debugger/repl.js';
import type { DebugTarget, EndOutcome } from '../debugger/target.js';
import { DEBUG_MODES, type DebugMode, TargetUnavailable, createTarget } from '../debugger/targets/index.js';
import { MEM_MIB_DEFAULT, MEM_MIB_MAX, MEM_MIB_MIN } from '../machine/board.js';
import { ExitCode } from './exit-codes.js';

interface DebugOptions {
  mode: DebugMode;
  pv?: boolean;
  mem: number;
  cmdline?: string;
}

function mib(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < MEM_MIB_MIN || n > MEM_MIB_MAX) {
    throw new InvalidArgumentError(`--mem must be a whole number from ${MEM_MIB_MIN} to ${MEM_MIB_MAX}`);
  }
  return n;
}

export function registerDebug(program: Command): void {
  program
    .command('debug')
    .description('step through a guest (and its VM exits) in the debugger REPL')
    .argument('<image>', 'Multiboot ELF kernel')
    .addOption(new Option('--mode <mode>', 'how to run the guest').choices(DEBUG_MODES).default(DEBUG_MODES[0]))
    .option('--pv', 'para-virtual: the hypervisor advertises its hypercall interface')
    .option('--mem <MiB>', `guest RAM in MiB (${MEM_MIB_MIN}-${MEM_MIB_MAX})`, mib, MEM_MIB_DEFAULT)
    .option('--cmdline <text>', 'Multiboot command line after the image name')
    .action(async (image: string, opts: DebugOptions) => {
      process.exitCode = await debugCommand(image, opts);
    });
}


async function debugCommand(image: string, opts: DebugOptions): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(image);
  } catch (e) {
    process.stderr.write(`vmm: cannot read ${image}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return ExitCode.BadInput;
  }
  const consoleState = { midLine: false };
  const dbg = openDebugger(image, bytes, opts, (b) => {
    process.stdout.write(b);
    if (b.length > 0) consoleState.midLine = b[b.length - 1] !== 0x0a;
  });
  if (typeof dbg === 'number') return dbg;
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  await runRepl(dbg, {
    input: process.stdin,
    output: process.stdout,
    terminal,
    console: consoleState,
    banner: terminal ? [`${image} loaded (${opts.mode}${opts.pv ? ' +pv' : ''}), stopped before its first instruction. Type "help" for commands.`] : [],
  });
  return ExitCode.Ok;
}

/**
 * The guest loaded in the target its mode names, stopped before its first instruction, with a
 * debugger whose console goes to `console`; or the exit status when the image or mode is unusable.
 */
function openDebugger(
  image: string,
  bytes: Uint8Array,
  opts: DebugOptions,
  console: (b: Uint8Array) => void,
): Debugger | number {
  let dbg: Debugger | null = null;
  let target: DebugTarget;
  try {
    target = createTarget(bytes, {
      mode: opts.mode,
      pv: opts.pv ?? false,
      name: image,
      memMiB: opts.mem,
      ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
      onConsole: (b) => dbg?.console.write(b),
    });
  } catch (e) {
    if (e instanceof ImageError || e instanceof TargetUnavailable) {
      process.stderr.write(`vmm: ${e.message}\n`);
      return ExitCode.BadInput;
    }
    throw e;
  }
  dbg = new Debugger(target, { console });
  return dbg;
}

/** The process exit status for how a guest ended (the same as `vmm run`, exit-codes.ts). */
export function exitStatusOf(o: EndOutcome): number {
  switch (o.kind) {
    case 'exit':
      return o.value & 0xff;
    case 'triple-fault':
      return ExitCode.TripleFault;
    case 'halted-forever':
      return ExitCode.HaltedForever;
    case 'unsupported':
      return ExitCode.Internal;
    case 'vm-stopped':
      return ExitCode.VmStopped;
  }
}

export interface GdbRunOptions {
  readonly port: number;
  readonly mode: DebugMode;
  readonly pv?: boolean;
  readonly mem: number;
  readonly cmdline?: string;
}

/**
 * `vmm run IMAGE --gdb PORT`: loads the guest stopped before its first instruction, waits for gdb on
 * localhost:PORT (QEMU's -s -S), and serves it. When gdb detaches or disconnects the guest runs on
 * to its end; the exit status is the guest's, as for `vmm run`. gdb's `kill` ends the run with 0.
 */
export async function runUnderGdb(image: string, bytes: Uint8Array, opts: GdbRunOptions): Promise<number> {
  const dbg = openDebugger(image, bytes, opts, (b) => process.stdout.write(b));
  if (typeof dbg === 'number') return dbg;
  let how: string;
  try {
    how = await serveGdb(dbg, {
      port: opts.port,
      onListening: (port) => process.stderr.write(`vmm: waiting for gdb on localhost:${port} (target remote :${port})\n`),
    });
  } catch (e) {
    process.stderr.write(`vmm: cannot listen on port ${opts.port}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return ExitCode.BadInput;
  }
  if (how === 'killed') {
    process.stderr.write('vmm: gdb killed the guest\n');
    return ExitCode.Ok;
  }
  // Detached: the guest runs on without the debugger, to its end.
  dbg.breakpoints.clear();
  let ev = dbg.continue();
  while (ev.kind !== 'ended') ev = dbg.continue();
  if (ev.outcome.kind !== 'exit') process.stderr.write(`vmm: ${describeOutcome(ev.outcome, dbg.target.instructions)}\n`);
  return exitStatusOf(ev.outcome);
}
