import { AFFECTED_HELP, affectedCommand, parseAffectedArgs } from './affected.ts';
import { HELP, parseCommandLine } from './args.ts';
import { currentCommand } from './current.ts';
import { EXIT, printable, PROGRAM, UsageError, type Io } from './output.ts';
import { recordCommand } from './record.ts';

/** Runs one command line; resolves with the exit code. Everything printed goes through `io`. */
export const run = async (argv: string[], io: Io): Promise<number> => {
  try {
    if (argv[0] === 'affected') {
      const args = parseAffectedArgs(argv.slice(1));
      if (args === 'help') {
        io.stdout(AFFECTED_HELP);
        return EXIT.ok;
      }
      return (await affectedCommand(args, io)).exitCode;
    }
    const parsed = parseCommandLine(argv);
    if (parsed.command === 'help') {
      if (parsed.asked === false) {
        io.stderr(HELP[parsed.topic]);
        return EXIT.invalid;
      }
      io.stdout(HELP[parsed.topic]);
      return EXIT.ok;
    }
    if (parsed.command === 'record') return (await recordCommand(parsed, io)).exitCode;
    return await currentCommand(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      printable(io).stderr(`${PROGRAM}: ${e.message}`);
      return EXIT.invalid;
    }
    printable(io).stderr(`${PROGRAM}: unexpected failure: ${(e as Error).message}`);
    return EXIT.failed;
  }
};
