import { randomUUID } from 'node:crypto';
import { paginateQuery, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../infra/admin.ts';
import { readHandler } from '../../lib/app/read.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { SETTLE_MS } from '../../lib/domain/day-summaries.ts';
import { doraView, type DayCounts } from '../../lib/domain/dora.ts';
import {
  counterPartitionKey,
  counterRange,
  counterSortKey,
  foldName,
  parseCounterSortKey,
  summarySortKey,
  type CounterDimension,
} from '../../lib/domain/keys.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import type { DoraView } from '../../lib/domain/views.ts';
import { httpFunction } from '../../lib/http/chain.ts';
import { clientSettings, createDocumentClient, documentClient } from '../../lib/store/client.ts';
import { config } from '../../lib/store/config.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { configuredDirectory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { invoke } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * Attacks on the DORA read's summaries of closed days (lib/domain/day-summaries.ts), on the suite's real engine. The
 * invariant each test checks: a read's answer equals doraView over the counters as they are when it answers (an oracle
 * here that reads the counter items itself), whatever records, regions, clocks (within a day of the writer's) and
 * stored summaries came before; never a 5xx. Regions are two readers of the same table (global tables without lag).
 * Records are written by putDeployment, whose transaction marks summaries stale by the real clock, so the days used
 * are well in the past, or yesterday for a day that closes between two reads.
 */
const client = documentClient();
const DAY = 86_400_000;
const EU = 'eu-west-1';
const US = 'us-east-1';

const newFeed = async (name: string): Promise<string> => {
  const feed = `${name}-${randomUUID().slice(0, 8)}`;
  await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(feed, VIEW_AND_DOWNLOAD);
  return feed;
};

/** The read function of `region` with its clock at `now` (on `c`, a client a test may instrument). */
const reader = (region: string, now: () => Date, c: DynamoDBDocumentClient = client, storeErrors: unknown[] = []) => {
  const cfg = config();
  return httpFunction({ name: 'query-deployments', ok: 'Served' }).handler(
    readHandler({
      client: c,
      directory: configuredDirectory(c, cfg),
      feeds: new FeedRepository(c, cfg.feedsTable),
      deploymentsTable: TEST_TABLES.deployments,
      now,
      region,
      onSummaryError: (e) => storeErrors.push(e),
    }),
  );
};

type Params = { FeedName: string; from: string; to: string; Target?: string; PackageName?: string; GroupName?: string; Region?: string };

const readAt = async (region: string, nowMs: number, params: Params, c: DynamoDBDocumentClient = client) => {
  const errors: unknown[] = [];
  const res = await invoke(
    reader(region, () => new Date(nowMs), c, errors),
    {
      method: 'GET',
      path: '/api/deployments/dora',
      query: new URLSearchParams(params).toString(),
    },
  );
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(errors).toEqual([]);
  return res.json as unknown as DoraView;
};

const dimensionOf = (p: Params): CounterDimension => ({ feed: p.FeedName, group: p.GroupName, pkg: p.PackageName, target: p.Target });

/** The oracle: doraView over the counter items of the range as they are now, read item by item (no summary). */
const truth = async (p: Params): Promise<DoraView> => {
  const byKey = new Map<string, DayCounts>();
  const { low, high } = counterRange(p.from, p.to);
  for await (const page of paginateQuery(
    { client },
    {
      TableName: TEST_TABLES.deployments,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: { ':p': counterPartitionKey(dimensionOf(p)), ':low': low, ':high': high },
    },
  )) {
    for (const item of page.Items ?? []) {
      const { day, region } = parseCounterSortKey(String(item.sk));
      const c = byKey.get(`${day}\n${region}`) ?? { day, region, count: 0, failed: 0, lead: { values: [] }, restore: { values: [] } };
      c.count += Number(item.count ?? 0);
      c.failed += Number(item.failed ?? 0);
      c.lead.values.push(...((item.leadTimes as number[] | undefined) ?? []).map(Number));
      c.restore.values.push(...((item.restoreTimes as number[] | undefined) ?? []).map(Number));
      byKey.set(`${day}\n${region}`, c);
    }
  }
  const counts = [...byKey.values()].filter((c) => p.Region === undefined || foldName(c.region) === foldName(p.Region));
  return doraView(p.from, p.to, counts);
};

/** Reads from `region` at `nowMs` and checks the answer against the oracle (exactly: no day here holds over 32 times). */
const check = async (region: string, nowMs: number, p: Params, c: DynamoDBDocumentClient = client): Promise<DoraView> => {
  const answer = await readAt(region, nowMs, p, c);
  expect(answer, `read from ${region} at ${new Date(nowMs).toISOString()} of ${JSON.stringify(p)}`).toEqual(await truth(p));
  return answer;
};

/** The summary items of a dimension (every day and region). */
const summaryItems = async (p: Pick<Params, 'FeedName' | 'Target' | 'PackageName' | 'GroupName'>) => {
  const out = await client.send(
    new QueryCommand({
      TableName: TEST_TABLES.deployments,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :y)',
      ExpressionAttributeValues: { ':p': counterPartitionKey(dimensionOf(p as Params)), ':y': 'Y#' },
    }),
  );
  return (out.Items ?? []) as Array<{ sk: string; summary?: string; gen?: string; builtGen?: string; since?: string; changedAt?: number }>;
};
const validDays = async (p: Pick<Params, 'FeedName' | 'Target' | 'PackageName' | 'GroupName'>) =>
  (await summaryItems(p))
    .filter((i) => i.summary !== undefined && i.gen === i.builtGen)
    .map((i) => i.sk)
    .sort();

