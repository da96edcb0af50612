import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciEnv } from '../support/ci-env.ts';
import { cliNode, hasNode20, NODE20, runCli } from '../support/cli.ts';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/ports.ts';
import { admin, baseUrl } from './support.ts';

/**
 * The built CLI (dist/cli/package-deployment.mjs, built here into a temp dir) against `npm start`, run on the
 * machine's Node 20 with nothing installed: retries through a faulty network leave one record, a retried GitHub
 * Actions step leaves one record, each exit code, --json, and the API key never printed.
 */
const suffix = randomUUID().slice(0, 8);
const FEED = 'DefaultNuGet';
const pkg = (name: string) => `Cli.${name}.${suffix}`;
const record = (url: string, p: string, ...more: string[]) => [
  'record',
  '--url',
  url,
  '--feed',
  FEED,
  '--package',
  p,
  '--version',
  '1.0.0',
  '--target',
  'web01',
  '--application',
  'CLI test',
  ...more,
];

/** `record` of version 1 to target t of any feed (the shape the exit-code tests send). */
const recordIn = (feed: string, p: string, ...more: string[]) => [
  'record',
  '--url',
  baseUrl(),
  '--feed',
  feed,
  '--package',
  p,
  '--version',
  '1',
  '--target',
  't',
  '--application',
  'a',
  ...more,
];

/** Every record of a package, through the read API. */
const history = async (p: string, feed = FEED, key?: string): Promise<Array<Record<string, unknown>>> => {
  const res = await fetch(`${baseUrl()}/api/deployments?FeedName=${encodeURIComponent(feed)}&PackageName=${encodeURIComponent(p)}`, {
    headers: key ? { 'X-ApiKey': key } : {},
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { Items: Array<Record<string, unknown>> }).Items;
};
const attemptsIn = (stderr: string) => (stderr.match(/: attempt \d+:/g) ?? []).length;

let privateFeed: string;
let writeKey: string;
let viewKey: string;

beforeAll(async () => {
  privateFeed = `CliPrivate-${suffix}`;
  await admin('feeds', 'add', privateFeed);
  writeKey = (await admin('keys', 'add', '--user', 'cli-release', '--feed', privateFeed)).at(-1)!;
  viewKey = (await admin('keys', 'add', '--user', 'cli-viewer', '--feed', privateFeed, '--privilege', 'Feeds_ViewFeed')).at(-1)!;
}, 60_000);

describe('the built file', () => {
  it.skipIf(!hasNode20)(`runs on the machine's Node 20 (${NODE20}) from an empty directory, with no node_modules`, async () => {
    expect(execFileSync(NODE20, ['--version'], { encoding: 'utf8' })).toMatch(/^v20\./);
    const p = pkg('Node20');
    const run = await runCli(record(baseUrl(), p, '--json'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      PackageName: p,
      Version: '1.0.0',
      Target: 'web01',
      Description: 'Recorded with the package-deployment CLI',
    });
    expect(await history(p)).toHaveLength(1);
  });

  it('prints help for each command', async () => {
    for (const args of [['--help'], ['record', '--help'], ['current', '--help']]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: package-deployment/);
    }
  });

  it(`runs with ${cliNode}`, () => expect(cliNode).toBeTruthy());
});

