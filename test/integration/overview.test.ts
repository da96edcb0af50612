import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { handler as record } from '../../functions/record-deployment/handler.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { documentClient } from '../../lib/store/client.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { invoke, type Answer } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * The overview, PreviousVersion and Change, and the frequency counters, on the suite's real engine (dynalite with our
 * TransactWriteItems, or DynamoDB Local): records from two regions (the handler's eu-west-1 and putDeployment with
 * us-east-1, as a second region's function writes to a global table's replica), upgrades, a rollback, a redeploy, an
 * unorderable version, a backdated record.
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const FEED = `Overview-${suffix}`;
const OTHER_FEED = `Overview-Other-${suffix}`;

type R = { pkg: string; group?: string; version: string; target: string; date: string; region?: string; application?: string; url?: string };
const RECORDS: R[] = [
  // Alpha: upgraded on web01, rolled back on web02 (in us-east-1), first deployment on web03.
  { pkg: 'Alpha', version: '1.0.0', target: 'web01', date: '2026-11-02T10:00:00Z', url: 'https://ci.example.com/1' },
  { pkg: 'Alpha', version: '2.0.0', target: 'web01', date: '2026-11-09T10:00:00Z' },
  { pkg: 'Alpha', version: '1.0.0', target: 'web02', date: '2026-11-02T11:00:00Z', region: 'us-east-1' },
  { pkg: 'Alpha', version: '2.0.0', target: 'web02', date: '2026-11-09T11:00:00Z', region: 'us-east-1' },
  { pkg: 'Alpha', version: '1.5.0', target: 'web02', date: '2026-11-10T11:00:00Z', region: 'us-east-1' },
  { pkg: 'Alpha', version: '1.0.0', target: 'web03', date: '2026-11-10T12:00:00Z', application: 'Octopus' },
  // Beta (group Tools): redeployed on web01, an unorderable version on web02; no drift on one target alone.
  { pkg: 'Beta', group: 'Tools', version: '3.0', target: 'web01', date: '2026-11-03T09:00:00Z' },
  { pkg: 'Beta', group: 'Tools', version: '3.0', target: 'web01', date: '2026-11-04T09:00:00Z' },
  { pkg: 'Beta', group: 'Tools', version: '3.0', target: 'web02', date: '2026-11-04T09:30:00Z' },
  { pkg: 'Beta', group: 'Tools', version: 'latest', target: 'web02', date: '2026-11-05T09:30:00Z' },
  // Gamma: a backdated record after a newer one leaves the current one as it was.
  { pkg: 'Gamma', version: '1.0.0', target: 'web01', date: '2026-11-06T08:00:00Z' },
  { pkg: 'Gamma', version: '0.5.0', target: 'web01', date: '2026-10-01T08:00:00Z' },
];

const newDeployment = (r: R, feed = FEED): NewDeployment => ({
  feedName: feed,
  groupName: r.group,
  packageName: r.pkg,
  version: r.version,
  target: r.target,
  application: r.application ?? 'Pipeline',
  description: `Deploy ${r.version}`,
  userName: 'ci',
  url: r.url,
  date: new Date(r.date).toISOString(),
  receivedAt: new Date().toISOString(),
  keyId: 'anonymous',
  region: r.region ?? 'eu-west-1',
});

const get = (path: string, params: Record<string, string>): Promise<Answer> =>
  invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString() });
type Target = Record<string, string>;
type Package = { GroupName?: string; PackageName: string; Versions: string[]; Drift: boolean; Targets: Target[] };
const packagesOf = (a: Answer) => a.json.Packages as Package[];

beforeAll(async () => {
  const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
  await feeds.add(FEED, VIEW_AND_DOWNLOAD);
  await feeds.add(OTHER_FEED, VIEW_AND_DOWNLOAD);
  for (const r of RECORDS) {
    if (r.region === undefined) {
      // The deployed function, in its own region (eu-west-1).
      const res = await invoke(record, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          FeedName: FEED,
          GroupName: r.group,
          PackageName: r.pkg,
          Version: r.version,
          Target: r.target,
          Application: r.application ?? 'Pipeline',
          Description: `Deploy ${r.version}`,
          UserName: 'ci',
          Url: r.url,
          Date: r.date,
        }),
      });
      expect(res.status).toBe(200);
    } else {
      await putDeployment(client, TEST_TABLES, newDeployment(r));
    }
  }
  await putDeployment(client, TEST_TABLES, newDeployment(RECORDS[0]!, OTHER_FEED));
});

