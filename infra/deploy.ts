import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireRegions } from './deploy-regions.ts';
import { packageStage } from './package.ts';
import { root } from './paths.ts';

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
// Packaged into its default directory (dist/package/<stage>-<region>[-<door>]); a --package of the caller's is not used.
const isPackage = (a: string | undefined) => a === '--package' || a === '-p';
const oslsArgs = args.filter((a, i) => !isPackage(a) && !isPackage(args[i - 1]) && !a.startsWith('--package='));
const packaged = await packageStage(oslsArgs, { build: true }).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'deploy', ...oslsArgs, '--package', packaged.dir], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
