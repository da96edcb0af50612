import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './build.ts';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireRegions, stageOf } from './deploy-regions.ts';
import { stageTableNames } from './tables.ts';
import { compileCacheNote, declaredArtifacts, root, zipBundle } from './package.ts';

/**
 * `npm run deploy [-- osls options]`: builds the bundles, zips them into the artifacts serverless.yml names and runs
 * `osls deploy` with your AWS credentials, e.g.
 *
 *   npm run deploy -- --stage prod --region eu-west-1 --param regions=eu-west-1,us-east-1
 *
 * It refuses to run unless the stage's regions are stated, on the command line or pinned for the stage in
 * serverless.yml's `params` (see infra/deploy-regions.ts): without them, redeploying the primary region would
 * delete the other regions' replicas.
 */
const args = process.argv.slice(2);
let regionList: string[] = [];
try {
  const { stage, regions, from } = requireRegions(args, readFileSync(join(root, 'serverless.yml'), 'utf8'));
  console.error(`Stage ${stage}: regions ${regions} (from the ${from}).`);
  regionList = regions.split(',').map((r) => r.trim());
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
// A secondary region's stack does not create the deployments table, so it cannot name its replica's stream: the
// event dispatcher's source is looked up here (the primary region must have been deployed first).
const region = (() => {
  const i = args.findIndex((a) => a === '--region' || a === '-r');
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--region='))?.slice('--region='.length);
})() ?? 'us-east-1';
if (region !== regionList[0] && !args.some((a) => a.includes('deploymentsStreamArn='))) {
  const client = new DynamoDBClient({ region });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: stageTableNames(stageOf(args)).deployments }));
    if (!Table?.LatestStreamArn) throw new Error('the table has no stream');
    args.push('--param', `deploymentsStreamArn=${Table.LatestStreamArn}`);
    console.error(`Events: this region's dispatcher reads ${Table.LatestStreamArn}.`);
  } catch (e) {
    console.error(`npm run deploy: could not find the deployments table's stream in ${region} (${(e as Error).message}); deploy the primary region (${regionList[0]}) first.`);
    process.exit(1);
  } finally {
    client.destroy();
  }
}
await build();
for (const name of declaredArtifacts()) zipBundle(name);
console.error(compileCacheNote());
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'deploy', ...args], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
