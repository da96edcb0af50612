import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from './build.ts';
import { declaredArtifacts, root, zipBundle } from './package.ts';

/**
 * `npm run deploy [-- osls options]`: builds the bundles, zips them into the artifacts serverless.yml names and runs
 * `osls deploy` with your AWS credentials, e.g.
 *
 *   npm run deploy -- --stage prod --region eu-west-1 --param regions=eu-west-1,us-east-1
 */
await build();
for (const name of declaredArtifacts()) zipBundle(name);
const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), 'deploy', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
child.on('close', (code) => process.exit(code ?? 1));
