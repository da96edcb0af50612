import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as record } from '../../functions/record-deployment/handler.ts';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { NEWTONSOFT, TWO_LINES } from '../fixtures/osv/advisories.ts';
import { invoke, seedFields, type Answer } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const OPEN = `AffectedOpen-${suffix}`;
const CLOSED = `AffectedClosed-${suffix}`;
const OTHER = `AffectedOther-${suffix}`;
let viewClosedKey: string;
let viewOtherKey: string;

type Pkg = {
  PackageName: string;
  GroupName?: string;
  Ecosystem?: string;
  Matching: string;
  Affected: Array<Record<string, string>>;
  Unaffected: number;
  Unknown: Array<Record<string, string>>;
};
const packages = (a: Answer) => a.json.Packages as Pkg[];
const targets = (rows: Array<Record<string, string>>) => rows.map((r) => `${r.Target}@${r.Version}${r.FixedIn ? `>${r.FixedIn}` : ''}`);

const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
  invoke(read, { method: 'GET', path: '/api/deployments/affected', query: new URLSearchParams(params).toString(), headers });
const post = (params: Record<string, string>, body: string | Buffer, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  invoke(read, { method: 'POST', path: '/api/deployments/affected', query: new URLSearchParams(params).toString(), headers, body });

const put = async (feed: string, fields: Record<string, string>, key?: string) => {
  const res = await invoke(record, {
    headers: { 'Content-Type': 'application/json', ...(key ? { 'X-ApiKey': key } : {}) },
    body: JSON.stringify(seedFields({ FeedName: feed, ...fields })),
  });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
};

beforeAll(async () => {
  const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
  await feeds.add(OPEN, VIEW_AND_DOWNLOAD);
  await feeds.add(CLOSED, []);
  await feeds.add(OTHER, []);
  const keys = new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds);
  viewClosedKey = (await keys.add({ user: 'auditor', feeds: [CLOSED], privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] })).key;
  viewOtherKey = (await keys.add({ user: 'other', feeds: [OTHER], privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] })).key;
  for (const [feed, key] of [
    [OPEN, undefined],
    [CLOSED, viewClosedKey],
  ] as const) {
    await put(feed, { Target: 'localhost', Version: '12.0.3' }, key);
    await put(feed, { Target: 'web02', Version: '13.0.1' }, key);
    await put(feed, { Target: 'web03', Version: '13.0.1-beta1' }, key);
    await put(feed, { Target: 'web04', Version: 'nightly' }, key);
  }
  // History the answer must not read: web02 ran 11.0.1 before 13.0.1.
  await put(OPEN, { Target: 'web05', Version: '11.0.1', Date: '2020-01-01T00:00:00Z' });
  await put(OPEN, { Target: 'web05', Version: '13.0.2' });
  await put(OPEN, { Target: 'npm01', GroupName: '@acme', PackageName: 'widget', Version: '1.4.1' });
  await put(OPEN, { Target: 'npm02', GroupName: '@acme', PackageName: 'widget', Version: '2.0.0' });
  await put(OPEN, { Target: 'npm05', GroupName: '@acme', PackageName: 'widget', Version: '2.1.1' });
  await put(OPEN, { Target: 'npm03', GroupName: '@acme', PackageName: 'widget', Version: '2.1.0' });
  await put(OPEN, { Target: 'npm04', PackageName: 'left-pad', Version: '1.1.1' });
});

describe('GET /api/deployments/affected', () => {
  it('lists the targets whose current version is in the range; prereleases below the bound are held; unorderable versions are Unknown', async () => {
    for (const Range of ['<13.0.1', '(,13.0.1)']) {
      const res = await get({ FeedName: OPEN, PackageName: 'newtonsoft.json', Range });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.Advisory).toBeNull();
      const [p] = packages(res);
      expect(p).toMatchObject({ PackageName: 'Newtonsoft.Json', Matching: 'range', Unaffected: 2 });
      expect(targets(p!.Affected)).toEqual(['localhost@12.0.3', 'web03@13.0.1-beta1']);
      expect(targets(p!.Unknown)).toEqual(['web04@nightly']);
      expect(res.json.Checked).toBe(5);
      // The records carry /current's fields.
      expect(p!.Affected[0]).toMatchObject({ Target: 'localhost', Region: 'eu-west-1', Version: '12.0.3', UserName: 'Anonymous', Change: 'deployed' });
      expect(p!.Affected[0]!.Id).toMatch(/^[0-9A-Z]{26}$/);
    }
  });

  it('reads the current version only: an old version in history does not make a target affected', async () => {
    const res = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '<12.0.0' });
    expect(targets(packages(res)[0]!.Affected)).toEqual([]);
  });

  it('filters by Target and Region, and pages with limit and cursor', async () => {
    const one = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '<13.0.1', Target: 'LOCALHOST', Region: 'eu-west-1' });
    expect(one.json.Checked).toBe(1);
    expect(targets(packages(one)[0]!.Affected)).toEqual(['localhost@12.0.3']);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '<13.0.1', limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...targets(packages(res)[0]!.Affected));
      cursor = res.json.NextCursor as string | undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(['localhost@12.0.3', 'web03@13.0.1-beta1']);
  });

  it('answers a bare version, an unparsable range, a missing range and a foreign cursor with a 400 naming them', async () => {
    const bare = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '13.0.1' });
    expect(bare.status).toBe(400);
    expect(bare.json.errors).toEqual([{ field: 'Range', detail: expect.stringMatching(/bare version.*<13\.0\.1.*\(,13\.0\.1\)/) }]);
    const bad = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '>=banana' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ field: 'Range', detail: expect.stringContaining('is not an npm semver range') }]);
    const missing = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json' });
    expect(missing.status).toBe(400);
    expect((missing.json.errors as Array<{ field: string }>).map((e) => e.field)).toEqual(['Range']);
    const cursor = await get({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Range: '<1', cursor: Buffer.from('[5,null]').toString('base64url') });
    expect(cursor.status).toBe(400);
    expect(cursor.json.errors).toEqual([{ field: 'cursor', detail: 'cursor is not valid.' }]);
  });
});

