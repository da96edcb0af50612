import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ciEnv } from '../support/ci-env.ts';
import { admin, baseUrl } from './support.ts';
import { root } from '../../infra/paths.ts';

/**
 * The GitHub Action as the runner starts it: `node action/dist/index.mjs` (the committed bundle; action.yml says
 * node24, the Node running the tests) with its inputs as INPUT_* variables, a GitHub Actions environment, and an
 * output file in GITHUB_OUTPUT; against `npm start`.
 */
const action = join(root, 'action', 'dist', 'index.mjs');
const suffix = randomUUID().slice(0, 8);
const FEED = `ActionFeed-${suffix}`;
let key: string;

beforeAll(async () => {
  await admin('feeds', 'add', FEED);
  key = (await admin('keys', 'add', '--user', 'github-release', '--feed', FEED)).at(-1)!;
}, 60_000);

const runAction = async (inputs: Record<string, string>, extraEnv: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'pda-action-'));
  const outputFile = join(dir, 'github_output');
  writeFileSync(outputFile, '');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...ciEnv('github-actions'), GITHUB_OUTPUT: outputFile, ...extraEnv };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, [action], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code, stdout, stderr, outputs };
};

describe('action/dist/index.mjs', () => {
  it('records with the api-key input (masked, never otherwise printed), writes id and replayed; a retried step replays', async () => {
    const pkg = `Action.Demo.${suffix}`;
    const inputs = {
      url: `${baseUrl()}/`,
      'api-key': key,
      feed: FEED,
      package: pkg,
      version: '3.1.0',
      target: 'prod-web01',
      application: 'GitHub Actions',
      verbose: 'true',
    };
    const first = await runAction(inputs);
    expect(first.stderr).not.toContain('::error');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe(`::add-mask::${key}`);
    expect(first.stdout.split(key)).toHaveLength(2); // only in the mask command
    expect(first.stderr).not.toContain(key);
    expect(first.outputs).toMatchObject({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      replayed: 'false',
      'idempotency-key': expect.stringMatching(/^pda-github-actions-[0-9a-f]{64}$/),
    });
    const stored = JSON.parse(first.outputs.record!) as Record<string, unknown>;
    expect(stored).toMatchObject({
      Id: first.outputs.id,
      FeedName: FEED,
      PackageName: pkg,
      Version: '3.1.0',
      Target: 'prod-web01',
      UserName: 'github-release',
      Url: 'https://github.com/acme/profit-calc/actions/runs/9876543210',
    });

    const second = await runAction(inputs);
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ id: first.outputs.id, replayed: 'true' });

    const res = await fetch(`${baseUrl()}/api/deployments?FeedName=${FEED}&PackageName=${pkg}`, { headers: { 'X-ApiKey': key } });
    const items = ((await res.json()) as { Items: Array<{ Id: string }> }).Items;
    expect(items.map((i) => i.Id)).toEqual([first.outputs.id]);
  });

  it('with hostile GitHub variables and verbose, the only workflow command it prints is the mask', async () => {
    const run = await runAction(
      { url: baseUrl(), 'api-key': key, feed: FEED, package: `Action.Hostile.${suffix}`, version: '1.0.0', target: 'web01', application: 'a', verbose: 'true' },
      { GITHUB_JOB: 'deploy\n::error::forged\r\n::set-output name=id::forged\u2028::warning::forged' },
    );
    expect(run.code).toBe(0);
    const lines = `${run.stdout}${run.stderr}`.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('::'))).toEqual([`::add-mask::${key}`]);
    for (const line of lines) expect(line).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    expect(run.stderr).toContain('GITHUB_JOB=deploy\\n::error::forged');
    expect(run.outputs.id).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('fails the step with an ::error:: naming the reason and the CLI exit code (404 feed: 4), no outputs', async () => {
    const run = await runAction({ url: baseUrl(), feed: `NoSuchFeed-${suffix}`, package: 'P', version: '1', target: 't', application: 'a' });
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^::error title=Deployment not recorded::package-deployment: not found \(404\): /m);
    expect(run.outputs).toEqual({});
    const missing = await runAction({ url: baseUrl(), feed: FEED });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(
      /::error title=Deployment not recorded::package-deployment: missing input package, input version, input target, input application$/m,
    );
  });
});
