import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciEnv } from '../support/ci-env.ts';
import { builtCli, cliNode } from '../support/cli.ts';
import { baseUrl } from './support.ts';
import { root } from '../../infra/paths.ts';

/**
 * docs/pipelines.md's GitLab CI, Azure Pipelines and GitHub Actions (CLI) snippets, run as those services would run
 * their script lines: with the service's variables (test/fixtures/ci-env), the CLI downloaded with curl from a local
 * server standing in for where you host it, and the example URLs pointed at `npm start`. The package name is made
 * unique per run.
 */
const doc = readFileSync(join(root, 'docs', 'pipelines.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (marker: string) => {
  const found = yamlBlocks.find((b) => b.includes(marker));
  if (!found) throw new Error(`docs/pipelines.md has no yaml block with ${marker}`);
  return found;
};
const pkg = `Docs.ProfitCalc.${randomUUID().slice(0, 8)}`;
const EXAMPLE_URL = 'https://deployments.example.com';
const EXAMPLE_CLI_URL = 'https://artifacts.example.com/package-deployment/1/package-deployment.mjs';
let cliUrl: string;
let server: ReturnType<typeof createServer>;

beforeAll(async () => {
  const file = await builtCli();
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cliUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/package-deployment.mjs`;
});
afterAll(() => server.close());

const local = (text: string) => text.replaceAll(EXAMPLE_URL, baseUrl()).replaceAll(EXAMPLE_CLI_URL, cliUrl).replaceAll('ProfitCalc', pkg);

/** Runs a script in bash as a CI job would, in a fresh directory, with Node 20 first on PATH when present. */
const bash = async (script: string, env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'pda-doc-'))) => {
  const path = `${resolve(cliNode, '..')}:${process.env.PATH ?? ''}`;
  const child = spawn('bash', ['-eo', 'pipefail', '-c', script], { cwd, env: { PATH: path, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  return { code, out };
};

const history = async () => {
  const res = await fetch(`${baseUrl()}/api/deployments?FeedName=DefaultNuGet&PackageName=${encodeURIComponent(pkg)}`);
  return ((await res.json()) as { Items: Array<Record<string, unknown>> }).Items;
};

describe('docs/pipelines.md', () => {
  it('GitLab CI: the job script downloads the CLI, records, and passes the version gate; run twice, one record', async () => {
    const job = (load(local(block('record-deployment:'))) as Record<string, { variables: Record<string, string>; script: string[] }>)['record-deployment']!;
    const env = { ...ciEnv('gitlab-ci'), ...job.variables };
    for (let i = 0; i < 2; i++) {
      const run = await bash(job.script.join('\n'), env);
      expect(run.out).not.toMatch(/package-deployment: /);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(i === 0 ? /^Recorded / : /^Already recorded: /);
      expect(run.out).toMatch(/TARGET\s+VERSION[\s\S]*web01\s+1\.2\.3/);
    }
    const items = await history();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ Application: 'GitLab CI', Url: 'https://gitlab.example.com/acme/profit-calc/-/jobs/8800123' });
  });

  it('Azure Pipelines: the script step with its $(variables) and env mapping', async () => {
    const pipeline = load(local(block('UseNode@1'))) as { variables: Record<string, string>; steps: Array<{ script?: string; env?: Record<string, string> }> };
    const step = pipeline.steps.find((s) => s.script)!;
    const macros = { ...pipeline.variables, PackageDeploymentApiKey: '' }; // DefaultNuGet is open to anonymous users
    const script = step.script!.replace(/\$\((\w+)\)/g, (_, name: string) => macros[name as keyof typeof macros] ?? '');
    const env = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]) => [k, v.replace(/\$\((\w+)\)/g, (_, n: string) => macros[n as keyof typeof macros] ?? '')]),
    );
    const run = await bash(script, { ...ciEnv('azure-pipelines'), ...env });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Recorded .* on web01/);
    expect((await history()).find((r) => r.Application === 'Azure Pipelines')).toMatchObject({
      Url: 'https://dev.azure.com/acme/Profit%20Calc/_build/results?buildId=4711',
    });
  });

  it('GitHub Actions without the Action: the run step with the key mapped into env', async () => {
    const steps = load(local(block('run: >'))) as Array<{ env: Record<string, string>; run: string }>;
    const dir = mkdtempSync(join(tmpdir(), 'pda-doc-'));
    copyFileSync(await builtCli(), join(dir, 'package-deployment.mjs'));
    const run = await bash(steps[0]!.run, { ...ciEnv('github-actions'), PACKAGE_DEPLOYMENT_API_KEY: '' }, dir);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Recorded .* on web01/);
  });

  it('the Action snippet names only inputs action.yml declares', () => {
    const steps = (load(block('uses: OWNER/')) as { jobs: { deploy: { steps: Array<{ uses?: string; with?: Record<string, string> }> } } }).jobs.deploy.steps;
    const declared = Object.keys((load(readFileSync(join(root, 'action', 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    const used = Object.keys(steps.find((s) => s.uses)!.with!);
    expect(used.filter((u) => !declared.includes(u))).toEqual([]);
  });
});
