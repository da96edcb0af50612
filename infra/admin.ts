/**
 * The admin CLI (`npm run -s admin -- <command>`): parses a command and its options, checks them as the API checks the
 * same fields, runs the use case of lib/app/admin/ (feeds, keys, webhooks, counters) on the configured tables, and
 * prints the outcome. Exit status: 0 done, 1 refused or failed (one line), 2 a usage error (with the usage).
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { backfillCounters } from '../lib/app/admin/counters.ts';
import type { AdminDependencies } from '../lib/app/admin/dependencies.ts';
import { addTrustPolicy, listTrustPolicies, removeTrustPolicy, TrustInputError, type TrustAdmin } from '../lib/app/admin/trust.ts';
import { DEFAULT_MAX_LIFETIME_SECONDS, parseLifetime } from '../lib/domain/trust.ts';
import { TrustPolicyRepository } from '../lib/store/trust-policies.ts';
import { addFeed, listAllFeeds, removeFeed } from '../lib/app/admin/feeds.ts';
import { applyRetention, setRetention } from '../lib/app/admin/retention.ts';
import { EXPORT_FORMATS, exportFeed, importFeed, readLines, type ExportFormat } from '../lib/app/admin/transfer.ts';
import { addKey, listKeys, revokeKey } from '../lib/app/admin/keys.ts';
import { addWebhook, listWebhooks, removeWebhook, WebhookUrlRefused } from '../lib/app/admin/webhooks.ts';
import { PRIVILEGES, VIEW_AND_DOWNLOAD, type Privilege } from '../lib/domain/auth.ts';
import { parseInstant } from '../lib/domain/dates.ts';
import { required } from '../lib/domain/deployment.ts';
import { WEBHOOK_FORMATS, type WebhookFormat } from '../lib/domain/events.ts';
import { parseRetainDays } from '../lib/domain/retention.ts';
import { maskedUrl } from '../lib/domain/webhooks.ts';
import { ApiKeyRepository } from '../lib/store/api-keys.ts';
import { createDocumentClient } from '../lib/store/client.ts';
import { loadConfig } from '../lib/store/config.ts';
import { FeedRepository } from '../lib/store/feeds.ts';
import { WebhookRepository } from '../lib/store/webhooks.ts';

const USAGE = `Usage: npm run -s admin -- <command>

  feeds add NAME [--anonymous] [--take-over]
                                 add a feed; --anonymous lets anonymous users view it and record deployments.
                                 If records of a removed feed of that name are stored, it refuses and says how
                                 many: --take-over adopts them into the new feed (or purge them first)
  feeds list                     list feeds (and how long each keeps its history)
  feeds set NAME --retain-days N|forever
                                 keep the feed's history records N days after their Date (1 to 36500), or forever
                                 (the default); what a target runs now is kept whatever its age, and so are the
                                 deployment counters. Says how many stored records change: rewrite them with
                                 retention apply
  retention apply --feed NAME [--from-cursor TOKEN]
                                 give the feed's stored records the expiry its retention wants, page by page, with a
                                 progress line on stderr; interrupted, it resumes from the TOKEN last printed
  export --feed NAME [--from ISO] [--to ISO] [--format jsonl|csv] [--out FILE]
                                 write every history record of the feed the reads show (all regions, in Date order,
                                 Date within --from/--to if given) as JSON Lines (default; what import reads) or CSV
                                 (RFC 4180, formula-like cells prefixed with '), to FILE or standard output; progress
                                 on stderr
  import --feed NAME FILE [--dry-run]
                                 restore an export's JSON Lines into the (existing) feed: records whose Id is there
                                 already are skipped, no events are announced; a malformed line is reported by its
                                 number and the rest go in. --dry-run counts only
  feeds remove NAME [--purge]    remove a feed, its webhooks and its trust policies; its deployment records are kept,
                                 unless --purge, which deletes them (history, current versions, Idempotency-Key
                                 claims); --purge also deletes the records of a feed removed earlier
  keys add --user NAME [--feed NAME]... [--privilege NAME]... [--expires ISO] [--key VALUE|-]
                                 add an API key acting as user NAME, for the named (existing) feeds, bound to
                                 them, not to their names (default: all feeds),
                                 with the named privileges (default: Feeds_ViewFeed, Feeds_DownloadPackage);
                                 prints the key alone on the last line. --key imports an existing (ProGet) key,
                                 '-' reads it from standard input (printable ASCII, no spaces or commas);
                                 otherwise 256 random bits are generated.
  keys list                      list keys (never the keys themselves)
  keys revoke ID                 revoke a key by its id
  counters backfill [--feed NAME]
                                 after upgrading: rebuild the deployment-frequency counters from the history (idempotent:
                                 counts are set, not added) and bring current items written before the overview up to
                                 date (its index keys, the version each target ran before); one Scan of the table
  webhooks add --feed NAME --url URL [--secret S] [--format json|slack]
                                 POST each new deployment record of the (existing) feed to URL (https, public
                                 addresses only; http://127.0.0.1 too when the tables are local); signed with the
                                 secret (X-Deployment-Signature-256; --secret: at least 16 characters). Prints the
                                 webhook's id and, when generated (256 random bits), the secret alone on the last
                                 line; it is not shown again (lost: remove the webhook and add it anew). --format
                                 slack posts a Slack incoming-webhook message instead of the event.
  webhooks list                  list webhooks (never their secrets; URLs as scheme, host and port, since a
                                 path may be a credential, as Slack's are)
  webhooks remove ID             remove a webhook by its id
  trust add --feed NAME (--github OWNER/REPO [--workflow FILE] | --gitlab GROUP/PROJECT | --issuer URL)
            [--environment E] [--ref R] [--claim NAME=VALUE]... [--audience URL] [--privileges record|record,view]
            [--name LABEL] [--max-lifetime 1h]
                                 let the (existing) feed trust the OpenID Connect identity tokens of a CI job
                                 (keyless pipelines, see docs/pipelines.md): their issuer, audience and claims
                                 (--claim: exact; GitHub's repository/repository_owner in any case; at least one of
                                 repository, repository_id, project_path, project_id). --github/--gitlab fill issuer
                                 and claims (--ref main: refs/heads/main on GitHub). The audience defaults to the
                                 service's base URL (PACKAGE_DEPLOYMENT_URL; http://127.0.0.1:$PORT for local tables).
                                 Privileges default to record; --max-lifetime caps exp - iat (default 1h). Prints
                                 the policy's id. Issuers: https (http://127.0.0.1 too when the tables are local)
  trust list [--feed NAME]       list trust policies
  trust remove ID                remove a trust policy by its id

DynamoDB: AWS_ENDPOINT_URL_DYNAMODB (e.g. http://127.0.0.1:8000 while npm start runs) or your AWS credentials
and AWS_REGION. Tables: DEPLOYMENTS_TABLE, FEEDS_TABLE, API_KEYS_TABLE, IDEMPOTENCY_TABLE, WEBHOOKS_TABLE.
Privileges: ${PRIVILEGES.join(', ')}.`;

class UsageError extends Error {}

/** What each command takes: how many arguments, which options. Anything else is a usage error. */
const COMMANDS: Record<string, { args: number; options: string[] }> = {
  'feeds add': { args: 1, options: ['anonymous', 'take-over'] },
  'feeds list': { args: 0, options: [] },
  'feeds remove': { args: 1, options: ['purge'] },
  'feeds set': { args: 1, options: ['retain-days'] },
  'retention apply': { args: 0, options: ['feed', 'from-cursor'] },
  export: { args: 0, options: ['feed', 'from', 'to', 'format', 'out'] },
  import: { args: 1, options: ['feed', 'dry-run'] },
  'keys add': { args: 0, options: ['user', 'feed', 'privilege', 'expires', 'key'] },
  'keys list': { args: 0, options: [] },
  'keys revoke': { args: 1, options: [] },
  'counters backfill': { args: 0, options: ['feed'] },
  'webhooks add': { args: 0, options: ['feed', 'url', 'secret', 'format'] },
  'webhooks list': { args: 0, options: [] },
  'webhooks remove': { args: 1, options: [] },
  'trust add': {
    args: 0,
    options: ['feed', 'issuer', 'audience', 'claim', 'privileges', 'name', 'max-lifetime', 'github', 'gitlab', 'environment', 'ref', 'workflow'],
  },
  'trust list': { args: 0, options: ['feed'] },
  'trust remove': { args: 1, options: [] },
};

