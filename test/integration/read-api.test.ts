import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as record } from '../../functions/record-deployment/handler.ts';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { formBody, invoke, seedFields, type Answer } from '../support/invoke.ts';
import { CURRENT_AFTER_SCENARIO, TWO_VERSIONS_THREE_TARGETS } from '../support/scenario.ts';
import { TEST_TABLES } from './tables.ts';

const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const OPEN = `ReadOpen-${suffix}`;
const CLOSED = `ReadClosed-${suffix}`;
const PKG = 'Contoso.Web';
let viewKey: string;
let recordOnlyKey: string;

/** The reporting issue's scenario, shared with the e2e suites: two versions to three targets, the last record backdated. */
const SCENARIO = TWO_VERSIONS_THREE_TARGETS;

const get = (path: string, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Answer> =>
  invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString(), headers });
const items = (a: Answer) => a.json.Items as Array<Record<string, string>>;

beforeAll(async () => {
  const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
  await feeds.add(OPEN, VIEW_AND_DOWNLOAD);
  await feeds.add(CLOSED, []);
  const keys = new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds);
  viewKey = (await keys.add({ user: 'auditor', feeds: [CLOSED], privileges: ['Feeds_ViewFeed'] })).key;
  recordOnlyKey = (await keys.add({ user: 'deployer', feeds: [CLOSED], privileges: ['Feeds_DownloadPackage'] })).key;
  for (const feed of [OPEN, CLOSED]) {
    for (const r of SCENARIO) {
      const res = await invoke(record, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(feed === CLOSED ? { 'X-ApiKey': recordOnlyKey } : {}) },
        body: formBody(seedFields({ FeedName: feed, PackageName: PKG, ...r })),
      });
      expect(res.status).toBe(200);
    }
  }
});

describe('GET /api/deployments/current', () => {
  it("shows each target's latest version by Date: a backdated record does not replace a newer one", async () => {
    const res = await get('/api/deployments/current', { FeedName: OPEN, PackageName: PKG });
    expect(res.status).toBe(200);
    expect(items(res).map((i) => [i.Target, i.Version, i.Date])).toEqual(CURRENT_AFTER_SCENARIO);
    expect(items(res).every((i) => i.Region === 'eu-west-1')).toBe(true);
    expect(items(res)[0]).toMatchObject({ UserName: 'Anonymous', PackageName: PKG, FeedName: OPEN });
    expect(res.json.NextCursor).toBeUndefined();
  });

  it('pages through targets with a cursor', async () => {
    const first = await get('/api/deployments/current', { FeedName: OPEN, PackageName: PKG, limit: '2' });
    expect(items(first).map((i) => i.Target)).toEqual(['web01', 'web02']);
    const second = await get('/api/deployments/current', { FeedName: OPEN, PackageName: PKG, limit: '2', cursor: first.json.NextCursor as string });
    expect(items(second).map((i) => i.Target)).toEqual(['web03']);
    expect(second.json.NextCursor).toBeUndefined();
  });

  it('matches names case-insensitively, in parameter names too', async () => {
    const res = await get('/api/deployments/current/', { feedname: OPEN.toUpperCase(), PACKAGENAME: PKG.toLowerCase() });
    expect(items(res)).toHaveLength(3);
  });
});

describe('GET /api/deployments', () => {
  it("lists a package's full history newest first, with the region of each record", async () => {
    const res = await get('/api/deployments', { FeedName: OPEN, PackageName: PKG });
    expect(res.status).toBe(200);
    expect(items(res).map((i) => `${i.Version}@${i.Target}`)).toEqual([
      '2.0.0@web02',
      '2.0.0@web01',
      '1.0.0@web03',
      '1.0.0@web02',
      '1.0.0@web01',
      '1.0.0@web02',
    ]);
    expect(items(res).at(-1)?.Date).toBe('2025-12-01T08:00:00.000Z'); // the backdated record, recorded last
    expect(items(res).every((i) => i.Region === 'eu-west-1' && i.Id && i.ReceivedAt)).toBe(true);
  });

  it('narrows to one version, and to a time range (inclusive)', async () => {
    const version = await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, Version: '1.0.0' });
    expect(items(version).map((i) => i.Target)).toEqual(['web03', 'web02', 'web01', 'web02']);
    const range = await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, from: '2026-01-05T09:05:00Z', to: '2026-02-10T14:00:00Z' });
    expect(items(range).map((i) => `${i.Version}@${i.Target}`)).toEqual(['2.0.0@web01', '1.0.0@web03', '1.0.0@web02']);
    const since = await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, from: '2026-02-10' });
    expect(items(since)).toHaveLength(2);
  });

  it('lists everything deployed to one target, whatever its casing', async () => {
    const res = await get('/api/deployments', { FeedName: OPEN, Target: 'Web02' });
    expect(items(res).map((i) => i.Version)).toEqual(['2.0.0', '1.0.0', '1.0.0']);
  });

  it("lists a feed's recent activity, and pages through it without losing or repeating a record", async () => {
    const all = await get('/api/deployments', { FeedName: OPEN });
    expect(items(all)).toHaveLength(6);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get('/api/deployments', { FeedName: OPEN, limit: '4', ...(cursor ? { cursor } : {}) });
      seen.push(...items(page).map((i) => i.Id!));
      cursor = page.json.NextCursor as string | undefined;
    } while (cursor);
    expect(seen).toEqual(items(all).map((i) => i.Id));
  });

  it('reads a closed feed with a key that has Feeds_ViewFeed, in any transport', async () => {
    const header = await get('/api/deployments', { FeedName: CLOSED, PackageName: PKG }, { 'X-ApiKey': viewKey });
    expect(items(header)).toHaveLength(6);
    const query = await get('/api/deployments', { FeedName: CLOSED, PackageName: PKG, key: viewKey });
    expect(items(query)).toHaveLength(6);
    expect(items(header)[0]).toMatchObject({ UserName: 'deployer' });
  });
});