let seq = 0;
/** A record as a region's function writes it; `date` an ISO instant. */
const deploy = (
  feed: string,
  r: { region: string; date: string; version: string; target?: string; pkg?: string; group?: string; commitTime?: string; failed?: boolean },
  c: DynamoDBDocumentClient = client,
) => {
  const record: NewDeployment = {
    feedName: feed,
    packageName: r.pkg ?? 'App',
    ...(r.group !== undefined ? { groupName: r.group } : {}),
    version: r.version,
    target: r.target ?? 'web01',
    application: 'Pipeline',
    description: `Deploy ${r.version} #${++seq}`,
    userName: 'ci',
    date: r.date,
    receivedAt: new Date().toISOString(),
    keyId: 'anonymous',
    region: r.region,
    ...(r.failed ? { status: 'Failed' as const } : {}),
    ...(r.commitTime ? { commitTime: r.commitTime } : {}),
  };
  return putDeployment(c, TEST_TABLES, record);
};

/** Past the settle window of any mark a test just made (the read's clock only: the writers keep the real one). */
const settled = () => Date.now() + SETTLE_MS + 60_000;

/** A client that writes `inject` (once) when the read is about to store its first summary. */
const racing = (inject: () => Promise<unknown>) => {
  const c = createDocumentClient(clientSettings(config().dynamo));
  let done = false;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { sk?: unknown } };
      const sk = input.Key?.sk;
      const text = typeof sk === 'string' ? sk : ((sk as { S?: string } | undefined)?.S ?? '');
      if (!done && /^Update(Item)?Command$/.test(context.commandName ?? '') && text.startsWith('Y#')) {
        done = true;
        await inject();
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectRecord' },
  );
  return { c, injected: () => done };
};

