import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';
import { builtCli } from '../support/cli.ts';
import { freePort } from '../support/ports.ts';
import { baseUrl } from './support.ts';

/**
 * docs/pipelines.md's "Try it locally" of keyless pipelines, run as a newcomer would against `npm start`: the local
 * OpenID stand-in started with its command, then the shell block as written (ports, feed name and the CLI's path
 * pointed at this run's): a trust policy for octo/app, a record with --oidc that lands as mona with its TrustPolicy,
 * and the same command with another repository's token refused (403, exit 3). Not against a deployed stage: AWS
 * trusts https issuers only.
 */
const doc = readFileSync(join(root, 'docs', 'pipelines.md'), 'utf8');
const shBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (marker: string) => {
  const found = shBlocks.find((b) => b.includes(marker));
  if (!found) throw new Error(`docs/pipelines.md has no sh block with ${marker}`);
  return found;
};
const feed = `Keyless${randomUUID().slice(0, 8)}`;
let issuer: ChildProcess | undefined;
let issuerPort = 0;

const run = (script: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('close', (code) => resolve({ code, out }));
  });

describe.skipIf(Boolean(process.env.E2E_BASE_URL))('docs/pipelines.md: keyless pipelines, tried locally', () => {
  beforeAll(async () => {
    issuerPort = await freePort();
    const command = block('npm run -s oidc-issuer').trim();
    expect(command).toBe('npm run -s oidc-issuer');
    // What the npm script runs, started directly so that stopping it stops the issuer (npm would leave it behind).
    const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['oidc-issuer']!;
    const [program, ...args] = script.split(' ');
    expect(program).toBe('node');
    issuer = spawn(process.execPath, [...args, '--port', String(issuerPort)], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      issuer!.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('ACTIONS_ID_TOKEN_REQUEST_TOKEN')) resolve();
      });
      issuer!.once('exit', (code) => reject(new Error(`the OpenID stand-in exited (${code}): ${out}`)));
    });
  });
  afterAll(() => {
    issuer?.kill();
  });

  it('a trust policy for octo/app, a record with --oidc as mona, and another repository refused', async () => {
    const cli = await builtCli();
    const script = block('trust add --feed Keyless')
      .replaceAll('127.0.0.1:3100', `127.0.0.1:${issuerPort}`)
      .replaceAll('http://127.0.0.1:3000', baseUrl())
      .replaceAll('http://127.0.0.1:8000', inject('adminEndpoint'))
      .replaceAll('dist/cli/package-deployment.mjs', cli)
      .replaceAll('Keyless', feed);
    const { code, out } = await run(script, { PORT: new URL(baseUrl()).port });
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`Added feed ${feed}.`);
    expect(lines[1]).toMatch(new RegExp(`^Added trust policy (\\w+) on feed ${feed}: tokens of http://127.0.0.1:${issuerPort} with audience ${baseUrl()}$`));
    const policy = lines[3]!;
    expect(lines[2]).toBe('  claims: repository=octo/app; privileges: Feeds_DownloadPackage; max lifetime 3600 s');
    expect(JSON.parse(lines[4]!)).toMatchObject({ FeedName: feed, UserName: 'mona', TrustPolicy: policy, Target: 'web01' });
    expect(lines[5]).toBe(
      `package-deployment: refused (403): The identity token's claims (repository, workflow, ref, environment) match no trust policy of feed ${feed}.`,
    );
    expect(lines[6]).toBe('exit 3');
    expect(out).not.toMatch(/eyJ/);
  });
});
