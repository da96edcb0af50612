import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/record-deployment/handler.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { currentKey, currentPartitionKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { valid } from '../../lib/domain/result.ts';
import { recordDeployment, type RecordDependencies } from '../../lib/app/record-deployment.ts';
import { formBody, invoke, seedFields } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const FEED = `Current-${suffix}`;
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
let keyA: string;
let keyB: string;
let feedId: string;

beforeAll(async () => {
  feedId = (await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(FEED, VIEW_AND_DOWNLOAD))!.id;
  const keys = new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds);
  keyA = (await keys.add({ user: 'pipeline-a', feeds: [FEED], privileges: VIEW_AND_DOWNLOAD })).key;
  keyB = (await keys.add({ user: 'pipeline-b', feeds: [FEED], privileges: VIEW_AND_DOWNLOAD })).key;
});

const history = async (pkg: string) =>
  (
    await client.send(
      new QueryCommand({
        TableName: TEST_TABLES.deployments,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(FEED, undefined, pkg) },
        ScanIndexForward: false,
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const currentTargets = async (pkg: string) =>
  (
    await client.send(
      new QueryCommand({
        TableName: TEST_TABLES.deployments,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': currentPartitionKey(FEED, undefined, pkg) },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const record = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  invoke(handler, { headers: { ...form, ...headers }, body: formBody(seedFields({ FeedName: FEED, ...fields })) });

describe('the current version per target, written with the record', () => {
  it('keeps the newest record by Date per target; a backdated record joins the history only', async () => {
    const pkg = `Pkg.${suffix}`;
    expect((await record({ PackageName: pkg, Target: 'web01', Version: '2.0.0', Date: '2024-06-01T00:00:00Z' })).status).toBe(200);
    expect((await record({ PackageName: pkg, Target: 'WEB01', Version: '1.0.0', Date: '2024-05-01T00:00:00Z' })).status).toBe(200);
    expect((await record({ PackageName: pkg, Target: 'web02', Version: '1.0.0', Date: '2024-05-01T00:00:00Z' })).status).toBe(200);

    const current = await currentTargets(pkg);
    expect(current.map((c) => [c.target, c.version]).sort()).toEqual([
      ['web01', '2.0.0'],
      ['web02', '1.0.0'],
    ]);
    expect((await history(pkg)).map((h) => h.version)).toEqual(['2.0.0', '1.0.0', '1.0.0']);
  });

  it('a later record of the same millisecond replaces the current one (ids break ties in arrival order)', async () => {
    const pkg = `Tie.${suffix}`;
    const date = '2024-07-01T00:00:00.000Z';
    await record({ PackageName: pkg, Target: 'db01', Version: '1', Date: date });
    await record({ PackageName: pkg, Target: 'db01', Version: '2', Date: date });
    const [current] = await currentTargets(pkg);
    expect(current).toMatchObject({ version: '2', target: 'db01' });
  });

  it('current items carry the whole record, the region among it, and no index keys', async () => {
    const pkg = `Shape.${suffix}`;
    const res = await record({ PackageName: pkg, Target: 'app01', Version: '3.1.4' });
    const item = (
      await client.send(new GetCommand({ TableName: TEST_TABLES.deployments, Key: currentKey(FEED, undefined, pkg, 'APP01'), ConsistentRead: true }))
    ).Item!;
    expect(item).toMatchObject({ id: res.json.Id, version: '3.1.4', region: 'eu-west-1', latest: `${res.json.Date as string}#${res.json.Id as string}` });
    expect(item).not.toHaveProperty('feedPk');
    expect(item).not.toHaveProperty('targetPk');
  });
});

describe('Idempotency-Key', () => {
  it('a retry with the same key and body answers the first record and stores nothing new', async () => {
    const pkg = `Retry.${suffix}`;
    const key = randomUUID();
    const first = await record({ PackageName: pkg }, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.headers['Idempotent-Replayed']).toBeUndefined();
    // The same fields in another order, encoding and casing are the same request.
    const again = await invoke(handler, {
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `"${key}"` },
      body: JSON.stringify(
        Object.fromEntries(
          Object.entries(seedFields({ FeedName: FEED, PackageName: pkg }))
            .reverse()
            .map(([k, v]) => [k.toLowerCase(), v]),
        ),
      ),
    });
    expect(again.status).toBe(200);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(await history(pkg)).toHaveLength(1);
  });

  it('the same key with a different body is 422, and stores nothing', async () => {
    const pkg = `Mismatch.${suffix}`;
    const key = randomUUID();
    expect((await record({ PackageName: pkg, Version: '1.0.0' }, { 'Idempotency-Key': key })).status).toBe(200);
    const other = await record({ PackageName: pkg, Version: '1.0.1' }, { 'Idempotency-Key': key });
    expect(other.status).toBe(422);
    expect(other.json.detail).toMatch(/Idempotency-Key was already used for a different deployment record/);
    expect(await history(pkg)).toHaveLength(1);
  });

  it('is scoped to the caller: two API keys may use the same Idempotency-Key', async () => {
    const pkg = `Scoped.${suffix}`;
    const key = randomUUID();
    const a = await record({ PackageName: pkg }, { 'Idempotency-Key': key, 'X-ApiKey': keyA });
    const b = await record({ PackageName: pkg }, { 'Idempotency-Key': key, 'X-ApiKey': keyB });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json.Id).not.toBe(b.json.Id);
    expect([a.json.UserName, b.json.UserName]).toEqual(['pipeline-a', 'pipeline-b']);
    expect(await history(pkg)).toHaveLength(2);
  });

  it('concurrent retries store one record: each answer is that record, or 409 while it is in flight', async () => {
    const pkg = `Concurrent.${suffix}`;
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 12 }, () => record({ PackageName: pkg }, { 'Idempotency-Key': key })));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    expect(new Set(ok.map((a) => a.json.Id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.headers['Retry-After']).toBe('1');
    expect(await history(pkg)).toHaveLength(1);
  });

  it('is remembered for 24 hours: after that the key records anew', async () => {
    const pkg = `Expiry.${suffix}`;
    const key = randomUUID();
    let clock = Date.parse('2024-01-01T00:00:00Z');
    const deps: RecordDependencies = {
      client,
      directory: new Directory({ client, feedsTable: TEST_TABLES.feeds, apiKeysTable: TEST_TABLES.apiKeys, cacheTtlMs: 0 }),
      tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
      region: 'eu-west-1',
      now: () => new Date(clock),
    };
    const request = { headers: { 'idempotency-key': key }, query: undefined, body: valid(Object.entries(seedFields({ FeedName: FEED, PackageName: pkg }))) };
    const first = await recordDeployment(deps, request);
    clock += 24 * 3600 * 1000 - 1000;
    const replay = await recordDeployment(deps, request);
    expect(replay).toMatchObject({ replayed: true, item: { id: first.item.id } });
    clock += 2000;
    const fresh = await recordDeployment(deps, request);
    expect(fresh.replayed).toBe(false);
    expect(fresh.item.id).not.toBe(first.item.id);
    const claim = await client.send(
      new GetCommand({
        TableName: TEST_TABLES.idempotency,
        Key: {
          id: createHash('sha256')
            .update(JSON.stringify([`anonymous:${feedId}`, key]))
            .digest('hex'),
        },
      }),
    );
    expect(claim.Item).toMatchObject({ record: { id: fresh.item.id }, expiresAt: Math.floor(clock / 1000) + 24 * 3600 });
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(256)],
    ['not visible ASCII', 'a b'],
  ])('refuses an Idempotency-Key that is %s with 400 (after the API key check)', async (_what, value) => {
    const res = await record({ PackageName: `Bad.${suffix}` }, { 'Idempotency-Key': value });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/Idempotency-Key/);
    const forbidden = await record({ PackageName: `Bad.${suffix}` }, { 'Idempotency-Key': value, 'X-ApiKey': 'unknown' });
    expect(forbidden.status).toBe(403);
  });
});
