import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './build.ts';
import { requireRegions } from './deploy-regions.ts';
import { compileCacheNote, declaredArtifacts, zipBundle } from './package.ts';
import { root } from './paths.ts';

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
try {
  const { stage, regions, from } = requireRegions(args, readFileSync(join(root, 'serverless.yml'), 'utf8'));
  console.error(`Stage ${stage}: regions ${regions} (from the ${from}).`);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
await build();
for (const name of declaredArtifacts()) zipBundle(name);
console.error(compileCacheNote());
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'deploy', ...args], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
