import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noDynamoDbHint } from '../../infra/admin.ts';
import { root } from '../../infra/paths.ts';

/** The admin CLI started with no DynamoDB to go to says, in one line, what to set. */
describe('the admin CLI without AWS_ENDPOINT_URL_DYNAMODB', () => {
  it('without a region: one line naming AWS_ENDPOINT_URL_DYNAMODB and npm run stage-env, exit 1', async () => {
    // No AWS variable, and a HOME without ~/.aws: the SDK finds no region.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: mkdtempSync(join(tmpdir(), 'pda-admin-home-')) };
    const child = spawn(process.execPath, ['infra/admin.ts', 'feeds', 'list'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      'error: no DynamoDB to use (Region is missing): set AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 (the URL npm start prints), ' +
        `or AWS credentials plus the stage's AWS_REGION and table names: eval "$(npm run -s stage-env -- --stage STAGE --region REGION)"`,
    ]);
  }, 30_000);

  it('without credentials the same hint; other errors, or with an endpoint set, keep their own message', () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(noDynamoDbHint(noCredentials, {})).toMatch(/^no DynamoDB to use \(Could not load credentials from any providers\): set AWS_ENDPOINT_URL_DYNAMODB=/);
    expect(noDynamoDbHint(new Error('Region is missing'), { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })).toBeUndefined();
    expect(noDynamoDbHint(new Error('No feed named X.'), {})).toBeUndefined();
  });
});

/** The help says what each command removes: `feeds remove` takes the feed's trust policies with its webhooks. */
describe('the admin CLI help', () => {
  it('feeds remove names the webhooks and the trust policies it removes', async () => {
    const child = spawn(process.execPath, ['infra/admin.ts', '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    expect(await new Promise<number | null>((r) => child.once('close', r))).toBe(0);
    const entry = stdout.slice(stdout.indexOf('  feeds remove NAME'), stdout.indexOf('  keys add'));
    expect(entry.replace(/\s+/g, ' ')).toMatch(/remove a feed, its webhooks and its trust policies;/);
  }, 30_000);
});