describe('records on days already summarized', () => {
  let feed: string;
  const range = () => ({ FeedName: feed, from: '2026-11-01', to: '2026-11-10' });

  beforeAll(async () => {
    feed = await newFeed('SumBack');
    await deploy(feed, { region: EU, date: '2026-11-02T10:00:00Z', version: '1.0.0', commitTime: '2026-11-02T09:00:00Z' });
    await deploy(feed, { region: EU, date: '2026-11-03T10:00:00Z', version: '1.1.0', commitTime: '2026-11-03T08:00:00Z' });
    await deploy(feed, { region: US, date: '2026-11-03T11:00:00Z', version: '1.0.0', target: 'web02', commitTime: '2026-11-03T10:00:00Z' });
    await deploy(feed, { region: US, date: '2026-11-05T11:00:00Z', version: '2.0.0', target: 'web02', commitTime: '2026-11-05T07:00:00Z' });
  });

  it('a first read of each region stores its own summaries, and both answer the truth', async () => {
    await check(EU, Date.now(), range());
    await check(US, Date.now(), range());
    // The records just marked their days (backdated): summarized once the settle window is over.
    const marked = [summarySortKey('2026-11-02', EU), summarySortKey('2026-11-03', EU), summarySortKey('2026-11-03', US), summarySortKey('2026-11-05', US)];
    expect((await validDays({ FeedName: feed })).filter((sk) => marked.includes(sk))).toEqual([]);
    await check(EU, settled(), range());
    await check(US, settled(), range());
    const days = await validDays({ FeedName: feed });
    expect(days).toEqual(expect.arrayContaining(marked));
    // A second read answers from them, the same.
    await check(EU, settled(), range());
    await check(US, settled(), { ...range(), Region: 'US-EAST-1' });
  });

  it('a backdated record on a summarized day (same region, another target) is counted at once, and rebuilt after the settle window', async () => {
    await deploy(feed, { region: EU, date: '2026-11-03T15:00:00Z', version: '1.0.0', target: 'web03', commitTime: '2026-11-03T14:00:00Z' });
    await check(EU, Date.now(), range());
    await check(US, Date.now(), range());
    await check(EU, settled(), range());
    expect(await validDays({ FeedName: feed })).toContain(summarySortKey('2026-11-03', EU));
    await check(US, settled(), range());
    await check(EU, settled(), { ...range(), Region: EU });
  });

  it('a record of region B on a day region A summarized (B had none there) is counted from both regions', async () => {
    await deploy(feed, { region: US, date: '2026-11-02T18:00:00Z', version: '1.0.0', target: 'web04' });
    await check(EU, Date.now(), range());
    await check(US, Date.now(), range());
    await check(US, settled(), range());
    await check(EU, settled(), range());
    await check(EU, settled(), { ...range(), Region: US });
    await check(US, settled(), { ...range(), Target: 'web04' });
  });

  it('a failed attempt on a summarized day, and a rollback (from the other region) failing a summarized day', async () => {
    await deploy(feed, { region: EU, date: '2026-11-05T12:00:00Z', version: '9.0.0', target: 'web01', failed: true });
    await check(EU, Date.now(), range());
    // web02 ran 2.0.0 (11-05, US); 1.0.0 today in EU rolls it back: a failure on 11-05, counted in EU's counters.
    await deploy(feed, { region: EU, date: new Date().toISOString(), version: '1.0.0', target: 'web02' });
    const wide = { FeedName: feed, from: '2026-11-01', to: new Date().toISOString().slice(0, 10) };
    await check(US, Date.now(), wide);
    await check(EU, Date.now(), wide);
    await check(EU, settled(), wide);
    await check(US, settled(), wide);
    await check(US, settled(), { ...wide, Target: 'web02' });
    await check(EU, settled(), { ...wide, Region: EU });
    await check(US, settled(), { ...wide, PackageName: 'app', Target: 'WEB02' });
  });
});

describe('empty days claimed by `since`', () => {
  let feed: string;
  const p = (from: string, to: string, extra: Partial<Params> = {}): Params => ({ FeedName: feed, from, to, ...extra });

  beforeAll(async () => {
    feed = await newFeed('SumSince');
    await deploy(feed, { region: EU, date: '2026-10-01T10:00:00Z', version: '1.0.0', commitTime: '2026-10-01T09:00:00Z' });
    await deploy(feed, { region: EU, date: '2026-10-20T10:00:00Z', version: '1.1.0', commitTime: '2026-10-20T06:00:00Z' });
  });

  it('records later landing inside an empty run (either region) are counted, by ranges that cut the run anywhere', async () => {
    await check(EU, settled(), p('2026-09-25', '2026-10-31'));
    const claims = (await summaryItems({ FeedName: feed })).filter((i) => i.since !== undefined);
    expect(claims.length).toBeGreaterThan(0);
    await deploy(feed, { region: US, date: '2026-10-10T10:00:00Z', version: '1.0.0', target: 'web02' });
    await deploy(feed, { region: EU, date: '2026-10-12T10:00:00Z', version: '1.0.0', target: 'web03' });
    for (const [from, to] of [
      ['2026-09-25', '2026-10-31'],
      ['2026-10-05', '2026-10-15'],
      ['2026-10-11', '2026-10-19'],
      ['2026-10-10', '2026-10-10'],
      ['2026-10-02', '2026-10-25'],
    ] as const) {
      await check(EU, Date.now(), p(from, to));
      await check(US, Date.now(), p(from, to));
      await check(EU, settled(), p(from, to));
      await check(US, settled(), p(from, to));
    }
    await deploy(feed, { region: US, date: '2026-10-14T10:00:00Z', version: '1.2.0', target: 'web02', commitTime: '2026-10-14T09:00:00Z' });
    await check(EU, settled(), p('2026-09-25', '2026-10-31'));
    await check(EU, settled(), p('2026-10-13', '2026-10-31', { Region: US }));
  });

  it('366-day ranges, ranges entirely in the future, and ranges of only the open days', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const dayOffset = (d: number) => new Date(Date.parse(`${today}T00:00:00Z`) + d * DAY).toISOString().slice(0, 10);
    await check(EU, Date.now(), p(dayOffset(-365), today));
    await check(US, settled(), p(dayOffset(-365), today));
    await check(EU, Date.now(), p(dayOffset(3), dayOffset(40)));
    await check(EU, Date.now(), p(dayOffset(-1), today));
    await check(EU, Date.now() + DAY - 60_000, p(dayOffset(-1), dayOffset(1)));
    await check(EU, Date.now(), p('2026-10-01', '2026-10-01'));
    // The ends of the calendar a Date parameter can name.
    await check(EU, settled(), p('0001-01-01', '0001-12-31'));
    await check(EU, settled(), p('9999-01-01', '9999-12-31'));
    await check(EU, Date.parse('9999-12-31T23:00:00Z'), p('9999-01-01', '9999-12-31'));
  });
});

