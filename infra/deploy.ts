import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireRegions } from './deploy-regions.ts';
import { packageStage, root } from './package.ts';

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
try {
  const { stage, regions, from } = requireRegions(args, readFileSync(join(root, 'serverless.yml'), 'utf8'));
  console.error(`Stage ${stage}: regions ${regions} (from the ${from}).`);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
const packaged = await packageStage(args.filter((a, i) => a !== '--package' && args[i - 1] !== '--package' && !a.startsWith('--package=')), { build: true }).catch(
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
const deployArgs = ['deploy', ...args.filter((a, i) => a !== '--package' && args[i - 1] !== '--package' && !a.startsWith('--package=')), '--package', packaged.dir];
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), ...deployArgs], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
