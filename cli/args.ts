import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './output.ts';

/** Command-line options of both commands, parsed with node:util's parseArgs (strict: unknown options are errors). */
export const DEFAULT_KEY_ENV = 'PACKAGE_DEPLOYMENT_API_KEY';

const common = {
  url: { type: 'string' },
  feed: { type: 'string' },
  package: { type: 'string' },
  group: { type: 'string' },
  'key-env': { type: 'string' },
  timeout: { type: 'string' },
  'attempt-timeout': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const recordOptions = {
  ...common,
  version: { type: 'string' },
  target: { type: 'string' },
  application: { type: 'string' },
  description: { type: 'string' },
  user: { type: 'string' },
  date: { type: 'string' },
  link: { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string' },
  'commit-sha': { type: 'string' },
  'commit-time': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const currentOptions = {
  ...common,
  target: { type: 'string', multiple: true },
  'expect-version': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export type Common = {
  url: string;
  keyEnv: string;
  /** Whether --key-env was given: then the variable must be set. */
  keyEnvExplicit: boolean;
  timeoutMs: number;
  attemptTimeoutMs: number;
  json: boolean;
  verbose: boolean;
};

export type RecordArgs = Common & {
  command: 'record';
  feed: string;
  package: string;
  version: string;
  target: string;
  application: string;
  description?: string | undefined;
  group?: string | undefined;
  user?: string | undefined;
  date?: string | undefined;
  link?: string | undefined;
  /** Succeeded or Failed (any case); absent: not sent (the service takes Succeeded). */
  status?: string | undefined;
  commitSha?: string | undefined;
  commitTime?: string | undefined;
  idempotencyKey?: string | undefined;
};

export type CurrentArgs = Common & {
  command: 'current';
  feed: string;
  package: string;
  group?: string | undefined;
  targets: string[];
  expectVersion?: string | undefined;
};

export type Parsed = RecordArgs | CurrentArgs | { command: 'help'; topic: 'main' | 'record' | 'current'; asked?: false };

const FORBIDDEN = /^--?(key|api-?key|apikey|x-api-?key)(=|$)/i;

/** Options that would put the key on the command line (visible in `ps`, shell history and CI logs) are refused. */
export const refuseKeyOption = (argv: string[]): void => {
  const hit = argv.find((a) => FORBIDDEN.test(a));
  if (hit) {
    const name = hit.split('=')[0];
    throw new UsageError(
      `${name} is not accepted: a key on the command line is visible to other processes and in logs. ` +
        `Put it in the environment variable ${DEFAULT_KEY_ENV} (or name another variable with --key-env NAME).`,
    );
  }
};

const seconds = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 3600)
    throw new UsageError(`--${name} must be a number of seconds from 0 to 3600, got ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
};

const need = (values: Record<string, unknown>, names: string[]): void => {
  const missing = names.filter((n) => typeof values[n] !== 'string' || (values[n] as string).trim() === '');
  if (missing.length) throw new UsageError(`missing ${missing.map((n) => `--${n}`).join(', ')} (see --help)`);
};

/** `--url` with or without a trailing slash, with a path prefix (https://host/prod), or the full recording URL. */
export const normaliseBase = (url: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new UsageError(`--url must be an absolute http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, got ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new UsageError('--url must not hold credentials; put the API key in the environment');
  if (parsed.search || parsed.hash) throw new UsageError('--url must not hold a query string or fragment');
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/api\/(package-deployment|deployments(\/current)?)$/i, '');
  return `${parsed.origin}${path}`;
};

/** Joins the base and an API path: `https://host/prod` + `/api/x` is `https://host/prod/api/x`. */
export const apiUrl = (base: string, path: string, query?: Record<string, string | undefined>): string => {
  const url = new URL(`${base}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

const commonArgs = (values: Record<string, unknown>): Common => ({
  url: normaliseBase(values.url as string),
  keyEnv: str(values['key-env'])?.trim() ?? DEFAULT_KEY_ENV,
  keyEnvExplicit: str(values['key-env']) !== undefined,
  timeoutMs: seconds('timeout', values.timeout as string | undefined, 60_000),
  attemptTimeoutMs: seconds('attempt-timeout', values['attempt-timeout'] as string | undefined, 20_000),
  json: values.json === true,
  verbose: values.verbose === true,
});

const parse = <O extends ParseArgsConfig['options']>(args: string[], options: O) => {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, unknown>;
  } catch (e) {
    // parseArgs names the option, never a value.
    throw new UsageError((e as Error).message);
  }
};

/** --status: succeeded or failed, any case (the service says the same, but a typo is better caught before sending). */
const status = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (/^(succeeded|failed)$/i.test(value.trim())) return value.trim();
  throw new UsageError(`--status must be succeeded or failed, got ${JSON.stringify(value)}`);
};

export const parseCommandLine = (argv: string[]): Parsed => {
  refuseKeyOption(argv);
  const [command, ...rest] = argv;
  // No command at all is a usage error (exit 2, help on stderr); help asked for is not.
  if (command === undefined) return { command: 'help', topic: 'main', asked: false };
  if (command === '--help' || command === '-h' || command === 'help') return { command: 'help', topic: 'main' };
  if (command === 'record') {
    const values = parse(rest, recordOptions);
    if (values.help) return { command: 'help', topic: 'record' };
    need(values, ['url', 'feed', 'package', 'version', 'target', 'application']);
    return {
      command: 'record',
      ...commonArgs(values),
      feed: values.feed as string,
      package: values.package as string,
      version: values.version as string,
      target: values.target as string,
      application: values.application as string,
      description: str(values.description),
      group: str(values.group),
      user: str(values.user),
      date: str(values.date),
      link: str(values.link),
      idempotencyKey: str(values['idempotency-key']),
      status: status(str(values.status)),
      commitSha: str(values['commit-sha']),
      commitTime: str(values['commit-time']),
    };
  }
  if (command === 'current') {
    const values = parse(rest, currentOptions);
    if (values.help) return { command: 'help', topic: 'current' };
    need(values, ['url', 'feed', 'package']);
    return {
      command: 'current',
      ...commonArgs(values),
      feed: values.feed as string,
      package: values.package as string,
      group: str(values.group),
      targets: ((values.target as string[] | undefined) ?? []).map((t) => t.trim()).filter(Boolean),
      expectVersion: str(values['expect-version']),
    };
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}; the commands are record and current (see --help)`);
};

export const HELP = {
  main: `Usage: package-deployment <command> [options]

Commands:
  record    record a deployment (POST /api/package-deployment/), retried safely with an Idempotency-Key
  current   show which version of a package runs on each target (GET /api/deployments/current)

The API key comes from the environment variable ${DEFAULT_KEY_ENV} (or --key-env NAME), never from the
command line. Without one, requests are anonymous.

Run "package-deployment <command> --help" for a command's options.`,
  record: `Usage: package-deployment record --url BASE --feed F --package P --version V --target T --application A [options]

Records one deployment. Retries network errors, timeouts, 408, 409, 429 and 5xx with backoff (honouring
Retry-After) within --timeout, always with the same Idempotency-Key, so the service keeps one record.

Required:
  --url BASE              the service's base URL, e.g. https://deployments.example.com or https://host/prod
  --feed F                FeedName
  --package P             PackageName
  --version V             Version
  --target T              Target (where it was deployed, e.g. a server name)
  --application A         Application (the tool deploying)
Optional:
  --description D         Description (default: names the CI service, run and commit; outside CI a fixed text)
  --group G               GroupName
  --user U                UserName (default: the API key's user, or Anonymous)
  --date ISO              Date (default: when the service receives it)
  --link URL              Url (default in CI: the run's URL)
  --status S              succeeded (the default) or failed: a failed deployment is recorded as history, and the
                          target keeps what it ran
  --commit-sha SHA        CommitSha (default in CI: the run's commit, e.g. GITHUB_SHA or CI_COMMIT_SHA)
  --commit-time ISO       CommitTime, what lead time is measured from (default: that commit's committer date,
                          from git show -s --format=%cI SHA, when the working directory is a git checkout
                          holding it)
  --idempotency-key K     Idempotency-Key (default in CI: derived from the run, attempt, job, feed, package,
                          version and target; outside CI: random per invocation)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S             give up after S seconds in all (default 60)
  --attempt-timeout S     one attempt's time limit (default 20)
  --json                  print the stored record (JSON) on stdout
  -v, --verbose           log each attempt on stderr (never the API key)

Exit codes: 0 recorded (or replayed), 1 gave up after retries or unexpected answer, 2 invalid input or options,
3 key refused or lacks the privilege (403), 4 feed not found (404), 5 Idempotency-Key conflict (422, or 409
until --timeout).`,
  current: `Usage: package-deployment current --url BASE --feed F --package P [--group G] [--target T ...] [options]

Shows the latest record of a package on each target (GET /api/deployments/current), as a table or --json.

  --target T              only this target (repeat for several; matched case-insensitively)
  --expect-version V      exit 6 unless every listed target runs V (a pipeline gate)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S, --attempt-timeout S, --json, -v/--verbose   as for record

Exit codes: 0 listed (and, with --expect-version, all at V), 1 gave up or unexpected answer, 2 invalid options
or parameters, 3 key refused or lacks Feeds_ViewFeed, 4 feed not found, or no record of the package (or of a
--target), 6 a listed target runs another version.`,
} as const;
