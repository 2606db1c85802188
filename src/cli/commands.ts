// The list of subcommands. Each lives in its own file and registers itself on the program.
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // Subcommands are added here as they land: run, disasm, debug, bench.
}
