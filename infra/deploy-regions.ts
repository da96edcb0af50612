import yaml from 'js-yaml';
import { oslsOptions } from './osls-args.ts';

/**
 * `npm run deploy` refuses to run unless the stage's regions are stated: `--param regions=...` on the command line,
 * or a `regions` parameter pinned for the stage in serverless.yml (`params: <stage>: regions: ...`).
 *
 * Why: `regions` defaults to the region deployed to. Redeploying the primary region of a several-region stage
 * without it would give every global table a single replica, and CloudFormation would delete the replicas in the
 * other regions, with their data. Pinning the regions per stage makes that impossible by mistake.
 *
 * serverless.yml is read with js-yaml (the parser osls itself uses), with any `!Tag` (CloudFormation's short forms)
 * read as `{ "!Tag": value }`: only `params` matters here.
 */
const cloudFormationTags = (['scalar', 'sequence', 'mapping'] as const).map(
  (kind) => new yaml.Type('!', { kind, multi: true, construct: (data: unknown, tag?: string) => ({ [tag ?? '!']: data }) }),
);
const SCHEMA = yaml.DEFAULT_SCHEMA.extend(cloudFormationTags);

/** The stage osls deploys: `--stage` / `-s`, else serverless.yml's default, dev. */
const stageOf = (args: string[]): string => oslsOptions(args).stage ?? 'dev';

/** `--param regions=...` (as `--param x` or `--param=x`), the last one given; undefined if none. */
const regionsParam = (args: string[]): string | undefined =>
  oslsOptions(args)
    .params.map((p) => /^regions=(.*)$/s.exec(p)?.[1])
    .filter((v) => v !== undefined)
    .at(-1);

/** The `regions` parameter serverless.yml pins for this stage (`params: <stage>: regions:`); undefined if none. */
export const pinnedRegions = (serverlessYml: string, stage: string): string | undefined => {
  const config = yaml.load(serverlessYml, { schema: SCHEMA }) as { params?: Record<string, { regions?: unknown } | null> } | null;
  const regions = config?.params?.[stage]?.regions;
  return regions === undefined || regions === null ? undefined : String(regions);
};

/**
 * Where this deployment's regions are stated (the command line wins, as in osls); throws, saying why and how,
 * if they are stated nowhere (or stated empty).
 */
export const requireRegions = (args: string[], serverlessYml: string): { stage: string; regions: string; from: 'command line' | 'serverless.yml' } => {
  const stage = stageOf(args);
  const given = regionsParam(args);
  if (given !== undefined && given.trim() !== '') return { stage, regions: given.trim(), from: 'command line' };
  const pinned = pinnedRegions(serverlessYml, stage);
  if (given === undefined && pinned !== undefined && pinned.trim() !== '') return { stage, regions: pinned.trim(), from: 'serverless.yml' };
  throw new Error(
    [
      `npm run deploy: the regions of stage "${stage}" are not stated${given !== undefined || pinned !== undefined ? ' (an empty list does not count)' : ''}.`,
      'Its tables are global tables with a replica in each listed region. Without `regions`, a deployment lists only the',
      'region deployed to: redeploying the primary region would remove every other region from the replicas, and',
      'CloudFormation would delete those replicas and their data.',
      '',
      `Pin the stage's regions in serverless.yml (recommended), the primary first:`,
      '',
      '  params:',
      `    ${stage}:`,
      '      regions: eu-west-1,us-east-1',
      '',
      'or state them on the command line: npm run deploy -- --stage ' + stage + ' --region eu-west-1 --param regions=eu-west-1,us-east-1',
      '(a single-region stage lists just its region: --param regions=eu-west-1).',
    ].join('\n'),
  );
};