/**
 * Loopback receivers (and plain http) are accepted when the tables are a local engine's, whose dispatcher is
 * `npm start` (which allows them), or with WEBHOOKS_ALLOW_LOOPBACK=true for another local engine (a DynamoDB Local in
 * a container); never for AWS's tables (no AWS_ENDPOINT_URL_DYNAMODB, or one of AWS's), whatever the shell exports.
 */
const localTables = (): boolean => {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint || !URL.canParse(endpoint)) return false;
  const host = new URL(endpoint).hostname;
  if (/(^|\.)amazonaws\.com(\.cn)?$|(^|\.)api\.aws$/i.test(host)) return false;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(host) || process.env.WEBHOOKS_ALLOW_LOOPBACK === 'true';
};

/**
 * A trust policy's default audience: the service's base URL as pipelines pass it in --url (PACKAGE_DEPLOYMENT_URL),
 * or npm start's for local tables; on AWS without it, --audience is needed.
 */
const defaultAudience = (): string => {
  const given = process.env.PACKAGE_DEPLOYMENT_URL?.trim();
  if (given) return given.replace(/\/+$/, '');
  if (localTables()) return `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  throw new UsageError('trust add needs --audience URL (the service base URL your pipelines use), or PACKAGE_DEPLOYMENT_URL set to it');
};

/** A name checked as the API checks the same field (trimmed, visible, within its limit, no control characters). */
const name = (field: 'FeedName' | 'UserName', what: string, raw: string | undefined): string => {
  const parsed = required(field).safeParse(raw ?? '');
  if (!parsed.success) throw new UsageError(`${what} ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
  return parsed.data;
};

