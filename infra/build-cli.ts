import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { root } from './paths.ts';

/**
 * The pipeline tools, each one self-contained ESM file that needs nothing but Node (built-in fetch, node:util's
 * parseArgs, node:crypto): the CLI, `dist/cli/package-deployment.mjs` (Node 20 or later), and the GitHub Action,
 * `action/dist/index.mjs` (committed, as GitHub runs it from the repository; `runs.using: node24`). Not minified and
 * without source maps, so that a stack trace reads as the source and nothing is loaded at run time; paths in the
 * output are relative to the repository, so a rebuild anywhere gives the same bytes (infra/check-action.ts).
 */
export const cliPath = join(root, 'dist', 'cli', 'package-deployment.mjs');
export const actionPath = join(root, 'action', 'dist', 'index.mjs');

const options = (entry: string, outfile: string, target: string, banner: string) =>
  ({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'esm',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: banner },
    logLevel: 'warning',
  }) satisfies esbuild.BuildOptions;

export const buildCli = async (outfile = cliPath): Promise<string> => {
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build(
    options(
      'cli/bin.ts',
      outfile,
      'node20',
      '#!/usr/bin/env node\n// package-deployment CLI: built from cli/ by npm run build; runs on Node 20 or later, nothing to install.',
    ),
  );
  return outfile;
};

export const buildAction = async (outfile = actionPath): Promise<string> => {
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build(
    options(
      'action/src/main.ts',
      outfile,
      'node24',
      '// GitHub Action: built from action/src and cli/ by npm run build:action; do not edit (CI checks it matches).',
    ),
  );
  return outfile;
};

if (import.meta.main) {
  // `node infra/build-cli.ts [cli|action]`: one of them, or both.
  const [which] = parseArgs({ allowPositionals: true, strict: true, options: {} }).positionals;
  if (which !== 'action') console.log(`${await buildCli()}`);
  if (which !== 'cli') console.log(`${await buildAction()}`);
}