describe('GET /api/deployments/overview', () => {
  it('lists every package with its targets, versions, PreviousVersion, Change and Drift', async () => {
    const res = await get('/api/deployments/overview', { FeedName: FEED });
    expect(res.status).toBe(200);
    expect(res.json.NextCursor).toBeUndefined();
    const packages = packagesOf(res);
    // Group and package order: no group first (the empty group sorts first), then Tools.
    expect(packages.map((p) => [p.GroupName, p.PackageName, p.Versions, p.Drift])).toEqual([
      [undefined, 'Alpha', ['2.0.0', '1.5.0', '1.0.0'], true],
      [undefined, 'Gamma', ['1.0.0'], false],
      ['Tools', 'Beta', ['3.0', 'latest'], true],
    ]);
    const rows = packages.flatMap((p) => p.Targets.map((t) => [t.PackageName, t.Target, t.Version, t.PreviousVersion, t.Change, t.Region]));
    expect(rows).toEqual([
      ['Alpha', 'web01', '2.0.0', '1.0.0', 'upgraded', 'eu-west-1'],
      ['Alpha', 'web02', '1.5.0', '2.0.0', 'rolledback', 'us-east-1'],
      ['Alpha', 'web03', '1.0.0', undefined, 'deployed', 'eu-west-1'],
      ['Gamma', 'web01', '1.0.0', undefined, 'deployed', 'eu-west-1'],
      ['Beta', 'web01', '3.0', '3.0', 'redeployed', 'eu-west-1'],
      ['Beta', 'web02', 'latest', '3.0', 'changed', 'eu-west-1'],
    ]);
    // A target's entry is its current record: a newer record without Url leaves none behind.
    const web01 = packages[0]!.Targets[0]!;
    expect(web01).not.toHaveProperty('Url');
    expect(Object.keys(web01).sort()).toEqual(
      [
        'Application',
        'Change',
        'Date',
        'Description',
        'FeedName',
        'Id',
        'PackageName',
        'PreviousVersion',
        'ReceivedAt',
        'Region',
        'Target',
        'UserName',
        'Version',
      ].sort(),
    );
  });

  it('/current shows the same PreviousVersion and Change as the overview', async () => {
    const overview = packagesOf(await get('/api/deployments/overview', { FeedName: FEED }));
    for (const p of overview) {
      const current = await get('/api/deployments/current', { FeedName: FEED, PackageName: p.PackageName, ...(p.GroupName ? { GroupName: p.GroupName } : {}) });
      expect(current.status).toBe(200);
      expect(current.json.Items).toEqual(p.Targets);
    }
  });

  it('pages by package, never splitting one, and the pages together are the whole overview', async () => {
    const whole = packagesOf(await get('/api/deployments/overview', { FeedName: FEED }));
    const pages: Package[][] = [];
    let cursor: string | undefined;
    do {
      const res = await get('/api/deployments/overview', { FeedName: FEED, limit: '1', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages.push(packagesOf(res));
      cursor = res.json.NextCursor as string | undefined;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([1, 1, 1]);
    expect(pages.flat()).toEqual(whole);
  });

  it('filters targets by Target, Region and Application (case-insensitively), and packages by GroupName', async () => {
    const byTarget = packagesOf(await get('/api/deployments/overview', { FeedName: FEED, Target: 'WEB02' }));
    expect(byTarget.map((p) => [p.PackageName, p.Targets.map((t) => t.Target), p.Drift])).toEqual([
      ['Alpha', ['web02'], false],
      ['Beta', ['web02'], false],
    ]);
    const byRegion = packagesOf(await get('/api/deployments/overview', { FeedName: FEED, Region: 'us-east-1' }));
    expect(byRegion.map((p) => [p.PackageName, p.Targets.map((t) => t.Target)])).toEqual([['Alpha', ['web02']]]);
    const byApplication = packagesOf(await get('/api/deployments/overview', { FeedName: FEED, Application: 'octopus' }));
    expect(byApplication.map((p) => [p.PackageName, p.Targets.map((t) => t.Target)])).toEqual([['Alpha', ['web03']]]);
    const byGroup = packagesOf(await get('/api/deployments/overview', { FeedName: FEED, GroupName: 'tools' }));
    expect(byGroup.map((p) => p.PackageName)).toEqual(['Beta']);
    // Each feed sees only its own packages.
    expect(packagesOf(await get('/api/deployments/overview', { FeedName: OTHER_FEED })).map((p) => p.Targets.length)).toEqual([1]);
  });

  it('refuses a cursor of another query, an unknown parameter and a missing feed with 400', async () => {
    const first = await get('/api/deployments/overview', { FeedName: FEED, limit: '1' });
    const cursor = first.json.NextCursor as string;
    expect((await get('/api/deployments/overview', { FeedName: OTHER_FEED, cursor })).status).toBe(400);
    expect((await get('/api/deployments/overview', { FeedName: FEED, GroupName: 'Tools', cursor })).status).toBe(400);
    expect((await get('/api/deployments/overview', { FeedName: FEED, cursor: 'bm90IGEgY3Vyc29y' })).status).toBe(400);
    expect((await get('/api/deployments/overview', { FeedName: FEED, PackageName: 'Alpha' })).status).toBe(400);
    expect((await get('/api/deployments/overview', {})).status).toBe(400);
    expect((await get('/api/deployments/overview', { FeedName: `Nope-${suffix}` })).status).toBe(404);
  });
});

describe('GET /api/deployments/frequency', () => {
  const counts = (a: Answer) => (a.json.Buckets as Array<{ Start: string; Count: number }>).map((b) => [b.Start, b.Count]);

  it('counts per week (Monday UTC), zero weeks included, summed across regions', async () => {
    const res = await get('/api/deployments/frequency', { FeedName: FEED, from: '2026-09-28', to: '2026-11-15' });
    expect(res.status).toBe(200);
    expect(res.json.Interval).toBe('week');
    expect(counts(res)).toEqual([
      ['2026-09-28', 1], // Gamma's backdated record counts on its own Date (2026-10-01)
      ['2026-10-05', 0],
      ['2026-10-12', 0],
      ['2026-10-19', 0],
      ['2026-10-26', 0],
      ['2026-11-02', 7],
      ['2026-11-09', 4],
    ]);
    const total = counts(res).reduce((n, [, c]) => n + (c as number), 0);
    expect(total).toBe(RECORDS.length);
  });

  it('counts per day, and by package, target, and package on a target', async () => {
    const days = await get('/api/deployments/frequency', { FeedName: FEED, interval: 'day', from: '2026-11-08', to: '2026-11-10' });
    expect(counts(days)).toEqual([
      ['2026-11-08', 0],
      ['2026-11-09', 2],
      ['2026-11-10', 2],
    ]);
    const range = { from: '2026-09-01', to: '2026-11-30' };
    const sum = async (params: Record<string, string>) => {
      const res = await get('/api/deployments/frequency', { FeedName: FEED, ...range, ...params });
      expect(res.status).toBe(200);
      return counts(res).reduce((n, [, c]) => n + (c as number), 0);
    };
    const expected = (keep: (r: R) => boolean) => RECORDS.filter(keep).length;
    expect(await sum({ PackageName: 'alpha' })).toBe(expected((r) => r.pkg === 'Alpha'));
    expect(await sum({ PackageName: 'Beta', GroupName: 'TOOLS' })).toBe(expected((r) => r.pkg === 'Beta'));
    expect(await sum({ PackageName: 'Beta' })).toBe(0); // Beta is in group Tools
    expect(await sum({ Target: 'web02' })).toBe(expected((r) => r.target === 'web02'));
    expect(await sum({ PackageName: 'Alpha', Target: 'Web01' })).toBe(expected((r) => r.pkg === 'Alpha' && r.target === 'web01'));
  });

  it('an idempotent replay counts once', async () => {
    const body = JSON.stringify({
      FeedName: OTHER_FEED,
      PackageName: 'Once',
      Version: '1.0.0',
      Target: 'web01',
      Application: 'a',
      Description: 'd',
      Date: '2026-11-20T10:00:00Z',
    });
    const post = () => invoke(record, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `once-${suffix}` }, body });
    expect((await post()).status).toBe(200);
    const replay = await post();
    expect(replay.status).toBe(200);
    expect(replay.headers['Idempotent-Replayed'] ?? replay.headers['idempotent-replayed']).toBe('true');
    const res = await get('/api/deployments/frequency', { FeedName: OTHER_FEED, PackageName: 'Once', interval: 'day', from: '2026-11-20', to: '2026-11-20' });
    expect(counts(res)).toEqual([['2026-11-20', 1]]);
  });

  it('counts a record dated in the future on the day it was received, as it is ordered', async () => {
    const body = JSON.stringify({
      FeedName: OTHER_FEED,
      PackageName: 'Future',
      Version: '1.0.0',
      Target: 'web01',
      Application: 'a',
      Description: 'd',
      Date: '2999-01-01T00:00:00Z',
    });
    const res = await invoke(record, { headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const today = (res.json.ReceivedAt as string).slice(0, 10);
    const count = async (day: string) =>
      (await get('/api/deployments/frequency', { FeedName: OTHER_FEED, PackageName: 'Future', interval: 'day', from: day, to: day })).json.Buckets;
    expect(await count(today)).toEqual([{ Start: today, Count: 1, Failed: 0 }]);
    expect(await count('2999-01-01')).toEqual([{ Start: '2999-01-01', Count: 0, Failed: 0 }]);
    // The next record replaces it as the current one, and the current item keeps no DateInFuture of the old one.
    const next = JSON.stringify({ FeedName: OTHER_FEED, PackageName: 'Future', Version: '1.0.1', Target: 'web01', Application: 'a', Description: 'd' });
    expect((await invoke(record, { headers: { 'Content-Type': 'application/json' }, body: next })).status).toBe(200);
    const current = (await get('/api/deployments/current', { FeedName: OTHER_FEED, PackageName: 'Future' })).json.Items as Array<Record<string, unknown>>;
    expect(current.map((c) => [c.Version, c.PreviousVersion, c.Change, c.DateInFuture])).toEqual([['1.0.1', '1.0.0', 'upgraded', undefined]]);
  });

  it('refuses a range over the bucket limit, an unknown interval, GroupName without PackageName, from after to', async () => {
    const bad = async (params: Record<string, string>, field: string) => {
      const res = await get('/api/deployments/frequency', { FeedName: FEED, ...params });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json)).toContain(field);
    };
    await bad({ interval: 'day', from: '2025-01-01', to: '2026-11-30' }, 'at most 366 days');
    await bad({ from: '2020-01-01', to: '2026-11-30' }, 'at most 260 weeks');
    await bad({ interval: 'month' }, 'interval');
    await bad({ GroupName: 'Tools' }, 'GroupName');
    await bad({ from: '2026-11-30', to: '2026-11-01' }, 'from');
  });

  it('defaults to the last 12 weeks up to today', async () => {
    const res = await get('/api/deployments/frequency', { FeedName: FEED });
    expect(res.status).toBe(200);
    const buckets = counts(res);
    expect(buckets).toHaveLength(12);
    expect(new Date(`${buckets[0]![0]}T00:00:00Z`).getUTCDay()).toBe(1);
  });

  it('keeps the counters out of every other read: history, indexes and current items hold only records', async () => {
    const out = await client.send(
      new ScanCommand({ TableName: TEST_TABLES.deployments, FilterExpression: 'begins_with(pk, :n)', ExpressionAttributeValues: { ':n': 'N#' } }),
    );
    const counters = out.Items ?? [];
    expect(counters.length).toBeGreaterThan(0);
    // A counter holds its keys and counts only: `failed` alone on the day of a deployment that a rollback recorded in
    // another shard failed; lead and restore times where there are any, and `unsampled` in an overflow shard (the
    // suite's engine is shared with other files).
    // A day's summary (lib/domain/day-summaries.ts) holds its own attributes only.
    const COUNTER_ATTRIBUTES = ['count', 'failed', 'leadTimes', 'restoreTimes', 'unsampled'];
    const SUMMARY_ATTRIBUTES = ['gen', 'changedAt', 'summary', 'builtGen', 'since'];
    for (const c of counters) {
      const summary = String(c.sk).startsWith('Y#');
      expect(String(c.sk)).toMatch(/^[DY]#/);
      const allowed = summary ? SUMMARY_ATTRIBUTES : COUNTER_ATTRIBUTES;
      expect(Object.keys(c).filter((k) => k !== 'pk' && k !== 'sk' && !allowed.includes(k))).toEqual([]);
      if (!summary) expect('count' in c || 'failed' in c).toBe(true);
    }
    const history = await get('/api/deployments', { FeedName: FEED, limit: '200' });
    expect((history.json.Items as unknown[]).length).toBe(RECORDS.length);
  });
});
