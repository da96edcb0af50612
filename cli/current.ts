import type { CurrentArgs } from './args.ts';
import { ROUTES } from '../lib/domain/routes.ts';
import { apiUrl } from './args.ts';
import { apiKeyHeaders, USER_AGENT } from './auth.ts';
import { DEFAULT_POLICY, sendWithRetries, type Clock, realClock } from './http.ts';
import { describeStatus, EXIT, exitForStatus, printable, PROGRAM, table, type Io } from './output.ts';

/** `current`: what runs where (the `current` route, every page), optionally a version gate. */
type Item = { Target?: string; Version?: string; Date?: string; UserName?: string; Application?: string; [k: string]: unknown };

/** Every line it prints goes through `printable` (values from options and answers escaped). */
export const currentCommand = async (args: CurrentArgs, rawIo: Io, clock: Clock = realClock): Promise<number> => {
  const io = printable(rawIo);
  const log = (line: string) => {
    if (args.verbose) io.stderr(`${PROGRAM}: ${line}`);
  };
  const headers = { Accept: 'application/json, application/problem+json', 'User-Agent': USER_AGENT, ...apiKeyHeaders(args, io, log) };
  const deadline = clock.now() + args.timeoutMs;
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const url = apiUrl(args.url, ROUTES.current.path, { FeedName: args.feed, PackageName: args.package, GroupName: args.group, limit: '200', cursor });
    log(`GET ${url}`);
    const outcome = await sendWithRetries(
      { method: 'GET', url, headers },
      { ...DEFAULT_POLICY, totalMs: Math.max(1, deadline - clock.now()), attemptMs: args.attemptTimeoutMs },
      log,
      clock,
    );
    if (outcome.kind === 'failed') {
      io.stderr(`${PROGRAM}: gave up after ${outcome.attempts} attempt(s) in ${args.timeoutMs / 1000} s: ${outcome.error}`);
      return EXIT.failed;
    }
    const { answer } = outcome;
    if (answer.status !== 200) {
      io.stderr(
        `${PROGRAM}: ${outcome.retriesExhausted ? `gave up after ${outcome.attempts} attempt(s): ` : ''}${describeStatus(answer.status, answer.text, answer.headers.get('location'))}`,
      );
      return exitForStatus(answer.status);
    }
    const page = JSON.parse(answer.text) as { Items?: Item[]; NextCursor?: string };
    items.push(...(page.Items ?? []));
    cursor = page.NextCursor;
  } while (cursor);

  const wanted = args.targets.map((t) => t.toLowerCase());
  const listed = wanted.length ? items.filter((i) => wanted.includes(String(i.Target).toLowerCase())) : items;
  listed.sort((a, b) => String(a.Target).localeCompare(String(b.Target)));

  if (args.json) io.stdout(JSON.stringify({ Items: listed }));
  else if (listed.length) {
    for (const line of table([
      ['TARGET', 'VERSION', 'DATE', 'USER', 'APPLICATION'],
      ...listed.map((i) => [i.Target, i.Version, i.Date, i.UserName, i.Application].map((v) => String(v ?? ''))),
    ])) {
      io.stdout(line);
    }
  }

  const scope = `${args.group ? `${args.group}/` : ''}${args.package} in feed ${args.feed}`;
  if (items.length === 0) {
    io.stderr(`${PROGRAM}: no deployment of ${scope} is recorded`);
    return EXIT.notFound;
  }
  const missing = args.targets.filter((t) => !items.some((i) => String(i.Target).toLowerCase() === t.toLowerCase()));
  if (missing.length) {
    io.stderr(`${PROGRAM}: no deployment of ${scope} is recorded on ${missing.join(', ')}`);
    return EXIT.notFound;
  }
  if (args.expectVersion !== undefined) {
    const other = listed.filter((i) => i.Version !== args.expectVersion);
    if (other.length) {
      io.stderr(
        `${PROGRAM}: ${other.length} of ${listed.length} target(s) run another version than ${args.expectVersion}: ${other.map((i) => `${i.Target} (${i.Version})`).join(', ')}`,
      );
      return EXIT.unexpectedVersion;
    }
    log(`all ${listed.length} target(s) run ${args.expectVersion}`);
  }
  return EXIT.ok;
};