describe("errors, in ProGet's order", () => {
  it.each([
    [{ FeedName: OPEN, Package: PKG }, 'Package', /Package is not a parameter here; use FeedName, PackageName/],
    [{ FeedName: OPEN, Version: '1.0.0' }, 'Version', /Version needs PackageName/],
    [{ FeedName: OPEN, PackageName: PKG, Target: 'web01' }, 'Target', /Target cannot be combined with PackageName/],
    [{ FeedName: OPEN, from: '2024-06-01', to: '2024-05-01' }, 'from', /from is after to/],
    [{ FeedName: OPEN, from: 'last tuesday' }, 'from', /from is not an ISO 8601 date/],
    [{ FeedName: OPEN, limit: '0' }, 'limit', /limit must be a whole number from 1 to 200/],
    [{ FeedName: OPEN, limit: '1e2' }, 'limit', /limit must be a whole number/],
    [{ FeedName: OPEN, cursor: 'not a cursor' }, 'cursor', /cursor is not a cursor this API returned/],
    [{ FeedName: OPEN, cursor: Buffer.from('{"pk":"x"}').toString('base64url') }, 'cursor', /cursor is not a cursor this API returned/],
    [{}, 'FeedName', /FeedName is required/],
  ])('400 for %j', async (params, field, detail) => {
    const res = await get('/api/deployments', params as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.headers['Content-Type']).toMatch(/^application\/problem\+json/);
    expect(res.json.detail).toMatch(detail);
    expect((res.json.errors as FieldErrors)[0]!.field).toBe(field);
  });

  it('403 for an unknown key before 400 for bad parameters', async () => {
    const res = await get('/api/deployments', { Version: '1' }, { 'X-ApiKey': 'not-a-key' });
    expect(res.status).toBe(403);
  });

  it('404 for a feed that does not exist', async () => {
    const res = await get('/api/deployments/current', { FeedName: `Nope-${suffix}`, PackageName: PKG });
    expect(res.status).toBe(404);
    expect(res.json.detail).toBe(`Feed Nope-${suffix} was not found.`);
  });

  it('403 for anonymous users on a closed feed, and for a key without Feeds_ViewFeed', async () => {
    const anonymous = await get('/api/deployments', { FeedName: CLOSED });
    expect(anonymous.status).toBe(403);
    expect(anonymous.json.detail).toMatch(/Anonymous users are not granted Feeds_ViewFeed/);
    const recordOnly = await get('/api/deployments', { FeedName: CLOSED }, { 'X-ApiKey': recordOnlyKey });
    expect(recordOnly.status).toBe(403);
  });

  it('405 with Allow: GET, HEAD for other methods, and 404 for other paths', async () => {
    const post = await invoke(read, { method: 'POST', path: '/api/deployments', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.Allow).toBe('GET, HEAD');
    const other = await get('/api/deployments/elsewhere', { FeedName: OPEN });
    expect(other.status).toBe(404);
  });
});

describe('GET /api/feeds', () => {
  it("lists the feeds the caller may view, with the caller's privileges", async () => {
    const anonymous = items(await get('/api/feeds'));
    expect(anonymous.find((f) => f.Name === OPEN)).toEqual({ Name: OPEN, Privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] });
    expect(anonymous.find((f) => f.Name === CLOSED)).toBeUndefined();
    const auditor = items(await get('/api/feeds', {}, { 'X-ApiKey': viewKey }));
    expect(auditor.find((f) => f.Name === CLOSED)).toEqual({ Name: CLOSED, Privileges: ['Feeds_ViewFeed'] });
    expect((await get('/api/feeds', {}, { 'X-ApiKey': 'not-a-key' })).status).toBe(403);
    const parameter = await get('/api/feeds', { FeedName: OPEN });
    expect(parameter.status).toBe(400);
    expect(parameter.json.detail).toBe('FeedName is not a parameter here; it takes none (an API key may be sent as key).');
  });
});

