import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { apiUrl, COMMON_OPTIONS, commonArgs, type Common, DEFAULT_KEY_ENV, nonBlank, parseOptions, refuseKeyOption, requireOptions } from './args.ts';
import { ROUTES } from '../lib/domain/routes.ts';
import { apiKeyHeaders, USER_AGENT } from './auth.ts';
import { DEFAULT_POLICY, sendWithRetries, type Clock, realClock } from './http.ts';
import { describeStatus, EXIT, exitForStatus, printable, PROGRAM, table, UsageError, type Io } from './output.ts';

/**
 * `affected`: which targets run an affected version (GET the service's `affected` route with a range, or POST with an OSV
 * advisory), every page, as a table or --json. Exit 0 when no target is affected, 7 when at least one is (a gate for a
 * release, or a nightly audit), 2/3/4 as the other commands. Targets whose version cannot be ordered are listed as
 * `unknown` and named on stderr, but do not fail the gate by themselves.
 */
export type AffectedArgs = Common & {
  command: 'affected';
  feed: string;
  package?: string | undefined;
  group?: string | undefined;
  range?: string | undefined;
  osv?: { file: string; text: string } | undefined;
};

/** The largest advisory file sent (the service's own limit). */
const MAX_OSV_BYTES = 1024 * 1024;

