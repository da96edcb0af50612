/**
 * Which CI service runs us, from the variables each one documents, and what a deployment record can take from it:
 * the run's identity (for the Idempotency-Key), a link to the run (the record's Url) and a default Description.
 *
 * Where each provider documents its variables:
 * - GitHub Actions: https://docs.github.com/en/actions/reference/variables-reference (Default environment variables)
 * - GitLab CI/CD: https://docs.gitlab.com/ci/variables/predefined_variables/
 * - Azure Pipelines: https://learn.microsoft.com/azure/devops/pipelines/build/variables (TF_BUILD, Build.*, System.*;
 *   a variable `System.JobAttempt` reaches scripts as SYSTEM_JOBATTEMPT)
 * - Bitbucket Pipelines: https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/ (Default variables)
 * - CircleCI: https://circleci.com/docs/reference/variables/ (Built-in environment variables)
 * - Jenkins: https://www.jenkins.io/doc/book/pipeline/jenkins-file/#using-environment-variables (and /env-vars.html
 *   on any Jenkins; GIT_COMMIT comes from the Git plugin)
 */
export type Env = Readonly<Record<string, string | undefined>>;

export type CiRun = {
  /** A stable slug, e.g. `github-actions`; part of the Idempotency-Key. */
  provider: string;
  /** The provider's name for people, e.g. `GitHub Actions`. */
  name: string;
  /** What identifies this run, attempt and job (in this order), as name=value pairs: hashed into the Idempotency-Key. */
  identity: string[];
  /** A link to the run or job, when the environment gives enough to build one. */
  url?: string | undefined;
  commit?: string | undefined;
  /** The default Description: provider, run and commit. */
  description: string;
};

export type Detection = { run: CiRun } | { run: undefined; note: string };

type Provider = {
  name: string;
  slug: string;
  detect: (env: Env) => boolean;
  /** Variables without which the run cannot be told apart from another: the key would not be unique. */
  required: string[];
  /** Further variables that narrow the identity (e.g. the repository), used when set. */
  optional: string[];
  url: (env: Env) => string | undefined;
  commit: string;
  /** "run 123 attempt 2, job deploy" */
  run: (env: Env) => string;
};

const set = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};
const join = (...parts: (string | undefined)[]): string => parts.filter(Boolean).join(', ');
const trimSlash = (s: string): string => s.replace(/\/+$/, '');

