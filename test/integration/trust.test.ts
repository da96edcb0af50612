import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/record-deployment/handler.ts';
import { listDeployments, type ReadDependencies } from '../../lib/app/read.ts';
import type { RecordDependencies } from '../../lib/app/record-deployment.ts';
import { RECORD_PRIVILEGE, VIEW_PRIVILEGE, type FeedRecord, type Privilege } from '../../lib/domain/auth.ts';
import { deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { DEFAULT_MAX_LIFETIME_SECONDS, type TrustPolicy } from '../../lib/domain/trust.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { FAILURE_BACKOFF_MS, TokenVerifier, type TokenVerifierOptions } from '../../lib/store/oidc.ts';
import { TrustPolicyRepository } from '../../lib/store/trust-policies.ts';
import { formBody, invoke, seedFields } from '../support/invoke.ts';
import { startIssuer, type Issuer, type SignOptions } from '../support/oidc-issuer.ts';
import { TEST_TABLES } from './tables.ts';

const client = documentClient();
const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);
const policies = new TrustPolicyRepository(client, TEST_TABLES.apiKeys);
const suffix = randomUUID().slice(0, 8);
const A = `TrustA-${suffix}`;
const B = `TrustB-${suffix}`;
const NONE = `TrustNone-${suffix}`;
const AUDIENCE = 'https://deployments.example.test';

/** What GitHub Actions puts in a token of octo/app's deploy workflow on main. */
const GITHUB_CLAIMS = {
  sub: 'repo:octo/app:ref:refs/heads/main',
  repository: 'octo/app',
  repository_owner: 'octo',
  repository_id: '4242',
  actor: 'mona',
  ref: 'refs/heads/main',
  job_workflow_ref: 'octo/app/.github/workflows/deploy.yml@refs/heads/main',
  aud: AUDIENCE,
};

let issuer: Issuer;
let feedA: FeedRecord;
let feedB: FeedRecord;
let policyA: TrustPolicy;

const addPolicy = (feed: FeedRecord, claims: Record<string, string>, privileges: Privilege[] = [RECORD_PRIVILEGE], extra: Partial<TrustPolicy> = {}) =>
  policies.add(feed, { issuer: issuer.url, audience: AUDIENCE, claims, privileges, maxLifetimeSeconds: DEFAULT_MAX_LIFETIME_SECONDS, ...extra });

const directory = (tokens: Partial<TokenVerifierOptions> = {}, cacheTtlMs = 0) =>
  new Directory({ client, feedsTable: TEST_TABLES.feeds, apiKeysTable: TEST_TABLES.apiKeys, cacheTtlMs, tokens: { allowLoopbackIssuers: true, ...tokens } });

const recordDeps = (dir: Directory): RecordDependencies => ({
  client,
  directory: dir,
  tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
  region: 'eu-west-1',
  now: () => new Date(),
});

const shared = createHandler(recordDeps(directory()));
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const record = (token: string, feed = A, handler = shared, fields: Record<string, string> = {}) =>
  invoke(handler, {
    headers: { ...form, Authorization: `Bearer ${token}` },
    body: formBody(seedFields({ FeedName: feed, PackageName: `pkg-${suffix}`, ...fields })),
  });
const github = (claims: Record<string, unknown> = {}, options?: SignOptions) => issuer.token({ ...GITHUB_CLAIMS, ...claims }, options);

beforeAll(async () => {
  issuer = await startIssuer({ audience: AUDIENCE });
  feedA = (await feeds.add(A, []))!;
  feedB = (await feeds.add(B, []))!;
  await feeds.add(NONE, []);
  policyA = await addPolicy(feedA, { repository: 'octo/app', job_workflow_ref: 'octo/app/.github/workflows/deploy.yml' }, [RECORD_PRIVILEGE], {
    name: 'deploy',
  });
  await addPolicy(feedB, { repository: 'octo/other' }, [RECORD_PRIVILEGE, VIEW_PRIVILEGE]);
});
afterAll(() => issuer.close());

