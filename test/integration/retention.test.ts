import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { handler as record } from '../../functions/record-deployment/handler.ts';
import { run } from '../../infra/admin.ts';
import { applyRetention } from '../../lib/app/admin/retention.ts';
import { dispatch } from '../../lib/app/events.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { currentKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { expireReplaced } from '../../lib/store/retention.ts';
import { WebhookRepository } from '../../lib/store/webhooks.ts';
import { invoke, seedFields, type Answer } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * Retention on a real local DynamoDB (dynalite, or DynamoDB Local with DYNAMODB_ENGINE=dynamodb-local), neither of
 * which deletes expired items: what the reads show before DynamoDB's TTL deletes anything.
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
const deps = {
  feeds,
  keys: new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds),
  webhooks: new WebhookRepository(client, TEST_TABLES.webhooks!),
  client,
  deploymentsTable: TEST_TABLES.deployments,
  idempotencyTable: TEST_TABLES.idempotency,
};

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(
    args,
    (line) => lines.push(...line.split('\n')),
    () => {},
  );
  return lines;
};
const get = (path: string, params: Record<string, string>): Promise<Answer> =>
  invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString() });
const items = (a: Answer) => a.json.Items as Array<Record<string, string>>;

/** Every page of a history read, following NextCursor. */
const allPages = async (params: Record<string, string>): Promise<Array<Record<string, string>>> => {
  const out: Array<Record<string, string>> = [];
  let cursor: string | undefined;
  do {
    const page = await get('/api/deployments', { ...params, ...(cursor ? { cursor } : {}) });
    expect(page.status).toBe(200);
    out.push(...items(page));
    cursor = page.json.NextCursor as string | undefined;
  } while (cursor);
  return out;
};

/**
 * Records through the record function, then hands the dispatcher the current item's change as the table's stream
 * carries it (its image before and after), with the retention step's real store adapter.
 */
const recordAndDispatch = async (feed: string, fields: Record<string, string>): Promise<string> => {
  const key = currentKey(feed, undefined, fields.PackageName ?? 'App', fields.Target!);
  const before = (await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: key, ConsistentRead: true }))).Item;
  const res = await invoke(record, {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(seedFields({ FeedName: feed, PackageName: 'App', ...fields })),
  });
  expect(res.status).toBe(200);
  const after = (await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: key, ConsistentRead: true }))).Item;
  if (after && after.latest !== before?.latest) {
    const { batchItemFailures } = await dispatch(
      [
        {
          eventID: '1',
          eventName: before ? 'MODIFY' : 'INSERT',
          dynamodb: { SequenceNumber: '1', NewImage: marshall(after), ...(before ? { OldImage: marshall(before) } : {}) },
        },
      ],
      {
        region: 'none',
        webhooksFor: async () => [],
        publish: async (events) => events.map(() => true),
        post: async () => ({ status: 200 }),
        deadLetter: async () => {},
        retry: { maxAttempts: 1, baseDelayMs: 1, budgetMs: 10, timeoutMs: 10 },
        expireReplaced: (replaced) => expireReplaced(client, TEST_TABLES.deployments, replaced),
      },
    );
    expect(batchItemFailures).toEqual([]);
  }
  return res.json.Id as string;
};

