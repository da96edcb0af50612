import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { TrustPolicyRepository } from '../../lib/store/trust-policies.ts';
import { startIssuer, type Issuer } from '../support/oidc-issuer.ts';
import { startDynalite, type LocalDynamoDB } from '../../infra/local/dynamodb.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { invoke, seedFields, type Call } from '../support/invoke.ts';
import { startLocalService, stop } from '../support/processes.ts';
import { report } from './figures.ts';
import { TABLES, directClient, loadHandler, seedWorld, unique } from './support.ts';
import { tableEnvironment } from '../support/lambda-env.ts';

/**
 * No API key in any log. A full run sends keys in every transport (X-ApiKey, HTTP Basic, ?key=, the body's key fields
 * in form, multipart and JSON), valid, wrong, revoked, expired and conflicting, to records and reads, successes and
 * refusals and storage faults, with every log at DEBUG and metrics on; then all that was written to stdout and stderr is
 * searched for each key, its Basic form and its base64. Identity tokens too (accepted, refused for each reason, with a
 * key, on /api/feeds): none of them, nor their signatures, in the logs (events included) or in any answer.
 */
type Keys = { valid: string; viewOnly: string; revoked: string; expired: string; wrong: string };
const FEED = 'Private';

/** What a pipeline may send, in every transport, for each key. */
const calls = (keys: Keys): Call[] => {
  const out: Call[] = [];
  const json = { 'Content-Type': 'application/json' };
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  for (const key of Object.values(keys)) {
    const fields = seedFields({ FeedName: FEED, PackageName: unique('Secret') });
    const formBody = new URLSearchParams(fields).toString();
    const basic = (user: string) => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
    out.push(
      { headers: { ...json, 'X-ApiKey': key }, body: JSON.stringify(fields) },
      { headers: { ...form, Authorization: basic('api') }, body: formBody },
      { headers: { ...form, Authorization: basic('someone') }, body: formBody },
      { headers: form, query: `key=${encodeURIComponent(key)}`, body: formBody },
      { headers: form, body: `${formBody}&key=${encodeURIComponent(key)}` },
      { headers: json, body: JSON.stringify({ ...fields, API_Key: key }) },
      {
        headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
        body: `${Object.entries({ ...fields, key })
          .map(([k, v]) => `--XyZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('')}--XyZ--\r\n`,
      },
      // Refusals after the key check: a bad body, an unknown feed; a conflict of two keys; an Idempotency-Key replay.
      { headers: { ...json, 'X-ApiKey': key }, body: '{"FeedName": ' },
      { headers: { ...json, 'X-ApiKey': key }, body: JSON.stringify({ ...fields, FeedName: 'NoSuchFeed' }) },
      { headers: { ...json, 'X-ApiKey': `${key},${keys.wrong}` }, body: JSON.stringify(fields) },
      { headers: { ...json, 'X-ApiKey': key, 'Idempotency-Key': 'same-key' }, body: JSON.stringify(fields) },
      { headers: { ...json, 'X-ApiKey': key, 'Idempotency-Key': 'same-key' }, body: JSON.stringify(fields) },
      // The read API, with the key in each transport.
      { method: 'GET', path: '/api/deployments', headers: { 'X-ApiKey': key }, query: `FeedName=${FEED}` },
      { method: 'GET', path: '/api/deployments', query: `FeedName=${FEED}&key=${encodeURIComponent(key)}` },
      { method: 'GET', path: '/api/feeds', headers: { Authorization: basic('api') } },
      // A wrong method.
      { method: 'DELETE', headers: { 'X-ApiKey': key } },
    );
  }
  return out;
};

/** Each key as it could show up: itself, the Basic credentials in base64, its own base64. */
const forms = (keys: Keys): string[] =>
  Object.values(keys).flatMap((k) => [
    k,
    Buffer.from(`api:${k}`).toString('base64'),
    Buffer.from(`someone:${k}`).toString('base64'),
    Buffer.from(k).toString('base64'),
  ]);

const makeKeys = async (client: DynamoDBDocumentClient): Promise<Keys> => {
  const repo = new ApiKeyRepository(client, TABLES.apiKeys, TABLES.feeds);
  const valid = (await repo.add({ user: 'release', feeds: [FEED], privileges: VIEW_AND_DOWNLOAD })).key;
  const viewOnly = (await repo.add({ user: 'viewer', feeds: [FEED], privileges: ['Feeds_ViewFeed'] })).key;
  const revoked = await repo.add({ user: 'gone', feeds: [], privileges: VIEW_AND_DOWNLOAD });
  await repo.revoke(revoked.record.id);
  const expired = (await repo.add({ user: 'old', feeds: [], privileges: VIEW_AND_DOWNLOAD, expiresAt: '2020-01-01T00:00:00Z' })).key;
  return { valid, viewOnly, revoked: revoked.key, expired, wrong: randomBytes(32).toString('base64url') };
};

const figures = { requests: 0, 'log lines captured': 0, 'key forms searched for': 0, 'keys found in logs': 0, 'identity tokens sent': 0, 'tokens found': 0 };

/** Identity tokens of every kind the service accepts or refuses, each sent as a pipeline would. */
const tokenCalls = (issuer: Issuer, feed: string): Array<{ token: string; call: Call }> => {
  const good = { repository: 'octo/app', actor: 'mona' };
  const tokens = [
    issuer.token(good),
    issuer.token(good, { alg: 'ES256' }),
    issuer.token({ ...good, repository: 'octo/other' }),
    issuer.token({ ...good, aud: 'elsewhere' }),
    issuer.token(good, { alg: 'none' }),
    issuer.token(good, { alg: 'HS256' }),
    issuer.token(good, { issuedAt: -4000 }),
    issuer.token(good, { lifetime: 7200 }),
    issuer.token(good, { kid: 'unknown' }),
    issuer.token(good, { foreignKey: true }),
  ];
  const json = { 'Content-Type': 'application/json' };
  return tokens.flatMap((token) => {
    const body = JSON.stringify(seedFields({ FeedName: feed, PackageName: unique('Token') }));
    const bearer = { Authorization: `Bearer ${token}` };
    return [
      { token, call: { headers: { ...json, ...bearer }, body } },
      { token, call: { headers: { ...json, ...bearer, 'X-ApiKey': 'some-key-value' }, body } },
      { token, call: { headers: { ...json, ...bearer }, body: '{"FeedName": ' } },
      { token, call: { method: 'GET', path: '/api/deployments', headers: bearer, query: `FeedName=${feed}` } },
      { token, call: { method: 'GET', path: '/api/feeds', headers: bearer } },
    ];
  });
};
/** A token as it could show up: whole, its signature, its payload. */
const tokenForms = (token: string): string[] => [
  token,
  ...token
    .split('.')
    .slice(1)
    .filter((p) => p.length > 8),
];
afterAll(() => report('4 secrets', figures));

const found = (text: string, keys: Keys): string[] => forms(keys).filter((f) => text.includes(f));

describe('npm start, every log at DEBUG', () => {
  let service: Awaited<ReturnType<typeof startLocalService>>;
  let keys: Keys;
  let issuer: Issuer;
  beforeAll(async () => {
    issuer = await startIssuer({ audience: 'secrets-test' });
    service = await startLocalService({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
      ...tableEnvironment(TABLES),
    });
    const client = directClient(service.dynamoEndpoint);
    const feed = await new FeedRepository(client, TABLES.feeds, TABLES).add(FEED, []);
    keys = await makeKeys(client);
    await new TrustPolicyRepository(client, TABLES.apiKeys).add(feed!, {
      issuer: issuer.url,
      audience: 'secrets-test',
      claims: { repository: 'octo/app' },
      privileges: VIEW_AND_DOWNLOAD,
      maxLifetimeSeconds: 3600,
    });
    client.destroy();
  });
  afterAll(async () => {
    if (service) await stop(service);
    await issuer?.close();
  });

  it('logs each request, redacted, and no key or identity token in any form', async () => {
    const base = service.baseUrl;
    const sentTokens = tokenCalls(issuer, FEED);
    const answers: string[] = [];
    const statuses = new Set<number>();
    for (const { call } of sentTokens) {
      const method = call.method ?? 'POST';
      const res = await fetch(`${base}${call.path ?? '/api/package-deployment/'}${call.query ? `?${call.query}` : ''}`, {
        method,
        headers: call.headers ?? {},
        ...(method === 'POST' ? { body: call.body ?? '' } : {}),
      });
      statuses.add(res.status);
      answers.push(await res.text());
      figures.requests++;
      figures['identity tokens sent']++;
    }
    expect([...statuses].sort()).toEqual([200, 400, 403]);
    for (const call of calls(keys)) {
      const method = call.method ?? 'POST';
      const res = await fetch(`${base}${call.path ?? '/api/package-deployment/'}${call.query ? `?${call.query}` : ''}`, {
        method,
        headers: call.headers ?? {},
        ...(method === 'POST' ? { body: call.body ?? '' } : {}),
      });
      await res.arrayBuffer();
      figures.requests++;
    }
    await stop(service);
    const output = service.output();
    figures['log lines captured'] += output.split('\n').filter((l) => l.trim() !== '').length;
    figures['key forms searched for'] += forms(keys).length;
    const leaks = found(output, keys);
    figures['keys found in logs'] += leaks.length;
    expect(leaks).toEqual([]);
    const tokenLeaks = sentTokens.flatMap(({ token }) => tokenForms(token)).filter((f) => output.includes(f) || answers.some((a) => a.includes(f)));
    figures['tokens found'] += tokenLeaks.length;
    expect(tokenLeaks).toEqual([]);
    // The logs are there, and redacted (not silent).
    expect(output).toContain('"x-apikey":"[redacted]"');
    expect(output).toContain('"authorization":"[redacted]"');
    expect(output).toContain('"rawQueryString":"key=[redacted]"');
    expect(output).toMatch(/"outcome":"Forbidden"/);
    expect(output).toMatch(/"_aws":/);
  });
});

describe('in-process, both functions, with storage faults', () => {
  let db: LocalDynamoDB;
  let proxy: FaultProxy;
  let keys: Keys;
  const captured: string[] = [];
  beforeAll(async () => {
    db = await startDynalite({ port: 0 });
    await seedWorld(db.endpoint, unique('Other'));
    const client = directClient(db.endpoint);
    await new FeedRepository(client, TABLES.feeds, TABLES).add(FEED, []);
    keys = await makeKeys(client);
    client.destroy();
    proxy = await startFaultProxy(db.endpoint);
  });
  afterAll(async () => {
    await proxy.close();
    await db.stop();
  });

  it('logs nothing of a key, whatever the answer, 503s and their errors included', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
      LOOKUP_CACHE_TTL_SECONDS: '0',
      DYNAMODB_REQUEST_TIMEOUT_MS: '100',
    };
    const record = await loadHandler('record-deployment', env);
    const query = await loadHandler('query-deployments', env);
    const capture = (chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const statuses = new Set<number>();
    try {
      // Every call once as it goes, once with a fault (in turn: a 500, no answer, a reset connection) on every DynamoDB call.
      const faults = ['internal', 'hang', 'reset'] as const;
      for (const [i, call] of [...calls(keys), ...calls(keys)].entries()) {
        proxy.setPlan(() => (i < calls(keys).length ? 'forward' : faults[i % faults.length]!));
        const handler = (call.path ?? '/api/package-deployment/') === '/api/package-deployment/' ? record : query;
        statuses.add((await invoke(handler, call)).status);
        figures.requests++;
      }
    } finally {
      out.mockRestore();
      err.mockRestore();
      proxy.setPlan(() => 'forward');
    }
    const text = captured.join('');
    figures['log lines captured'] += text.split('\n').filter((l) => l.trim() !== '').length;
    figures['key forms searched for'] += forms(keys).length;
    const leaks = found(text, keys);
    figures['keys found in logs'] += leaks.length;
    expect(leaks).toEqual([]);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 403, 404, 405, 503]));
    expect(text).toContain('"message":"service unavailable"');
  });
});