export const PROVIDERS: Provider[] = [
  {
    name: 'GitHub Actions',
    slug: 'github-actions',
    detect: (env) => env.GITHUB_ACTIONS === 'true',
    required: ['GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_JOB'],
    optional: ['GITHUB_SERVER_URL', 'GITHUB_REPOSITORY'],
    url: (env) => {
      const server = set(env, 'GITHUB_SERVER_URL');
      const repo = set(env, 'GITHUB_REPOSITORY');
      return server && repo ? `${trimSlash(server)}/${repo}/actions/runs/${set(env, 'GITHUB_RUN_ID')}` : undefined;
    },
    commit: 'GITHUB_SHA',
    run: (env) =>
      join(
        `${set(env, 'GITHUB_REPOSITORY') ?? ''} run ${set(env, 'GITHUB_RUN_ID')} attempt ${set(env, 'GITHUB_RUN_ATTEMPT')}`.trim(),
        `job ${set(env, 'GITHUB_JOB')}`,
      ),
  },
  {
    name: 'GitLab CI',
    slug: 'gitlab-ci',
    detect: (env) => env.GITLAB_CI === 'true',
    // A retried GitLab job is a new job with a new CI_JOB_ID: the job id is the attempt.
    required: ['CI_PIPELINE_ID', 'CI_JOB_ID'],
    optional: ['CI_SERVER_URL', 'CI_PROJECT_PATH'],
    url: (env) => set(env, 'CI_JOB_URL') ?? set(env, 'CI_PIPELINE_URL'),
    commit: 'CI_COMMIT_SHA',
    run: (env) =>
      join(
        `${set(env, 'CI_PROJECT_PATH') ?? ''} pipeline ${set(env, 'CI_PIPELINE_ID')}`.trim(),
        `job ${set(env, 'CI_JOB_NAME') ?? ''} ${set(env, 'CI_JOB_ID')}`.replace('  ', ' '),
      ),
  },
  {
    name: 'Azure Pipelines',
    slug: 'azure-pipelines',
    detect: (env) => env.TF_BUILD?.toLowerCase() === 'true',
    required: ['BUILD_BUILDID', 'SYSTEM_JOBATTEMPT', 'SYSTEM_JOBID'],
    optional: ['SYSTEM_COLLECTIONURI', 'SYSTEM_TEAMPROJECT'],
    url: (env) => {
      const collection = set(env, 'SYSTEM_COLLECTIONURI');
      const project = set(env, 'SYSTEM_TEAMPROJECT');
      return collection && project
        ? `${trimSlash(collection)}/${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(set(env, 'BUILD_BUILDID') ?? '')}`
        : undefined;
    },
    commit: 'BUILD_SOURCEVERSION',
    run: (env) =>
      join(
        `${set(env, 'SYSTEM_TEAMPROJECT') ?? ''} build ${set(env, 'BUILD_BUILDNUMBER') ?? set(env, 'BUILD_BUILDID')}`.trim(),
        `job ${set(env, 'SYSTEM_JOBDISPLAYNAME') ?? set(env, 'SYSTEM_JOBID')} attempt ${set(env, 'SYSTEM_JOBATTEMPT')}`,
      ),
  },
  {
    name: 'Bitbucket Pipelines',
    slug: 'bitbucket-pipelines',
    detect: (env) => set(env, 'BITBUCKET_BUILD_NUMBER') !== undefined,
    required: ['BITBUCKET_BUILD_NUMBER', 'BITBUCKET_STEP_UUID'],
    optional: ['BITBUCKET_PIPELINE_UUID', 'BITBUCKET_REPO_FULL_NAME'],
    url: (env) => {
      const origin = set(env, 'BITBUCKET_GIT_HTTP_ORIGIN');
      return origin ? `${trimSlash(origin)}/pipelines/results/${set(env, 'BITBUCKET_BUILD_NUMBER')}` : undefined;
    },
    commit: 'BITBUCKET_COMMIT',
    run: (env) =>
      join(`${set(env, 'BITBUCKET_REPO_FULL_NAME') ?? ''} pipeline ${set(env, 'BITBUCKET_BUILD_NUMBER')}`.trim(), `step ${set(env, 'BITBUCKET_STEP_UUID')}`),
  },
  {
    name: 'CircleCI',
    slug: 'circleci',
    detect: (env) => env.CIRCLECI === 'true',
    // A rerun job gets a new CIRCLE_BUILD_NUM.
    required: ['CIRCLE_BUILD_NUM', 'CIRCLE_JOB'],
    optional: ['CIRCLE_WORKFLOW_ID', 'CIRCLE_PROJECT_USERNAME', 'CIRCLE_PROJECT_REPONAME'],
    url: (env) => set(env, 'CIRCLE_BUILD_URL'),
    commit: 'CIRCLE_SHA1',
    run: (env) => join(`workflow ${set(env, 'CIRCLE_WORKFLOW_ID') ?? '?'}`, `job ${set(env, 'CIRCLE_JOB')} ${set(env, 'CIRCLE_BUILD_NUM')}`),
  },
  {
    name: 'Jenkins',
    slug: 'jenkins',
    detect: (env) => set(env, 'JENKINS_URL') !== undefined,
    // BUILD_TAG is jenkins-${JOB_NAME}-${BUILD_NUMBER}: the job and its build (a rebuild has a new number).
    required: ['BUILD_TAG'],
    optional: ['JENKINS_URL'],
    url: (env) => set(env, 'BUILD_URL'),
    commit: 'GIT_COMMIT',
    run: (env) => `build ${set(env, 'BUILD_TAG')}`,
  },
];

/** The CI service running us, or why none applies (not CI, or a CI whose identifying variables are missing). */
export const detectCi = (env: Env): Detection => {
  const provider = PROVIDERS.find((p) => p.detect(env));
  if (!provider) return { run: undefined, note: 'no CI service detected' };
  const missing = provider.required.filter((name) => set(env, name) === undefined);
  if (missing.length > 0) {
    return { run: undefined, note: `${provider.name} detected, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` };
  }
  const identity = [...provider.required, ...provider.optional].filter((name) => set(env, name) !== undefined).map((name) => `${name}=${set(env, name)}`);
  const commit = set(env, provider.commit);
  const description = `Deployed by ${provider.name} ${provider.run(env)}${commit ? `, commit ${commit}` : ''}`;
  return { run: { provider: provider.slug, name: provider.name, identity, url: provider.url(env), commit, description } };
};