// The fault proxy speaks plain HTTP and passes the Host header on: it stands in front of `npm start` only.
describe.skipIf(Boolean(process.env.E2E_BASE_URL))('retries through a faulty network (the fault proxy in front of the gateway)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(baseUrl());
  });
  afterAll(() => proxy.close());

  const plan = (faults: Fault[]) => {
    let n = 0;
    proxy.setPlan(() => faults[n++] ?? 'forward');
    return () => n;
  };

  it('a reset, a 503 and a lost answer (stored, answer dropped) are retried with the same key: one record, replayed', async () => {
    const p = pkg('Flaky');
    const seen = plan(['reset', 'unavailable', 'lost']);
    const run = await runCli(record(`${proxy.endpoint}/`, p, '--verbose'));
    expect(run.code).toBe(0);
    expect(seen()).toBe(4);
    expect(attemptsIn(run.stderr)).toBe(4);
    expect(run.stderr).toMatch(/attempt 1: fetch failed/);
    expect(run.stderr).toMatch(/attempt 2: 503/);
    expect(run.stderr).toMatch(/attempt 3: fetch failed/);
    expect(run.stdout).toMatch(/^Already recorded: .* \(Idempotency-Key replayed, nothing new stored\)\n$/);
    const items = await history(p);
    expect(items).toHaveLength(1);
    expect(run.stdout).toContain(String(items[0]!.Id));
  });

  it('an attempt that gets no answer times out (--attempt-timeout) and is retried', async () => {
    const p = pkg('Hang');
    const seen = plan(['hang']);
    const run = await runCli(record(proxy.endpoint, p, '--verbose', '--attempt-timeout', '1'));
    expect(run.code).toBe(0);
    expect(seen()).toBe(2);
    expect(run.stderr).toMatch(/attempt 1: timed out/);
    expect(run.stdout).toMatch(/^Recorded /);
    expect(await history(p)).toHaveLength(1);
  });

  it('exit 1: still failing when --timeout runs out; one line says why; nothing stored', async () => {
    const p = pkg('Down');
    proxy.setPlan(() => 'unavailable');
    const run = await runCli(record(proxy.endpoint, p, '--timeout', '2'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^package-deployment: gave up after \d+ attempt\(s\) in 2 s: service error \(503\)/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(Number(/after (\d+) attempt/.exec(run.stderr)![1])).toBeGreaterThanOrEqual(2);
    expect(await history(p)).toHaveLength(0);
    const refused = await runCli(record(`http://127.0.0.1:${await freePort()}`, p, '--timeout', '1'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/gave up after \d+ attempt\(s\) in 1 s: fetch failed \(ECONNREFUSED\)/);
  });
});

describe('Retry-After', () => {
  it('honours Retry-After (429), then records', async () => {
    const p = pkg('RetryAfter');
    const times: number[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      times.push(Date.now());
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (times.length === 1) {
          res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/problem+json' }).end('{"status":429,"title":"Too many requests"}');
          return;
        }
        void fetch(`${baseUrl()}${req.url}`, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type']), 'idempotency-key': String(req.headers['idempotency-key']) },
          body: Buffer.concat(chunks),
        }).then(async (up) => res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? '' }).end(await up.text()));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const run = await runCli(record(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, p, '--verbose'));
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/retrying in 1000 ms \(Retry-After\)/);
      expect(times).toHaveLength(2);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    } finally {
      server.close();
    }
  });
});

describe('a retried GitHub Actions step (the same environment twice)', () => {
  it('leaves one record; the second run exits 0 as a replay; another attempt records anew', async () => {
    const p = pkg('GitHub');
    const env = ciEnv('github-actions');
    const first = await runCli(record(baseUrl(), p, '--json'), env);
    expect(first.code).toBe(0);
    const stored = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(stored).toMatchObject({
      Url: 'https://github.com/acme/profit-calc/actions/runs/9876543210',
      Description: 'Deployed by GitHub Actions acme/profit-calc run 9876543210 attempt 1, job deploy, commit 3f786850e387550fdab836ed7e6dc881de23001b',
    });
    const second = await runCli(record(baseUrl(), p), env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`Already recorded: ${p} 1.0.0 on web01 (feed ${FEED}) as ${String(stored.Id)} (Idempotency-Key replayed, nothing new stored)\n`);
    expect(await history(p)).toHaveLength(1);

    const rerun = await runCli(record(baseUrl(), p), { ...env, GITHUB_RUN_ATTEMPT: '2' });
    expect(rerun.stdout).toMatch(/^Recorded /);
    expect(await history(p)).toHaveLength(2);
  });
});

