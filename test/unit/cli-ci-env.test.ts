import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { detectCi } from '../../cli/ci-env.ts';
import { ciIdempotencyKey, checkIdempotencyKey, randomIdempotencyKey } from '../../cli/idempotency.ts';
import { run } from '../../cli/main.ts';
import { buildRecord, gitCommitTime } from '../../cli/record.ts';
import type { RecordArgs } from '../../cli/args.ts';
import { CI_FIXTURES, ciEnv } from '../support/ci-env.ts';

/** CI detection from each provider's documented variables (fixtures: test/fixtures/ci-env/*.env). */
const RECORD = { FeedName: 'DefaultNuGet', PackageName: 'ProfitCalc', Version: '1.2.3', Target: 'web01' };
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

const EXPECTED: Record<(typeof CI_FIXTURES)[number], { provider: string; url: string; description: RegExp }> = {
  'github-actions': {
    provider: 'github-actions',
    url: 'https://github.com/acme/profit-calc/actions/runs/9876543210',
    description: /^Deployed by GitHub Actions acme\/profit-calc run 9876543210 attempt 1, job deploy, commit 3f78/,
  },
  'gitlab-ci': {
    provider: 'gitlab-ci',
    url: 'https://gitlab.example.com/acme/profit-calc/-/jobs/8800123',
    description: /^Deployed by GitLab CI acme\/profit-calc pipeline 1000234, job deploy-web01 8800123, commit 3f78/,
  },
  'azure-pipelines': {
    provider: 'azure-pipelines',
    url: 'https://dev.azure.com/acme/Profit%20Calc/_build/results?buildId=4711',
    description: /^Deployed by Azure Pipelines Profit Calc build 20261130\.3, job Deploy web01 attempt 1, commit 3f78/,
  },
  'bitbucket-pipelines': {
    provider: 'bitbucket-pipelines',
    url: 'http://bitbucket.org/acme/profit-calc/pipelines/results/321',
    description: /^Deployed by Bitbucket Pipelines acme\/profit-calc pipeline 321, step \{a1b2c3d4-.*commit 3f78/,
  },
  circleci: {
    provider: 'circleci',
    url: 'https://circleci.com/gh/acme/profit-calc/1234',
    description: /^Deployed by CircleCI workflow 5f8e3c6a-.*, job deploy 1234, commit 3f78/,
  },
  jenkins: {
    provider: 'jenkins',
    url: 'https://jenkins.example.com/job/profit-calc/job/deploy/88/',
    description: /^Deployed by Jenkins build jenkins-profit-calc-deploy-88, commit 3f78/,
  },
};

/** The variable that tells a run's attempt (or job run) apart, per provider: changing it must change the key. */
const ATTEMPT: Record<(typeof CI_FIXTURES)[number], string> = {
  'github-actions': 'GITHUB_RUN_ATTEMPT',
  'gitlab-ci': 'CI_JOB_ID',
  'azure-pipelines': 'SYSTEM_JOBATTEMPT',
  'bitbucket-pipelines': 'BITBUCKET_STEP_UUID',
  circleci: 'CIRCLE_BUILD_NUM',
  jenkins: 'BUILD_TAG',
};

describe.each(CI_FIXTURES)('%s', (name) => {
  const env = ciEnv(name);
  const detected = detectCi(env);

  it('is detected, with the run URL, commit and a description naming provider, run and commit', () => {
    expect(detected.run).toBeDefined();
    const run = detected.run!;
    expect(run.provider).toBe(EXPECTED[name].provider);
    expect(run.url).toBe(EXPECTED[name].url);
    expect(run.commit).toBe(SHA);
    expect(run.description).toMatch(EXPECTED[name].description);
  });

  it('gives the same Idempotency-Key for the same environment and record, another for another attempt or record', () => {
    const key = ciIdempotencyKey(detected.run!, RECORD);
    expect(ciIdempotencyKey(detectCi({ ...env }).run!, { ...RECORD })).toBe(key);
    expect(key).toMatch(/^pda-[a-z-]+-[0-9a-f]{64}$/);
    expect(checkIdempotencyKey(key)).toBeUndefined();
    expect(key.length).toBeLessThanOrEqual(255);
    const other = new Set([
      key,
      ciIdempotencyKey(detectCi({ ...env, [ATTEMPT[name]]: `${env[ATTEMPT[name]]}x` }).run!, RECORD),
      ciIdempotencyKey(detected.run!, { ...RECORD, Target: 'web02' }),
      ciIdempotencyKey(detected.run!, { ...RECORD, Version: '1.2.4' }),
      ciIdempotencyKey(detected.run!, { ...RECORD, PackageName: 'Other' }),
      ciIdempotencyKey(detected.run!, { ...RECORD, FeedName: 'Other' }),
      ciIdempotencyKey(detected.run!, { ...RECORD, GroupName: 'g' }),
    ]);
    expect(other.size).toBe(7);
  });

  it('is not used when a variable that identifies the run is missing: the key is then random', () => {
    const { [ATTEMPT[name]]: _gone, ...partial } = env;
    const d = detectCi(partial);
    expect(d.run).toBeUndefined();
    if (!d.run) expect(d.note).toContain(ATTEMPT[name]);
  });
});

describe('outside CI', () => {
  it('detects nothing in an empty environment, and random keys differ', () => {
    const d = detectCi({ PATH: '/usr/bin', CI: 'true' });
    expect(d.run).toBeUndefined();
    expect(randomIdempotencyKey()).not.toBe(randomIdempotencyKey());
  });
});

describe('the record built for a CI run', () => {
  const args: RecordArgs = {
    command: 'record',
    url: 'http://x',
    keyEnv: 'K',
    keyEnvExplicit: false,
    timeoutMs: 1000,
    attemptTimeoutMs: 1000,
    json: false,
    verbose: false,
    feed: 'DefaultNuGet',
    package: 'ProfitCalc',
    version: '1.2.3',
    target: 'web01',
    application: 'CI',
  };
  it('takes Url and Description from the environment unless given; an explicit Idempotency-Key wins', () => {
    const env = ciEnv('github-actions');
    const lines: string[] = [];
    const built = buildRecord(args, env, (l) => lines.push(l));
    expect(built.body).toMatchObject({ Url: EXPECTED['github-actions'].url, Description: expect.stringMatching(/GitHub Actions/) });
    expect(built.idempotencyKey).toBe(ciIdempotencyKey(detectCi(env).run!, RECORD));
    const explicit = buildRecord(
      { ...args, link: 'https://example.com/x', description: 'Mine', idempotencyKey: 'mine-1' },
      env,
      () => {},
      () => undefined,
    );
    expect(explicit).toEqual({
      body: {
        FeedName: 'DefaultNuGet',
        PackageName: 'ProfitCalc',
        Version: '1.2.3',
        Target: 'web01',
        Application: 'CI',
        Description: 'Mine',
        Url: 'https://example.com/x',
        CommitSha: SHA,
      },
      idempotencyKey: 'mine-1',
    });
    expect(() => buildRecord({ ...args, idempotencyKey: 'a,b' }, env, () => {})).toThrow(/without a comma/);
  });

  it('sends the run’s commit as CommitSha and its time in the checkout as CommitTime; flags win; no checkout, no CommitTime', () => {
    const env = ciEnv('github-actions');
    const at = (sha: string) => (sha === SHA ? '2026-11-30T09:00:00+01:00' : undefined);
    expect(buildRecord(args, env, () => {}, at).body).toMatchObject({ CommitSha: SHA, CommitTime: '2026-11-30T09:00:00+01:00' });
    const flags = buildRecord({ ...args, commitSha: 'abcdef1', commitTime: '2026-11-29T00:00:00Z', status: 'failed' }, env, () => {}, at).body;
    expect(flags).toMatchObject({ CommitSha: 'abcdef1', CommitTime: '2026-11-29T00:00:00Z', Status: 'failed' });
    const lines: string[] = [];
    const none = buildRecord(
      { ...args, verbose: true },
      env,
      (l) => lines.push(l),
      () => undefined,
    ).body;
    expect(none).not.toHaveProperty('CommitTime');
    expect(lines).toContain(`no CommitTime: commit ${SHA} is not in a git checkout here`);
    expect(buildRecord(args, {}, () => {}, at).body).not.toHaveProperty('CommitSha');
  });

  it('reads a commit’s time with git show in this checkout, and none for a commit it does not hold', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const expected = execFileSync('git', ['log', '-1', '--format=%cI', head], { encoding: 'utf8' }).trim();
    expect(gitCommitTime(head)).toBe(expected);
    expect(gitCommitTime('0000000000000000000000000000000000000000')).toBeUndefined();
  });
});