const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

const readKeyFromStdin = (): string => readFileSync(0, 'utf8').trim();

const OPTIONS = {
  anonymous: { type: 'boolean' },
  'take-over': { type: 'boolean' },
  purge: { type: 'boolean' },
  user: { type: 'string' },
  feed: { type: 'string', multiple: true },
  privilege: { type: 'string', multiple: true },
  expires: { type: 'string' },
  key: { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  format: { type: 'string' },
  issuer: { type: 'string' },
  audience: { type: 'string' },
  claim: { type: 'string', multiple: true },
  privileges: { type: 'string' },
  name: { type: 'string' },
  'max-lifetime': { type: 'string' },
  github: { type: 'string' },
  gitlab: { type: 'string' },
  environment: { type: 'string' },
  ref: { type: 'string' },
  workflow: { type: 'string' },
  'retain-days': { type: 'string' },
  'from-cursor': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof OPTIONS }>>['values'];

/** A command, its argument and options, checked against COMMANDS; undefined when help is asked for. */
const parseCommand = (argv: string[]): { command: string; arg: string | undefined; values: Values } | undefined => {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  const [noun, verb, ...rest] = positionals;
  if (values.help || noun === undefined || noun === 'help') return undefined;
  // One-word commands (export, import) take what follows as their arguments.
  const single = COMMANDS[noun] !== undefined;
  const command = single ? noun : `${noun} ${verb ?? ''}`.trim();
  const args = single ? positionals.slice(1) : rest;
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  if (args.length > spec.args) throw new UsageError(`unexpected argument ${args[spec.args]}`);
  const stray = Object.keys(values).filter((o) => !spec.options.includes(o));
  if (stray.length > 0) throw new UsageError(`${command} takes no --${stray[0]}`);
  return { command, arg: args[0], values };
};

type Context = {
  arg: string | undefined;
  values: Values;
  deps: AdminDependencies;
  trust: TrustAdmin;
  out: (line: string) => void;
  /** Progress and notes that must not mix with an output on stdout (export's records). */
  err: (line: string) => void;
};

/** Exactly one --feed NAME, checked as the API checks the field. */
const oneFeed = (command: string, values: Values): string => {
  if (values.feed === undefined || values.feed.length !== 1) throw new UsageError(`${command} needs exactly one --feed NAME`);
  return name('FeedName', '--feed', values.feed[0]!);
};

const instantOption = (option: string, raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const parsed = parseInstant(raw);
  if (!parsed.ok) throw new UsageError(`--${option} ${parsed.reason}`);
  return parsed.iso;
};

/**
 * Export's memory: what it holds at any time is one page, but V8 grows its heap lazily, so the garbage of a long
 * export (the SDK's parsed pages, the written text) would push the process's resident size far above what it uses:
 * measured for 100,000 records, 218 MB without collections (the CLI itself takes about 115 MB), 138 MB with a full
 * collection every 2 pages (1,000 records; 5.4 s instead of 3.9 s against a local dynalite), 129 MB with one every
 * page (9.2 s). gc() is V8's, exposed at run time (the flag applies to contexts created after it, hence the new one);
 * chosen over running the export with heap-size flags, which would take a second process.
 */
const COLLECT_EVERY_PAGES = 2;
const fullCollection = (): (() => void) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
};

