import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { doraView } from '../../lib/domain/dora.ts';
import { SETTLE_MS } from '../../lib/domain/day-summaries.ts';
import { ALPHA } from '../../lib/domain/samples.ts';
import { counterPartitionKey, summarySortKey, type CounterDimension } from '../../lib/domain/keys.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { documentClient } from '../../lib/store/client.ts';
import { readDoraCounts } from '../../lib/store/dora-counts.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * The DORA read's summaries of closed days (lib/domain/day-summaries.ts) on the suite's real engine: what a read
 * stores, that the next one answers from them alone, and that whatever is recorded on a summarized day afterwards (in
 * this region or another, or while the read is under way) is in every later answer. "The truth" is the answer from the
 * counters alone: the same read with a clock in 2000, when no day of the range is closed yet.
 */
const client = documentClient();
const EU = 'eu-west-1';
const US = 'us-east-1';
const FROM = '2026-10-01';
const TO = '2026-10-10';

const feedName = () => `Summaries-${randomUUID().slice(0, 8)}`;
let versions = 0;
const deployment = (feed: string, date: string, extra: Partial<NewDeployment> = {}): NewDeployment => ({
  feedName: feed,
  packageName: 'App',
  version: `1.0.${++versions}`,
  target: 'web01',
  application: 'Pipeline',
  description: 'Deploy',
  userName: 'ci',
  date: new Date(date).toISOString(),
  receivedAt: new Date().toISOString(),
  keyId: 'anonymous',
  region: EU,
  commitTime: new Date(Date.parse(date) - 3_600_000).toISOString(),
  ...extra,
});

/** A read as the query function makes it, in `region` at `now` (default: after the settle window of any mark made so far). */
const read = (feed: string, options: { region?: string; now?: Date; client?: DynamoDBDocumentClient; dimension?: Omit<CounterDimension, 'feed'> } = {}) =>
  readDoraCounts(options.client ?? client, TEST_TABLES.deployments, { feed, ...options.dimension }, FROM, TO, {
    now: options.now ?? new Date(Date.now() + SETTLE_MS + 60_000),
    region: options.region ?? EU,
    onStoreError: (e) => {
      throw e;
    },
  });
const dora = async (feed: string, options: Parameters<typeof read>[1] = {}) => doraView(FROM, TO, await read(feed, options));
const truth = (feed: string, options: Parameters<typeof read>[1] = {}) => dora(feed, { ...options, now: new Date('2000-01-01T00:00:00Z') });

/** The Queries a read sends, by the first letter of the sort key range they read: D (counters) or Y (summaries). */
const watched = () => {
  const sent: string[] = [];
  const watcher = documentClient();
  const spy = Object.create(watcher) as DynamoDBDocumentClient;
  spy.send = ((command: QueryCommand) => {
    if (command instanceof QueryCommand) sent.push(String(command.input.ExpressionAttributeValues?.[':low']).slice(0, 1));
    return watcher.send(command);
  }) as DynamoDBDocumentClient['send'];
  return { spy, sent };
};

const summaryItem = async (feed: string, day: string, region = EU) =>
  (await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: { pk: counterPartitionKey({ feed }), sk: summarySortKey(day, region) } }))).Item;