describe('hostile CI values (a GitHub Actions job named to forge lines)', () => {
  /** Every line is the CLI's own (its prefix, or a result line), with no control character in it. */
  const expectOwnLines = (output: string) => {
    const lines = output.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/^(package-deployment: |Recorded )/);
      expect(line).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    }
  };
  const FORGED = 'deploy\n::error::forged\r\n::set-output name=id::forged';

  it('are printed escaped, --verbose too, when the service stores them (line breaks in the Description)', async () => {
    const p = pkg('Hostile');
    const env = { ...ciEnv('github-actions'), GITHUB_JOB: FORGED };
    const run = await runCli(record(baseUrl(), p, '--verbose'), env);
    expect(run.code).toBe(0);
    expectOwnLines(run.stdout + run.stderr);
    expect(run.stderr).toContain('GITHUB_JOB=deploy\\n::error::forged\\r\\n::set-output name=id::forged');
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([expect.stringMatching(new RegExp(`^Recorded ${p} 1\\.0\\.0 on web01 `))]);
    // The description the service stored, as --json prints it: one line.
    const json = await runCli(record(baseUrl(), p, '--json'), env);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect((JSON.parse(json.stdout) as { Description: string }).Description).toContain(`job ${FORGED}`);
  });

  it('and when the service refuses them (an escape sequence): the reason, escaped, exit 2', async () => {
    const run = await runCli(record(baseUrl(), pkg('Hostile2'), '--verbose'), { ...ciEnv('github-actions'), GITHUB_JOB: `${FORGED}\u001b[2K` });
    expect(run.code).toBe(2);
    expectOwnLines(run.stdout + run.stderr);
    expect(run.stderr).toMatch(/^package-deployment: invalid input \(400\): /m);
    expect(run.stderr).toContain('\\u001b[2K');
  });
});

