/**
 * The GitHub Action (action.yml): records one deployment with the CLI's own code, in this process. Inputs arrive as
 * INPUT_<NAME> variables (the name upper-cased, spaces as underscores, hyphens kept: INPUT_API-KEY); outputs are
 * `name=value` lines appended to the file GITHUB_OUTPUT names. The API key input is masked in the log
 * (`::add-mask::`) and handed over in the environment variable the CLI reads, never in a command line.
 */
import { appendFileSync } from 'node:fs';
import { DEFAULT_KEY_ENV, parseCommandLine } from '../../cli/args.ts';
import { escapeControls, EXIT, printableLine, UsageError, type Io } from '../../cli/output.ts';
import { recordCommand } from '../../cli/record.ts';
import { affectedCommand, parseAffectedArgs } from '../../cli/affected.ts';

const input = (name: string): string => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();

/** Workflow command data: %, CR and LF escaped as the runner expects. */
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const setOutput = (name: string, value: string): void => {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    console.log(printableLine(`${name}=${value}`));
    return;
  }
  if (/[\r\n]/.test(value)) throw new Error(`output ${name} holds a line break`);
  appendFileSync(file, `${name}=${value}\n`, 'utf8');
};

/** The command's arguments from the inputs of the same names (in memory, never a command line: the key is not among them). */
const argvOf = (names: string[]): string[] => {
  const argv = names.flatMap((name) => (input(name) ? [`--${name}=${input(name)}`] : []));
  if (/^true$/i.test(input('verbose'))) argv.push('--verbose');
  return argv;
};

/** The step's output streams, remembering the last line on stderr (the reason the step's annotation gives). */
const stepIo = (): { io: Io; lastError: () => string } => {
  let last = '';
  const io: Io = {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => {
      last = line;
      process.stderr.write(`${line}\n`);
    },
  };
  return { io, lastError: () => last };
};

/** A failure before or outside the command, as the annotation says it: the inputs named as such, not as options. */
const failureMessage = (e: unknown): string =>
  escapeControls(
    e instanceof UsageError
      ? `package-deployment: ${e.message.replace(' (see --help)', '').replace(/--([a-z][a-z-]*)/g, 'input $1')}`
      : `package-deployment: unexpected failure: ${(e as Error).message}`,
  );

const main = async (): Promise<number> => {
  const key = input('api-key');
  if (key) {
    process.stdout.write(`::add-mask::${escapeData(key)}\n`);
    process.env[DEFAULT_KEY_ENV] = key;
  }
  // Nothing this process starts needs the input's own copy.
  delete process.env['INPUT_API-KEY'];

  if (input('command') !== '' && input('command') !== 'record' && input('command') !== 'affected') {
    process.stdout.write(
      `::error title=Unknown command::${escapeData(`package-deployment: input command is ${input('command')}; use record (the default) or affected`)}\n`,
    );
    return EXIT.invalid;
  }
  if (input('command') === 'affected') return affected();

  const argv = [
    'record',
    ...argvOf([
      'url',
      'feed',
      'package',
      'version',
      'target',
      'application',
      'description',
      'group',
      'user',
      'date',
      'link',
      'idempotency-key',
      'status',
      'commit-sha',
      'commit-time',
      'timeout',
    ]),
  ];
  const auth = input('auth') || 'api-key';
  if (auth === 'oidc') {
    argv.push('--oidc');
    if (input('audience')) argv.push(`--audience=${input('audience')}`);
  } else if (auth !== 'api-key') {
    process.stdout.write(`::error title=Deployment not recorded::${escapeData(`auth: ${auth} is not one of api-key, oidc`)}\n`);
    return EXIT.invalid;
  }
  const { io, lastError } = stepIo();
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.command !== 'record') throw new UsageError('internal: not a record command');
    const result = await recordCommand(parsed, io);
    if (result.exitCode === EXIT.ok && result.record) {
      setOutput('id', String(result.record.Id));
      setOutput('replayed', String(result.replayed));
      setOutput('idempotency-key', result.idempotencyKey);
      setOutput('record', JSON.stringify(result.record));
    } else {
      process.stdout.write(`::error title=Deployment not recorded::${escapeData(lastError() || `exit code ${result.exitCode}`)}\n`);
    }
    return result.exitCode;
  } catch (e) {
    process.stdout.write(`::error title=Deployment not recorded::${escapeData(failureMessage(e))}\n`);
    return e instanceof UsageError ? EXIT.invalid : EXIT.failed;
  }
};

/**
 * `command: affected`: the targets running an affected version (input range with package, or osv: a file in the
 * workspace), printed as the CLI prints them; output `affected-count`, and the step fails (exit 7) when it is not 0.
 */
const affected = async (): Promise<number> => {
  const argv = argvOf(['url', 'feed', 'package', 'group', 'range', 'osv', 'timeout']);
  const { io, lastError } = stepIo();
  try {
    const parsed = parseAffectedArgs(argv);
    if (parsed === 'help') throw new UsageError('internal: help asked');
    const result = await affectedCommand(parsed, io);
    if (result.affectedCount !== undefined) {
      setOutput('affected-count', String(result.affectedCount));
      if (result.affectedCount > 0) process.stdout.write(`::error title=Affected targets::${escapeData(lastError())}\n`);
    } else {
      process.stdout.write(`::error title=Affected targets not checked::${escapeData(lastError() || `exit code ${result.exitCode}`)}\n`);
    }
    return result.exitCode;
  } catch (e) {
    process.stdout.write(`::error title=Affected targets not checked::${escapeData(failureMessage(e))}\n`);
    return e instanceof UsageError ? EXIT.invalid : EXIT.failed;
  }
};

process.exitCode = await main();
