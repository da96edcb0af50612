import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireRegions } from './deploy-regions.ts';
import { oslsOptions } from './osls-args.ts';
import { packageStage } from './package.ts';
import { root } from './paths.ts';
import { stageTableNames } from './tables.ts';

/**
 * `npm run deploy [-- osls options]`: packages the stage as `npm run package` does (so that what is deployed is the
 * template `npm run check:templates` checks, with its REST API stage linked, see infra/package.ts) and runs
 * `osls deploy --package <that directory>` with your AWS credentials, e.g.
 *
 *   npm run deploy -- --stage prod --region eu-west-1 --param regions=eu-west-1,us-east-1
 *
 * It refuses to run unless the stage's regions are stated, on the command line or pinned for the stage in
 * serverless.yml's `params` (see infra/deploy-regions.ts): without them, redeploying the primary region would
 * delete the other regions' replicas.
 */
const args = process.argv.slice(2);
let regionList: string[] = [];
let stage = 'dev';
try {
  const stated = requireRegions(args, readFileSync(join(root, 'serverless.yml'), 'utf8'));
  console.error(`Stage ${stated.stage}: regions ${stated.regions} (from the ${stated.from}).`);
  regionList = stated.regions.split(',').map((r) => r.trim());
  stage = stated.stage;
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
// Packaged into its default directory (dist/package/<stage>-<region>[-<door>]); a --package of the caller's is not used.
const isPackage = (a: string | undefined) => a === '--package' || a === '-p';
const oslsArgs = args.filter((a, i) => !isPackage(a) && !isPackage(args[i - 1]) && !a.startsWith('--package='));

// A secondary region's stack does not create the deployments table, so it cannot name its replica's stream: the
// event dispatcher's source is looked up here (the primary region must have been deployed first).
const region = oslsOptions(oslsArgs).region ?? 'us-east-1';
if (region !== regionList[0] && !oslsOptions(oslsArgs).params.some((p) => p.startsWith('deploymentsStreamArn='))) {
  const client = new DynamoDBClient({ region });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: stageTableNames(stage).deployments }));
    if (!Table?.LatestStreamArn) throw new Error('the table has no stream');
    oslsArgs.push('--param', `deploymentsStreamArn=${Table.LatestStreamArn}`);
    console.error(`Events: this region's dispatcher reads ${Table.LatestStreamArn}.`);
  } catch (e) {
    console.error(
      `npm run deploy: could not find the deployments table's stream in ${region} (${(e as Error).message}); deploy the primary region (${regionList[0]}) first.`,
    );
    process.exit(1);
  } finally {
    client.destroy();
  }
}
const packaged = await packageStage(oslsArgs, { build: true }).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'deploy', ...oslsArgs, '--package', packaged.dir], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
