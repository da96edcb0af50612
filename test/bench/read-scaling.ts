/**
 * Reads cost O(page), not O(history): the same read API queries against a package with 100 records and one with
 * 100,000, in the same local DynamoDB, interleaved, through the real query-deployments handler. Prints, per query,
 * the median time for each, their ratio, and the items DynamoDB read (ScannedCount), which must not grow with history.
 *
 * The overview row compares two feeds of 1,000 packages x 10 targets (10,000 current items each, written directly),
 * one with 100 history records and one with 100,000 (spread over its packages): its first page (50 packages, so about
 * 500 current items) must read the same items in both, and take no more than 1.2 times as long.
 *
 * The affected row asks which of one package's 1,000 targets run a version in a range, in two feeds whose history of
 * that package holds 100 and 100,000 records: it reads the package's current items only, so the same items in both,
 * and takes no more than 1.2 times as long.
 *
 * The DORA row compares two feeds whose counters hold 100 and 100,000 deployments over 90 closed days (every tenth
 * failed, every one with a lead time, every fiftieth a restore), written as the record transaction writes them (one
 * item per day, region and shard, with `count`, `failed` and the lists of lead and restore times). The first read of
 * each builds the days' summaries (lib/domain/day-summaries.ts; its time is printed below the table); the rounds then
 * read one summary per day: the same 90 items in both, and a ratio of at most 1.2.
 *
 *   npm run bench:read            (dynalite; DYNAMODB_ENGINE=dynamodb-local for Amazon's DynamoDB Local)
 *   BIG=20000 npm run bench:read  (a smaller history, for a quicker look)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { performance } from 'node:perf_hooks';
import { ensureTables, localClientConfig, startEngine, type Engine } from '../../infra/local/dynamodb.ts';
import { lambdaContext } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { COUNTER_SHARDS, counterPartitionKey, counterSortKey } from '../../lib/domain/keys.ts';
import { currentItem, historyItem, putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { lambdaEnvironment } from '../support/lambda-env.ts';

const BIG = Number(process.env.BIG ?? 100_000);
const SMALL = 100;
const TARGETS = 50;
const ROUNDS = Number(process.env.ROUNDS ?? 40);
const FEED = 'Bench';
const TABLES = { deployments: 'bench-deployments', feeds: 'bench-feeds', apiKeys: 'bench-api-keys', idempotency: 'bench-idempotency' };

const engine = (process.env.DYNAMODB_ENGINE ?? 'dynalite') as Engine;
const db = await startEngine(engine, { port: 0 });
Object.assign(process.env, {
  ...lambdaEnvironment(TABLES, db.endpoint),
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
});
const raw = new DynamoDBClient(localClientConfig(db.endpoint));
await ensureTables(raw, TABLES);
const client = DynamoDBDocumentClient.from(raw);
await new FeedRepository(client, TABLES.feeds, TABLES).add(FEED, VIEW_AND_DOWNLOAD);

const record = (packageName: string, i: number): NewDeployment => ({
  feedName: FEED,
  packageName,
  version: `1.0.${Math.floor(i / 1000)}`,
  target: `web${String(i % TARGETS).padStart(2, '0')}`,
  application: 'bench',
  description: 'Deployed by the benchmark',
  userName: 'bench',
  // One record a minute, oldest first.
  date: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
  receivedAt: new Date().toISOString(),
  region: 'eu-west-1',
  keyId: 'anonymous',
});

/** History in bulk (BatchWriteItem), then the newest record per target through putDeployment (history + current). */
const load = async (packageName: string, count: number): Promise<void> => {
  const bulk = count - TARGETS;
  const batches: NewDeployment[][] = [];
  for (let i = 0; i < bulk; i += 25) batches.push(Array.from({ length: Math.min(25, bulk - i) }, (_, j) => record(packageName, i + j)));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let requests = batch.map((r, j) => ({ PutRequest: { Item: historyItem(r, `${r.date}#${packageName}${j}`) } }));
      while (requests.length > 0) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [TABLES.deployments]: requests } }));
        requests = (out.UnprocessedItems?.[TABLES.deployments] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (let i = bulk; i < count; i++) await putDeployment(client, TABLES, record(packageName, i));
};

const OVERVIEW_PACKAGES = 1000;
const OVERVIEW_TARGETS = 10;
const OVERVIEW_FEEDS = { small: 'OverviewSmall', big: 'OverviewBig' } as const;

const writeAll = async (items: Array<Record<string, unknown>>): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      let requests = items.slice(next, (next += 25)).map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [TABLES.deployments]: requests } }));
        requests = (out.UnprocessedItems?.[TABLES.deployments] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
};

