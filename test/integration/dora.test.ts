import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, paginateQuery, paginateScan, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../infra/admin.ts';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { handler as record } from '../../functions/record-deployment/handler.ts';
import { DORA_EXAMPLE } from '../../lib/app/openapi.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { COUNTER_SHARDS, counterPartitionKey, counterSortKey, feedIndexKey } from '../../lib/domain/keys.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { documentClient } from '../../lib/store/client.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { DORA_FILTERED, DORA_RANGE, DORA_RECORDS, doraBody, type DoraRecord } from '../support/dora-fixture.ts';
import { invoke, type Answer } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * The four DORA keys of the worked example (test/support/dora-fixture.ts, docs/api.md) on the suite's real engine:
 * recorded one by one through the handler (eu-west-1) and putDeployment (us-east-1), then asked for the feed, a
 * target, a region and a package; and what a failed deployment leaves of the target's current record.
 */
const client = documentClient();
const FEED = `Dora-${randomUUID().slice(0, 8)}`;

const get = (path: string, params: Record<string, string>): Promise<Answer> =>
  invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString() });

const recordOne = async (r: DoraRecord): Promise<void> => {
  if (r.region === undefined) {
    const res = await invoke(record, {
      headers: { 'Content-Type': 'application/json' },
      body: doraBody(FEED, r),
    });
    expect(res.status, `record ${r.n}: ${JSON.stringify(res.json)}`).toBe(200);
    return;
  }
  const deployment: NewDeployment = {
    feedName: FEED,
    packageName: r.pkg,
    version: r.version,
    target: r.target,
    application: 'Pipeline',
    description: `Deploy ${r.version}`,
    userName: 'ci',
    date: new Date(r.date).toISOString(),
    receivedAt: new Date().toISOString(),
    keyId: 'anonymous',
    region: r.region,
    ...(r.status ? { status: r.status } : {}),
    ...(r.commitTime ? { commitTime: new Date(r.commitTime).toISOString() } : {}),
  };
  await putDeployment(client, TEST_TABLES, deployment);
};

type Current = Record<string, unknown> & { Target: string; Version: string };
const currentOf = async (pkg: string, target: string): Promise<Current | undefined> =>
  ((await get('/api/deployments/current', { FeedName: FEED, PackageName: pkg })).json.Items as Current[]).find((c) => c.Target === target);

const snapshots = new Map<number, Current | undefined>();

beforeAll(async () => {
  await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(FEED, VIEW_AND_DOWNLOAD);
  for (const r of DORA_RECORDS) {
    await recordOne(r);
    if (r.n === 3 || r.n === 4) snapshots.set(r.n, await currentOf('App', 'web01'));
  }
});

const dora = (params: Record<string, string> = {}, feed = FEED) => get('/api/deployments/dora', { FeedName: feed, ...DORA_RANGE, ...params });

/** Deletes every counter of a feed (its four dimensions, every day, region and shard). */
const deleteCounters = async (feed: string): Promise<number> => {
  const prefix = `N#${feedIndexKey(feed)}`;
  const keys: Array<{ pk: string; sk: string }> = [];
  for await (const page of paginateScan({ client }, { TableName: TEST_TABLES.deployments, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk === prefix || pk.startsWith(`${prefix}#`)) keys.push({ pk, sk: String(item.sk) });
    }
  }
  for (let i = 0; i < keys.length; i += 25) {
    const batch = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    await client.send(new BatchWriteCommand({ RequestItems: { [TEST_TABLES.deployments]: batch } }));
  }
  return keys.length;
};
const backfillFeed = (feed: string) => run(['counters', 'backfill', '--feed', feed], () => undefined);

describe('GET /api/deployments/dora: the worked example', () => {
  it('answers the four keys of the feed as computed by hand', async () => {
    const res = await dora();
    expect(res.status).toBe(200);
    expect(res.json).toEqual(DORA_EXAMPLE);
  });

  it('answers for one target, one region and one package', async () => {
    const { From: _f, To: _t, ...web02 } = (await dora({ Target: 'WEB02' })).json;
    expect(web02).toEqual(DORA_FILTERED.web02);
    const { From: _f2, To: _t2, ...east } = (await dora({ Region: 'us-east-1' })).json;
    expect(east).toEqual(DORA_FILTERED.web02);
    const { From: _f3, To: _t3, ...lib } = (await dora({ PackageName: 'lib' })).json;
    expect(lib).toEqual(DORA_FILTERED.lib);
    const { From: _f4, To: _t4, ...libOnWeb01 } = (await dora({ PackageName: 'Lib', Target: 'web01' })).json;
    expect(libOnWeb01).toEqual(DORA_FILTERED.lib);
  });

  it('answers null, never 0, for a range without deployments, and counts the days it covers', async () => {
    const res = await dora({ from: '2026-12-01', to: '2026-12-07T23:00:00Z' });
    expect(res.json).toMatchObject({
      From: '2026-12-01T00:00:00.000Z',
      To: '2026-12-07T23:59:59.999Z',
      Deployments: 0,
      DeploymentFrequency: { PerDay: null, DaysWithDeployment: 0, Rating: null },
      ChangeFailureRate: { Rate: null, Failed: 0, Total: 0, Rating: null },
    });
  });

  it('refuses a range of more than 366 days, a GroupName without PackageName and an unknown parameter, naming them', async () => {
    const long = await dora({ from: '2025-01-01', to: '2026-11-10' });
    expect([long.status, long.json.errors]).toEqual([400, [{ field: 'from', detail: 'from and to span 679 days; at most 366 days per request.' }]]);
    const group = await dora({ GroupName: 'g' });
    expect([group.status, group.json.errors]).toEqual([400, [{ field: 'GroupName', detail: 'GroupName needs PackageName.' }]]);
    const unknown = await dora({ Status: 'Failed' });
    expect([unknown.status, (unknown.json.errors as Array<{ field: string }>)[0]!.field]).toEqual([400, 'Status']);
  });
});

