/**
 * The GitHub Action (action.yml): records one deployment with the CLI's own code, in this process. Inputs arrive as
 * INPUT_<NAME> variables (the name upper-cased, spaces as underscores, hyphens kept: INPUT_API-KEY); outputs are
 * `name=value` lines appended to the file GITHUB_OUTPUT names. The API key input is masked in the log
 * (`::add-mask::`) and handed over in the environment variable the CLI reads, never in a command line.
 */
import { appendFileSync } from 'node:fs';
import { DEFAULT_KEY_ENV, parseCommandLine } from '../../cli/args.ts';
import { EXIT, UsageError, type Io } from '../../cli/output.ts';
import { recordDeployment } from '../../cli/record.ts';

const input = (name: string): string => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();

/** Workflow command data: %, CR and LF escaped as the runner expects. */
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const setOutput = (name: string, value: string): void => {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    console.log(`${name}=${value}`);
    return;
  }
  if (/[\r\n]/.test(value)) throw new Error(`output ${name} holds a line break`);
  appendFileSync(file, `${name}=${value}\n`, 'utf8');
};

const main = async (): Promise<number> => {
  const key = input('api-key');
  if (key) {
    process.stdout.write(`::add-mask::${escapeData(key)}\n`);
    process.env[DEFAULT_KEY_ENV] = key;
  }
  // Nothing this process starts needs the input's own copy.
  delete process.env['INPUT_API-KEY'];

  const options: [string, string][] = [
    ['url', 'url'],
    ['feed', 'feed'],
    ['package', 'package'],
    ['version', 'version'],
    ['target', 'target'],
    ['application', 'application'],
    ['description', 'description'],
    ['group', 'group'],
    ['user', 'user'],
    ['date', 'date'],
    ['link', 'link'],
    ['idempotency-key', 'idempotency-key'],
    ['status', 'status'],
    ['commit-sha', 'commit-sha'],
    ['commit-time', 'commit-time'],
    ['timeout', 'timeout'],
  ];
  // An argument array in memory (not a command line): the key is not among these.
  const argv = ['record', ...options.flatMap(([inputName, option]) => (input(inputName) ? [`--${option}=${input(inputName)}`] : []))];
  if (/^true$/i.test(input('verbose'))) argv.push('--verbose');

  let lastError = '';
  const io: Io = {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => {
      lastError = line;
      process.stderr.write(`${line}\n`);
    },
  };
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.command !== 'record') throw new UsageError('internal: not a record command');
    const result = await recordDeployment(parsed, io);
    if (result.exitCode === EXIT.ok && result.record) {
      setOutput('id', String(result.record.Id));
      setOutput('replayed', String(result.replayed));
      setOutput('idempotency-key', result.idempotencyKey);
      setOutput('record', JSON.stringify(result.record));
    } else {
      process.stdout.write(`::error title=Deployment not recorded::${escapeData(lastError || `exit code ${result.exitCode}`)}\n`);
    }
    return result.exitCode;
  } catch (e) {
    // The inputs are named as the CLI's options, without the dashes.
    const message =
      e instanceof UsageError
        ? `package-deployment: ${e.message.replace(' (see --help)', '').replace(/--([a-z][a-z-]*)/g, 'input $1')}`
        : `package-deployment: unexpected failure: ${(e as Error).message}`;
    process.stdout.write(`::error title=Deployment not recorded::${escapeData(message)}\n`);
    return e instanceof UsageError ? EXIT.invalid : EXIT.failed;
  }
};

process.exitCode = await main();