/** At most one progress line a second (and the last one always, by the caller). */
const throttled = (print: (line: string) => void) => {
  let last = 0;
  return (line: string) => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    print(line);
  };
};

/** The options of `keys add`, checked before anything is written. */
const newKeyOptions = (values: Values) => {
  if (values.user === undefined) throw new UsageError('keys add needs --user NAME');
  const user = name('UserName', '--user', values.user);
  const privileges = values.privilege ?? VIEW_AND_DOWNLOAD;
  const unknown = privileges.filter((p) => !(PRIVILEGES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new UsageError(`unknown privilege ${unknown.join(', ')}; known: ${PRIVILEGES.join(', ')}`);
  let expiresAt: string | undefined;
  if (values.expires !== undefined) {
    const parsed = parseInstant(values.expires);
    if (!parsed.ok) throw new UsageError(`--expires ${parsed.reason}`);
    if (Date.parse(parsed.iso) <= Date.now()) throw new UsageError('--expires is in the past');
    expiresAt = parsed.iso;
  }
  const key = (values.key === '-' ? readKeyFromStdin() : values.key)?.trim();
  if (key !== undefined && key.length < 8) throw new UsageError('an imported key must have at least 8 characters');
  // An HTTP header carries printable ASCII reliably, nothing else; repeated headers and query parameters reach
  // the service joined with commas, so a key cannot contain one.
  if (key !== undefined && !/^[\x21-\x7e]+$/.test(key)) {
    throw new UsageError('an imported key must be printable ASCII (characters 0x21 to 0x7E: no spaces, no accents or other Unicode)');
  }
  if (key !== undefined && key.includes(',')) throw new UsageError('an imported key cannot contain commas');
  const feedNames = (values.feed ?? []).map((f) => name('FeedName', '--feed', f));
  return { user, privileges: privileges as Privilege[], expiresAt, key, feedNames };
};

const HANDLERS: Record<string, (c: Context) => Promise<void>> = {
  'feeds add': async ({ arg, values, deps, out }) => {
    if (arg === undefined) throw new UsageError('feeds add needs a NAME');
    const feed = name('FeedName', 'a feed name', arg);
    const anonymous = values.anonymous ? VIEW_AND_DOWNLOAD : [];
    const takeOver = values['take-over'] === true;
    const { staleWebhooks, adopted } = await addFeed(deps, { name: feed, anonymous, takeOver });
    if (staleWebhooks > 0) out(`Removed ${staleWebhooks} webhook(s) left under the name by a feed removed earlier: the new feed starts without them.`);
    out(`Added feed ${feed}${values.anonymous ? ` (anonymous users: ${anonymous.join(', ')})` : ''}.`);
    if (adopted !== undefined)
      out(adopted > 0 ? `It took over ${adopted} deployment record(s) stored under that name.` : 'There were no records to take over.');
  },
  'feeds list': async ({ deps, out }) => {
    const list = await listAllFeeds(deps);
    if (list.length === 0) return out('No feeds.');
    out(
      table([
        ['NAME', 'ANONYMOUS', 'CREATED', 'ID', 'HISTORY KEPT'],
        ...list.map((f) => [
          f.displayName,
          f.anonymousPrivileges.join(',') || '-',
          f.createdAt,
          f.id,
          f.retainDays === undefined ? 'forever' : `${f.retainDays} days`,
        ]),
      ]),
    );
  },
  'feeds remove': async ({ arg, values, deps, out }) => {
    // Trimmed as `feeds add` trims; not otherwise checked, so that a feed stored under an older rule can go.
    const feed = arg?.trim();
    if (!feed) throw new UsageError('feeds remove needs a NAME');
    const { removed, webhooks: hooks, trustPolicies, purged } = await removeFeed(deps, { name: feed, purge: values.purge === true });
    if (hooks > 0) out(`Removed ${removed ? 'its' : 'the'} ${hooks} webhook(s) stored under the name ${feed}.`);
    if (trustPolicies > 0) out(`Removed ${removed ? 'its' : 'the'} ${trustPolicies} trust policy(ies) stored under the name ${feed}.`);
    if (!purged) {
      // Not removed now but webhooks were: an earlier run removed the feed and stopped before its webhooks, now done.
      if (removed) out(`Removed feed ${feed}; its deployment records are kept (a feed added later under this name must take them over).`);
      return;
    }
    // Purging again is what the docs advise after the lookup cache's TTL: nothing left is not a failure.
    if (!removed && purged.history === 0 && purged.current === 0 && purged.claims === 0) {
      out(`No feed named ${feed}, and nothing stored under that name: nothing to purge.`);
      return;
    }
    out(
      `${removed ? `Removed feed ${feed}` : `No feed named ${feed} exists`}; deleted ${purged.history} deployment record(s), ` +
        `${purged.current} current-version item(s) and ${purged.claims} Idempotency-Key claim(s) stored under that name.`,
    );
    if (removed) {
      out(
        'Running functions may still know the feed for LOOKUP_CACHE_TTL_SECONDS (default 30 s); purge again after that to be sure nothing was recorded meanwhile.',
      );
    }
  },
  'feeds set': async ({ arg, values, deps, out }) => {
    if (arg === undefined) throw new UsageError('feeds set needs a NAME');
    const feed = arg.trim();
    if (values['retain-days'] === undefined) throw new UsageError('feeds set needs --retain-days N or --retain-days forever');
    const parsed = parseRetainDays(values['retain-days']);
    if (!parsed.ok) throw new UsageError(`--retain-days ${parsed.reason}`);
    const { feed: set, toChange } = await setRetention(deps, { name: feed, retainDays: parsed.days, now: new Date() });
    out(
      `Feed ${set.displayName} keeps its history ${parsed.days === undefined ? 'forever' : `${parsed.days} day(s) after each record's Date`}; what its targets run now is always kept.`,
    );
    out(
      toChange === 0
        ? 'No stored record needs a new expiry.'
        : `${toChange} stored record(s) need a new expiry: run retention apply --feed ${set.displayName} (new records follow the setting within LOOKUP_CACHE_TTL_SECONDS).`,
    );
  },
  'retention apply': async ({ values, deps, out, err }) => {
    const feed = oneFeed('retention apply', values);
    const progress = (p: { read: number; changed: number; next?: string | undefined }) =>
      `retention apply: ${p.read} record(s) read, ${p.changed} expiry(ies) rewritten${p.next ? `; to resume: --from-cursor ${p.next}` : ''}`;
    const print = throttled(err);
    const r = await applyRetention(deps, { name: feed, after: values['from-cursor'], now: new Date(), onPage: (p) => print(progress(p)) });
    out(
      `Feed ${r.feed.displayName} (history kept ${r.feed.retainDays === undefined ? 'forever' : `${r.feed.retainDays} day(s)`}): ${r.read} record(s) read, ${r.changed} expiry(ies) rewritten.`,
    );
  },
  export: async ({ values, deps, err }) => {
    const feed = oneFeed('export', values);
    const format = (values.format ?? 'jsonl') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}`);
    const from = instantOption('from', values.from);
    const to = instantOption('to', values.to);
    if (from !== undefined && to !== undefined && from > to) throw new UsageError('--from is after --to');
    const sink = values.out === undefined ? process.stdout : createWriteStream(values.out);
    let failed: Error | undefined;
    sink.on('error', (e) => (failed = e));
    // Resolves when the output has taken the text (after 'drain' when its buffer is full): memory holds one page.
    const write = (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (failed) return reject(failed);
        if (sink.write(text)) return resolve();
        const drained = () => {
          sink.off('error', reject);
          resolve();
        };
        sink.once('drain', drained);
        sink.once('error', reject);
      });
    const print = throttled(err);
    const collect = fullCollection();
    let pages = 0;
    const onPage = (n: number) => {
      print(`export: ${n} record(s)`);
      if (++pages % COLLECT_EVERY_PAGES === 0) collect();
    };
    const { exported } = await exportFeed(deps, { name: feed, from, to, format, now: new Date(), write, onPage });
    if (sink !== process.stdout) {
      sink.end();
      await finished(sink);
    }
    err(`export: ${exported} record(s) of feed ${feed} written${values.out !== undefined ? ` to ${values.out}` : ''} (${format}).`);
  },
  import: async ({ arg, values, deps, out, err }) => {
    const feed = oneFeed('import', values);
    if (arg === undefined) throw new UsageError('import needs a FILE (an export in JSON Lines)');
    const dryRun = values['dry-run'] === true;
    const lines = readLines(createReadStream(arg));
    const print = throttled(err);
    const r = await importFeed(deps, {
      name: feed,
      lines,
      dryRun,
      now: new Date(),
      onMalformed: (line, detail) => err(`${arg}:${line}: ${detail}`),
      onProgress: (p, line) => print(`import: line ${line}: ${p.imported} imported, ${p.skipped} already there, ${p.malformed} malformed`),
    });
    out(
      `${dryRun ? 'Dry run: would import' : 'Imported'} ${r.imported} record(s) into feed ${r.feed.displayName}; ${r.skipped} already there (skipped)` +
        `${r.malformed > 0 ? `; ${r.malformed} malformed line(s) not imported (listed above)` : ''}.`,
    );
    if (r.malformed > 0) throw new Error(`${r.malformed} line(s) of ${arg} were not imported; fix them and import the file again (the rest is skipped then).`);
  },
  'keys add': async ({ values, deps, out }) => {
    const request = newKeyOptions(values);
    const { user, privileges, expiresAt, feedNames } = request;
    const created = await addKey(deps, request);
    out(
      `Added key ${created.record.id} acting as ${user} on ${feedNames.length ? feedNames.join(', ') : 'all feeds'} with ${privileges.join(', ')}${expiresAt ? `, expiring ${expiresAt}` : ''}.`,
    );
    out(`Store it now; only its SHA-256 is kept. Key:`);
    out(created.key);
  },
  'keys list': async ({ deps, out }) => {
    const list = await listKeys(deps, new Date());
    if (list.length === 0) return out('No keys.');
    out(
      table([
        ['ID', 'USER', 'FEEDS', 'PRIVILEGES', 'EXPIRES', 'STATUS'],
        ...list.map((k) => [k.id, k.user, k.feedNames.join(','), k.privileges.join(','), k.expiresAt ?? '-', k.status]),
      ]),
    );
  },
  'keys revoke': async ({ arg, deps, out }) => {
    if (!arg) throw new UsageError('keys revoke needs an ID (see keys list)');
    await revokeKey(deps, arg);
    out(`Revoked key ${arg}; running functions stop accepting it within LOOKUP_CACHE_TTL_SECONDS (default 30 s).`);
  },
  'counters backfill': async ({ values, deps, out }) => {
    const given = values.feed ?? [];
    if (given.length > 1) throw new UsageError('counters backfill takes at most one --feed');
    const feed = given[0] === undefined ? undefined : name('FeedName', '--feed', given[0]);
    const r = await backfillCounters(deps, feed);
    out(
      `Counted ${r.records} records${feed ? ` of feed ${feed}` : ''}: ${r.counters} counters set, ${r.countersRemoved} other counter items removed` +
        `${r.summariesInvalidated ? `, ${r.summariesInvalidated} day summaries marked for rebuilding` : ''}; ` +
        `${r.currentUpdated} current items updated${r.currentSkipped ? `, ${r.currentSkipped} left as a newer record wrote them` : ''}.`,
    );
  },
  'webhooks add': async ({ values, deps, out }) => {
    if (values.feed === undefined || values.feed.length !== 1) throw new UsageError('webhooks add needs exactly one --feed NAME');
    const feedName = name('FeedName', '--feed', values.feed[0]!);
    if (values.url === undefined) throw new UsageError('webhooks add needs --url URL');
    const format = (values.format ?? 'json') as WebhookFormat;
    if (!(WEBHOOK_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be ${WEBHOOK_FORMATS.join(' or ')}`);
    if (values.secret !== undefined && values.secret.length < 16) throw new UsageError('--secret must have at least 16 characters');
    const added = await addWebhook(deps, { feedName, url: values.url, secret: values.secret, format, policy: { allowLoopback: localTables() } }).catch(
      (e: unknown) => {
        // Not a usage error: the command was right, the URL is not one deliveries may go to (exit 1, one line).
        throw e instanceof WebhookUrlRefused ? new Error(`--url refused: ${e.message}`) : e;
      },
    );
    const { webhook, sameUrl } = added;
    if (sameUrl.length > 0) {
      console.error(
        `warning: feed ${webhook.feedName} already has ${sameUrl.length} webhook(s) to this URL (${sameUrl.map((w) => w.id).join(', ')}); each delivers every event, ` +
          'signed with its own secret. Lost a secret? Remove the old webhook (webhooks remove ID).',
      );
    }
    out(`Added webhook ${webhook.id}: ${format} deliveries of feed ${webhook.feedName}'s new deployment records to ${maskedUrl(webhook.url)}`);
    if (added.generated) {
      out('Store the secret now; it verifies X-Deployment-Signature-256 and is not shown again. Secret:');
      out(added.secret);
    }
  },
  'webhooks list': async ({ deps, out }) => {
    const list = await listWebhooks(deps);
    if (list.length === 0) return out('No webhooks.');
    out(table([['ID', 'FEED', 'FORMAT', 'URL', 'CREATED'], ...list.map((w) => [w.id, w.feedName, w.format, maskedUrl(w.url), w.createdAt])]));
  },
  'trust add': async ({ values, trust, out }) => {
    if (values.feed === undefined || values.feed.length !== 1) throw new UsageError('trust add needs exactly one --feed NAME');
    if (values.github !== undefined && values.gitlab !== undefined) throw new UsageError('trust add takes --github or --gitlab, not both');
    const platform = values.github !== undefined ? 'github' : values.gitlab !== undefined ? 'gitlab' : undefined;
    if (!platform && (values.environment !== undefined || values.ref !== undefined || values.workflow !== undefined)) {
      throw new UsageError('--environment, --ref and --workflow go with --github or --gitlab (otherwise: --claim NAME=VALUE)');
    }
    const privileges = (values.privileges ?? 'record').split(',').map((p) => p.trim());
    if (!privileges.every((p) => p === 'record' || p === 'view')) throw new UsageError('--privileges takes record or record,view');
    const audience = values.audience ?? defaultAudience();
    let maxLifetimeSeconds = DEFAULT_MAX_LIFETIME_SECONDS;
    try {
      if (values['max-lifetime'] !== undefined) maxLifetimeSeconds = parseLifetime(values['max-lifetime']);
      const policy = await addTrustPolicy(trust, {
        feed: name('FeedName', '--feed', values.feed[0]!),
        issuer: values.issuer,
        audience,
        claims: values.claim ?? [],
        shorthand: platform && {
          platform,
          path: (platform === 'github' ? values.github : values.gitlab)!,
          environment: values.environment,
          ref: values.ref,
          workflow: values.workflow,
        },
        privileges: privileges as Array<'record' | 'view'>,
        name: values.name,
        maxLifetimeSeconds,
      });
      out(`Added trust policy ${policy.id} on feed ${values.feed[0]}: tokens of ${policy.issuer} with audience ${policy.audience}`);
      out(
        `  claims: ${Object.entries(policy.claims)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}; privileges: ${policy.privileges.join(', ')}; max lifetime ${policy.maxLifetimeSeconds} s`,
      );
      out(policy.id);
    } catch (e) {
      if (e instanceof TrustInputError || (e instanceof Error && e.message.startsWith('--max-lifetime'))) throw new UsageError(e.message);
      throw e;
    }
  },
  'trust list': async ({ values, trust, out }) => {
    if ((values.feed?.length ?? 0) > 1) throw new UsageError('trust list takes at most one --feed');
    const list = await listTrustPolicies(trust, values.feed?.[0]);
    if (list.length === 0) return out('No trust policies.');
    out(
      table([
        ['ID', 'FEED', 'NAME', 'ISSUER', 'AUDIENCE', 'CLAIMS', 'PRIVILEGES', 'MAX LIFETIME', 'CREATED'],
        ...list.map((p) => [
          p.id,
          p.feedRemoved ? `${p.feedDisplayName} (removed)` : p.feedDisplayName,
          p.name ?? '-',
          p.issuer,
          p.audience,
          Object.entries(p.claims)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
          p.privileges.join(','),
          `${p.maxLifetimeSeconds}s`,
          p.createdAt,
        ]),
      ]),
    );
  },
  'trust remove': async ({ arg, trust, out }) => {
    if (!arg?.trim()) throw new UsageError('trust remove needs an ID (see trust list)');
    if (!(await removeTrustPolicy(trust, arg))) throw new Error(`No trust policy with id ${arg.trim()}.`);
    out(`Removed trust policy ${arg.trim()}; running functions stop accepting its tokens within LOOKUP_CACHE_TTL_SECONDS (default 30 s).`);
  },
  'webhooks remove': async ({ arg, deps, out }) => {
    if (!arg?.trim()) throw new UsageError('webhooks remove needs an ID (see webhooks list)');
    out(`Removed webhook ${await removeWebhook(deps, arg)}.`);
  },
};

