// The `vmm` command: parses arguments and hands off to a subcommand. No logic lives here.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { registerCommands } from './commands.js';

const program = new Command('vmm')
  .description('An emulated IA-32 machine with Intel VT-x and a hypervisor written in TypeScript')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

// A reader that went away (`vmm run big.elf | head`) ends any command quietly, as with any filter.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(ExitCode.Ok);
  throw e;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with exit code 0; usage errors have already been printed.
    process.exit(err.exitCode === 0 ? 0 : ExitCode.BadInput);
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`vmm: internal error: ${msg}\n`);
  if (process.env['VMM_DEBUG'] && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(ExitCode.Internal);
}
