import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/record-deployment/handler.ts';
import { startGateway, type Gateway } from '../../infra/local/gateway.ts';
import { parseCommandLine } from '../../cli/args.ts';
import { run } from '../../cli/main.ts';
import { RECORD_PRIVILEGE } from '../../lib/domain/auth.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { TrustPolicyRepository } from '../../lib/store/trust-policies.ts';
import { startIssuer, type Issuer } from '../support/oidc-issuer.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * The CLI's `record --oidc` in this process, against the record function behind the local gateway: the GitHub
 * Actions token request (against the test issuer's stand-in for the runner's token endpoint), GitLab's variable, and
 * the errors; the token never printed.
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const FEED = `CliTrust-${suffix}`;
let issuer: Issuer;
let gateway: Gateway;

beforeAll(async () => {
  issuer = await startIssuer({ actionsClaims: { repository: 'octo/app', actor: 'mona' } });
  const handler = createHandler({
    client,
    directory: new Directory({
      client,
      feedsTable: TEST_TABLES.feeds,
      apiKeysTable: TEST_TABLES.apiKeys,
      cacheTtlMs: 0,
      tokens: { allowLoopbackIssuers: true },
    }),
    tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
    region: 'eu-west-1',
    now: () => new Date(),
  });
  gateway = await startGateway({ port: 0, routes: [{ path: '/api/package-deployment/', handler }] });
  const feed = (await new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES).add(FEED, []))!;
  await new TrustPolicyRepository(client, TEST_TABLES.apiKeys).add(feed, {
    issuer: issuer.url,
    audience: gateway.url,
    claims: { repository: 'octo/app' },
    privileges: [RECORD_PRIVILEGE],
    maxLifetimeSeconds: 3600,
  });
});
afterAll(async () => {
  await gateway.close();
  await issuer.close();
});

const cli = async (env: Record<string, string>, ...more: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(
    [
      'record',
      '--url',
      `${gateway.url}/`,
      '--feed',
      FEED,
      '--package',
      `p-${suffix}`,
      '--version',
      '1.0.0',
      '--target',
      'web01',
      '--application',
      'CLI',
      ...more,
    ],
    { env, stdout: (l) => out.push(l), stderr: (l) => err.push(l) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const runner = () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: issuer.actions.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.actions.requestToken });

describe('record --oidc', () => {
  it('on GitHub Actions: requests a token for the base URL as audience, and records with the workflow identity', async () => {
    const r = await cli(runner(), '--oidc', '--json', '--verbose');
    expect(r.code).toBe(0);
    expect(issuer.lastTokenRequest()).toEqual({ audience: gateway.url, authorized: true });
    expect(JSON.parse(r.out)).toMatchObject({ FeedName: FEED, UserName: 'mona', TrustPolicy: expect.any(String) });
    expect(r.err).toContain(`identity token: requested from GitHub Actions for audience ${gateway.url}`);
    expect(r.err).not.toContain(issuer.actions.requestToken);
    expect(r.err + r.out).not.toMatch(/eyJ/);
  });

  it('--audience names another audience: the feed does not accept it (exit 3, the problem said)', async () => {
    const r = await cli(runner(), '--oidc', '--audience', 'https://elsewhere.example');
    expect(issuer.lastTokenRequest()?.audience).toBe('https://elsewhere.example');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/audience is not one that feed .* accept/);
  });

  it('without permissions: id-token: write (no request variables): exit 2, saying so', async () => {
    const r = await cli({}, '--oidc');
    expect(r.code).toBe(2);
    expect(r.err).toContain('"permissions: id-token: write"');
  });

  it('a token request refused: exit 1, without the request token', async () => {
    const r = await cli({ ...runner(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }, '--oidc');
    expect(r.code).toBe(1);
    expect(r.err).toContain('the GitHub Actions identity token request answered 401');
    expect(r.err).not.toContain('wrong');
  });

  it("on GitLab: reads the id_tokens variable; another repository's token is 403 (exit 3)", async () => {
    const ok = await cli(
      { DEPLOY_ID_TOKEN: issuer.token({ repository: 'octo/app', user_login: 'gl-user', aud: gateway.url }) },
      '--oidc-token-env',
      'DEPLOY_ID_TOKEN',
      '--json',
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ UserName: 'gl-user' });
    const token = issuer.token({ repository: 'octo/other', aud: gateway.url });
    const refused = await cli({ DEPLOY_ID_TOKEN: token }, '--oidc-token-env', 'DEPLOY_ID_TOKEN');
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/claims .* match no trust policy/);
    expect(refused.err).not.toContain(token);
    const missing = await cli({}, '--oidc-token-env', 'DEPLOY_ID_TOKEN');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('id_tokens: DEPLOY_ID_TOKEN: aud:');
  });

  it('parses: the audience defaults to --url without a trailing slash; --audience alone and --oidc with --key-env are refused', () => {
    const base = ['record', '--url', 'https://d.example/prod/', '--feed', 'F', '--package', 'P', '--version', '1', '--target', 'T', '--application', 'A'];
    expect(parseCommandLine([...base, '--oidc'])).toMatchObject({ oidc: { audience: 'https://d.example/prod' } });
    expect(() => parseCommandLine([...base, '--audience', 'x'])).toThrow(/--audience goes with --oidc/);
    expect(() => parseCommandLine([...base, '--oidc', '--key-env', 'K'])).toThrow(/leave out --key-env/);
  });
});
