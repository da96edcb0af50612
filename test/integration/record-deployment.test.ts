import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/record-deployment/handler.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { valid } from '../../lib/domain/result.ts';
import { recordDeployment, type RecordDependencies } from '../../lib/app/record-deployment.ts';
import { formBody, invoke, seedFields } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

const client = documentClient();
const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
const keys = new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds);
const suffix = randomUUID().slice(0, 8);
const OPEN = `Open-${suffix}`;
const CLOSED = `Closed-${suffix}`;
const OTHER = `Other-${suffix}`;
let deployKey: string;
let viewOnlyKey: string;
let otherFeedKey: string;
let revokedKey: string;
let expiredKeyId: string;
let expiredKey: string;

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const basic = (key: string) => ({ Authorization: `Basic ${Buffer.from(`api:${key}`).toString('base64')}` });

beforeAll(async () => {
  await feeds.add(OPEN, VIEW_AND_DOWNLOAD);
  await feeds.add(CLOSED, []);
  await feeds.add(OTHER, []);
  deployKey = (await keys.add({ user: 'ci-bot', feeds: [CLOSED], privileges: VIEW_AND_DOWNLOAD })).key;
  viewOnlyKey = (await keys.add({ user: 'viewer', feeds: [CLOSED], privileges: ['Feeds_ViewFeed'] })).key;
  otherFeedKey = (await keys.add({ user: 'other', feeds: [OTHER], privileges: VIEW_AND_DOWNLOAD })).key;
  const revoked = await keys.add({ user: 'gone', feeds: [], privileges: VIEW_AND_DOWNLOAD });
  await keys.revoke(revoked.record.id);
  revokedKey = revoked.key;
  const soon = await keys.add({ user: 'brief', feeds: [], privileges: VIEW_AND_DOWNLOAD, expiresAt: new Date(Date.now() + 1500).toISOString() });
  expiredKey = soon.key;
  expiredKeyId = soon.record.id;
  await new Promise((r) => setTimeout(r, 1600));
});

/** Counts the HTTP requests the shared client sends (one per attempt: below the retry middleware). */
const sent: string[] = [];
client.middlewareStack.add(
  (next, context) => async (args) => {
    sent.push(context.commandName ?? '?');
    return next(args);
  },
  { step: 'deserialize', name: 'countRoundTrips' },
);
afterEach(() => {
  sent.length = 0;
});

