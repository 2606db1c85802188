// What a debugger command may use of the front end that runs it (the REPL, or gdb's `monitor`).
import type { Debugger } from './core.js';

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
