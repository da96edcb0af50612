import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CI environment fixtures under test/fixtures/ci-env/ (NAME=value lines, # comments say where each is documented). */
export const CI_FIXTURES = ['github-actions', 'gitlab-ci', 'azure-pipelines', 'bitbucket-pipelines', 'circleci', 'jenkins'] as const;
export type CiFixture = (typeof CI_FIXTURES)[number];

export const ciEnv = (name: CiFixture): Record<string, string> =>
  Object.fromEntries(
    readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ci-env', `${name}.env`), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