describe('hostile CI values (and options, and answers) are printed escaped, --verbose too', () => {
  /** A GitHub Actions environment whose values try to end the line they are printed in and forge one of their own. */
  const FORGED = '\n::error::forged\r\n::set-output name=id::forged';
  const hostileEnv = {
    ...ciEnv('github-actions'),
    GITHUB_JOB: `deploy${FORGED}`,
    GITHUB_REPOSITORY: `acme/profit-calc\u2028Recorded forged`,
    GITHUB_SERVER_URL: 'https://github.com\u001b[2K',
    GITHUB_ACTOR: `octocat${FORGED}`,
  };
  /** A stand-in for the service on a local port: answers with the posted record (what the service stores), or a problem. */
  const serve = async (answer: (body: Record<string, string>) => { status: number; json: unknown }) => {
    const server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (c: string) => (text += c));
      req.on('end', () => {
        const { status, json } = answer(text ? (JSON.parse(text) as Record<string, string>) : {});
        res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'application/problem+json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  };
  const runIn = async (argv: string[], env: Record<string, string>) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await run(argv, { env, stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) });
    return { code, stdout, stderr, all: [...stdout, ...stderr] };
  };
  /**
   * Every printed line is one line, holds no control character, and no CI command: none starts with `::` after blanks
   * (GitHub's runner trims a line's start), none holds `##[` or `##vso[` (read anywhere in a line), with or without
   * format characters (zero-width space, soft hyphen) between the marker's characters.
   */
  const expectNoForgery = (lines: string[]) => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
      expect(line).not.toMatch(/^[\s\p{Cf}]*:\p{Cf}*:/u);
      expect(line).not.toMatch(/#\p{Cf}*#\p{Cf}*(?:v\p{Cf}*s\p{Cf}*o\p{Cf}*)?\[/iu);
    }
  };

  it('record --status failed says the deployment failed (the target still runs what it ran)', async () => {
    const service = await serve((body) => ({ status: 200, json: { Id: '01JTESTRECORD0000000000000', ...body, Status: 'Failed' } }));
    try {
      const argv = ['record', '--url', service.url, '--feed', 'F', '--package', 'P', '--version', '2', '--target', 'web01', '--application', 'a'];
      const r = await runIn([...argv, '--status', 'failed'], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toEqual(['Recorded the failed deployment of P 2 on web01 (feed F) as 01JTESTRECORD0000000000000']);
    } finally {
      service.close();
    }
  });

  it('record --verbose: the run identity, the options and the answer, each on its own line', async () => {
    const service = await serve((body) => ({ status: 200, json: { Id: '01JTESTRECORD0000000000000', ...body } }));
    try {
      const target = `web01${FORGED}`;
      const r = await runIn(
        ['record', '--url', service.url, '--feed', 'DefaultNuGet', '--package', 'P', '--version', '1', '--target', target, '--application', 'a', '--verbose'],
        hostileEnv,
      );
      expect(r.code).toBe(0);
      expectNoForgery(r.all);
      expect(r.stderr).toContainEqual(expect.stringContaining('GITHUB_JOB=deploy\\n::error::forged\\r\\n::set-output name=id::forged'));
      expect(r.stderr).toContainEqual(expect.stringContaining('GITHUB_REPOSITORY=acme/profit-calc\\u2028Recorded forged'));
      expect(r.stderr).toContainEqual(expect.stringContaining('GITHUB_SERVER_URL=https://github.com\\u001b[2K'));
      expect(r.stdout).toEqual(['Recorded P 1 on web01\\n::error::forged\\r\\n::set-output name=id::forged (feed DefaultNuGet) as 01JTESTRECORD0000000000000']);
      const json = await runIn(
        ['record', '--url', service.url, '--feed', 'DefaultNuGet', '--package', 'P', '--version', '1', '--target', target, '--application', 'a', '--json'],
        hostileEnv,
      );
      expectNoForgery(json.all);
      expect(json.stdout).toHaveLength(1);
      expect(JSON.parse(json.stdout[0]!)).toMatchObject({ Target: target, Url: expect.stringContaining('\u001b[2K') });
    } finally {
      service.close();
    }
  });

  it("a problem's detail, an option's value in a usage error, and current's table", async () => {
    const refused = await serve(() => ({ status: 400, json: { title: 'Bad Request', detail: `Version is invalid${FORGED}` } }));
    try {
      const r = await runIn(
        ['record', '--url', refused.url, '--feed', 'F', '--package', 'P', '--version', '1', '--target', 't', '--application', 'a'],
        hostileEnv,
      );
      expect(r.code).toBe(2);
      expectNoForgery(r.all);
      expect(r.stderr).toEqual(['package-deployment: invalid input (400): Version is invalid\\n::error::forged\\r\\n::set-output name=id::forged']);
    } finally {
      refused.close();
    }
    const usage = await runIn(
      ['record', `--url=http://x${FORGED}`, '--feed', 'F', '--package', 'P', '--version', '1', '--target', 't', '--application', 'a'],
      hostileEnv,
    );
    expect(usage.code).toBe(2);
    expectNoForgery(usage.all);
    const items = [
      { Target: `web01${FORGED}`, Version: `1\u0085::error::forged`, Date: '2026-12-01T00:00:00Z', UserName: hostileEnv.GITHUB_ACTOR, Application: 'a' },
    ];
    const current = await serve(() => ({ status: 200, json: { Items: items } }));
    try {
      const r = await runIn(['current', '--url', current.url, '--feed', 'F', '--package', 'P', '--verbose'], hostileEnv);
      expect(r.code).toBe(0);
      expectNoForgery(r.all);
      expect(r.stdout).toHaveLength(2);
      expect(r.stdout[1]).toContain('1\\u0085::error::forged');
    } finally {
      current.close();
    }
  });
  it("a value from the service that starts a line (current's and affected's tables) or holds a command marker is not a CI command", async () => {
    const targets = [
      '::error::forged',
      ' \u00a0::set-output name=id::forged',
      '\u200b:\u00ad:warning::forged',
      'web01 ##[error]forged',
      'web02 ##vso[task.setvariable variable=x]forged',
      'web03 #\u200b#VSO[task.complete result=Failed]forged',
    ];
    const items = targets.map((Target) => ({ Target, Version: '1', Date: '2026-12-01T00:00:00Z', UserName: 'u', Application: 'a' }));
    const current = await serve(() => ({ status: 200, json: { Items: items } }));
    try {
      const table = await runIn(['current', '--url', current.url, '--feed', 'F', '--package', 'P', '--verbose'], {});
      expect(table.code).toBe(0);
      expect(table.stdout).toHaveLength(1 + targets.length);
      expectNoForgery(table.all);
      expect(table.stdout).toContainEqual(expect.stringMatching(/^\\u003a:error::forged +1 /));
      expect(table.stdout).toContainEqual(expect.stringMatching(/^web01 \\u0023#\[error\]forged /));
      const json = await runIn(['current', '--url', current.url, '--feed', 'F', '--package', 'P', '--json'], {});
      expectNoForgery(json.all);
      // The escapes are JSON's own: the line still parses to the service's values.
      expect((JSON.parse(json.stdout[0]!) as { Items: { Target: string }[] }).Items.map((i) => i.Target).sort()).toEqual([...targets].sort());
    } finally {
      current.close();
    }
    const affected = await serve(() => ({
      status: 200,
      json: {
        Advisory: null,
        Checked: 2,
        Packages: [
          {
            PackageName: '::error::forged',
            Matching: 'ranges',
            Affected: [{ Target: 'web01 ##[error]forged', Region: 'eu-west-1', Version: '1' }],
            Unknown: [{ Target: '::warning::forged', Region: 'eu-west-1', Version: 'x' }],
            Unaffected: 0,
          },
        ],
      },
    }));
    try {
      const r = await runIn(['affected', '--url', affected.url, '--feed', 'F', '--package', 'P', '--range', '<2', '--verbose'], {});
      expect(r.code).toBe(7);
      expect(r.stdout).toHaveLength(3);
      expectNoForgery(r.all);
      expect(r.stdout[1]).toMatch(/^\\u003a:error::forged +web01 \\u0023#\[error\]forged /);
    } finally {
      affected.close();
    }
  });
});