describe('exit codes and messages', () => {
  it('0: recorded; --json prints the stored record; --link and the optional fields are sent', async () => {
    const p = pkg('Json');
    const run = await runCli(
      record(
        `${baseUrl()}/`,
        p,
        '--json',
        '--description',
        'Deployed by hand',
        '--group',
        'grp',
        '--user',
        'alice',
        '--date',
        '2026-05-01T12:00:00Z',
        '--link',
        'https://ci.example.com/run/1',
      ),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      Id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      FeedName: FEED,
      GroupName: 'grp',
      PackageName: p,
      Version: '1.0.0',
      Target: 'web01',
      Application: 'CLI test',
      Description: 'Deployed by hand',
      UserName: 'alice',
      Url: 'https://ci.example.com/run/1',
      Date: '2026-05-01T12:00:00.000Z',
      ReceivedAt: expect.any(String),
      Region: expect.any(String),
    });
  });

  it('2: bad options (nothing sent), a --key option, and a 400 from the service with its detail', async () => {
    const missing = await runCli(['record', '--url', baseUrl(), '--feed', FEED]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('package-deployment: missing --package, --version, --target, --application (see --help)\n');
    const key = await runCli([...record(baseUrl(), pkg('Key')), '--key', 'top-secret-value']);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/--key is not accepted.*PACKAGE_DEPLOYMENT_API_KEY/);
    expect(key.stderr).not.toContain('top-secret-value');
    const bad = await runCli(record(baseUrl(), pkg('Bad'), '--date', 'yesterday'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^package-deployment: invalid input \(400\): .*Date/);
    const unset = await runCli(record(baseUrl(), pkg('Bad'), '--key-env', 'NO_SUCH_VARIABLE'));
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/NO_SUCH_VARIABLE: that environment variable is not set/);
  });

  it('2: a --url that redirects (a POST is not followed to another URL)', async () => {
    const server = createServer((_req, res) => res.writeHead(308, { Location: 'https://deployments.example.com/api/package-deployment/' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const run = await runCli(record(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, pkg('Redirect')));
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        "package-deployment: the service redirects (308) to https://deployments.example.com/api/package-deployment/: use that URL's base as --url\n",
      );
    } finally {
      server.close();
    }
  });

  it('3: an unknown key, and a key without Feeds_DownloadPackage on the feed', async () => {
    const unknown = await runCli(record(baseUrl(), pkg('Forbidden')), { PACKAGE_DEPLOYMENT_API_KEY: 'not-a-key-at-all' });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^package-deployment: refused \(403\): /);
    const viewer = await runCli(recordIn(privateFeed, pkg('Viewer'), '--key-env', 'MY_KEY'), { MY_KEY: viewKey });
    expect(viewer.code).toBe(3);
    expect(viewer.stderr).toMatch(/Feeds_DownloadPackage/);
  });

  it('4: the feed does not exist', async () => {
    const run = await runCli(recordIn(`NoSuchFeed-${suffix}`, 'P'));
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^package-deployment: not found \(404\): .*NoSuchFeed/);
  });

  it('5: the same --idempotency-key with another record (422)', async () => {
    const key = `cli-test-${suffix}`;
    expect((await runCli(record(baseUrl(), pkg('Conflict'), '--idempotency-key', key))).code).toBe(0);
    const again = await runCli([...record(baseUrl(), pkg('Conflict'), '--idempotency-key', key), '--description', 'something else']);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/^package-deployment: Idempotency-Key conflict \(422\): /);
  });

  it('6 (and 0, 4): current --expect-version as a pipeline gate', async () => {
    const p = pkg('Current');
    for (const [version, target] of [
      ['1.0.0', 'web01'],
      ['1.0.0', 'web02'],
      ['2.0.0', 'web01'],
    ] as const) {
      expect(
        (await runCli(['record', '--url', baseUrl(), '--feed', FEED, '--package', p, '--version', version, '--target', target, '--application', 'a'])).code,
      ).toBe(0);
    }
    const q = ['current', '--url', `${baseUrl()}/`, '--feed', FEED, '--package', p];
    const listed = await runCli(q);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^TARGET\s+VERSION\s+DATE\s+USER\s+APPLICATION$/);
    expect(
      listed.stdout
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    ).toEqual([
      ['web01', '2.0.0'],
      ['web02', '1.0.0'],
    ]);
    const gate = await runCli([...q, '--expect-version', '2.0.0']);
    expect(gate.code).toBe(6);
    expect(gate.stderr).toBe('package-deployment: 1 of 2 target(s) run another version than 2.0.0: web02 (1.0.0)\n');
    const one = await runCli([...q, '--target', 'WEB01', '--expect-version', '2.0.0', '--json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as { Items: Array<{ Target: string }> }).Items.map((i) => i.Target)).toEqual(['web01']);
    expect((await runCli([...q, '--target', 'web09'])).code).toBe(4);
    expect((await runCli(['current', '--url', baseUrl(), '--feed', FEED, '--package', pkg('Never')])).code).toBe(4);
    expect((await runCli(['current', '--url', baseUrl(), '--feed', `NoSuchFeed-${suffix}`, '--package', p])).code).toBe(4);
    const private403 = await runCli(['current', '--url', baseUrl(), '--feed', privateFeed, '--package', p]);
    expect(private403.code).toBe(3);
  });
});

describe('the API key', () => {
  it('is sent from the environment and never printed, even with --verbose, on success or failure', async () => {
    const p = pkg('Secret');
    const runs = [
      await runCli(recordIn(privateFeed, p, '--verbose', '--json'), { PACKAGE_DEPLOYMENT_API_KEY: writeKey }),
      await runCli(['current', '--url', baseUrl(), '--feed', privateFeed, '--package', p, '--verbose', '--json'], { PACKAGE_DEPLOYMENT_API_KEY: writeKey }),
      await runCli(recordIn(privateFeed, p, '--verbose'), { PACKAGE_DEPLOYMENT_API_KEY: `${writeKey}x` }),
      await runCli(recordIn(privateFeed, p, '--verbose', '--key-env', 'K'), { K: viewKey }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 3, 3]);
    expect(JSON.parse(runs[0]!.stdout)).toMatchObject({ UserName: 'cli-release', FeedName: privateFeed });
    expect(runs[0]!.stderr).toMatch(/API key: from PACKAGE_DEPLOYMENT_API_KEY/);
    for (const r of runs) {
      for (const secret of [writeKey, viewKey, writeKey.slice(0, 12), Buffer.from(writeKey).toString('base64').slice(0, 20)]) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    }
    expect(await history(p, privateFeed, writeKey)).toHaveLength(1);
  });
});
