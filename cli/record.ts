import { execFileSync } from 'node:child_process';
import type { RecordArgs } from './args.ts';
import { documentedPath, ROUTES } from '../lib/domain/routes.ts';
import { apiUrl } from './args.ts';
import { apiKeyHeaders, USER_AGENT } from './auth.ts';
import { detectCi } from './ci-env.ts';
import { oidcHeaders, TokenRequestError } from './oidc.ts';
import { DEFAULT_POLICY, sendWithRetries, type Clock, realClock } from './http.ts';
import { checkIdempotencyKey, ciIdempotencyKey, randomIdempotencyKey } from './idempotency.ts';
import { describeStatus, EXIT, exitForStatus, printable, PROGRAM, UsageError, type Io } from './output.ts';

/** `record`: one deployment record, retried safely. */
export type RecordResult = {
  exitCode: number;
  /** The stored record (the 200's body). */
  record?: Record<string, unknown> | undefined;
  replayed: boolean;
  idempotencyKey: string;
};

export const DEFAULT_DESCRIPTION = 'Recorded with the package-deployment CLI';

/** A commit id as the service accepts it: 7 to 64 hex digits. */
const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;

/**
 * The committer date of `sha` (ISO 8601) from the git checkout in the working directory, or undefined when there is
 * none, git is missing, or the checkout does not hold that commit (a shallow clone of another branch): lead time is
 * then left out rather than guessed. `git show -s --format=%cI` prints the strict ISO 8601 date with its offset.
 */
export const gitCommitTime = (sha: string): string | undefined => {
  try {
    const out = execFileSync('git', ['show', '-s', '--format=%cI', sha, '--'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const time = out.trim();
    return /^\d{4}-\d{2}-\d{2}T/.test(time) ? time : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The request body (the seed's field names) and the Idempotency-Key, with what the CI environment supplies: the
 * run's link and description, and its commit (CommitSha) with that commit's time in the git checkout (CommitTime).
 */
export const buildRecord = (
  args: RecordArgs,
  env: Io['env'],
  log: (line: string) => void,
  commitTimeOf: (sha: string) => string | undefined = gitCommitTime,
) => {
  const ci = detectCi(env);
  const body: Record<string, string> = {
    FeedName: args.feed,
    PackageName: args.package,
    Version: args.version,
    Target: args.target,
    Application: args.application,
    Description: args.description ?? ci.run?.description ?? DEFAULT_DESCRIPTION,
  };
  if (args.group !== undefined) body.GroupName = args.group;
  if (args.user !== undefined) body.UserName = args.user;
  const url = args.link ?? ci.run?.url;
  if (url !== undefined) body.Url = url;
  if (args.date !== undefined) body.Date = args.date;
  if (args.status !== undefined) body.Status = args.status;
  const ciCommit = ci.run?.commit !== undefined && COMMIT_SHA.test(ci.run.commit) ? ci.run.commit : undefined;
  const sha = args.commitSha ?? ciCommit;
  if (sha !== undefined) body.CommitSha = sha;
  const commitTime = args.commitTime ?? (sha !== undefined && COMMIT_SHA.test(sha) ? commitTimeOf(sha) : undefined);
  if (commitTime !== undefined) body.CommitTime = commitTime;
  if (sha !== undefined && args.commitTime === undefined) {
    log(commitTime !== undefined ? `CommitTime ${commitTime} (git show of ${sha})` : `no CommitTime: commit ${sha} is not in a git checkout here`);
  }

  let idempotencyKey: string;
  if (args.idempotencyKey !== undefined) {
    const problem = checkIdempotencyKey(args.idempotencyKey);
    if (problem) throw new UsageError(problem);
    idempotencyKey = args.idempotencyKey;
    log(`Idempotency-Key ${idempotencyKey} (from --idempotency-key)`);
  } else if (ci.run) {
    idempotencyKey = ciIdempotencyKey(ci.run, {
      FeedName: args.feed,
      GroupName: args.group,
      PackageName: args.package,
      Version: args.version,
      Target: args.target,
    });
    log(`${ci.run.name}: ${ci.run.identity.join(' ')}`);
    log(
      `Idempotency-Key ${idempotencyKey} (from the ${ci.run.name} run, attempt and job, and the record's feed, package, version and target: the same on a retried step)`,
    );
  } else {
    idempotencyKey = randomIdempotencyKey();
    log(`${ci.note}: Idempotency-Key ${idempotencyKey} is random, new for this invocation (its own retries are safe; running the command again records again)`);
  }
  return { body, idempotencyKey };
};

/** Records one deployment; every line it prints goes through `printable` (values from CI, options and answers escaped). */
export const recordCommand = async (args: RecordArgs, rawIo: Io, clock: Clock = realClock): Promise<RecordResult> => {
  const io = printable(rawIo);
  const log = (line: string) => {
    if (args.verbose) io.stderr(`${PROGRAM}: ${line}`);
  };
  const { body, idempotencyKey } = buildRecord(args, io.env, log);
  let auth: Record<string, string>;
  try {
    auth = args.oidc ? await oidcHeaders(args, io, log, args.attemptTimeoutMs) : apiKeyHeaders(args, io, log);
  } catch (e) {
    if (!(e instanceof TokenRequestError)) throw e;
    io.stderr(`${PROGRAM}: ${e.message}`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, application/problem+json',
    'User-Agent': USER_AGENT,
    'Idempotency-Key': idempotencyKey,
    ...auth,
  };
  const url = apiUrl(args.url, documentedPath(ROUTES.record));
  log(`POST ${url}`);
  const outcome = await sendWithRetries(
    { method: 'POST', url, headers, body: JSON.stringify(body) },
    // 409: the same key is still being written (Retry-After: 1); waiting for it is the point of the key.
    { ...DEFAULT_POLICY, totalMs: args.timeoutMs, attemptMs: args.attemptTimeoutMs, alsoRetry: [409] },
    log,
    clock,
  );
  if (outcome.kind === 'failed') {
    io.stderr(`${PROGRAM}: gave up after ${outcome.attempts} attempt(s) in ${args.timeoutMs / 1000} s: ${outcome.error}`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const { answer, attempts, retriesExhausted } = outcome;
  if (answer.status !== 200) {
    const why = describeStatus(answer.status, answer.text, answer.headers.get('location'));
    io.stderr(`${PROGRAM}: ${retriesExhausted ? `gave up after ${attempts} attempt(s) in ${args.timeoutMs / 1000} s: ` : ''}${why}`);
    return { exitCode: exitForStatus(answer.status), replayed: false, idempotencyKey };
  }
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    io.stderr(`${PROGRAM}: the service answered 200 without a JSON record; is --url the service's base URL?`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const replayed = answer.headers.get('idempotent-replayed') === 'true';
  if (args.json) {
    // Re-serialised: one line whatever the answer's layout, every control character inside a string escaped.
    io.stdout(JSON.stringify(record));
  } else {
    const what = `${body.PackageName} ${body.Version} on ${body.Target} (feed ${body.FeedName}) as ${String(record.Id)}`;
    // A failed deployment is recorded too (for the DORA keys), but the target still runs what it ran: said so.
    const recorded = record.Status === 'Failed' ? `Recorded the failed deployment of ${what}` : `Recorded ${what}`;
    io.stdout(replayed ? `Already recorded: ${what} (Idempotency-Key replayed, nothing new stored)` : recorded);
  }
  if (replayed) log('the service answered with the record this Idempotency-Key stored before (Idempotent-Replayed: true)');
  return { exitCode: EXIT.ok, record, replayed, idempotencyKey };
};