export const run = async (argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<void> => {
  const parsed = parseCommand(argv);
  if (!parsed) return out(USAGE);
  const handler = HANDLERS[parsed.command];
  if (!handler) throw new Error(`${parsed.command} is declared but not implemented`);
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB) {
    // A local engine accepts any region and credentials.
    process.env.AWS_REGION ??= 'local';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  const config = loadConfig();
  const client = createDocumentClient();
  const feeds = new FeedRepository(client, config.feedsTable, { deployments: config.deploymentsTable, idempotency: config.idempotencyTable });
  const keys = new ApiKeyRepository(client, config.apiKeysTable, config.feedsTable);
  const webhooks = new WebhookRepository(client, config.webhooksTable);
  const trustPolicies = new TrustPolicyRepository(client, config.apiKeysTable);
  const trust: TrustAdmin = { feeds, policies: trustPolicies, allowLoopbackIssuers: localTables() };
  try {
    const deps = { feeds, keys, webhooks, trustPolicies, client, deploymentsTable: config.deploymentsTable, idempotencyTable: config.idempotencyTable };
    await handler({ arg: parsed.arg, values: parsed.values, deps, trust, out, err });
  } finally {
    client.destroy();
  }
};

/**
 * The SDK's own words when it has no DynamoDB to go to (no AWS_ENDPOINT_URL_DYNAMODB, and no region or no
 * credentials for AWS), as one line saying what to set; undefined for any other error.
 */
export const noDynamoDbHint = (e: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (env.AWS_ENDPOINT_URL_DYNAMODB) return undefined;
  const { message, name } = e as Error;
  if (message !== 'Region is missing' && name !== 'CredentialsProviderError') return undefined;
  return (
    `no DynamoDB to use (${message}): set AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 (the URL npm start prints), ` +
    `or AWS credentials plus the stage's AWS_REGION and table names: eval "$(npm run -s stage-env -- --stage STAGE --region REGION)"`
  );
};

if (import.meta.main) {
  try {
    await run(process.argv.slice(2));
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`error: ${noDynamoDbHint(e) ?? (e as Error).message}${usage ? '\n\n' + USAGE : ''}`);
    process.exitCode = usage ? 2 : 1;
  }
}