describe('a feed that keeps its history 30 days', () => {
  it('hides records older than 30 days before DynamoDB deletes them, keeps what each target runs and the counters', async () => {
    const FEED = `Keep30-${suffix}`;
    await feeds.add(FEED, VIEW_AND_DOWNLOAD);
    expect(await admin('feeds', 'set', FEED, '--retain-days', '30')).toEqual([
      `Feed ${FEED} keeps its history 30 day(s) after each record's Date; what its targets run now is always kept.`,
      'No stored record needs a new expiry.',
    ]);

    const web01Old = await recordAndDispatch(FEED, { Target: 'web01', Version: '1.0.0', Date: daysAgo(50) });
    const web01Mid = await recordAndDispatch(FEED, { Target: 'web01', Version: '1.1.0', Date: daysAgo(40) });
    const web02 = await recordAndDispatch(FEED, { Target: 'web02', Version: '1.0.0', Date: daysAgo(45) });
    const web01Now = await recordAndDispatch(FEED, { Target: 'web01', Version: '1.2.0', Date: daysAgo(10) });
    // Backdated (web01 runs a newer record) and older than the retention: expired as it is written.
    const backdated = await recordAndDispatch(FEED, { Target: 'web01', Version: '0.9.0', Date: daysAgo(60) });

    // History, every way it is read: the current records only, the 45-day-old one on web02 included.
    expect((await allPages({ FeedName: FEED })).map((i) => i.Id)).toEqual([web01Now, web02]);
    expect((await allPages({ FeedName: FEED, limit: '1' })).map((i) => i.Id)).toEqual([web01Now, web02]);
    expect((await allPages({ FeedName: FEED, PackageName: 'App' })).map((i) => i.Id)).toEqual([web01Now, web02]);
    expect((await allPages({ FeedName: FEED, Target: 'web01' })).map((i) => i.Id)).toEqual([web01Now]);
    expect((await allPages({ FeedName: FEED, PackageName: 'App', Version: '1.0.0' })).map((i) => i.Id)).toEqual([web02]);
    // What each target runs.
    const current = await get('/api/deployments/current', { FeedName: FEED, PackageName: 'App' });
    expect(items(current).map((i) => [i.Target, i.Version])).toEqual([
      ['web01', '1.2.0'],
      ['web02', '1.0.0'],
    ]);
    // The expired records are still stored (no TTL deletion yet), with their expiry.
    const pk = deploymentPartitionKey(FEED, undefined, 'App');
    for (const [id, days] of [
      [web01Old, 50],
      [web01Mid, 40],
      [backdated, 60],
    ] as const) {
      const history = await allItemsById(pk, id);
      expect(history?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(history?.expiresAt).toBe(Math.floor(Date.parse(history!.date as string) / 1000) + 30 * 86_400);
      expect(days).toBeGreaterThan(30);
    }
    // The counters count all five.
    const frequency = await get('/api/deployments/frequency', { FeedName: FEED, interval: 'day', from: daysAgo(70).slice(0, 10) });
    expect((frequency.json.Buckets as Array<{ Count: number }>).reduce((n, b) => n + b.Count, 0)).toBe(5);
    // The transaction and the dispatcher's step left nothing for retention apply to do.
    expect(await admin('retention', 'apply', '--feed', FEED)).toEqual([`Feed ${FEED} (history kept 30 day(s)): 5 record(s) read, 0 expiry(ies) rewritten.`]);
  });
});

/** A history item by the record's id (its sort key ends with it). */
const allItemsById = async (pk: string, id: string) => {
  const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const out = await client.send(
    new QueryCommand({ TableName: TEST_TABLES.deployments, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, ConsistentRead: true }),
  );
  return out.Items?.find((i) => i.id === id);
};

const stored = (feed: string, target: string, version: string, days: number): NewDeployment => ({
  feedName: feed,
  packageName: 'App',
  version,
  target,
  application: 'a',
  description: 'd',
  userName: 'ci',
  date: daysAgo(days),
  receivedAt: daysAgo(days),
  keyId: 'anonymous',
  region: 'eu-west-1',
});

describe('retention apply', () => {
  it('rewrites the expiry of stored records in pages, resumes from the token it printed, and undoes it for forever', async () => {
    const FEED = `Apply-${suffix}`;
    await feeds.add(FEED, VIEW_AND_DOWNLOAD);
    // Three targets, written while the feed kept everything: 10 records, 3 current.
    const plan: Array<[string, string, number]> = [
      ['web01', '1.0.0', 90],
      ['web01', '1.1.0', 60],
      ['web01', '1.0.0', 20], // a rollback, within 30 days, current
      ['web02', '2.0.0', 80],
      ['web02', '2.1.0', 35],
      ['web02', '2.2.0', 40], // backdated: older than web02's current
      ['web03', '3.0.0', 100],
      ['web01', '0.5.0', 200], // backdated
      ['web03', '3.1.0', 25],
      ['web03', '2.9.0', 28], // backdated, within 30 days
    ];
    for (const [target, version, days] of plan) await putDeployment(client, TEST_TABLES, stored(FEED, target, version, days));
    expect((await allPages({ FeedName: FEED })).length).toBe(10);

    // Older than 30 days and not current: 1.0.0@90, 1.1.0@60, 2.0.0@80, 2.2.0@40, 3.0.0@100, 0.5.0@200. Within 30
    // days and not current: 2.9.0@28 (gets an expiry 2 days ahead). Current, kept: web02's 2.1.0@35.
    expect(await admin('feeds', 'set', FEED.toLowerCase(), '--retain-days', '30')).toEqual([
      `Feed ${FEED} keeps its history 30 day(s) after each record's Date; what its targets run now is always kept.`,
      `7 stored record(s) need a new expiry: run retention apply --feed ${FEED} (new records follow the setting within LOOKUP_CACHE_TTL_SECONDS).`,
    ]);

    // Interrupted after its first page (of 4 records).
    let token: string | undefined;
    await expect(
      applyRetention(deps, {
        name: FEED,
        now: new Date(),
        pageSize: 4,
        onPage: (p) => {
          token = p.next;
          throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(token).toBeDefined();
    const afterFirstPage = await allPages({ FeedName: FEED });
    expect(afterFirstPage.length).toBeLessThan(10);
    expect(afterFirstPage.length).toBeGreaterThan(4);

    // Resumed from the token: the rest, and nothing left to do.
    const resumed = await admin('retention', 'apply', '--feed', FEED, '--from-cursor', token!);
    expect(resumed[0]).toMatch(new RegExp(`^Feed ${FEED} \\(history kept 30 day\\(s\\)\\): 6 record\\(s\\) read, [0-7] expiry\\(ies\\) rewritten\\.$`));
    expect(await admin('retention', 'apply', '--feed', FEED)).toEqual([`Feed ${FEED} (history kept 30 day(s)): 10 record(s) read, 0 expiry(ies) rewritten.`]);
    expect((await allPages({ FeedName: FEED })).map((i) => [i.Target, i.Version])).toEqual([
      ['web01', '1.0.0'],
      ['web03', '3.1.0'],
      ['web03', '2.9.0'],
      ['web02', '2.1.0'],
    ]);
    await expect(admin('retention', 'apply', '--feed', FEED, '--from-cursor', 'bm90IGEgdG9rZW4')).rejects.toThrow(/resume token/);

    // Forever again: the one not yet expired loses its expiry; the expired ones stay expired.
    expect(await admin('feeds', 'set', FEED, '--retain-days', 'forever')).toEqual([
      `Feed ${FEED} keeps its history forever; what its targets run now is always kept.`,
      `1 stored record(s) need a new expiry: run retention apply --feed ${FEED} (new records follow the setting within LOOKUP_CACHE_TTL_SECONDS).`,
    ]);
    expect(await admin('retention', 'apply', '--feed', FEED)).toEqual([`Feed ${FEED} (history kept forever): 10 record(s) read, 1 expiry(ies) rewritten.`]);
    await expect(admin('feeds', 'set', `Nope-${suffix}`, '--retain-days', '3')).rejects.toThrow(/No feed named/);
    await expect(admin('feeds', 'set', FEED, '--retain-days', '0')).rejects.toThrow(/--retain-days must be a whole number/);
  });
});