describe('recording a deployment through the Lambda handler', () => {
  it('stores an anonymous form post on an anonymous feed, with what the service adds', async () => {
    const res = await invoke(handler, { headers: form, body: formBody(seedFields({ FeedName: OPEN })) });
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ FeedName: OPEN, PackageName: 'Newtonsoft.Json', Version: '12.0.3', UserName: 'Anonymous', Region: 'eu-west-1' });
    const id = res.json.Id as string;
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const stored = await client.send(
      new GetCommand({
        TableName: TEST_TABLES.deployments,
        Key: { pk: deploymentPartitionKey(OPEN, undefined, 'Newtonsoft.Json'), sk: `${res.json.Date as string}#${id}` },
      }),
    );
    expect(stored.Item).toMatchObject({ id, keyId: 'anonymous', region: 'eu-west-1', description: 'Deployed by Custom Release Server' });
    expect(Date.parse(stored.Item!.receivedAt as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('accepts the same record as JSON and as multipart/form-data', async () => {
    const json = await invoke(handler, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(seedFields({ FeedName: OPEN, Version: '13.0.1' })),
    });
    expect(json.status).toBe(200);
    expect(json.json.Version).toBe('13.0.1');
    const boundary = '------------------------d74496d66958873e';
    const parts = Object.entries(seedFields({ FeedName: OPEN, Version: '13.0.2' }))
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('');
    const multipart = await invoke(handler, {
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: `${parts}--${boundary}--\r\n`,
    });
    expect(multipart.status).toBe(200);
    expect(multipart.json.Version).toBe('13.0.2');
  });

  it.each([
    ['X-ApiKey header', (k: string) => ({ headers: { ...form, 'X-ApiKey': k } })],
    ['HTTP Basic as user api', (k: string) => ({ headers: { ...form, ...basic(k) } })],
    ['key query parameter', (k: string) => ({ headers: form, query: `key=${encodeURIComponent(k)}` })],
    ['key form field', (k: string) => ({ headers: form, body: formBody({ ...seedFields({ FeedName: CLOSED }), key: k }) })],
    [
      'API_Key JSON property',
      (k: string) => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...seedFields({ FeedName: CLOSED }), API_Key: k }) }),
    ],
  ])("records with a key sent as the %s, as the key's user", async (_name, transport) => {
    const res = await invoke(handler, { body: formBody(seedFields({ FeedName: CLOSED })), ...transport(deployKey) });
    expect(res.status).toBe(200);
    expect(res.json.UserName).toBe('ci-bot');
  });

  it("matches the feed name case-insensitively and keeps the caller's casing", async () => {
    const res = await invoke(handler, { headers: form, body: formBody(seedFields({ FeedName: OPEN.toUpperCase(), UserName: 'alice' })) });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ FeedName: OPEN.toUpperCase(), UserName: 'alice' });
  });

  describe("checks in ProGet's order", () => {
    it('403 for an unknown key, even when the body is invalid too', async () => {
      const res = await invoke(handler, { headers: { ...form, 'X-ApiKey': 'not-a-key' }, body: 'Version=1' });
      expect(res.status).toBe(403);
      expect(res.headers['Content-Type']).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ status: 403, title: 'Forbidden', detail: 'The API key is not valid.' });
    });

    it('403 for an unknown key even when the body cannot be read at all; 400 for the same body with a valid key or none', async () => {
      const json = { 'Content-Type': 'application/json' };
      const unknown = await invoke(handler, { headers: { ...json, 'X-ApiKey': 'not-a-key' }, body: '{"FeedName": ' });
      expect(unknown.status).toBe(403);
      const valid = await invoke(handler, { headers: { ...json, 'X-ApiKey': deployKey }, body: '{"FeedName": ' });
      expect(valid.status).toBe(400);
      expect(valid.json).toMatchObject({ detail: 'The body is not valid JSON.', errors: [{ field: 'body', detail: 'The body is not valid JSON.' }] });
      const anonymous = await invoke(handler, { headers: json, body: '{"FeedName": ' });
      expect(anonymous.status).toBe(400);
      const badBytes = await invoke(handler, { headers: { ...form, 'X-ApiKey': 'not-a-key' }, body: Buffer.from('FeedName=%FF\xff', 'latin1') });
      expect(badBytes.status).toBe(403);
    });

    it('403 for a revoked key and for an expired key', async () => {
      const revoked = await invoke(handler, { headers: { ...form, 'X-ApiKey': revokedKey }, body: formBody(seedFields({ FeedName: OPEN })) });
      expect(revoked.status).toBe(403);
      expect(revoked.json.detail).toMatch(/revoked/);
      const expired = await invoke(handler, { headers: { ...form, 'X-ApiKey': expiredKey }, body: formBody(seedFields({ FeedName: OPEN })) });
      expect(expired.status).toBe(403);
      expect(expired.json.detail).toMatch(/expired/);
      expect(expiredKeyId).toBeTruthy();
    });

    it('400 for an invalid body with a valid key, naming each field', async () => {
      const res = await invoke(handler, {
        headers: { ...form, 'X-ApiKey': deployKey },
        body: formBody({ FeedName: CLOSED, Application: 'x', Description: 'x', Target: 'x', PackageName: 'x', Date: 'yesterday' }),
      });
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(/Version is required/);
      expect(res.json.detail).toMatch(/Date is not an ISO 8601 date/);
      expect(res.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'Version' })]));
    });

    it('400 for an invalid body without a key, without asking DynamoDB', async () => {
      const res = await invoke(handler, { headers: form, body: 'FeedName=x' });
      expect(res.status).toBe(400);
      expect(sent).toEqual([]);
    });

    it('404 for an unknown feed', async () => {
      const res = await invoke(handler, { headers: { ...form, 'X-ApiKey': deployKey }, body: formBody(seedFields({ FeedName: `Missing-${suffix}` })) });
      expect(res.status).toBe(404);
      expect(res.json.detail).toBe(`Feed Missing-${suffix} was not found.`);
    });

    it('403 for a key without Feeds_DownloadPackage, a key for another feed, and anonymous on a closed feed', async () => {
      const viewOnly = await invoke(handler, { headers: { ...form, 'X-ApiKey': viewOnlyKey }, body: formBody(seedFields({ FeedName: CLOSED })) });
      expect(viewOnly.status).toBe(403);
      expect(viewOnly.json.detail).toMatch(/Feeds_DownloadPackage/);
      const other = await invoke(handler, { headers: { ...form, 'X-ApiKey': otherFeedKey }, body: formBody(seedFields({ FeedName: CLOSED })) });
      expect(other.status).toBe(403);
      const anonymous = await invoke(handler, { headers: form, body: formBody(seedFields({ FeedName: CLOSED })) });
      expect(anonymous.status).toBe(403);
      expect(anonymous.json.detail).toMatch(/Anonymous/);
    });

    it('405 with Allow for other methods', async () => {
      const res = await invoke(handler, { method: 'GET' });
      expect(res.status).toBe(405);
      expect(res.headers.Allow).toBe('POST');
    });
  });

  it('never overwrites: 25 concurrent records of one package with the same Date are all stored, newest first', async () => {
    const pkg = `Same.Millisecond.${suffix}`;
    const date = '2024-05-01T12:00:00.000Z';
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        invoke(handler, { headers: form, body: formBody(seedFields({ FeedName: OPEN, PackageName: pkg, Version: `1.0.${i}`, Date: date })) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(25).fill(200));
    const backdated = await invoke(handler, {
      headers: form,
      body: formBody(seedFields({ FeedName: OPEN, PackageName: pkg, Version: '0.9.0', Date: '2023-01-01T00:00:00Z' })),
    });
    expect(backdated.status).toBe(200);
    const history = await client.send(
      new QueryCommand({
        TableName: TEST_TABLES.deployments,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(OPEN, undefined, pkg.toUpperCase()) },
        ScanIndexForward: false,
      }),
    );
    expect(history.Items).toHaveLength(26);
    expect(new Set(history.Items!.map((i) => i.id)).size).toBe(26);
    expect(history.Items!.at(-1)!.version).toBe('0.9.0');
  });

  it('costs one DynamoDB request when warm (the write), and none for a key already known to be invalid', async () => {
    const body = formBody(seedFields({ FeedName: CLOSED }));
    await invoke(handler, { headers: { ...form, 'X-ApiKey': deployKey }, body });
    sent.length = 0;
    const warm = await invoke(handler, { headers: { ...form, 'X-ApiKey': deployKey }, body });
    expect(warm.status).toBe(200);
    expect(sent).toEqual(['TransactWriteItemsCommand']);

    const bogus = `bogus-${suffix}`;
    await invoke(handler, { headers: { ...form, 'X-ApiKey': bogus }, body });
    sent.length = 0;
    const again = await invoke(handler, { headers: { ...form, 'X-ApiKey': bogus }, body });
    expect(again.status).toBe(403);
    expect(sent).toEqual([]);
  });

  it('resolves a cold key and feed in one BatchGetItem', async () => {
    const feed = `Cold-${suffix}`;
    await feeds.add(feed, []);
    const { key } = await keys.add({ user: 'cold', feeds: [feed], privileges: VIEW_AND_DOWNLOAD });
    sent.length = 0;
    const res = await invoke(handler, { headers: { ...form, 'X-ApiKey': key }, body: formBody(seedFields({ FeedName: feed })) });
    expect(res.status).toBe(200);
    expect(sent).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });
});