const options = {
  ...COMMON_OPTIONS,
  range: { type: 'string' },
  osv: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const AFFECTED_HELP = `Usage: package-deployment affected --url BASE --feed F (--package P --range R | --osv FILE) [--group G] [options]

Lists the targets whose current version of a package is in a range, or that an OSV advisory (GitHub Advisory
Database, osv.dev) names as affected (the service's ${ROUTES.affected.path}), as a table or --json.

  --package P --range R   a package and a range: NuGet interval notation ((,13.0.1), [1.0,2.0)) or an npm semver
                          range (<13.0.1, >=1.0.0 <1.2.6 || <0.2.4); a bare version is refused (say < or =)
  --group G               GroupName of --package
  --osv FILE              an OSV advisory's JSON file instead (every package it names; - reads standard input)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S, --attempt-timeout S, --json, -v/--verbose   as for record

Exit codes: 0 no target affected, 7 at least one target affected, 1 gave up or unexpected answer, 2 invalid options,
range or advisory, 3 key refused or lacks Feeds_ViewFeed, 4 feed not found.`;

/** The command line after `affected`; `readFile` reads --osv (standard input for `-`). */
export const parseAffectedArgs = (argv: string[], readFile: (path: string) => Buffer = (p) => readFileSync(p === '-' ? 0 : p)): AffectedArgs | 'help' => {
  refuseKeyOption(argv);
  const values = parseOptions(argv, options);
  if (values.help) return 'help';
  requireOptions(values, ['url', 'feed']);
  const osvFile = nonBlank(values.osv);
  if (osvFile !== undefined && (values.package !== undefined || values.range !== undefined || values.group !== undefined)) {
    throw new UsageError('give either --osv FILE or --package P --range R, not both');
  }
  if (osvFile === undefined && (nonBlank(values.package) === undefined || nonBlank(values.range) === undefined)) {
    throw new UsageError('give --package P and --range R, or --osv FILE (see --help)');
  }
  let osv: AffectedArgs['osv'];
  if (osvFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFile(osvFile);
    } catch (e) {
      throw new UsageError(`--osv ${osvFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (bytes.length > MAX_OSV_BYTES) throw new UsageError(`--osv ${osvFile}: ${bytes.length} bytes; the service reads at most ${MAX_OSV_BYTES}`);
    osv = { file: osvFile, text: bytes.toString('utf8') };
  }
  return {
    command: 'affected',
    ...commonArgs(values),
    feed: values.feed as string,
    package: nonBlank(values.package),
    group: nonBlank(values.group),
    range: nonBlank(values.range),
    osv,
  };
};

type Row = { Target?: string; Region?: string; Version?: string; Date?: string; FixedIn?: string; [k: string]: unknown };
type Pkg = { GroupName?: string; PackageName: string; Ecosystem?: string; Matching: string; Affected: Row[]; Unaffected: number; Unknown: Row[] };
export type AffectedAnswer = { Advisory: string | null; Packages: Pkg[]; Checked: number; NextCursor?: string };
type Page = AffectedAnswer;

/** The exit code and, when the service answered, the merged answer and how many targets are affected. */
export type AffectedResult = { exitCode: number; answer?: AffectedAnswer; affectedCount?: number };

/** Pages merged: every page lists every package in the same order, each with that page's targets. */
const merge = (into: Page | undefined, page: Page): Page => {
  if (!into) return { Advisory: page.Advisory, Packages: page.Packages.map((p) => ({ ...p })), Checked: page.Checked };
  page.Packages.forEach((p, i) => {
    const m = into.Packages[i];
    if (!m) return void into.Packages.push({ ...p });
    if (p.Affected.length + p.Unknown.length + p.Unaffected > 0) {
      m.PackageName = p.PackageName;
      if (p.GroupName !== undefined) m.GroupName = p.GroupName;
    }
    m.Affected = [...m.Affected, ...p.Affected];
    m.Unknown = [...m.Unknown, ...p.Unknown];
    m.Unaffected += p.Unaffected;
  });
  into.Checked += page.Checked;
  return into;
};

const nameOf = (p: Pkg) => `${p.GroupName ? `${p.GroupName}/` : ''}${p.PackageName}`;

/** Every line it prints goes through `printable` (values from options and answers escaped). */
export const affectedCommand = async (args: AffectedArgs, rawIo: Io, clock: Clock = realClock): Promise<AffectedResult> => {
  const io = printable(rawIo);
  const log = (line: string) => {
    if (args.verbose) io.stderr(`${PROGRAM}: ${line}`);
  };
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', 'User-Agent': USER_AGENT, ...apiKeyHeaders(args, io, log) };
  if (args.osv) headers['Content-Type'] = 'application/json';
  const deadline = clock.now() + args.timeoutMs;
  let answer: Page | undefined;
  let cursor: string | undefined;
  do {
    const query = args.osv
      ? { FeedName: args.feed, cursor }
      : { FeedName: args.feed, PackageName: args.package, GroupName: args.group, Range: args.range, cursor };
    const url = apiUrl(args.url, ROUTES.affected.path, query);
    log(`${args.osv ? 'POST' : 'GET'} ${url}`);
    const outcome = await sendWithRetries(
      args.osv ? { method: 'POST', url, headers, body: args.osv.text } : { method: 'GET', url, headers },
      { ...DEFAULT_POLICY, totalMs: Math.max(1, deadline - clock.now()), attemptMs: args.attemptTimeoutMs },
      log,
      clock,
    );
    if (outcome.kind === 'failed') {
      io.stderr(`${PROGRAM}: gave up after ${outcome.attempts} attempt(s) in ${args.timeoutMs / 1000} s: ${outcome.error}`);
      return { exitCode: EXIT.failed };
    }
    const res = outcome.answer;
    if (res.status !== 200) {
      io.stderr(
        `${PROGRAM}: ${outcome.retriesExhausted ? `gave up after ${outcome.attempts} attempt(s): ` : ''}${describeStatus(res.status, res.text, res.headers.get('location'))}`,
      );
      return { exitCode: exitForStatus(res.status) };
    }
    const page = JSON.parse(res.text) as Page;
    answer = merge(answer, page);
    cursor = page.NextCursor;
  } while (cursor);

  const affected = answer.Packages.flatMap((p) => p.Affected.map((r) => ({ p, r, status: 'affected' })));
  const unknown = answer.Packages.flatMap((p) => p.Unknown.map((r) => ({ p, r, status: 'unknown' })));
  if (args.json) io.stdout(JSON.stringify(answer));
  else if (affected.length + unknown.length > 0) {
    for (const line of table([
      ['PACKAGE', 'TARGET', 'REGION', 'VERSION', 'STATUS', 'FIXED IN'],
      ...[...affected, ...unknown].map(({ p, r, status }) => [nameOf(p), r.Target, r.Region, r.Version, status, r.FixedIn].map((v) => String(v ?? ''))),
    ])) {
      io.stdout(line);
    }
  }
  const what = args.osv ? `${answer.Advisory ?? args.osv.file}` : `${args.group ? `${args.group}/` : ''}${args.package} ${args.range}`;
  for (const p of answer.Packages.filter((q) => q.Matching === 'versions-list')) {
    io.stderr(`${PROGRAM}: ${nameOf(p)} (${p.Ecosystem ?? 'unknown ecosystem'}) matched by the advisory's versions list only`);
  }
  if (unknown.length) {
    io.stderr(
      `${PROGRAM}: ${unknown.length} target(s) run versions that cannot be ordered, check them by hand: ${unknown.map(({ r }) => `${r.Target} (${r.Version})`).join(', ')}`,
    );
  }
  if (affected.length) {
    io.stderr(`${PROGRAM}: ${affected.length} of ${answer.Checked} target(s) run an affected version (${what})`);
    return { exitCode: EXIT.affected, answer, affectedCount: affected.length };
  }
  log(`none of ${answer.Checked} target(s) runs an affected version (${what})`);
  return { exitCode: EXIT.ok, answer, affectedCount: 0 };
};