describe('recording with an identity token', () => {
  it.each(['RS256', 'ES256'] as const)('records with a %s token: UserName is the actor, TrustPolicy the policy, keyId trust:<id>', async (alg) => {
    const res = await record(github({}, { alg }), A, shared, { Version: `1.0.${alg}` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ FeedName: A, UserName: 'mona', TrustPolicy: policyA.id });
    const stored = await client.send(
      new QueryCommand({
        TableName: TEST_TABLES.deployments,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(A, undefined, `pkg-${suffix}`) },
      }),
    );
    const item = stored.Items?.find((i) => i.id === res.json.Id);
    expect(item).toMatchObject({ keyId: `trust:${policyA.id}`, trustPolicy: policyA.id, userName: 'mona' });
  });

  it("matches GitHub's repository case-insensitively, and the workflow whatever its ref", async () => {
    const res = await record(github({ repository: 'Octo/App', job_workflow_ref: 'Octo/App/.github/workflows/deploy.yml@refs/tags/v1' }));
    expect(res.status).toBe(200);
  });

  it('keeps the UserName sent, and falls back to the sub without an actor', async () => {
    expect((await record(github(), A, shared, { UserName: 'release-bot' })).json.UserName).toBe('release-bot');
    expect((await record(github({ actor: undefined }))).json.UserName).toBe(GITHUB_CLAIMS.sub);
  });
});

describe('every refusal is a 403 saying which check failed, never echoing the token', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => string, RegExp, string?]> = [
    ['a wrong issuer', () => github({ iss: 'https://token.actions.githubusercontent.com' }), /issuer is not trusted by feed/],
    ['a wrong audience', () => github({ aud: 'https://elsewhere.example' }), /audience is not one that feed .* accept/],
    ['an audience list without it', () => github({ aud: ['a', 'b'] }), /audience/],
    ['an expired token', () => github({}, { issuedAt: -1000, lifetime: 300 }), /has expired/],
    ['a token not yet valid', () => github({ nbf: now() + 600 }), /not valid yet/],
    ['a token issued in the future', () => github({ iat: now() + 600, nbf: now() }), /issued in the future/],
    ['a too long-lived token', () => github({}, { lifetime: DEFAULT_MAX_LIFETIME_SECONDS + 60 }), /lifetime .* longer than the trust policy allows/],
    ['alg none', () => github({}, { alg: 'none' }), /not signed with an accepted algorithm/],
    ['HS256 signed with the public key', () => github({}, { alg: 'HS256' }), /not signed with an accepted algorithm/],
    ['an unknown kid', () => github({}, { kid: 'not-published' }), /signed with a key its issuer does not publish/],
    ["a key the issuer does not hold, under its key's kid", () => github({}, { foreignKey: true }), /signature does not verify/],
    ['claims differing in one character', () => github({ repository: 'octo/apq' }), /claims .* match no trust policy of feed/],
    ['another workflow of the repository', () => github({ job_workflow_ref: 'octo/app/.github/workflows/test.yml@refs/heads/main' }), /claims/],
    ['a token for feed B used on feed A', () => github({ repository: 'octo/other' }), /claims .* match no trust policy of feed/],
    ['a feed without policies', () => github(), /trusts no identity tokens/, NONE],
    ['not a JWT', () => 'not-a-jwt', /not a well-formed JSON Web Token/],
  ];
  it.each(cases)('%s', async (_what, make, detail, feed = A) => {
    const token = make();
    const res = await record(token, feed);
    expect(res.status).toBe(403);
    expect(res.headers['Content-Type']).toMatch(/problem\+json/);
    expect(res.json.detail).toMatch(detail);
    expect(res.body).not.toContain(token);
    expect(res.body).not.toContain(token.split('.')[2] || token);
  });

  it('refuses a removed policy (at once with no lookup cache)', async () => {
    const feed = `TrustRm-${suffix}`;
    const f = (await feeds.add(feed, []))!;
    const p = await addPolicy(f, { repository: 'octo/app' });
    expect((await record(github(), feed)).status).toBe(200);
    expect(await policies.remove(p.id)).toBe(true);
    const res = await record(github(), feed);
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/trusts no identity tokens/);
  });

  it('does not apply a policy to a feed re-created under the same name', async () => {
    const feed = `TrustRe-${suffix}`;
    const old = (await feeds.add(feed, []))!;
    await addPolicy(old, { repository: 'octo/app' });
    expect((await record(github(), feed)).status).toBe(200);
    await feeds.remove(feed);
    const recreated = (await feeds.add(feed, [], { takeOver: true }))!;
    expect(recreated.id).not.toBe(old.id);
    expect((await policies.list(feed)).map((p) => p.feedId)).toEqual([old.id]);
    const res = await record(github(), feed);
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/trusts no identity tokens/);
  });

  it('refuses a policy without the privilege: a record-only policy cannot read; a record,view policy can', async () => {
    const deps: ReadDependencies = { client, directory: directory(), feeds, deploymentsTable: TEST_TABLES.deployments, now: () => new Date(), region: 'local' };
    const caller = (token: string, feed: string) => ({ headers: { authorization: `Bearer ${token}` }, query: { FeedName: feed } });
    await expect(listDeployments(deps, caller(github(), A))).rejects.toMatchObject({
      kind: 'forbidden',
      detail: expect.stringMatching(/does not grant Feeds_ViewFeed/),
    });
    await expect(listDeployments(deps, caller(github({ repository: 'octo/other' }), B))).resolves.toMatchObject({ Items: expect.any(Array) });
  });
});

