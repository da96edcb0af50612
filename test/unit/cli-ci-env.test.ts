import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { detectCi } from '../../cli/ci-env.ts';
import { ciIdempotencyKey, checkIdempotencyKey, randomIdempotencyKey } from '../../cli/idempotency.ts';
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