/**
 * Two feeds of 1,000 packages x 10 targets: `history[feed]` records spread over each feed's packages and targets, then
 * the current items of both, interleaved, so that neither feed's items are fresher in the engine's storage (LevelDB
 * reads recently written data from less compacted files, which would time the write order, not the history).
 */
const loadOverviews = async (history: Record<string, number>): Promise<void> => {
  const at = (feed: string, i: number, p: number, t: number, version: string): NewDeployment => ({
    ...record(`Package.${String(p).padStart(4, '0')}`, i),
    feedName: feed,
    target: `web${String(t).padStart(2, '0')}`,
    version,
  });
  for (const [feed, count] of Object.entries(history)) {
    const records = Array.from({ length: count }, (_, i) => {
      const slot = i % (OVERVIEW_PACKAGES * OVERVIEW_TARGETS);
      return historyItem(at(feed, i, Math.floor(slot / OVERVIEW_TARGETS), slot % OVERVIEW_TARGETS, `1.0.${i}`), `${feed}${String(i).padStart(8, '0')}`);
    });
    await writeAll(records);
  }
  // Each target's current item, with the version it ran before; every third package has drifted.
  const currents = [];
  for (let p = 0; p < OVERVIEW_PACKAGES; p++) {
    for (let t = 0; t < OVERVIEW_TARGETS; t++) {
      for (const [feed, count] of Object.entries(history)) {
        const version = p % 3 === 0 && t === 0 ? '2.0.0' : '2.1.0';
        const latest = historyItem(at(feed, count + p * OVERVIEW_TARGETS + t, p, t, version), `${feed}-current-${p}-${t}`);
        currents.push({ ...currentItem(latest), previousVersion: '1.9.0' });
      }
    }
  }
  await writeAll(currents);
};

const AFFECTED_TARGETS = 1000;
const AFFECTED_FEEDS = { small: 'AffectedSmall', big: 'AffectedBig' } as const;
const AFFECTED_PACKAGE = 'Affected.Package';

/** One package on 1,000 targets in each feed (every third runs 2.0.0, the rest 2.1.0), after `history[feed]` records. */
const loadAffected = async (history: Record<string, number>): Promise<void> => {
  const at = (feed: string, i: number, t: number, version: string): NewDeployment => ({
    ...record(AFFECTED_PACKAGE, i),
    feedName: feed,
    target: `host${String(t).padStart(4, '0')}`,
    version,
  });
  for (const [feed, count] of Object.entries(history)) {
    await writeAll(Array.from({ length: count }, (_, i) => historyItem(at(feed, i, i % AFFECTED_TARGETS, `1.0.${i}`), `${feed}${String(i).padStart(8, '0')}`)));
  }
  const currents = [];
  for (let t = 0; t < AFFECTED_TARGETS; t++) {
    for (const [feed, count] of Object.entries(history)) {
      const latest = historyItem(at(feed, count + t, t, t % 3 === 0 ? '2.0.0' : '2.1.0'), `${feed}-current-${t}`);
      currents.push({ ...currentItem(latest), previousVersion: '1.9.0' });
    }
  }
  await writeAll(currents);
};