describe('the issuer and its keys', () => {
  it('a warm request costs no JWKS fetch; an unknown kid refetches at most once a minute; rotation is picked up', async () => {
    let clock = Date.now();
    const dir = directory({ now: () => clock });
    const handler = createHandler(recordDeps(dir));
    const before = issuer.jwksFetches();
    expect((await record(github(), A, handler)).status).toBe(200);
    expect((await record(github(), A, handler)).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(before + 1);

    // Made-up key ids within the minute: refused, and no request reaches the issuer.
    for (let i = 0; i < 5; i++) expect((await record(github({}, { kid: `made-up-${i}` }), A, handler)).status).toBe(403);
    expect(issuer.jwksFetches()).toBe(before + 1);

    issuer.rotate();
    clock += 61_000;
    const rotated = await record(github(), A, handler);
    expect(rotated.status).toBe(200);
    expect(issuer.jwksFetches()).toBe(before + 2);
  });

  it('an issuer out of reach is a 503 with Retry-After, not asked again for FAILURE_BACKOFF_MS, then records again once it is back', async () => {
    let clock = Date.now();
    const handler = createHandler(recordDeps(directory({ now: () => clock, fetchTimeoutMs: 1000 })));
    const token = github();
    await issuer.stop();
    try {
      const down = await record(token, A, handler);
      expect(down.status).toBe(503);
      expect(down.headers['Retry-After']).toBe('1');
      expect(down.json.detail).toMatch(/issuer .* could not be reached .*its OpenID configuration failed\)/);
      expect(down.body).not.toContain(token);
    } finally {
      await issuer.start();
    }
    // Back, but within the backoff: the same 503, and no request reaches it.
    const before = issuer.jwksFetches();
    expect((await record(token, A, handler)).status).toBe(503);
    expect(issuer.jwksFetches()).toBe(before);
    clock += FAILURE_BACKOFF_MS;
    expect((await record(token, A, handler)).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(before + 1);
  });

  it('a stalled issuer costs one time limit per FAILURE_BACKOFF_MS, not one per request', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const stalled = createServer(() => undefined); // accepts, never answers
    stalled.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
    let clock = Date.now();
    const verifier = new TokenVerifier({ allowLoopbackIssuers: true, fetchTimeoutMs: 400, now: () => clock });
    const timed = async () => {
      const started = Date.now();
      await expect(verifier.verify('a.b.c', url)).rejects.toThrow(/fetching its OpenID configuration took over 400 ms/);
      return Date.now() - started;
    };
    try {
      expect(await timed()).toBeGreaterThanOrEqual(350);
      for (let i = 0; i < 5; i++) expect(await timed()).toBeLessThan(100);
      clock += FAILURE_BACKOFF_MS;
      expect(await timed()).toBeGreaterThanOrEqual(350);
    } finally {
      for (const socket of sockets) socket.destroy();
      stalled.close();
    }
  });

  it('keys past their age keep serving while the issuer is out of reach', async () => {
    let clock = Date.now();
    const handler = createHandler(recordDeps(directory({ now: () => clock, fetchTimeoutMs: 1000 })));
    expect((await record(github(), A, handler)).status).toBe(200);
    await issuer.stop();
    try {
      clock += 3600_000 + 1;
      expect((await record(github(), A, handler)).status).toBe(200);
      expect((await record(github(), A, handler)).status).toBe(200);
    } finally {
      await issuer.start();
    }
  });

  it('an issuer whose JWKS floods or drips is a 503 within the fetch time limit, its body never read whole', async () => {
    /** An issuer whose discovery document is right and whose JWKS is 125 MiB (flood) or never ends (drip). */
    const badIssuer = async (kind: 'flood' | 'drip') => {
      const sent = { chunks: 0 };
      const server = createServer((req, res) => {
        const own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer: own, jwks_uri: `${own}/jwks` }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":["');
        if (kind === 'drip') return;
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = (): void => {
          while (sent.chunks < 2000 && res.write(chunk)) sent.chunks++;
          if (sent.chunks < 2000) res.once('drain', pump);
          else res.end('"]}');
        };
        pump();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const close = () => {
        server.closeAllConnections();
        server.close();
      };
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, close };
    };
    const flood = await badIssuer('flood');
    const drip = await badIssuer('drip');
    try {
      const started = Date.now();
      await expect(new TokenVerifier({ allowLoopbackIssuers: true, fetchTimeoutMs: 3000 }).verify('a.b.c', flood.url)).rejects.toThrow(
        /its JWKS is larger than 262144 bytes/,
      );
      expect(Date.now() - started).toBeLessThan(2500);
      expect(flood.sent.chunks).toBeLessThan(2000);
      await expect(new TokenVerifier({ allowLoopbackIssuers: true, fetchTimeoutMs: 500 }).verify('a.b.c', drip.url)).rejects.toThrow(
        /reading its JWKS took over 500 ms/,
      );
    } finally {
      flood.close();
      drip.close();
    }
  });

  it('refuses a plain-http issuer unless loopback issuers are allowed (never on AWS)', async () => {
    const handler = createHandler(recordDeps(directory({ allowLoopbackIssuers: false })));
    const res = await record(github(), A, handler);
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/issuer is not an https:\/\/ URL/);
  });
});

describe('storage beside the keys', () => {
  it('lists policies per feed, removes them with the feed, and keeps them out of keys list', async () => {
    const feed = `TrustSt-${suffix}`;
    const f = (await feeds.add(feed, []))!;
    const p1 = await addPolicy(f, { repository: 'octo/app' });
    const p2 = await addPolicy(f, { project_path: 'group/project' });
    expect((await policies.list(feed)).map((p) => p.id)).toEqual([p1.id, p2.id]);
    expect((await policies.list()).map((p) => p.id)).toEqual(expect.arrayContaining([p1.id, p2.id, policyA.id]));
    const keys = await new ApiKeyRepository(client, TEST_TABLES.apiKeys, TEST_TABLES.feeds).list();
    expect(keys.every((k) => typeof k.user === 'string')).toBe(true);
    expect(await policies.removeForFeed(feed)).toBe(2);
    expect(await policies.list(feed)).toEqual([]);
    expect(await policies.remove(p1.id)).toBe(false);
  });
});
