import { parseArgs, type ParseArgsConfig } from 'node:util';
import { documentedPath, ROUTES } from '../lib/domain/routes.ts';
import { UsageError } from './output.ts';

/** Command-line options of both commands, parsed with node:util's parseArgs (strict: unknown options are errors). */
export const DEFAULT_KEY_ENV = 'PACKAGE_DEPLOYMENT_API_KEY';

/** The options every command takes (`affected` adds its own in cli/affected.ts). */
export const COMMON_OPTIONS = {
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
  ...COMMON_OPTIONS,
  version: { type: 'string' },
  target: { type: 'string' },
  application: { type: 'string' },
  description: { type: 'string' },
  user: { type: 'string' },
  date: { type: 'string' },
  link: { type: 'string' },
  'idempotency-key': { type: 'string' },
  oidc: { type: 'boolean' },
  audience: { type: 'string' },
  'oidc-token-env': { type: 'string' },
  status: { type: 'string' },
  'commit-sha': { type: 'string' },
  'commit-time': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const currentOptions = {
  ...COMMON_OPTIONS,
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
  /** `--oidc`: an identity token instead of the API key; its audience (default: the base URL) and where it is read. */
  oidc?: { audience: string; tokenEnv?: string | undefined } | undefined;
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

/** A usage error naming every option of `names` that is missing or blank. */
export const requireOptions = (values: Record<string, unknown>, names: string[]): void => {
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

/** An option's value, unless absent or blank. */
export const nonBlank = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The options every command takes, checked (URL, key variable, timeouts). */
export const commonArgs = (values: Record<string, unknown>): Common => ({
  url: normaliseBase(values.url as string),
  keyEnv: nonBlank(values['key-env'])?.trim() ?? DEFAULT_KEY_ENV,
  keyEnvExplicit: nonBlank(values['key-env']) !== undefined,
  timeoutMs: seconds('timeout', values.timeout as string | undefined, 60_000),
  attemptTimeoutMs: seconds('attempt-timeout', values['attempt-timeout'] as string | undefined, 20_000),
  json: values.json === true,
  verbose: values.verbose === true,
});

/** `args` parsed strictly against `options` (an unknown option is a usage error); the values by option name. */
export const parseOptions = <O extends ParseArgsConfig['options']>(args: string[], options: O) => {
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
    const values = parseOptions(rest, recordOptions);
    if (values.help) return { command: 'help', topic: 'record' };
    requireOptions(values, ['url', 'feed', 'package', 'version', 'target', 'application']);
    const common = commonArgs(values);
    const tokenEnv = nonBlank(values['oidc-token-env'])?.trim();
    const oidc = values.oidc === true || tokenEnv !== undefined;
    if (!oidc && values.audience !== undefined) throw new UsageError('--audience goes with --oidc');
    if (oidc && values['key-env'] !== undefined) throw new UsageError('--oidc sends an identity token instead of the API key: leave out --key-env');
    return {
      command: 'record',
      ...common,
      ...(oidc ? { oidc: { audience: nonBlank(values.audience)?.trim() ?? common.url, tokenEnv } } : {}),
      feed: values.feed as string,
      package: values.package as string,
      version: values.version as string,
      target: values.target as string,
      application: values.application as string,
      description: nonBlank(values.description),
      group: nonBlank(values.group),
      user: nonBlank(values.user),
      date: nonBlank(values.date),
      link: nonBlank(values.link),
      idempotencyKey: nonBlank(values['idempotency-key']),
      status: status(nonBlank(values.status)),
      commitSha: nonBlank(values['commit-sha']),
      commitTime: nonBlank(values['commit-time']),
    };
  }
  if (command === 'current') {
    const values = parseOptions(rest, currentOptions);
    if (values.help) return { command: 'help', topic: 'current' };
    requireOptions(values, ['url', 'feed', 'package']);
    return {
      command: 'current',
      ...commonArgs(values),
      feed: values.feed as string,
      package: values.package as string,
      group: nonBlank(values.group),
      targets: ((values.target as string[] | undefined) ?? []).map((t) => t.trim()).filter(Boolean),
      expectVersion: nonBlank(values['expect-version']),
    };
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}; the commands are record, current and affected (see --help)`);
};

export const HELP = {
  main: `Usage: package-deployment <command> [options]

Commands:
  record    record a deployment (POST ${documentedPath(ROUTES.record)}), retried safely with an Idempotency-Key
  current   show which version of a package runs on each target (GET ${ROUTES.current.path})
  affected  list the targets that run an affected version: a range or an OSV advisory (exit 7 if any)

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
  --oidc                  no API key: send the CI job's OpenID Connect identity token (the feed must trust the
                          repository: trust add). GitHub Actions: requested from the runner (the job needs
                          permissions: id-token: write). GitLab CI: with --oidc-token-env NAME
  --audience A            the token's audience (default: --url as given, without a trailing slash)
  --oidc-token-env NAME   read the identity token from this variable (GitLab's id_tokens: NAME); implies --oidc
  --timeout S             give up after S seconds in all (default 60)
  --attempt-timeout S     one attempt's time limit (default 20)
  --json                  print the stored record (JSON) on stdout
  -v, --verbose           log each attempt on stderr (never the API key or token)

Exit codes: 0 recorded (or replayed), 1 gave up after retries or unexpected answer, 2 invalid input or options,
3 key refused or lacks the privilege (403), 4 feed not found (404), 5 Idempotency-Key conflict (422, or 409
until --timeout).`,
  current: `Usage: package-deployment current --url BASE --feed F --package P [--group G] [--target T ...] [options]

Shows the latest record of a package on each target (GET ${ROUTES.current.path}), as a table or --json.

  --target T              only this target (repeat for several; matched case-insensitively)
  --expect-version V      exit 6 unless every listed target runs V (a pipeline gate)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S, --attempt-timeout S, --json, -v/--verbose   as for record

Exit codes: 0 listed (and, with --expect-version, all at V), 1 gave up or unexpected answer, 2 invalid options
or parameters, 3 key refused or lacks Feeds_ViewFeed, 4 feed not found, or no record of the package (or of a
--target), 6 a listed target runs another version.`,
} as const;
