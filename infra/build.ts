import { readdirSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildCli } from './build-cli.ts';

/**
 * Bundles each `functions/<name>/handler.ts` into `dist/<name>/index.mjs`: ESM for the Lambda Node.js runtime, the
 * AWS SDK bundled (not taken from the runtime, so the version is the one tested), minified, with source maps.
 */
const root = resolve(fileURLToPath(import.meta.url), '../..');

export const functionNames = (): string[] =>
  readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

export const bundlePath = (name: string): string => join(root, 'dist', name, 'index.mjs');

/**
 * What the Lambda bundle does differently from running the sources:
 * - credentials come from the environment only (see lib/db/lambda-credentials.ts), not the SDK's whole default chain;
 * - Node's built-in modules are loaded with require(). An ESM `import ... from 'node:http'` makes Node build the
 *   module's namespace, which reads every export, lazy ones included: node:http's WebSocket and fetch-related exports
 *   load undici (about 15 ms of a cold start) although nothing here uses them. A built-in whose import goes unused is
 *   not loaded at all (the SDK's HTTP handler imports node:http2 for a handler this service never uses).
 */
const lambdaRuntime: esbuild.Plugin = {
  name: 'lambda-runtime',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(root, 'lib', 'db', 'lambda-credentials.ts') }));
    b.onResolve({ filter: /^(node:)?[a-z_0-9/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      // The require() inside the stand-in module below is Node's own.
      if (args.namespace === 'node-builtin') return { path: args.path, external: true };
      return { path: args.path.replace(/^node:/, ''), namespace: 'node-builtin', sideEffects: false };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/** esbuild's options for one Lambda bundle (the benchmark builds its reference bundle with the same). */
export const lambdaBundleOptions = (entry: string, outfile: string) =>
  ({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: 'warning',
    plugins: [lambdaRuntime],
  }) satisfies esbuild.BuildOptions;

export const build = async (options: { quiet?: boolean } = {}): Promise<Record<string, number>> => {
  const sizes: Record<string, number> = {};
  for (const name of functionNames()) {
    const result = await esbuild.build(lambdaBundleOptions(join(root, 'functions', name, 'handler.ts'), bundlePath(name)));
    writeFileSync(join(root, 'dist', name, 'meta.json'), JSON.stringify(result.metafile));
    const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'));
    sizes[name] = out?.[1].bytes ?? 0;
  }
  if (!options.quiet) {
    for (const [name, bytes] of Object.entries(sizes)) console.log(`dist/${name}/index.mjs ${(bytes / 1024).toFixed(1)} KiB`);
  }
  return sizes;
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build();
  console.log(`${(await buildCli()).slice(root.length + 1)} (the CLI; see infra/build-cli.ts)`);
}
