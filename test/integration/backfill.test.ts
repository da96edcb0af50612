import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect, it } from 'vitest';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { run } from '../../infra/admin.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { counterPartitionKey, counterSortKey, currentKey } from '../../lib/domain/keys.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { documentClient } from '../../lib/store/client.ts';
import { historyItem, putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { invoke } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * Data from before this version: history records and current items as the earlier Put wrote them (no overview keys,
 * no previousVersion, no counters). `counters backfill --feed F` makes the overview and the frequency right, and a
 * second run changes nothing.
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const FEED = `Backfill-${suffix}`;

const record = (version: string, target: string, date: string, region = 'eu-west-1'): NewDeployment => ({
  feedName: FEED,
  packageName: 'Legacy',
  version,
  target,
  application: 'a',
  description: 'd',
  userName: 'ci',
  date,
  receivedAt: date,
  keyId: 'anonymous',
  region,
});

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(args, (line) => lines.push(line));
  return lines;
};
const get = (path: string, params: Record<string, string>) => invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString() });

it('counters backfill rebuilds counters and upgrades current items written before the overview, idempotently', async () => {
  // Prepare: the old shapes, written directly.
  await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(FEED, VIEW_AND_DOWNLOAD);
  const history = [
    record('1.0.0', 'web01', '2026-11-02T10:00:00.000Z'),
    record('1.1.0', 'web01', '2026-11-03T10:00:00.000Z', 'us-east-1'),
    record('1.0.5', 'web01', '2026-11-04T10:00:00.000Z'),
    record('1.0.0', 'web02', '2026-11-04T11:00:00.000Z'),
  ].map((r, i) => historyItem(r, `01J0000000000000000000000${i}`));
  await client.send(new BatchWriteCommand({ RequestItems: { [TEST_TABLES.deployments]: history.map((Item) => ({ PutRequest: { Item } })) } }));
  for (const latest of [history[2]!, history[3]!]) {
    const { pk: _pk, sk, feedPk: _f, targetPk: _t, versionPk: _v, ...fields } = latest;
    await client.send(
      new PutCommand({ TableName: TEST_TABLES.deployments, Item: { ...currentKey(FEED, undefined, 'Legacy', fields.target), latest: sk, ...fields } }),
    );
  }
  // A wrong counter and one no record backs, to be corrected and removed.
  const feedCounter = counterPartitionKey({ feed: FEED });
  await client.send(
    new PutCommand({ TableName: TEST_TABLES.deployments, Item: { pk: feedCounter, sk: counterSortKey('2026-11-02', 'eu-west-1', 0), count: 40 } }),
  );
  await client.send(
    new PutCommand({ TableName: TEST_TABLES.deployments, Item: { pk: feedCounter, sk: counterSortKey('2026-10-01', 'eu-west-1', 3), count: 3 } }),
  );
  expect((await get('/api/deployments/overview', { FeedName: FEED })).json.Packages).toEqual([]);

  // Act
  const first = await admin('counters', 'backfill', '--feed', FEED.toLowerCase());

  // Assess: 14 counters of the four records' days and regions, and 4 more for the failure the rollback to 1.0.5 (in
  // eu-west-1) adds to the day of 1.1.0 (2026-11-03, recorded in us-east-1): each region writes only its own counters.
  expect(first).toEqual([`Counted 4 records of feed ${FEED.toLowerCase()}: 18 counters set, 1 other counter items removed; 2 current items updated.`]);
  const overview = (await get('/api/deployments/overview', { FeedName: FEED })).json.Packages as Array<{
    Drift: boolean;
    Targets: Array<Record<string, string>>;
  }>;
  expect(overview).toHaveLength(1);
  expect(overview[0]!.Drift).toBe(true);
  expect(overview[0]!.Targets.map((t) => [t.Target, t.Version, t.PreviousVersion, t.Change])).toEqual([
    ['web01', '1.0.5', '1.1.0', 'rolledback'],
    ['web02', '1.0.0', undefined, 'deployed'],
  ]);
  const days = await get('/api/deployments/frequency', { FeedName: FEED, interval: 'day', from: '2026-10-01', to: '2026-11-04' });
  const buckets = days.json.Buckets as Array<{ Start: string; Count: number }>;
  expect(buckets.filter((b) => b.Count > 0).map((b) => [b.Start, b.Count])).toEqual([
    ['2026-11-02', 1],
    ['2026-11-03', 1],
    ['2026-11-04', 2],
  ]);
  const dora = await get('/api/deployments/dora', { FeedName: FEED, from: '2026-11-01', to: '2026-11-04' });
  expect(dora.json.ChangeFailureRate).toEqual({ Rate: 0.25, Failed: 1, Total: 4, Rating: 'low' });
  expect(dora.json.TimeToRestore).toEqual({ MedianSeconds: 86_400, Count: 1, Rating: 'medium' });
  const stale = await client.send(
    new GetCommand({ TableName: TEST_TABLES.deployments, Key: { pk: feedCounter, sk: counterSortKey('2026-10-01', 'eu-west-1', 3) } }),
  );
  expect(stale.Item).toBeUndefined();

  // The read stored the summaries of its region's closed days (two with deployments, and the range's last day).
  const again1 = await get('/api/deployments/dora', { FeedName: FEED, from: '2026-11-01', to: '2026-11-04' });
  expect(again1.json).toEqual(dora.json);

  // Again: nothing changes, but the summaries are marked for rebuilding, and the next read rebuilds them the same.
  expect(await admin('counters', 'backfill', '--feed', FEED)).toEqual([
    `Counted 4 records of feed ${FEED}: 18 counters set, 0 other counter items removed, 3 day summaries marked for rebuilding; 0 current items updated.`,
  ]);
  const again = await get('/api/deployments/frequency', { FeedName: FEED, interval: 'day', from: '2026-10-01', to: '2026-11-04' });
  expect(again.json.Buckets).toEqual(buckets);
  expect((await get('/api/deployments/dora', { FeedName: FEED, from: '2026-11-01', to: '2026-11-04' })).json).toEqual(dora.json);

  // A mistyped feed name: a failure naming it, not a count of nothing.
  await expect(admin('counters', 'backfill', '--feed', `${FEED}-typo`)).rejects.toThrow(`No feed named ${FEED}-typo, and no records stored under that name`);
});