describe('a failed deployment', () => {
  it('leaves the target on what it ran, shown with the attempt as LastAttempt', () => {
    expect(snapshots.get(3)).toMatchObject({
      Version: '1.1.0',
      PreviousVersion: '1.0.0',
      Change: 'upgraded',
      LastAttempt: { Version: '1.2.0', Status: 'Failed', Date: '2026-11-03T10:00:00.000Z' },
    });
  });

  it('does not change what the next deployment did: 1.2.1 upgraded 1.1.0, and the attempt is over', () => {
    const after = snapshots.get(4)!;
    expect(after).toMatchObject({
      Version: '1.2.1',
      PreviousVersion: '1.1.0',
      Change: 'upgraded',
      CommitTime: '2026-11-03T20:00:00.000Z',
      CommitSha: 'abcdef1234567',
    });
    expect(after).not.toHaveProperty('LastAttempt');
    expect(after).not.toHaveProperty('Status');
  });

  it('is history: echoed with its Status, and a failed first deployment leaves the next one `deployed`', async () => {
    const history = (await get('/api/deployments', { FeedName: FEED, PackageName: 'Lib' })).json.Items as Array<Record<string, unknown>>;
    expect(history.map((h) => [h.Version, h.Status])).toEqual([
      ['5.0.0', undefined],
      ['5.0.0', 'Failed'],
    ]);
    expect(await currentOf('Lib', 'web01')).toMatchObject({ Version: '5.0.0', Change: 'deployed' });
    expect(await currentOf('Lib', 'web01')).not.toHaveProperty('PreviousVersion');
  });

  it('shows on the overview as the LastAttempt of the target it failed on', async () => {
    const overview = (await get('/api/deployments/overview', { FeedName: FEED })).json.Packages as Array<{ PackageName: string; Targets: Current[] }>;
    const app = overview.find((p) => p.PackageName === 'App')!;
    expect(app.Targets.map((t) => [t.Target, t.Version, t.Change, (t.LastAttempt as { Version: string } | undefined)?.Version])).toEqual([
      ['web01', '1.2.1', 'rolledback', undefined],
      ['web02', '1.0.0', 'rolledback', '3.0.0'],
      ['web03', '1.3.0', 'upgraded', undefined],
    ]);
  });
});

describe('counters backfill', () => {
  it('rebuilds the same four keys from the history alone', async () => {
    expect(await deleteCounters(FEED)).toBeGreaterThan(0);
    expect((await dora()).json.Deployments).toBe(0);
    await backfillFeed(FEED);
    expect((await dora()).json).toEqual(DORA_EXAMPLE);
    const { From: _f, To: _t, ...web02 } = (await dora({ Target: 'web02' })).json;
    expect(web02).toEqual(DORA_FILTERED.web02);
  });
});

