import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { run } from '../../infra/admin.ts';
import { handler as readFunction } from '../../functions/query-deployments/handler.ts';
import { handler as recordFunction } from '../../functions/record-deployment/handler.ts';
import { handler as siteFunction } from '../../functions/site/handler.ts';
import { FUTURE_DATE_SKEW_MS } from '../../lib/domain/dates.ts';
import { currentKey, deploymentPartitionKey, feedKey, hashApiKey } from '../../lib/domain/keys.ts';
import { valid } from '../../lib/domain/result.ts';
import { listDeployments, type ReadDependencies } from '../../lib/app/read.ts';
import { recordDeployment, type RecordDependencies } from '../../lib/app/record-deployment.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { invoke, seedFields } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * Issue 11, "records stay true", against a real local DynamoDB (dynalite, or DynamoDB Local with
 * DYNAMODB_ENGINE=dynamodb-local). The use cases run with the lookup cache off, so that a feed removed and re-created
 * is seen at once (the deployed functions see it within LOOKUP_CACHE_TTL_SECONDS).
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
const keys = new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds);
const directory = new Directory({ client, feedsTable: TEST_TABLES.feeds, apiKeysTable: TEST_TABLES.apiKeys, cacheTtlMs: 0 });
let clock = Date.now();
const recordDeps: RecordDependencies = {
  client,
  directory,
  tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
  region: 'eu-west-1',
  now: () => new Date(clock),
};
const readDeps: ReadDependencies = { client, directory, feeds, deploymentsTable: TEST_TABLES.deployments, now: () => new Date(clock), region: 'local' };

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(args, (line) => lines.push(...line.split('\n')));
  return lines;
};
const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  recordDeployment(recordDeps, { headers, query: undefined, body: valid(Object.entries(seedFields(fields))) });
const list = (feed: string, headers: Record<string, string> = {}) =>
  listDeployments(readDeps, { headers, query: { FeedName: feed }, rawQuery: `FeedName=${feed}` });
const status = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { kind?: string }) => ({ forbidden: 403, 'not-found': 404, invalid: 400, mismatch: 422 })[e.kind as string] ?? e,
  );