it("feeds remove --purge deletes the feed's counters with its records", async () => {
  const feed = `Purged-${suffix}`;
  const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
  await feeds.add(feed, VIEW_AND_DOWNLOAD);
  const records = [record('1.0.0', 'web01', '2026-11-02T10:00:00.000Z'), record('1.0.0', 'web02', '2026-11-02T11:00:00.000Z', 'us-east-1')];
  for (const r of records) await putDeployment(client, TEST_TABLES, { ...r, feedName: feed, groupName: 'G' });
  const total = async () => {
    const res = await get('/api/deployments/frequency', { FeedName: feed, interval: 'day', from: '2026-11-02', to: '2026-11-02' });
    return (res.json.Buckets as Array<{ Count: number }>)[0]!.Count;
  };
  expect(await total()).toBe(2);

  await feeds.remove(feed);
  const purged = await feeds.purge(feed);

  expect(purged).toMatchObject({ history: 2, current: 2 });
  // Two regions: two each of feed and package, one per target, one per package-target; and as the records' day is
  // before today, as many marks on that day's summaries.
  expect(purged.counters).toBe(16);
  await feeds.add(feed, VIEW_AND_DOWNLOAD);
  expect(await total()).toBe(0);
  for (const dimension of [{ feed }, { feed, group: 'G', pkg: 'Legacy' }, { feed, target: 'web02' }, { feed, group: 'G', pkg: 'Legacy', target: 'web01' }]) {
    const out = await client.send(
      new QueryCommand({
        TableName: TEST_TABLES.deployments,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': counterPartitionKey(dimension) },
      }),
    );
    expect(out.Items).toEqual([]);
  }
});
