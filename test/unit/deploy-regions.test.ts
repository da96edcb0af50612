import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { pinnedRegions, requireRegions } from '../../infra/deploy-regions.ts';
import { root } from '../../infra/paths.ts';

/**
 * `npm run deploy` refuses to run unless the stage's regions are stated (command line or pinned per stage in
 * serverless.yml): a primary-region redeploy without them would delete the other regions' replicas.
 */
const serverlessYml = readFileSync(join(root, 'serverless.yml'), 'utf8');
/** The real serverless.yml with regions pinned for stage prod, as the README recommends. */
const pinned = serverlessYml.replace(/^params:\n/m, 'params:\n  prod:\n    regions: eu-west-1,us-east-1\n');

beforeEach(() => {
  expect.hasAssertions();
});

describe('requireRegions', () => {
  it('refuses a deployment whose regions are stated nowhere, saying why and how', () => {
    expect(pinned).not.toBe(serverlessYml);
    for (const args of [['--stage', 'prod', '--region', 'eu-west-1'], [], ['-s', 'prod'], ['--stage=dev', '--param', 'deletionProtection=false']]) {
      expect(() => requireRegions(args, serverlessYml), args.join(' ')).toThrow(
        /replicas and their data[\s\S]*params:\n {4}\w+:\n {6}regions: [\s\S]*--param regions=/,
      );
    }
    expect(() => requireRegions(['--stage', 'dev'], pinned)).toThrow(/stage "dev" are not stated/);
  });

  it('accepts --param regions=... on the command line, in either form', () => {
    expect(requireRegions(['--stage', 'prod', '--param', 'regions=eu-west-1,us-east-1'], serverlessYml)).toEqual({
      stage: 'prod',
      regions: 'eu-west-1,us-east-1',
      from: 'command line',
    });
    expect(requireRegions(['--param=regions=eu-west-1'], serverlessYml)).toMatchObject({ stage: 'dev', regions: 'eu-west-1' });
  });

  it('accepts regions pinned for the stage in serverless.yml (read with its CloudFormation tags)', () => {
    expect(pinnedRegions(serverlessYml, 'prod')).toBeUndefined();
    expect(pinnedRegions(serverlessYml, 'default')).toBe('');
    expect(requireRegions(['--stage', 'prod', '--region', 'us-east-1'], pinned)).toEqual({
      stage: 'prod',
      regions: 'eu-west-1,us-east-1',
      from: 'serverless.yml',
    });
    expect(requireRegions(['-s', 'prod'], pinned)).toMatchObject({ from: 'serverless.yml' });
  });

  it('an empty list counts as not stated, on the command line (which overrides serverless.yml, as in osls) or pinned', () => {
    expect(() => requireRegions(['--stage', 'prod', '--param', 'regions='], pinned)).toThrow(/an empty list does not count/);
    expect(() => requireRegions(['--stage', 'prod'], pinned.replace('regions: eu-west-1,us-east-1', "regions: ''"))).toThrow(/an empty list does not count/);
  });
});

describe('npm run deploy', () => {
  it('exits with the reason before building or deploying anything when the regions are not stated', () => {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
    const run = spawnSync(process.execPath, [join(root, 'infra', 'deploy.ts'), '--stage', 'prod', '--region', 'eu-west-1'], {
      cwd: root,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/regions of stage "prod" are not stated[\s\S]*CloudFormation would delete those replicas and their data/);
    expect(run.stderr.startsWith('npm run deploy:')).toBe(true);
    expect(run.stdout).toBe('');
  }, 60_000);
});
