/**
 * The entry point of dist/cli/package-deployment.mjs: one file, Node 20 or later, nothing else installed (see
 * infra/build-cli.ts).
 */
import { run } from './main.ts';

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
