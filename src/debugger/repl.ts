// The interactive face of the debugger: `(vmm) ` prompt, history and tab completion through
// node:readline when standard input is a terminal; plain line-by-line execution (no prompt, no
// echo) when it is not, so sessions can be scripted and tested. Ctrl-C interrupts a running guest.
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { type CommandHost, argumentWords, commandNames, executeLine, exitReasonWords } from './commands.js';
import type { Debugger } from './core.js';
import { describeStop } from './format.js';

export const PROMPT = '(vmm) ';

export interface ReplOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** Interactive: prompt, line editing, history, completion. */
  readonly terminal: boolean;
  /** Printed before the first prompt. */
  readonly banner?: readonly string[];
  /** The guest console's state on the same output: a debugger line after guest text that did not
   *  end its line starts on a fresh one. */
  readonly console?: { midLine: boolean };
}

function completer(line: string): [string[], string] {
  const words = line.split(/\s+/);
  if (words.length <= 1) {
    const w = words[0] ?? '';
    return [commandNames().filter((c) => c.startsWith(w)), w];
  }
  const last = words[words.length - 1]!;
  const first = words[0]!;
  let pool = argumentWords(first);
  if ((first === 'break' || first === 'b') && words[1] === 'exit' && words.length >= 3) pool = exitReasonWords();
  const lower = last.toUpperCase() === last && last !== '' ? last : last.toLowerCase();
  const hits = pool.filter((p) => p.startsWith(last) || p.toLowerCase().startsWith(lower.toLowerCase()));
  return [hits, last];
}

/** Runs the REPL until `quit` or the end of input. */
export async function runRepl(dbg: Debugger, opts: ReplOptions): Promise<void> {
  const out = opts.output;
  let interrupt = false;
  let rl: Interface | null = null;
  const host: CommandHost = {
    dbg,
    canRun: true,
    trace: 'off',
    print: (line) => {
      if (opts.console?.midLine) {
        out.write('\n');
        opts.console.midLine = false;
      }
      out.write(line + '\n');
    },
    pause: async () => {
      await new Promise<void>((r) => setImmediate(r));
      const i = interrupt;
      interrupt = false;
      return i;
    },
  };
  for (const l of opts.banner ?? []) host.print(l);
  host.print(describeStop(dbg, { kind: 'step', pos: dbg.position }));

  if (!opts.terminal) {
    // Scripted: every line is a command; results only, no prompt.
    rl = createInterface({ input: opts.input, terminal: false, crlfDelay: Infinity });
    for await (const line of rl) {
      if ((await executeLine(host, line)) === 'quit') break;
    }
    rl.close();
    return;
  }

  rl = createInterface({ input: opts.input, output: out, terminal: true, prompt: PROMPT, completer, historySize: 1000 });
  let busy = false;
  rl.on('SIGINT', () => {
    if (busy) interrupt = true;
    else {
      out.write('^C\n');
      rl?.prompt();
    }
  });
  rl.prompt();
  for await (const line of rl) {
    busy = true;
    const r = await executeLine(host, line);
    busy = false;
    interrupt = false;
    if (r === 'quit') break;
    rl.prompt();
  }
  rl.close();
}