describe('the lookup cache', () => {
  const deps = (ttlMs: number): RecordDependencies => ({
    client,
    directory: new Directory({ client, feedsTable: TEST_TABLES.feeds, apiKeysTable: TEST_TABLES.apiKeys, cacheTtlMs: ttlMs }),
    tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
    region: 'eu-west-1',
    now: () => new Date(),
  });
  const request = (key: string) => ({
    headers: { 'x-apikey': key },
    query: undefined,
    body: valid(Object.entries(seedFields({ FeedName: CLOSED }))),
  });

  it('keeps accepting a revoked key until its TTL runs out, and with a TTL of 0 refuses it at once', async () => {
    expect.assertions(3);
    const { key, record } = await keys.add({ user: 'rotating', feeds: [CLOSED], privileges: VIEW_AND_DOWNLOAD });
    const cached = deps(60_000);
    const uncached = deps(0);
    await recordDeployment(cached, request(key));
    await keys.revoke(record.id);
    const stillCached = await recordDeployment(cached, request(key));
    expect(stillCached.item.userName).toBe('rotating');
    await expect(recordDeployment(uncached, request(key))).rejects.toMatchObject({ kind: 'forbidden', detail: 'The API key has been revoked.' });
    const fresh = deps(60_000); // a new execution environment: nothing cached yet
    await expect(recordDeployment(fresh, request(key))).rejects.toMatchObject({ kind: 'forbidden' });
  });
});

describe('feed names that are Object.prototype members', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('a feed named %s that does not exist is a 404, twice (the cache too)', async (name) => {
    for (let i = 0; i < 2; i++) {
      const answer = await invoke(handler, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(seedFields({ FeedName: name })) });
      expect(answer.status).toBe(404);
      expect(answer.json.detail).toBe(`Feed ${name} was not found.`);
    }
  });
});
