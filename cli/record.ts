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

/** The request body (the seed's field names) and the Idempotency-Key, with what the CI environment supplies. */
export const buildRecord = (args: RecordArgs, env: Io['env'], log: (line: string) => void) => {
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
    io.stdout(replayed ? `Already recorded: ${what} (Idempotency-Key replayed, nothing new stored)` : `Recorded ${what}`);
  }
  if (replayed) log('the service answered with the record this Idempotency-Key stored before (Idempotent-Replayed: true)');
  return { exitCode: EXIT.ok, record, replayed, idempotencyKey };
};
