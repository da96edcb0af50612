import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/record-deployment/handler.ts';
import { run } from '../../infra/admin.ts';
import { documentClient } from '../../lib/store/client.ts';
import { Directory } from '../../lib/store/directory.ts';
import { formBody, invoke, seedFields } from '../support/invoke.ts';
import { startIssuer, type Issuer } from '../support/oidc-issuer.ts';
import { TEST_TABLES } from './tables.ts';

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(args, (line) => lines.push(...line.split('\n')));
  return lines;
};
const suffix = randomUUID().slice(0, 8);
const FEED = `AdminTrust-${suffix}`;
let issuer: Issuer;

const client = documentClient();
const handler = createHandler({
  client,
  directory: new Directory({ client, feedsTable: TEST_TABLES.feeds, apiKeysTable: TEST_TABLES.apiKeys, cacheTtlMs: 0, tokens: { allowLoopbackIssuers: true } }),
  tables: { deployments: TEST_TABLES.deployments, idempotency: TEST_TABLES.idempotency },
  region: 'eu-west-1',
  now: () => new Date(),
});
const record = (token: string) =>
  invoke(handler, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${token}` },
    body: formBody(seedFields({ FeedName: FEED })),
  });

beforeAll(async () => {
  issuer = await startIssuer({ audience: 'http://127.0.0.1:3000' });
  await admin('feeds', 'add', FEED);
});
afterAll(() => issuer.close());

describe('admin CLI: trust', () => {
  it('adds a policy (audience defaulting to the local service URL, printed), lists it, records with it, removes it', async () => {
    const added = await admin(
      'trust',
      'add',
      '--feed',
      FEED,
      '--issuer',
      issuer.url,
      '--claim',
      'repository=octo/app',
      '--claim',
      'environment=prod',
      '--name',
      'deploy',
    );
    expect(added[0]).toMatch(new RegExp(`^Added trust policy \\w+ on feed ${FEED}: tokens of ${issuer.url} with audience http://127.0.0.1:3000$`));
    const id = added.at(-1)!;
    expect(added[1]).toContain('claims: repository=octo/app, environment=prod; privileges: Feeds_DownloadPackage; max lifetime 3600 s');
    const listed = await admin('trust', 'list', '--feed', FEED.toLowerCase());
    expect(listed[0]).toMatch(/^ID\s+FEED\s+NAME\s+ISSUER\s+AUDIENCE\s+CLAIMS\s+PRIVILEGES\s+MAX LIFETIME\s+CREATED$/);
    expect(listed[1]).toMatch(new RegExp(`^${id}\\s+${FEED}\\s+deploy\\s+`));

    expect((await record(issuer.token({ repository: 'octo/app', environment: 'prod', actor: 'mona' }))).json).toMatchObject({
      UserName: 'mona',
      TrustPolicy: id,
    });
    expect((await record(issuer.token({ repository: 'octo/app', environment: 'staging' }))).status).toBe(403);

    expect(await admin('trust', 'remove', id)).toEqual([expect.stringMatching(new RegExp(`^Removed trust policy ${id};`))]);
    await expect(admin('trust', 'remove', id)).rejects.toThrow(/No trust policy with id/);
    expect((await record(issuer.token({ repository: 'octo/app', environment: 'prod' }))).status).toBe(403);
  });

  it('fills issuer and claims from --github, and removes policies with the feed', async () => {
    const feed = `AdminTrustGh-${suffix}`;
    await admin('feeds', 'add', feed);
    const added = await admin(
      'trust',
      'add',
      '--feed',
      feed,
      '--github',
      'octo/app',
      '--ref',
      'main',
      '--workflow',
      'deploy.yml',
      '--audience',
      'https://d.example',
      '--privileges',
      'record,view',
      '--max-lifetime',
      '10m',
    );
    expect(added[0]).toContain('tokens of https://token.actions.githubusercontent.com with audience https://d.example');
    expect(added[1]).toContain(
      'claims: repository=octo/app, ref=refs/heads/main, job_workflow_ref=octo/app/.github/workflows/deploy.yml; privileges: Feeds_DownloadPackage, Feeds_ViewFeed; max lifetime 600 s',
    );
    expect(await admin('feeds', 'remove', feed)).toContain(`Removed its 1 trust policy(ies) stored under the name ${feed}.`);
    expect(await admin('trust', 'list', '--feed', feed)).toEqual(['No trust policies.']);
  });

  it.each([
    [
      ['--feed', FEED, '--issuer', 'https://i.example', '--claim', 'environment=prod'],
      /at least one of the claims repository, repository_id, project_path, project_id/,
    ],
    [['--feed', FEED, '--claim', 'repository=o/r'], /needs --issuer URL/],
    [['--feed', FEED, '--issuer', 'http://10.0.0.1', '--claim', 'repository=o/r'], /--issuer must be an https:\/\/ URL/],
    [['--feed', FEED, '--github', 'o/r', '--privileges', 'view'], /--privileges takes record or record,view/],
    [['--feed', FEED, '--github', 'o/r', '--claim', 'aud=x'], /checked by the service itself/],
    [['--feed', FEED, '--github', 'o/r', '--max-lifetime', '2d'], /--max-lifetime/],
    [['--feed', FEED, '--issuer', 'https://i.example', '--ref', 'main', '--claim', 'repository=o/r'], /go with --github or --gitlab/],
    [['--github', 'o/r'], /exactly one --feed/],
  ])('refuses %j', async (args, message) => {
    await expect(admin('trust', 'add', ...args)).rejects.toThrow(message);
  });

  it('refuses a feed that does not exist', async () => {
    await expect(admin('trust', 'add', '--feed', `Nope-${suffix}`, '--github', 'o/r')).rejects.toThrow(/No feed named/);
  });
});