describe('POST /api/deployments/affected (an OSV advisory)', () => {
  it('answers the GitHub advisory for Newtonsoft.Json: the affected targets with the fixing version', async () => {
    const res = await post({ FeedName: OPEN }, JSON.stringify(NEWTONSOFT));
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.Advisory).toBe('GHSA-5crp-9r3c-p9vr');
    const [p] = packages(res);
    expect(p).toMatchObject({ PackageName: 'Newtonsoft.Json', Ecosystem: 'NuGet', Matching: 'range', Unaffected: 2 });
    expect(targets(p!.Affected)).toEqual(['localhost@12.0.3>13.0.1', 'web03@13.0.1-beta1>13.0.1']);
    expect(targets(p!.Unknown)).toEqual(['web04@nightly']);
  });

  it('finds an npm scoped package stored as GroupName and PackageName, and a versions[]-only package', async () => {
    const res = await post({ FeedName: OPEN }, JSON.stringify(TWO_LINES));
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const [widget, leftPad] = packages(res);
    expect(widget).toMatchObject({ GroupName: '@acme', PackageName: 'widget', Ecosystem: 'npm', Matching: 'range', Unaffected: 1 });
    expect(targets(widget!.Affected)).toEqual(['npm01@1.4.1>1.4.2', 'npm02@2.0.0', 'npm03@2.1.0']);
    expect(leftPad).toMatchObject({ PackageName: 'left-pad', Matching: 'versions-list', Unaffected: 0 });
    expect(targets(leftPad!.Affected)).toEqual(['npm04@1.1.1']);
    expect(res.json.Checked).toBe(5);
  });

  it('pages across the packages of an advisory', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await post({ FeedName: OPEN, limit: '1', ...(cursor ? { cursor } : {}) }, JSON.stringify(TWO_LINES));
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      seen.push(...packages(res).flatMap((p) => targets(p.Affected)));
      cursor = res.json.NextCursor as string | undefined;
    } while (cursor !== undefined);
    expect(seen.sort()).toEqual(['npm01@1.4.1>1.4.2', 'npm02@2.0.0', 'npm03@2.1.0', 'npm04@1.1.1']);
  });

  it('answers a malformed advisory with 400 naming the JSON path, a wrong type with 415', async () => {
    const bad = await post(
      { FeedName: OPEN },
      '{"affected":[{"package":{"ecosystem":"NuGet","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"x y"}]}]}]}',
    );
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ field: 'affected[0].ranges[0].events[1]', detail: expect.stringContaining('is not a version') }]);
    const form = await post({ FeedName: OPEN }, 'a=b', { 'Content-Type': 'multipart/form-data; boundary=x' });
    expect(form.status).toBe(415);
  });

  it('answers hostile advisories (10 MB, deep nesting, 100,000 ranges) with a 4xx quickly, never a 5xx', async () => {
    const ranges = Array.from({ length: 100_000 }, () => ({ type: 'SEMVER', events: [{ introduced: '0' }] }));
    const bodies = [
      Buffer.alloc(10 * 1024 * 1024, 'a'),
      '{"affected":' + '['.repeat(500_000) + ']'.repeat(500_000) + '}',
      JSON.stringify({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges }] }),
      JSON.stringify({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: ranges.slice(0, 20_000) }] }),
    ];
    for (const body of bodies) {
      const start = performance.now();
      const res = await post({ FeedName: OPEN }, body);
      const ms = performance.now() - start;
      expect([400, 413]).toContain(res.status);
      expect(ms).toBeLessThan(2000);
    }
  });
});

describe('privileges and methods', () => {
  it('needs view on the feed; a key of another feed learns nothing of it, not even a count', async () => {
    const anonymous = await get({ FeedName: CLOSED, PackageName: 'Newtonsoft.Json', Range: '<13.0.1' });
    expect(anonymous.status).toBe(403);
    const viewer = await post({ FeedName: CLOSED }, JSON.stringify(NEWTONSOFT), { 'Content-Type': 'application/json', 'X-ApiKey': viewClosedKey });
    expect(viewer.status).toBe(200);
    expect(targets(packages(viewer)[0]!.Affected)).toEqual(['localhost@12.0.3>13.0.1', 'web03@13.0.1-beta1>13.0.1']);
    for (const res of [
      await get({ FeedName: CLOSED, PackageName: 'Newtonsoft.Json', Range: '<13.0.1' }, { 'X-ApiKey': viewOtherKey }),
      await post({ FeedName: CLOSED }, JSON.stringify(NEWTONSOFT), { 'Content-Type': 'application/json', 'X-ApiKey': viewOtherKey }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body).not.toMatch(/localhost|Checked|Packages|13\.0\.1/);
    }
  });

  it('takes GET, HEAD and POST here; the other read routes keep GET and HEAD', async () => {
    const put405 = await invoke(read, { method: 'PUT', path: '/api/deployments/affected/', query: `FeedName=${OPEN}` });
    expect(put405.status).toBe(405);
    expect(put405.headers.Allow).toBe('GET, POST, HEAD');
    for (const path of ['/api/deployments', '/api/deployments/current/', '/api/feeds']) {
      const res = await invoke(read, { method: 'POST', path, query: `FeedName=${OPEN}`, body: '{}' });
      expect(res.status, path).toBe(405);
      expect(res.headers.Allow).toBe('GET, HEAD');
    }
  });
});