describe('summaries of closed days', () => {
  it('are stored by the first read, and the next read answers from them alone, the same', async () => {
    const feed = feedName();
    for (const date of ['2026-10-02T10:00:00Z', '2026-10-02T11:00:00Z', '2026-10-05T09:00:00Z', '2026-10-08T23:00:00Z']) {
      await putDeployment(client, TEST_TABLES, deployment(feed, date));
    }
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-06T10:00:00Z', { status: 'Failed' }));
    const expected = await truth(feed);
    expect(expected.Deployments).toBe(5);
    expect(expected.ChangeFailureRate.Failed).toBe(1);

    const first = watched();
    expect(await dora(feed, { client: first.spy })).toEqual(expected);
    expect(first.sent).toEqual(['Y', 'D']);
    const stored = await summaryItem(feed, '2026-10-02');
    expect(stored).toMatchObject({ gen: expect.any(String), builtGen: stored!.gen }); // marked by the backdated records, then built
    expect(JSON.parse(String(stored!.summary))).toEqual([2, 0, [3600, 3600], [], []]);
    // The empty days before a summarized one are covered by its `since`, and get no item of their own.
    expect(await summaryItem(feed, '2026-10-05')).toMatchObject({ since: '2026-10-03' });
    expect(await summaryItem(feed, '2026-10-04')).toBeUndefined();

    const second = watched();
    expect(await dora(feed, { client: second.spy })).toEqual(expected);
    expect(second.sent).toEqual(['Y']);
  });

  it('take in whatever is recorded on a summarized day afterwards: at once from the counters, then rebuilt', async () => {
    const feed = feedName();
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-03T10:00:00Z'));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-07T10:00:00Z', { target: 'web02' }));
    await dora(feed);
    expect(await summaryItem(feed, '2026-10-04')).toBeUndefined();

    // Backdated onto a summarized day, onto an empty day a summary covers, and a rollback failing a summarized day's deployment.
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-03T12:00:00Z', { target: 'web03' }));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-04T12:00:00Z', { target: 'web04' }));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-08T10:00:00Z', { target: 'web02', version: '1.0.0' }));
    const expected = await truth(feed);
    expect(expected).toMatchObject({ Deployments: 5, ChangeFailureRate: { Failed: 1 }, TimeToRestore: { Count: 1 } });

    // Right away (within SETTLE_MS of the marks): the marked days come from the counters, and are not summarized yet.
    const soon = watched();
    expect(await dora(feed, { client: soon.spy, now: new Date() })).toEqual(expected);
    expect(soon.sent).toEqual(['Y', 'D', 'D']); // the counters of 10-03 and 10-04, and of 10-07 and 10-08: one Query per run of days
    const marked = await summaryItem(feed, '2026-10-03');
    expect(marked!.gen).not.toBe(marked!.builtGen);
    expect(await summaryItem(feed, '2026-10-04')).toMatchObject({ gen: expect.any(String) });
    expect((await summaryItem(feed, '2026-10-04'))!.summary).toBeUndefined();

    // Once settled, a read rebuilds them; the next reads no counters.
    expect(await dora(feed)).toEqual(expected);
    const later = watched();
    expect(await dora(feed, { client: later.spy })).toEqual(expected);
    expect(later.sent).toEqual(['Y']);
  });

  it('keep every time up to 32 a day, and beyond, medians within 2% of the exact ones', async () => {
    const feed = feedName();
    for (let i = 0; i < 60; i++) {
      const date = `2026-10-05T${String(Math.floor(i / 3)).padStart(2, '0')}:${String((i % 3) * 20).padStart(2, '0')}:00Z`;
      await putDeployment(
        client,
        TEST_TABLES,
        deployment(feed, date, { target: `web${i}`, commitTime: new Date(Date.parse(date) - (600 + i * i * 97)).toISOString() }),
      );
    }
    const expected = await truth(feed);
    expect(await dora(feed)).toEqual(expected); // built from the counters: exact
    const fromSummary = await dora(feed);
    expect(fromSummary.LeadTimeForChanges.Count).toBe(60);
    for (const key of ['MedianSeconds', 'P90Seconds'] as const) {
      const want = expected.LeadTimeForChanges[key]!;
      expect(Math.abs(fromSummary.LeadTimeForChanges[key]! - want) / want).toBeLessThanOrEqual(ALPHA);
    }
    expect({ ...fromSummary, LeadTimeForChanges: undefined }).toEqual({ ...expected, LeadTimeForChanges: undefined });
  });

  it("are one region's own: another region's counters on the same day are read until that region summarizes them", async () => {
    const feed = feedName();
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-02T10:00:00Z'));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-02T11:00:00Z', { region: US, target: 'web02' }));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-06T11:00:00Z', { region: US, target: 'web02' }));
    const expected = await truth(feed);
    expect(expected.Deployments).toBe(3);

    expect(await dora(feed)).toEqual(expected);
    expect(JSON.parse(String((await summaryItem(feed, '2026-10-02'))!.summary)).at(-1)).toEqual([US]);
    expect(JSON.parse(String((await summaryItem(feed, '2026-10-06'))!.summary))).toEqual([0, 0, [], [], [US]]);
    const euAgain = watched();
    expect(await dora(feed, { client: euAgain.spy })).toEqual(expected);
    expect(euAgain.sent).toEqual(['Y', 'D', 'D']); // 10-02 and 10-06, one Query each
    // Region filter: us-east-1's deployments only.
    const usOnly = (await read(feed)).filter((c) => c.region === US);
    expect(doraView(FROM, TO, usOnly).Deployments).toBe(2);

    expect(await dora(feed, { region: US })).toEqual(expected);
    const bothSummarized = watched();
    expect(await dora(feed, { client: bothSummarized.spy })).toEqual(expected);
    expect(bothSummarized.sent).toEqual(['Y']);
  });

  it('are not stored when a record lands on the day between the read of its counters and the write', async () => {
    const feed = feedName();
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-04T10:00:00Z'));
    const late = deployment(feed, '2026-10-04T18:00:00Z', { target: 'web09' });
    const racing = documentClient();
    const spy = Object.create(racing) as DynamoDBDocumentClient;
    let raced = false;
    spy.send = (async (command: QueryCommand) => {
      const out = await racing.send(command);
      if (!raced && command instanceof QueryCommand && String(command.input.ExpressionAttributeValues?.[':low']).startsWith('D#')) {
        raced = true;
        await putDeployment(client, TEST_TABLES, late); // counted, and the day marked, after the read took its counters
      }
      return out;
    }) as DynamoDBDocumentClient['send'];

    const during = await dora(feed, { client: spy });
    expect(raced).toBe(true);
    expect(during.Deployments).toBe(1); // what the counters held when read
    const item = await summaryItem(feed, '2026-10-04');
    expect(item!.gen).toBeDefined();
    expect(item!.builtGen).not.toBe(item!.gen);
    // Every later read has both, whether it rebuilds the summary or not.
    expect((await dora(feed)).Deployments).toBe(2);
    expect(await dora(feed)).toEqual(await truth(feed));
  });

  it('of a package, a target, or a package on a target, like the feed', async () => {
    const feed = feedName();
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-02T10:00:00Z'));
    await putDeployment(client, TEST_TABLES, deployment(feed, '2026-10-02T10:00:00Z', { packageName: 'Lib', target: 'web02' }));
    for (const dimension of [{ pkg: 'App' }, { target: 'web02' }, { pkg: 'Lib', target: 'web02' }, { pkg: 'Lib', target: 'web01' }]) {
      const expected = await truth(feed, { dimension });
      expect(expected.Deployments).toBe(dimension.pkg === 'Lib' && dimension.target === 'web01' ? 0 : 1);
      expect(await dora(feed, { dimension })).toEqual(expected);
      expect(await dora(feed, { dimension })).toEqual(expected);
    }
  });
});