describe('a feed identity outlives its name', () => {
  it('a re-created name refuses to inherit records until taken over or purged; old keys do not work on it', async () => {
    // Prepare: a feed with anonymous access, a key scoped to it, records (one with an Idempotency-Key)
    const name = `Gen-${suffix}`;
    await admin('feeds', 'add', name, '--anonymous');
    const { key } = await keys.add({ user: 'old-pipeline', feeds: [name], privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] });
    const first = await post({ FeedName: name, PackageName: 'A', Target: 'web01' }, { 'idempotency-key': 'idem-1' });
    await post({ FeedName: name, PackageName: 'B', Target: 'web02' }, { 'x-apikey': key });
    const oldId = (await feeds.list()).find((f) => f.name === name.toLowerCase())!.id;
    // Adding it again while it exists is "already exists", not "has records"
    await expect(admin('feeds', 'add', name)).rejects.toThrow(/already exists/);
    expect(oldId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(first.item.feedId).toBe(oldId);
    const stored = await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: { pk: first.item.pk, sk: first.item.sk } }));
    expect(stored.Item).toMatchObject({ feedId: oldId });

    // Act: remove the feed (records kept), then try to re-create the name in another casing
    await admin('feeds', 'remove', ` ${name} `);
    const refused = admin('feeds', 'add', name.toUpperCase(), '--anonymous');

    // Assess: refused, saying how many and what to do
    await expect(refused).rejects.toThrow(/2 deployment record\(s\) are stored under the name .*--take-over.*--purge/);
    expect((await feeds.list()).some((f) => f.name === name.toLowerCase())).toBe(false);

    // Act: purge
    const purged = await admin('feeds', 'remove', name, '--purge');
    expect(purged[0]).toBe(
      `No feed named ${name} exists; deleted 2 deployment record(s), 2 current-version item(s) and 1 Idempotency-Key claim(s) stored under that name.`,
    );
    const current = await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: currentKey(name, undefined, 'A', 'web01') }));
    expect(current.Item).toBeUndefined();
    // Purging again (as the docs advise after the lookup cache's TTL) finds nothing and is not a failure
    expect(await admin('feeds', 'remove', name, '--purge')).toEqual([`No feed named ${name}, and nothing stored under that name: nothing to purge.`]);

    // A new feed of the name starts empty; the old key does not work on it; the old claim does not replay
    await admin('feeds', 'add', name, '--anonymous');
    expect((await list(name)).Items).toEqual([]);
    expect(await status(list(name, { 'x-apikey': key }))).toBe(200); // anonymous may view: a key is never worth less
    const newKeyOnly = `GenClosed-${suffix}`;
    await admin('feeds', 'add', newKeyOnly);
    const { key: closedKey } = await keys.add({ user: 'closed', feeds: [newKeyOnly], privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] });
    await admin('feeds', 'remove', newKeyOnly);
    await admin('feeds', 'add', newKeyOnly);
    expect(await status(post({ FeedName: newKeyOnly }, { 'x-apikey': closedKey }))).toBe(403);
    expect(await status(list(newKeyOnly, { 'x-apikey': closedKey }))).toBe(403);
    const again = await post({ FeedName: name, PackageName: 'A', Target: 'web01' }, { 'idempotency-key': 'idem-1' });
    expect(again.replayed).toBe(false);
  });

  it('--take-over adopts the records explicitly; keys scoped to the removed feed still do not work', async () => {
    const name = `Adopt-${suffix}`;
    await admin('feeds', 'add', name);
    const { key } = await keys.add({ user: 'adopter', feeds: [name], privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'] });
    await post({ FeedName: name, PackageName: 'Kept' }, { 'x-apikey': key });
    await admin('feeds', 'remove', name);

    const out = await admin('feeds', 'add', name, '--take-over');

    expect(out).toEqual([`Added feed ${name}.`, 'It took over 1 deployment record(s) stored under that name.']);
    expect(await status(list(name, { 'x-apikey': key }))).toBe(403);
    const { key: fresh } = await keys.add({ user: 'new', feeds: [name], privileges: ['Feeds_ViewFeed'] });
    expect((await list(name, { 'x-apikey': fresh })).Items.map((i) => i.PackageName)).toEqual(['Kept']);
  });

  it('keys add refuses a feed that does not exist: a key binds to a feed, not to a name', async () => {
    await expect(admin('keys', 'add', '--user', 'u', '--feed', `Nowhere-${suffix}`)).rejects.toThrow(/No feed named nowhere-.*add the feed first/);
  });

  it('feeds and keys stored before feeds had ids keep working (legacy ids), until the name is re-created', async () => {
    // Prepare: items exactly as the previous version stored them (no id, no feedIds)
    const name = `Legacy-${suffix}`;
    const apiKey = `legacy-key-${suffix}`;
    await client.send(
      new PutCommand({
        TableName: TEST_TABLES.feeds,
        Item: { ...feedKey(name), displayName: name, anonymousPrivileges: [], createdAt: '2024-01-01T00:00:00.000Z' },
      }),
    );
    await client.send(
      new PutCommand({
        TableName: TEST_TABLES.apiKeys,
        Item: {
          keyHash: hashApiKey(apiKey),
          id: `01LEGACY${suffix}`,
          user: 'legacy',
          allFeeds: false,
          feeds: [name.toLowerCase()],
          privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'],
          revoked: false,
          createdAt: '2024-01-01T00:00:00.000Z',
        },
      }),
    );

    // Act and assess: the key records and reads; the record carries the legacy id
    const recorded = await post({ FeedName: name }, { 'x-apikey': apiKey });
    expect(recorded.item.feedId).toBe(`legacy:${name.toLowerCase()}`);
    expect((await list(name, { 'x-apikey': apiKey })).Items).toHaveLength(1);
    expect((await admin('feeds', 'list')).find((l) => l.startsWith(name))).toMatch(new RegExp(`legacy:${name.toLowerCase()} +forever$`));

    // Re-created (taking over its records): a new identity, which the legacy key does not cover
    await admin('feeds', 'remove', name);
    await admin('feeds', 'add', name, '--take-over');
    expect(await status(list(name, { 'x-apikey': apiKey }))).toBe(403);
  });
});

describe('a Date cannot own the present', () => {
  const pkg = `Future.${suffix}`;
  const history = async () =>
    (
      await client.send(
        new QueryCommand({
          TableName: TEST_TABLES.deployments,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': deploymentPartitionKey('FutureFeed', undefined, pkg) },
          ScanIndexForward: false,
        }),
      )
    ).Items!;

  it('a future Date is accepted, marked, and ordered by the time received; a later record replaces it as current', async () => {
    await feeds.add('FutureFeed', ['Feeds_ViewFeed', 'Feeds_DownloadPackage']).catch(() => undefined);
    clock = Date.parse('2030-01-01T00:00:00Z');
    const future = await post({ FeedName: 'FutureFeed', PackageName: pkg, Version: '9.9.9', Date: '2031-01-01T00:00:00Z' });
    expect(future.item).toMatchObject({ date: '2031-01-01T00:00:00.000Z', receivedAt: '2030-01-01T00:00:00.000Z', dateInFuture: true });
    expect(future.item.sk.startsWith('2030-01-01T00:00:00.000Z#')).toBe(true);

    clock += 60_000;
    const next = await post({ FeedName: 'FutureFeed', PackageName: pkg, Version: '1.0.1' });
    const current = await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: currentKey('FutureFeed', undefined, pkg, 'localhost') }));
    expect(current.Item).toMatchObject({ version: '1.0.1', id: next.item.id });
    expect((await history()).map((i) => i.version)).toEqual(['1.0.1', '9.9.9']);
    expect(next.item.dateInFuture).toBeUndefined();
  });

  it('a Date within the clock-skew allowance orders by Date; a Date without a zone is read as UTC', async () => {
    clock = Date.parse('2030-02-01T00:00:00Z');
    const skewed = new Date(clock + FUTURE_DATE_SKEW_MS - 1000).toISOString();
    const within = await post({ FeedName: 'FutureFeed', PackageName: `${pkg}.skew`, Date: skewed });
    expect(within.item.dateInFuture).toBeUndefined();
    expect(within.item.sk.startsWith(skewed)).toBe(true);
    const local = await post({ FeedName: 'FutureFeed', PackageName: `${pkg}.utc`, Date: '2024-05-01T12:30:00' });
    expect(local.item.date).toBe('2024-05-01T12:30:00.000Z');
  });

  it('the 200 answer carries DateInFuture and the given Date (through the function)', async () => {
    const date = new Date(Date.now() + 86_400_000).toISOString();
    const res = await invoke(recordFunction, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(seedFields({ FeedName: 'FutureFeed', PackageName: `${pkg}.http`, Date: date })),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ Date: date, DateInFuture: true });
    const plain = await invoke(recordFunction, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(seedFields({ FeedName: 'FutureFeed', PackageName: `${pkg}.http` })),
    });
    expect(plain.json).not.toHaveProperty('DateInFuture');
  });
});

