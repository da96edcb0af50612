import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { buildCli } from './build-cli.ts';
import { root } from './paths.ts';

/**
 * Bundles each `functions/<name>/handler.ts` into `dist/<name>/index.mjs`: ESM for the Lambda Node.js runtime, the
 * AWS SDK bundled (not taken from the runtime, so the version is the one tested), minified, with source maps.
 */

export const functionNames = (): string[] =>
  readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

export const bundlePath = (name: string): string => join(root, 'dist', name, 'index.mjs');

/**
 * What the Lambda bundle does differently from running the sources:
 * - credentials come from the environment only (see infra/bundle/lambda-credentials.ts), not the SDK's whole default chain;
 * - the SDK's endpoint-discovery cache keeps its entries in a Map-based LRU (infra/bundle/lru-cache.ts), not mnemonist's;
 * - Node's built-in modules are loaded with require(). An ESM `import ... from 'node:http'` makes Node build the
 *   module's namespace, which reads every export, lazy ones included: node:http's WebSocket and fetch-related exports
 *   load undici (about 15 ms of a cold start) although nothing here uses them. A built-in whose import goes unused is
 *   not loaded at all (the SDK's HTTP handler imports node:http2 for a handler this service never uses).
 */
const lambdaRuntime: esbuild.Plugin = {
  name: 'lambda-runtime',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(root, 'infra', 'bundle', 'lambda-credentials.ts') }));
    b.onResolve({ filter: /^mnemonist\/lru-cache(\.js)?$/ }, () => ({ path: join(root, 'infra', 'bundle', 'lru-cache.ts') }));
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

/** The module that holds the OpenAPI document; in a bundle, replaced by the text generated at build time. */
const OPENAPI_MODULE = /[\\/]lib[\\/]app[\\/]site[\\/]openapi-document\.ts$/;

/**
 * The OpenAPI document is generated once, here, from the request and response schemas (lib/app/openapi.ts, with zod's
 * JSON Schema generator), and the site function bundles only its text.
 */
export const openApiAsset = (json: string): esbuild.Plugin => ({
  name: 'openapi-asset',
  setup(b) {
    const gzipped = gzipSync(json, { level: 9 }).toString('base64');
    b.onLoad({ filter: OPENAPI_MODULE }, () => ({
      contents: [
        "import { gunzipSync } from 'node:zlib';",
        'let text;',
        `export const openApiJson = () => (text ??= gunzipSync(Buffer.from(${JSON.stringify(gzipped)}, 'base64')).toString('utf8'));`,
      ].join('\n'),
      loader: 'js',
    }));
  },
});

export const openApiJson = async (): Promise<string> => {
  const { openApiDocument } = await import('../lib/app/openapi.ts');
  return JSON.stringify(openApiDocument());
};

/** Where the lazily loaded parts of a bundle go, beside it (`import()` of a module only some requests need). */
export const CHUNKS_DIR = 'chunks';

/**
 * esbuild's options for one Lambda bundle (the benchmark builds its reference bundle with the same): `outfile` is the
 * entry; what the code loads with `import()` (busboy, for multipart bodies only) is split into `chunks/` beside it, so
 * a cold start neither reads nor compiles it.
 */
export const lambdaBundleOptions = (entry: string, outfile: string, extraPlugins: esbuild.Plugin[] = []) =>
  ({
    entryPoints: [entry],
    outdir: dirname(outfile),
    entryNames: basename(outfile, '.mjs'),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
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
    plugins: [lambdaRuntime, ...extraPlugins],
  }) satisfies esbuild.BuildOptions;

/** Where a function's compile cache is written, beside its bundle (in the artifact: /var/task/compile-cache). */
export const compileCachePath = (name: string): string => join(root, 'dist', name, COMPILE_CACHE_DIR);
export const COMPILE_CACHE_DIR = 'compile-cache';

/**
 * Node's module compile cache for a bundle (V8's code cache: the bundle need not be parsed and compiled again), made
 * by loading the bundle once in a Node of this build's version with NODE_COMPILE_CACHE_PORTABLE=1, so that its
 * entries are keyed by the bundle's path relative to the cache and hold wherever the two are unpacked together.
 * serverless.yml points Lambda's Node at it. Node keeps the entries of each Node version (and V8 flags) in a folder of
 * their own: a runtime of another version finds none of its own there and compiles as without a cache, and one whose
 * entry does not match the bundle's text discards it; either way silently (tested in test/unit/compile-cache.test.ts).
 */
export const writeCompileCache = (name: string): void => makeCompileCache(bundlePath(name), compileCachePath(name));

/** Loads `bundle` once in a fresh Node that writes the bundle's compile cache (and nothing else) into `dir`. */
export const makeCompileCache = (bundle: string, dir: string): void => {
  rmSync(dir, { recursive: true, force: true });
  // Enabled from inside the script, after it was compiled, so that the cache holds the bundle's entry only.
  const script = [
    `const { enableCompileCache } = await import('node:module');`,
    `enableCompileCache({ directory: ${JSON.stringify(dir)}, portable: true });`,
    `await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
  ].join('\n');
  const env = { PATH: process.env.PATH ?? '', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const loaded = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (loaded.status !== 0) throw new Error(`${bundle} failed to load while making its compile cache:\n${loaded.stderr}`);
};

/**
 * What a cold start loads of a bundle, in bytes: the entry and the chunks it imports statically (transitively); and
 * what only some requests load (`import()`), which a cold start neither reads nor compiles.
 */
export const coldBytes = (meta: esbuild.Metafile): { loaded: number; lazy: number } => {
  const outputs = meta.outputs;
  // A chunk loaded with import() has an entryPoint of its own in the metafile; the bundle's entry is the one that no
  // output imports.
  const imported = new Set(Object.values(outputs).flatMap((o) => o.imports.map((i) => i.path)));
  const entry = Object.keys(outputs).find((file) => outputs[file]!.entryPoint !== undefined && !imported.has(file))!;
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file) || !outputs[file]) return;
    loaded.add(file);
    for (const i of outputs[file]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const bytes = (files: string[]) => files.reduce((sum, file) => sum + outputs[file]!.bytes, 0);
  const code = Object.keys(outputs).filter((file) => file.endsWith('.mjs'));
  return { loaded: bytes([...loaded]), lazy: bytes(code.filter((file) => !loaded.has(file))) };
};

export const build = async (options: { quiet?: boolean } = {}): Promise<Record<string, number>> => {
  const sizes: Record<string, number> = {};
  const lazies: Record<string, number> = {};
  const openapi = await openApiJson();
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'openapi.json'), openapi);
  for (const name of functionNames()) {
    const options = lambdaBundleOptions(join(root, 'functions', name, 'handler.ts'), bundlePath(name), [openApiAsset(openapi)]);
    const result = await esbuild.build(options);
    writeFileSync(join(root, 'dist', name, 'meta.json'), JSON.stringify(result.metafile));
    const { loaded, lazy } = coldBytes(result.metafile);
    sizes[name] = loaded;
    lazies[name] = lazy;
    writeCompileCache(name);
  }
  if (!options.quiet) {
    for (const [name, bytes] of Object.entries(sizes)) {
      console.log(
        `dist/${name}/index.mjs ${(bytes / 1024).toFixed(1)} KiB loaded at a cold start (+${((lazies[name] ?? 0) / 1024).toFixed(1)} KiB in chunks/ loaded when needed)`,
      );
    }
  }
  return sizes;
};

if (import.meta.main) {
  await build();
  console.log(`${(await buildCli()).slice(root.length + 1)} (the CLI; see infra/build-cli.ts)`);
}