describe('parameters and cursors that DynamoDB would refuse are 400s', () => {
  const raw = (query: string) => invoke(read, { method: 'GET', path: '/api/deployments', query });

  it('a parameter given twice in the same casing (HTTP API joins the values with a comma)', async () => {
    for (const query of [`FeedName=${OPEN}&FeedName=${OPEN}`, `FeedName=${OPEN}&Target=a&Target=b`, `FeedName=${OPEN}&limit=5&LIMIT=6`]) {
      const res = await raw(query);
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(/was given more than once/);
    }
    expect((await raw(`FeedName=${OPEN}&key=&key=`)).status).toBe(200);
  });

  it("a cursor outside the query's time range, or longer than a key can be", async () => {
    const first = await get('/api/deployments', { FeedName: OPEN, limit: '1' });
    const cursor = first.json.NextCursor as string;
    expect(cursor).toBeTruthy();
    for (const range of [{ to: '2024-01-01' }, { from: '2030-01-01' }] as Array<Record<string, string>>) {
      const res = await get('/api/deployments', { FeedName: OPEN, cursor, ...range });
      expect(res.status).toBe(400);
      expect((res.json.errors as FieldErrors)[0]!.field).toBe('cursor');
    }
    // Forged from a real cursor (base64url of [sk, pk, partition tag]) keeping its tag, so that only the key sizes are wrong.
    const [, , tag] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, string];
    const forge = (sk: string, pk: string) => Buffer.from(JSON.stringify([sk, pk, tag])).toString('base64url');
    for (const forged of [forge('2024'.padEnd(1100, 'x'), 'F#a'), forge('2024', `F#${'a'.repeat(2100)}`)]) {
      const res = await get('/api/deployments', { FeedName: OPEN, cursor: forged });
      expect(res.status).toBe(400);
      expect((res.json.errors as FieldErrors)[0]!.field).toBe('cursor');
    }
  });

  it("a cursor another query returned (its position would skip this query's records)", async () => {
    const feedCursor = (await get('/api/deployments', { FeedName: OPEN, limit: '1' })).json.NextCursor as string;
    const packageCursor = (await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, limit: '1' })).json.NextCursor as string;
    expect((await get('/api/deployments', { FeedName: OPEN, Target: 'web01', cursor: feedCursor })).status).toBe(400);
    expect((await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, Version: '1.0.0', cursor: packageCursor })).status).toBe(400);
    expect((await get('/api/deployments/current', { FeedName: OPEN, PackageName: PKG, cursor: packageCursor })).status).toBe(400);
    expect((await get('/api/deployments', { FeedName: OPEN, PackageName: PKG, cursor: packageCursor })).status).toBe(200);
  });
});

describe('records too large for one page', () => {
  // DynamoDB reads at most 1 MB per Query: with records of ~7 KB, a page of 200 stops early. It must still end with a
  // cursor, and paging must reach every record.
  const BIG = `Big.Records.${suffix}`;
  const COUNT = 180;
  beforeAll(async () => {
    const url = `https://ci.example.com/${'r'.repeat(2000)}`;
    for (let i = 0; i < COUNT; i++) {
      const res = await invoke(record, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          seedFields({
            FeedName: OPEN,
            PackageName: BIG,
            Target: `target-${String(i).padStart(3, '0')}-${'t'.repeat(200)}`,
            Description: 'd'.repeat(4000),
            Url: url,
          }),
        ),
      });
      expect(res.status).toBe(200);
    }
  }, 120_000);

  it.each([
    ['/api/deployments', { PackageName: BIG }],
    ['/api/deployments/current', { PackageName: BIG }],
  ])('%s pages through every record', async (path, params) => {
    const ids = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await get(path, { FeedName: OPEN, ...params, limit: '200', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      for (const item of items(page)) ids.add(item.Id!);
      cursor = page.json.NextCursor as string | undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(ids.size).toBe(COUNT);
    expect(pages).toBeGreaterThan(1);
  });
});

type FieldErrors = Array<{ field: string; detail: string }>;