describe('counters under concurrent writers (fast-check)', () => {
  const VERSIONS = ['1.0.0', '1.1.0', '2.0.0', '0.9.0', 'latest'];
  const step = fc.record({
    version: fc.constantFrom(...VERSIONS),
    failed: fc.boolean(),
    minutes: fc.integer({ min: 1, max: 900 }),
    lead: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
  });
  // Up to four targets written at once (sharing the feed's and the package's counters), each in Date order.
  const scenario = fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 4 });

  it('leave the counters equal to a recomputation from the history (the backfill)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (targets) => {
        const feed = `DoraProp-${randomUUID().slice(0, 8)}`;
        await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(feed, VIEW_AND_DOWNLOAD);
        await Promise.all(
          targets.map(async (steps, t) => {
            let at = Date.parse('2026-11-01T00:00:00Z');
            for (const s of steps) {
              at += s.minutes * 60_000;
              const date = new Date(at).toISOString();
              await putDeployment(client, TEST_TABLES, {
                feedName: feed,
                packageName: 'Shared',
                version: s.version,
                target: `t${t}`,
                application: 'a',
                description: 'd',
                userName: 'u',
                date,
                receivedAt: new Date().toISOString(),
                keyId: 'anonymous',
                region: t % 2 === 0 ? 'eu-west-1' : 'us-east-1',
                ...(s.failed ? { status: 'Failed' as const } : {}),
                ...(s.lead !== undefined ? { commitTime: new Date(at - s.lead * 1000).toISOString() } : {}),
              });
            }
          }),
        );
        const live = [(await dora({}, feed)).json, ...(await Promise.all(targets.map(async (_, t) => (await dora({ Target: `t${t}` }, feed)).json)))];
        expect(live[0]!.Deployments).toBe(targets.flat().length);
        await deleteCounters(feed);
        await backfillFeed(feed);
        const rebuilt = [(await dora({}, feed)).json, ...(await Promise.all(targets.map(async (_, t) => (await dora({ Target: `t${t}` }, feed)).json)))];
        expect(rebuilt).toEqual(live);
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('counter items at DynamoDB’s item size limit', () => {
  it('a record whose day’s lists are full is still stored and counted (its lead time counted as unsampled), never a 500', async () => {
    const feed = `Full-${randomUUID().slice(0, 8)}`;
    await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(feed, VIEW_AND_DOWNLOAD);
    const post = (fields: Record<string, string>) =>
      invoke(record, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ FeedName: feed, PackageName: 'App', Target: 'web01', Application: 'CI', Description: 'd', ...fields }),
      });
    const first = await post({ Version: '1.0.0' });
    expect(first.status).toBe(200);
    const { Region: region, Date: date } = first.json as { Region: string; Date: string };
    const day = date.slice(0, 10);
    // Every shard of the feed's item for the day filled to the last number that fits in 400 KB: the longest list the
    // engine takes, found by bisection on shard 0 (every shard's key has the same size: one digit), then written to all.
    const pk = counterPartitionKey({ feed });
    const put = (shard: number, length: number) =>
      client.send(
        new PutCommand({
          TableName: TEST_TABLES.deployments,
          Item: { pk, sk: counterSortKey(day, region, shard), count: 0, leadTimes: Array<number>(length).fill(123_456) },
        }),
      );
    let fits = 40_000;
    let tooLong = 100_000;
    await put(0, fits);
    await expect(put(0, tooLong)).rejects.toThrow(/size/i);
    while (tooLong - fits > 1) {
      const mid = Math.floor((fits + tooLong) / 2);
      try {
        await put(0, mid);
        fits = mid;
      } catch {
        tooLong = mid;
      }
    }
    for (let shard = 0; shard < COUNTER_SHARDS; shard++) await put(shard, fits);
    // One more number does not fit in any of them.
    await expect(
      client.send(
        new UpdateCommand({
          TableName: TEST_TABLES.deployments,
          Key: { pk, sk: counterSortKey(day, region, 9) },
          UpdateExpression: 'SET leadTimes = list_append(leadTimes, :more)',
          ExpressionAttributeValues: { ':more': [123_456] },
        }),
      ),
    ).rejects.toThrow();
    const filled = Array<number>(COUNTER_SHARDS).fill(fits);
    const full = await post({ Version: '1.1.0', CommitSha: 'abcdef1', CommitTime: new Date(Date.parse(date) - 3_600_000).toISOString() });
    expect(full.status, JSON.stringify(full.json)).toBe(200);
    const items: { Items: Array<Record<string, unknown>> } = { Items: [] };
    for await (const page of paginateQuery(
      { client },
      { TableName: TEST_TABLES.deployments, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk } },
    )) {
      items.Items.push(...(page.Items ?? []));
    }
    const sum = (name: string) => (items.Items ?? []).reduce((n, i) => n + Number(i[name] ?? 0), 0);
    // The filled items replaced the first record's counts (count 0); the second is counted in an overflow shard.
    expect(sum('count')).toBe(1);
    expect(sum('unsampled')).toBe(1);
    expect((items.Items ?? []).filter((i) => Number(i.unsampled ?? 0) > 0).map((i) => Number(String(i.sk).split('#S#')[1]))).toEqual([expect.any(Number)]);
    expect(Number(String((items.Items ?? []).find((i) => i.unsampled)!.sk).split('#S#')[1])).toBeGreaterThanOrEqual(COUNTER_SHARDS);
    expect(
      (items.Items ?? [])
        .map((i) => (i.leadTimes as number[] | undefined)?.length ?? 0)
        .filter((n) => n > 0)
        .sort(),
    ).toEqual([...filled].sort());
    const history = await invoke(read, { method: 'GET', path: '/api/deployments', query: new URLSearchParams({ FeedName: feed }).toString() });
    expect((history.json.Items as unknown[]).length).toBe(2);
  }, 120_000);
});