describe('Idempotency-Key scope', () => {
  it("anonymous keys are scoped to the feed: the same key in two feeds records twice; with an API key it stays the key's", async () => {
    const [a, b] = [`IdemA-${suffix}`, `IdemB-${suffix}`];
    await feeds.add(a, ['Feeds_ViewFeed', 'Feeds_DownloadPackage']);
    await feeds.add(b, ['Feeds_ViewFeed', 'Feeds_DownloadPackage']);
    const idem = { 'idempotency-key': `shared-${suffix}` };
    const inA = await post({ FeedName: a }, idem);
    const inB = await post({ FeedName: b }, idem);
    expect(inB.replayed).toBe(false);
    expect(inB.item.id).not.toBe(inA.item.id);
    expect((await post({ FeedName: a }, idem)).replayed).toBe(true);

    const { key } = await keys.add({ user: 'both', feeds: [], privileges: ['Feeds_DownloadPackage'] });
    const withKey = { ...idem, 'idempotency-key': `keyed-${suffix}`, 'x-apikey': key };
    await post({ FeedName: a }, withKey);
    expect(await status(post({ FeedName: b }, withKey))).toBe(422);
  });
});

describe('names that look alike are not alike', () => {
  it.each(['FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Application', 'UserName'])(
    '%s refuses invisible format characters with a 400 naming the field',
    async (field) => {
      for (const c of ['\u200b', '\u202e', '\ufeff', '\u200d']) {
        const res = await invoke(recordFunction, {
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(seedFields({ [field]: `Name${c}x` })),
        });
        expect(res.status).toBe(400);
        expect(res.json.errors).toEqual([{ field, detail: expect.stringMatching(new RegExp(`^${field} must not contain invisible format characters`)) }]);
      }
    },
  );

  it('Description may keep them', async () => {
    const res = await invoke(recordFunction, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(seedFields({ FeedName: 'FutureFeed', Description: 'family 👩\u200d👧 \u202eok' })),
    });
    expect(res.status).toBe(200);
    expect(res.json.Description).toBe('family 👩\u200d👧 \u202eok');
  });

  it('the admin CLI refuses them in feed and user names', async () => {
    await expect(admin('feeds', 'add', 'Feed\u202eName')).rejects.toThrow(/a feed name must not contain invisible format characters/);
    await expect(admin('keys', 'add', '--user', 'ci\u200bbot')).rejects.toThrow(/--user must not contain invisible format characters/);
  });

  it('keys add --key accepts printable ASCII only', async () => {
    await expect(admin('keys', 'add', '--user', 'x', '--key', 'clé-secrète-1')).rejects.toThrow(/printable ASCII/);
    await expect(admin('keys', 'add', '--user', 'x', '--key', 'abc\u200bdefghij')).rejects.toThrow(/printable ASCII/);
    expect((await admin('keys', 'add', '--user', 'x', '--key', `Ok!~#${suffix}`)).at(-1)).toBe(`Ok!~#${suffix}`);
  });
});

describe('HEAD answers like GET without a body', () => {
  const functions = { read: readFunction, site: siteFunction };
  it.each([
    ['read', '/api/deployments', 'FeedName=FutureFeed'],
    ['read', '/api/deployments', 'FeedName=NoSuchFeed'],
    ['read', '/api/deployments', 'limit=0'],
    ['read', '/api/deployments/current', 'FeedName=FutureFeed&PackageName=x'],
    ['read', '/api/feeds', ''],
    ['site', '/', ''],
    ['site', '/api/openapi.json', ''],
  ] as const)('HEAD through the %s function: %s?%s', async (name, path, query) => {
    const fn = functions[name];
    const get = await invoke(fn, { method: 'GET', path, query });
    const head = await invoke(fn, { method: 'HEAD', path, query });
    expect(head.status).toBe(get.status);
    expect(head.body).toBeUndefined();
    expect(head.headers).toEqual(get.headers);
    expect(get.body).not.toBe('');
  });

  it('the recording path still allows POST only', async () => {
    const head = await invoke(recordFunction, { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.headers.Allow).toBe('POST');
  });
});