describe('clocks', () => {
  it('a day that closes between two reads: the day before yesterday summarized by a reader a day ahead, then written to again', async () => {
    const feed = await newFeed('SumClock');
    // The last day a record marks: the day before yesterday (named `yesterday` for the reader a day ahead).
    const yesterday = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const q = { FeedName: feed, from: '2026-11-20', to: today };
    await deploy(feed, { region: EU, date: `${yesterday}T01:00:00Z`, version: '1.0.0', commitTime: `${yesterday}T00:30:00Z` });
    await check(EU, Date.now(), q);
    // The reader's clock nearly a day ahead: yesterday is closed for it, and it summarizes it.
    const ahead = Date.now() + DAY - 5 * 60_000;
    await check(EU, ahead + SETTLE_MS, q);
    expect(await validDays({ FeedName: feed })).toContain(summarySortKey(yesterday, EU));
    await deploy(feed, { region: EU, date: `${yesterday}T02:00:00Z`, version: '1.1.0', commitTime: `${yesterday}T00:00:00Z` });
    await deploy(feed, { region: US, date: `${yesterday}T03:00:00Z`, version: '1.0.0', target: 'web02' });
    await check(EU, ahead, q);
    await check(US, ahead, q);
    await check(EU, ahead + SETTLE_MS, q);
    await check(US, ahead + SETTLE_MS, q);
    // A reader behind the writer by most of a day.
    await check(EU, Date.now() - DAY + 60_000, q);
  });

  it('the settle window: a day marked less than SETTLE_MS ago is read from its counters and not summarized', async () => {
    const feed = await newFeed('SumSettle');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-05' };
    await deploy(feed, { region: EU, date: '2026-11-03T10:00:00Z', version: '1.0.0' });
    const marked = (await summaryItems(q)).find((i) => i.sk === summarySortKey('2026-11-03', EU))!;
    expect(marked.changedAt).toBeGreaterThan(Date.now() - 60_000);
    await check(EU, marked.changedAt! + SETTLE_MS - 1000, q);
    expect(await validDays(q)).not.toContain(summarySortKey('2026-11-03', EU));
    await check(EU, marked.changedAt! + SETTLE_MS, q);
    expect(await validDays(q)).toContain(summarySortKey('2026-11-03', EU));
  });
});

describe('a record between the read’s counters Query and its summary write', () => {
  it('on the day being summarized: the summary is not stored over it, and every later read counts it', async () => {
    const feed = await newFeed('SumRace');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-07' };
    await deploy(feed, { region: EU, date: '2026-11-03T10:00:00Z', version: '1.0.0', commitTime: '2026-11-03T09:00:00Z' });
    const before = await truth(q);
    const { c, injected } = racing(() =>
      deploy(feed, { region: EU, date: '2026-11-03T12:00:00Z', version: '1.0.0', target: 'web02', commitTime: '2026-11-03T11:00:00Z' }),
    );
    // The racing read answers what the counters held when it read them.
    expect(await readAt(EU, settled(), q, c)).toEqual(before);
    expect(injected()).toBe(true);
    await check(EU, settled(), q);
    await check(US, settled(), q);
    await check(EU, settled(), q);
  });

  it('on an empty day the read is about to claim (`since`), in either region', async () => {
    for (const region of [EU, US]) {
      const feed = await newFeed('SumRaceSince');
      const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-20' };
      await deploy(feed, { region: EU, date: '2026-11-15T10:00:00Z', version: '1.0.0' });
      const { c, injected } = racing(() => deploy(feed, { region, date: '2026-11-08T10:00:00Z', version: '1.0.0', target: 'web02' }));
      await readAt(EU, settled(), q, c);
      expect(injected()).toBe(true);
      await check(EU, settled(), q);
      await check(US, settled(), q);
      await check(EU, settled(), { ...q, from: '2026-11-05', to: '2026-11-10' });
    }
  });
});

