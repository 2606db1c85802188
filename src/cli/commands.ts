// The list of subcommands. Each lives in its own file and registers itself on the program.
import type { Command } from 'commander';
import { registerDebug } from './debug.js';
import { registerDisasm } from './disasm.js';
import { registerRun } from './run.js';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerDisasm(program);
  registerDebug(program);
  // Subcommands are added here as they land: run, disasm, debug, bench.
}