const DORA_FEEDS = { small: 'DoraSmall', big: 'DoraBig' } as const;
const DORA_DAYS = 90;
const DORA_TO = '2020-03-30';
const DORA_FROM = new Date(Date.parse(DORA_TO) - (DORA_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);

/** A feed's counter items for `count` deployments spread over the 90 days and the 10 shards. */
const loadDoraCounters = async (feed: string, count: number): Promise<void> => {
  const items = new Map<string, { pk: string; sk: string; count: number; failed: number; leadTimes: number[]; restoreTimes: number[] }>();
  const pk = counterPartitionKey({ feed });
  for (let i = 0; i < count; i++) {
    const day = new Date(Date.parse(DORA_FROM) + (i % DORA_DAYS) * 86_400_000).toISOString().slice(0, 10);
    const sk = counterSortKey(day, 'eu-west-1', Math.floor(i / DORA_DAYS) % COUNTER_SHARDS);
    const item = items.get(sk) ?? { pk, sk, count: 0, failed: 0, leadTimes: [], restoreTimes: [] };
    item.count += 1;
    if (i % 10 === 0) item.failed += 1;
    item.leadTimes.push(600 + ((i * 7919) % 172_800));
    if (i % 50 === 0) item.restoreTimes.push(300 + ((i * 104_729) % 86_400));
    items.set(sk, item);
  }
  // As the transaction leaves them: no restoreTimes attribute on an item that never had one.
  await writeAll([...items.values()].map(({ restoreTimes, ...item }) => (restoreTimes.length > 0 ? { ...item, restoreTimes } : item)));
};

const started = performance.now();
for (const feed of Object.values(DORA_FEEDS)) await new FeedRepository(client, TABLES.feeds, TABLES).add(feed, VIEW_AND_DOWNLOAD);
await loadDoraCounters(DORA_FEEDS.small, SMALL);
await loadDoraCounters(DORA_FEEDS.big, BIG);
await load('Small.Package', SMALL);
await load('Big.Package', BIG);
for (const feed of Object.values(OVERVIEW_FEEDS)) await new FeedRepository(client, TABLES.feeds, TABLES).add(feed, VIEW_AND_DOWNLOAD);
await loadOverviews({ [OVERVIEW_FEEDS.small]: SMALL, [OVERVIEW_FEEDS.big]: BIG });
for (const feed of Object.values(AFFECTED_FEEDS)) await new FeedRepository(client, TABLES.feeds, TABLES).add(feed, VIEW_AND_DOWNLOAD);
await loadAffected({ [AFFECTED_FEEDS.small]: SMALL, [AFFECTED_FEEDS.big]: BIG });
const loadSeconds = (performance.now() - started) / 1000;

// The deployed handler, and a count of the items each Query reads.
const { handler } = await import('../../functions/query-deployments/handler.ts');
const { documentClient } = await import('../../lib/store/client.ts');
let scanned = 0;
documentClient().middlewareStack.add(
  (next) => async (args) => {
    const out = await next(args);
    scanned += (out.output as { ScannedCount?: number } | undefined)?.ScannedCount ?? 0;
    return out;
  },
  { step: 'initialize', name: 'countScanned' },
);

const call = async (path: string, query: Record<string, string>): Promise<{ ms: number; items: number; scanned: number; body: { NextCursor?: string } }> => {
  const event = httpApiRequest({
    method: 'GET',
    url: `${path}?${new URLSearchParams(query)}`,
    rawHeaders: [],
    body: Buffer.alloc(0),
    remoteAddress: '127.0.0.1',
  });
  scanned = 0;
  const t = performance.now();
  const result = (await handler(event, lambdaContext(event.requestContext.requestId, 'query-deployments'))) as { statusCode: number; body: string };
  const ms = performance.now() - t;
  if (result.statusCode !== 200) throw new Error(`${path} ${JSON.stringify(query)}: ${result.statusCode} ${result.body}`);
  const body = JSON.parse(result.body) as { Items?: unknown[]; Packages?: unknown[]; Deployments?: number; NextCursor?: string };
  return { ms, items: (body.Items ?? body.Packages)?.length ?? body.Deployments ?? 0, scanned, body };
};

// The affected row must find every third of the 1,000 targets in both feeds, in one page.
for (const feed of Object.values(AFFECTED_FEEDS)) {
  const r = await call('/api/deployments/affected', { FeedName: feed, PackageName: AFFECTED_PACKAGE, Range: '<2.1.0' });
  const body = r.body as { Packages?: Array<{ Affected: unknown[]; Unaffected: number }>; NextCursor?: string };
  const [p] = body.Packages ?? [];
  if (p?.Affected.length !== Math.ceil(AFFECTED_TARGETS / 3) || p.Affected.length + p.Unaffected !== AFFECTED_TARGETS || body.NextCursor !== undefined) {
    throw new Error(`affected in ${feed}: not every target was checked in one page`);
  }
}

// The first DORA read of each feed builds its closed days' summaries: timed once, outside the rounds.
const doraFirst: Record<string, { ms: number; scanned: number }> = {};
for (const [size, feed] of Object.entries(DORA_FEEDS)) {
  const r = await call('/api/deployments/dora', { FeedName: feed, from: DORA_FROM, to: DORA_TO });
  doraFirst[size] = { ms: r.ms, scanned: r.scanned };
}

// Page 2 of each history: a cursor from page 1.
const cursorOf = async (pkg: string) => (await call('/api/deployments', { FeedName: FEED, PackageName: pkg, limit: '50' })).body.NextCursor!;
const cursors = { small: await cursorOf('Small.Package'), big: await cursorOf('Big.Package') };

type Case = {
  name: string;
  path: string;
  query: (pkg: 'Small.Package' | 'Big.Package') => Record<string, string>;
  /** Whether the row passes, from the ratio of medians and the items read (small / big); default ratio <= 1.5, <= 51 read. */
  goal?: (ratio: number, reads: { small: number; big: number }) => boolean;
};
const CASES: Case[] = [
  { name: 'history, first page (50)', path: '/api/deployments', query: (p) => ({ FeedName: FEED, PackageName: p, limit: '50' }) },
  {
    name: 'history, next page (cursor)',
    path: '/api/deployments',
    query: (p) => ({ FeedName: FEED, PackageName: p, limit: '50', cursor: p === 'Big.Package' ? cursors.big : cursors.small }),
  },
  { name: 'one version (1.0.0)', path: '/api/deployments', query: (p) => ({ FeedName: FEED, PackageName: p, Version: '1.0.0', limit: '50' }) },
  {
    name: 'time range (1 h)',
    path: '/api/deployments',
    query: (p) => ({ FeedName: FEED, PackageName: p, from: '2020-01-01T00:30:00Z', to: '2020-01-01T01:30:00Z', limit: '50' }),
  },
  { name: 'current per target (50)', path: '/api/deployments/current', query: (p) => ({ FeedName: FEED, PackageName: p, limit: '50' }) },
  {
    name: 'overview, 50 of 1,000 packages x 10 targets',
    path: '/api/deployments/overview',
    query: (p) => ({ FeedName: p === 'Big.Package' ? OVERVIEW_FEEDS.big : OVERVIEW_FEEDS.small, limit: '50' }),
    goal: (ratio, reads) => ratio <= 1.2 && reads.small === reads.big && reads.big <= 50 * OVERVIEW_TARGETS + 1,
  },
  {
    name: 'affected, 1 package x 1,000 targets (<2.1.0)',
    path: '/api/deployments/affected',
    query: (p) => ({ FeedName: p === 'Big.Package' ? AFFECTED_FEEDS.big : AFFECTED_FEEDS.small, PackageName: AFFECTED_PACKAGE, Range: '<2.1.0' }),
    goal: (ratio, reads) => ratio <= 1.2 && reads.small === reads.big && reads.big <= AFFECTED_TARGETS + 1,
  },
  {
    name: `dora, ${DORA_DAYS} days`,
    path: '/api/deployments/dora',
    query: (p) => ({ FeedName: p === 'Big.Package' ? DORA_FEEDS.big : DORA_FEEDS.small, from: DORA_FROM, to: DORA_TO }),
    goal: (ratio, reads) => ratio <= 1.2 && reads.small === reads.big && reads.big <= DORA_DAYS,
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[][] = [];
let worst = 0;
for (const c of CASES) {
  const times = { small: [] as number[], big: [] as number[] };
  const reads = { small: 0, big: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, alternating which goes first.
    for (const size of round % 2 === 0 ? (['small', 'big'] as const) : (['big', 'small'] as const)) {
      const r = await call(c.path, c.query(size === 'big' ? 'Big.Package' : 'Small.Package'));
      times[size].push(r.ms);
      reads[size] = r.scanned;
    }
  }
  const ratio = median(times.big) / median(times.small);
  worst = Math.max(worst, ratio);
  const pass = c.goal ? c.goal(ratio, reads) : reads.big <= 51 && ratio <= 1.5;
  rows.push([c.name, median(times.small).toFixed(2), median(times.big).toFixed(2), ratio.toFixed(2), `${reads.small} / ${reads.big}`, pass ? 'pass' : 'FAIL']);
}

const header = [
  'query',
  `${SMALL} records (ms)`,
  `${BIG.toLocaleString('en')} records (ms)`,
  'ratio',
  'items read',
  'goal: ratio ≤ 1.5, ≤ 51 read (overview, affected, dora: ≤ 1.2, same items)',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(
  `\nRead scaling on ${engine} (${ROUNDS} interleaved rounds, medians; loaded ${(3 * (SMALL + BIG)).toLocaleString('en')} records and ${(2 * (OVERVIEW_PACKAGES * OVERVIEW_TARGETS + AFFECTED_TARGETS)).toLocaleString('en')} current items in ${loadSeconds.toFixed(1)} s)\n`,
);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
console.log(`\nWorst time ratio 100k/100: ${worst.toFixed(2)}`);
console.log(
  `DORA's first read (building ${DORA_DAYS} days' summaries): ${doraFirst.small!.ms.toFixed(2)} ms and ${doraFirst.big!.ms.toFixed(2)} ms, ` +
    `reading ${doraFirst.small!.scanned} and ${doraFirst.big!.scanned} items`,
);

raw.destroy();
documentClient().destroy();
await db.stop();
process.exitCode = rows.every((r) => r.at(-1) === 'pass') ? 0 : 1;