describe('counters backfill', () => {
  it('then reads: the summaries built before it are not used over the rebuilt counters', async () => {
    const feed = await newFeed('SumBackfill');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    await deploy(feed, { region: EU, date: '2026-11-05T10:00:00Z', version: '2.0.0', commitTime: '2026-11-05T09:00:00Z' });
    await check(EU, settled(), q);
    // Backdated under the current 2.0.0: history only for the transaction; the backfill replays it in Date order.
    await deploy(feed, { region: EU, date: '2026-11-02T10:00:00Z', version: '1.0.0' });
    await deploy(feed, { region: EU, date: '2026-11-04T10:00:00Z', version: '3.0.0', commitTime: '2026-11-04T09:00:00Z' });
    await check(EU, settled(), q);
    const before = await truth(q);
    await run(['counters', 'backfill', '--feed', feed], () => undefined);
    const after = await truth(q);
    expect(after).not.toEqual(before); // 2.0.0 after 3.0.0 is a rollback once replayed in Date order
    await check(EU, Date.now(), q);
    await check(EU, settled(), q);
    await check(US, settled(), q);
    await check(EU, settled(), q);
  });
});

describe('hostile stored summaries', () => {
  it('a broken `summary` attribute is never used and never a 500: the counters answer', async () => {
    const feed = await newFeed('SumHostile');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    for (let d = 1; d <= 9; d++) {
      await deploy(feed, { region: EU, date: `2026-11-0${d}T10:00:00Z`, version: `1.0.${d}`, commitTime: `2026-11-0${d}T0${d - 1}:00:00Z` });
    }
    const pk = counterPartitionKey({ feed });
    const texts = [
      'not json',
      'null',
      '{}',
      '[1]',
      '[-1,0,[],[],[]]',
      '[1.5,0,[],[],[]]',
      '[1,0,{"z":0,"o":1099511627776,"c":"1"},[],[]]',
      '[1,0,{"z":0,"o":-1099511627776,"c":"1"},[],[]]',
      '[1,0,{"z":0,"o":0,"c":"{1e300}"},[],[]]',
    ];
    await Promise.all(
      texts.map((summary, i) =>
        client.send(
          new PutCommand({
            TableName: TEST_TABLES.deployments,
            Item: { pk, sk: summarySortKey(`2026-11-0${i + 1}`, EU), summary, gen: 'g', builtGen: 'g' },
          }),
        ),
      ),
    );
    await check(EU, Date.now(), q);
    await check(US, Date.now(), q);
  });
});

describe('days with more than EXACT_LIMIT times (a histogram)', () => {
  /** The answer with medians and 90th percentiles within 2% of the oracle's, everything else equal. */
  const close = async (region: string, nowMs: number, p: Params) => {
    const answer = await readAt(region, nowMs, p);
    const exact = await truth(p);
    const strip = (v: DoraView) => ({
      ...v,
      LeadTimeForChanges: { ...v.LeadTimeForChanges, MedianSeconds: 0, P90Seconds: 0 },
      TimeToRestore: { ...v.TimeToRestore, MedianSeconds: 0 },
    });
    expect(strip(answer)).toEqual(strip(exact));
    const pairs: Array<[number | null, number | null]> = [
      [answer.LeadTimeForChanges.MedianSeconds, exact.LeadTimeForChanges.MedianSeconds],
      [answer.LeadTimeForChanges.P90Seconds, exact.LeadTimeForChanges.P90Seconds],
      [answer.TimeToRestore.MedianSeconds, exact.TimeToRestore.MedianSeconds],
    ];
    for (const [got, want] of pairs) {
      if (want === null) expect(got).toBeNull();
      else expect(Math.abs(got! - want), `${got} for ${want}`).toBeLessThanOrEqual(0.02 * want + 0.0005);
    }
    return { answer, exact };
  };

  it('medians within 2% of the counters’ when a day holds more than 32 lead times, in both regions and with a backdated record', async () => {
    const feed = await newFeed('SumHist');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-05' };
    const leads = Array.from({ length: 40 }, (_, i) => 60 + ((i * 7919) % 5000));
    for (const [i, lead] of leads.entries()) {
      const date = Date.parse('2026-11-03T12:00:00Z') + i * 60_000;
      await deploy(feed, {
        region: EU,
        date: new Date(date).toISOString(),
        version: '1.0.0',
        target: `t${i}`,
        commitTime: new Date(date - lead * 1000).toISOString(),
      });
    }
    await deploy(feed, { region: US, date: '2026-11-02T10:00:00Z', version: '1.0.0', target: 'u1', commitTime: '2026-11-02T09:59:00Z' });
    await close(EU, settled(), q);
    const { answer } = await close(EU, settled(), q); // from the stored summary
    expect(answer.LeadTimeForChanges.Count).toBe(41);
    await close(US, settled(), q);
    await deploy(feed, { region: EU, date: '2026-11-03T23:00:00Z', version: '1.0.0', target: 'late', commitTime: '2026-11-03T22:00:00Z' });
    await close(EU, Date.now(), q);
    await close(EU, settled(), q);
    await close(US, settled(), { ...q, Region: EU });
  }, 60_000);

  it('lead times of a millisecond are not read back as 0 from a histogram', async () => {
    const feed = await newFeed('SumMilli');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-05' };
    for (let i = 0; i < 33; i++) {
      const date = Date.parse('2026-11-03T12:00:00Z') + i * 60_000;
      await deploy(feed, { region: EU, date: new Date(date).toISOString(), version: '1.0.0', target: `t${i}`, commitTime: new Date(date - 1).toISOString() });
    }
    expect((await truth(q)).LeadTimeForChanges.MedianSeconds).toBe(0.001);
    await close(EU, settled(), q);
    await close(EU, settled(), q); // from the stored summary
  }, 60_000);
});

describe('any sequence of records and reads (fast-check)', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const dayAt = (offset: number) => new Date(Date.parse(`${today()}T00:00:00Z`) + offset * DAY).toISOString().slice(0, 10);
  // Days 2026-11-01 to 2026-11-12, and the last three days (two days ago, yesterday, today).
  const DAYS = [...Array.from({ length: 12 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`), 'D-2', 'D-1', 'D-0'];
  const dayOf = (d: string) => (d.startsWith('D-') ? dayAt(-Number(d.slice(2))) : d);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('record' as const),
      region: fc.constantFrom(EU, US),
      day: fc.constantFrom(...DAYS),
      hour: fc.integer({ min: 0, max: 23 }),
      target: fc.constantFrom('web01', 'web02', 'web03'),
      pkg: fc.constantFrom('App', 'Lib'),
      version: fc.constantFrom('1.0.0', '1.1.0', '2.0.0', '0.9.0'),
      failed: fc.boolean(),
      lead: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant('read' as const),
      region: fc.constantFrom(EU, US),
      clock: fc.constantFrom('now', 'settled', 'ahead', 'ahead-settled', 'behind'),
      from: fc.integer({ min: 0, max: DAYS.length - 1 }),
      length: fc.integer({ min: 0, max: DAYS.length - 1 }),
      filter: fc.constantFrom<Partial<Params>>(
        {},
        { Region: EU },
        { Region: US },
        { Target: 'web02' },
        { PackageName: 'Lib' },
        { PackageName: 'App', Target: 'web01' },
      ),
      // A record written when the read is about to store its first summary (after its counters Query).
      race: fc.option(fc.record({ region: fc.constantFrom(EU, US), day: fc.constantFrom(...DAYS.slice(0, 13)), target: fc.constantFrom('web01', 'web02') }), {
        nil: undefined,
      }),
    }),
    fc.record({ kind: fc.constant('backfill' as const) }),
  );

  it('every read answers the counters as they are then', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 24 }), async (ops) => {
        const feed = await newFeed('SumProp');
        for (const o of ops) {
          if (o.kind === 'record') {
            const hour = String(o.hour).padStart(2, '0');
            let date = Date.parse(`${dayOf(o.day)}T${hour}:00:00Z`);
            if (date > Date.now()) date = Date.now() - 1000;
            await deploy(feed, {
              region: o.region,
              date: new Date(date).toISOString(),
              version: o.version,
              target: o.target,
              pkg: o.pkg,
              failed: o.failed,
              ...(o.lead !== undefined ? { commitTime: new Date(date - o.lead * 1000).toISOString() } : {}),
            });
          } else if (o.kind === 'backfill') {
            await run(['counters', 'backfill', '--feed', feed], () => undefined);
          } else {
            const clock = { now: 0, settled: SETTLE_MS + 60_000, ahead: DAY - 10 * 60_000, 'ahead-settled': DAY - 60_000, behind: -DAY + 10 * 60_000 }[o.clock];
            const from = dayOf(DAYS[o.from]!);
            const to = dayOf(DAYS[Math.min(DAYS.length - 1, o.from + o.length)]!);
            const p = { FeedName: feed, from, to, ...o.filter };
            if (o.race === undefined) {
              await check(o.region, Date.now() + clock, p);
            } else {
              const race = o.race;
              const before = await truth(p);
              const { c } = racing(() => deploy(feed, { region: race.region, date: `${dayOf(race.day)}T12:00:00Z`, version: '1.0.0', target: race.target }));
              expect(await readAt(o.region, Date.now() + clock, p, c)).toEqual(before);
              await check(o.region, Date.now() + clock, p);
            }
          }
        }
        // And every day of every dimension, read from both regions once all is settled.
        for (const filter of [{}, { Target: 'web02' }, { PackageName: 'Lib' }, { PackageName: 'App', Target: 'web01' }]) {
          for (const region of [EU, US]) await check(region, settled(), { FeedName: feed, from: '2026-10-30', to: today(), ...filter });
        }
      }),
      { numRuns: Number(process.env.SUM_RUNS ?? 25) },
    );
  }, 300_000);
});

describe('what a read reads', () => {
  /** Reads from `region` (checking the answer) and returns the counter items its counters Query returned. */
  const countersRead = async (region: string, nowMs: number, p: Params): Promise<string[]> => {
    const c = createDocumentClient(clientSettings(config().dynamo));
    const seen: string[] = [];
    c.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const items = (result.output as { Items?: Array<{ sk?: unknown }> }).Items ?? [];
        for (const item of items) {
          const sk = typeof item.sk === 'string' ? item.sk : ((item.sk as { S?: string } | undefined)?.S ?? '');
          if (sk.startsWith('D#')) seen.push(sk);
        }
        return result;
      },
      { step: 'initialize', name: 'seeCounters' },
    );
    await check(region, nowMs, p, c);
    return seen;
  };

  it('once summarized, a read reads the counters of the open days only', async () => {
    const feed = await newFeed('SumCost');
    const q = { FeedName: feed, from: '2026-11-01', to: new Date().toISOString().slice(0, 10) };
    for (const day of ['02', '03', '04']) await deploy(feed, { region: EU, date: `2026-11-${day}T10:00:00Z`, version: `1.0.${day}` });
    expect((await countersRead(EU, settled(), q)).length).toBeGreaterThan(0);
    expect(await countersRead(EU, settled(), q)).toEqual([]);
  });

  // Only a region's own read summarizes its counters: days where a region that serves no DORA reads (or an import's
  // region, which no function runs in) has counters are read from the counters by every read; those days only.
  it('a day with counters of a region that never reads is read from its counters: that day only', async () => {
    const feed = await newFeed('SumCostRegion');
    const q = { FeedName: feed, from: '2026-11-01', to: new Date().toISOString().slice(0, 10) };
    for (const day of ['02', '03', '04']) await deploy(feed, { region: EU, date: `2026-11-${day}T10:00:00Z`, version: `1.0.${day}` });
    await deploy(feed, { region: 'ap-south-1', date: '2026-11-02T12:00:00Z', version: '1.0.0', target: 'imported' });
    await countersRead(EU, settled(), q);
    const again = await countersRead(EU, settled(), q);
    expect(again.length).toBeGreaterThan(0);
    expect(again.filter((sk) => !sk.startsWith('D#2026-11-02#'))).toEqual([]);
    expect((await check(EU, settled(), q)).Deployments).toBe(4);
  });
});

describe('hostile stored `since`', () => {
  it('a `since` that is not a day claims nothing: the counters of the days before it are read', async () => {
    const feed = await newFeed('SumHostileSince');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    const pk = counterPartitionKey({ feed });
    // 11-03's counters as a record counted on its own day writes them (no summary item), then a backdated record on 11-05.
    await client.send(new PutCommand({ TableName: TEST_TABLES.deployments, Item: { pk, sk: counterSortKey('2026-11-03', EU, 0), count: 1, failed: 0 } }));
    await deploy(feed, { region: EU, date: '2026-11-05T10:00:00Z', version: '1.0.0' });
    for (const since of ['', '!', '2026-1', 'not a day']) {
      await client.send(
        new UpdateCommand({
          TableName: TEST_TABLES.deployments,
          Key: { pk, sk: summarySortKey('2026-11-05', EU) },
          UpdateExpression: 'SET since = :s',
          ExpressionAttributeValues: { ':s': since },
        }),
      );
      const answer = await check(EU, Date.now(), q);
      expect(answer.Deployments).toBe(2);
    }
  });
});

describe('dimensions without deployments', () => {
  it('a read of a target or package that never deployed stores nothing (purge, which finds partitions from the history, could not remove it)', async () => {
    const feed = await newFeed('SumGhost');
    await deploy(feed, { region: EU, date: '2026-11-03T10:00:00Z', version: '1.0.0' });
    const today = new Date().toISOString().slice(0, 10);
    for (const filter of [{ Target: 'nobody' }, { PackageName: 'Nothing' }, { PackageName: 'App', Target: 'nobody' }]) {
      const p = { FeedName: feed, from: '2026-01-01', to: today, ...filter };
      const answer = await check(EU, settled(), p);
      expect(answer.Deployments).toBe(0);
      expect(await summaryItems(p)).toEqual([]);
    }
    // The feed's own partition is summarized as before.
    await check(EU, settled(), { FeedName: feed, from: '2026-01-01', to: today });
    expect(await validDays({ FeedName: feed })).toContain(summarySortKey('2026-11-03', EU));
  });
});

describe('replication order (simulated on one table)', () => {
  // The settle window is measured from the writer's clock (changedAt) to the reader's: it guards against a mark that
  // replicates before its counters while the two clocks agree within SETTLE_MS (an hour) and the counters follow within
  // it. Here another region's import marks 11-03 at the writer's "now", the reader's clock runs 20 minutes ahead, and
  // the counters arrive after that read: it stored no summary, so the next read has them.
  it('a mark that arrives before its counters, read by a clock 20 minutes ahead, is not summarized without them', async () => {
    const feed = await newFeed('SumReplication');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    const pk = counterPartitionKey({ feed });
    await deploy(feed, { region: EU, date: '2026-11-03T10:00:00Z', version: '1.0.0' });
    await check(EU, settled(), q);
    await client.send(
      new UpdateCommand({
        TableName: TEST_TABLES.deployments,
        Key: { pk, sk: summarySortKey('2026-11-03', EU) },
        UpdateExpression: 'SET gen = :g, changedAt = :now',
        ExpressionAttributeValues: { ':g': 'import-in-another-region', ':now': Date.now() },
      }),
    );
    await check(EU, Date.now() + 20 * 60_000, q);
    await client.send(
      new UpdateCommand({
        TableName: TEST_TABLES.deployments,
        Key: { pk, sk: counterSortKey('2026-11-03', EU, 3) },
        UpdateExpression: 'ADD #count :one',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await check(EU, Date.now() + 20 * 60_000, q);
  });
});

describe('regions as an import may name them', () => {
  it('a region holding a line feed or a # is counted under its own name, from counters and from summaries', async () => {
    const feed = await newFeed('SumOddRegion');
    // Any non-empty string in an export's Region; the read's Region parameter refuses control characters.
    const odd = 'eu-west-1\nreplica#2';
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    await deploy(feed, { region: odd, date: '2026-11-03T10:00:00Z', version: '1.0.0', commitTime: '2026-11-03T09:00:00Z' });
    await deploy(feed, { region: EU, date: '2026-11-04T10:00:00Z', version: '1.1.0' });
    for (const nowMs of [Date.now(), settled(), settled()]) {
      for (const filter of [{}, { Region: EU }]) {
        await check(EU, nowMs, { ...q, ...filter });
        await check(odd, nowMs, { ...q, ...filter });
      }
    }
    expect((await check(EU, settled(), { ...q, Region: EU })).Deployments).toBe(1);
    // eu-west-1's summary of 11-03 does not take the other region's counters for its own.
    const eu3 = (await summaryItems(q)).find((i) => i.sk === summarySortKey('2026-11-03', EU));
    expect(eu3?.summary === undefined ? 0 : (JSON.parse(eu3.summary) as number[])[0]).toBe(0);
  });
});

describe('a group’s package', () => {
  it('GroupName with PackageName reads its own counters and summaries, apart from the package without a group', async () => {
    const feed = await newFeed('SumGroup');
    const q = { FeedName: feed, from: '2026-11-01', to: '2026-11-10' };
    await deploy(feed, { region: EU, date: '2026-11-02T10:00:00Z', version: '1.0.0', group: 'Grp', commitTime: '2026-11-02T09:00:00Z' });
    await deploy(feed, { region: EU, date: '2026-11-02T11:00:00Z', version: '1.0.0', target: 'web02' });
    await deploy(feed, { region: US, date: '2026-11-04T11:00:00Z', version: '2.0.0', group: 'Grp' });
    for (const nowMs of [Date.now(), settled()]) {
      for (const region of [EU, US]) {
        expect((await check(region, nowMs, { ...q, PackageName: 'App', GroupName: 'grp' })).Deployments).toBe(2);
        expect((await check(region, nowMs, { ...q, PackageName: 'App' })).Deployments).toBe(1);
        await check(region, nowMs, { ...q, PackageName: 'App', GroupName: 'Grp', Target: 'web01' });
      }
    }
    await deploy(feed, { region: US, date: '2026-11-02T12:00:00Z', version: '0.9.0', group: 'Grp' });
    expect((await check(EU, settled(), { ...q, PackageName: 'App', GroupName: 'Grp' })).ChangeFailureRate.Failed).toBe(0);
    await check(US, settled(), { ...q, PackageName: 'App', GroupName: 'Grp', Target: 'web01' });
    expect(await validDays({ FeedName: feed, PackageName: 'App', GroupName: 'Grp' })).toContain(summarySortKey('2026-11-04', US));
  });
});
