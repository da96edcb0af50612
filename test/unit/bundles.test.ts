import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { coldBytes, functionNames, lambdaBundleOptions, openApiAsset, openApiJson } from '../../infra/build.ts';
import LRUCache from '../../infra/bundle/lru-cache.ts';
import { root } from '../../infra/paths.ts';

/**
 * Each function's bundle, built in memory as `npm run build` builds it: what a cold start loads (the entry and the
 * chunks it imports statically: its packages, source files and size) and the packages only loaded when needed.
 */
const bundle = async (name: string) => {
  const options = lambdaBundleOptions(join(root, 'functions', name, 'handler.ts'), join(root, 'dist', 'test', name, 'index.mjs'), [
    openApiAsset(await openApiJson()),
  ]);
  const { metafile } = await esbuild.build({ ...options, write: false });
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  // Chunks loaded with import() have an entryPoint too; the bundle's entry is the output no other imports.
  const imported = new Set(outputs.flatMap(([, o]) => o.imports.map((i) => i.path)));
  const entry = outputs.find(([file, o]) => o.entryPoint !== undefined && !imported.has(file))![0];
  const loaded = new Set<string>();
  const visit = (file: string): void => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const i of metafile.outputs[file]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const inputs = (files: string[]) => files.flatMap((file) => Object.keys(metafile.outputs[file]!.inputs));
  const packagesOf = (files: string[]) => new Set(inputs(files).flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? []));
  const lazyFiles = outputs.map(([file]) => file).filter((file) => !loaded.has(file));
  return {
    packages: packagesOf([...loaded]),
    lazyPackages: packagesOf(lazyFiles),
    files: inputs([...loaded]),
    kib: coldBytes(metafile).loaded / 1024,
  };
};

describe('each function bundles only what it uses', () => {
  it('knows the four functions', () => {
    expect(functionNames()).toEqual(['dispatch-events', 'query-deployments', 'record-deployment', 'site']);
  });

  it('dispatch-events: no busboy, no middy (no HTTP request to decode)', async () => {
    const dispatcher = await bundle('dispatch-events');
    expect([...dispatcher.packages].filter((p) => p === '@fastify/busboy' || p.startsWith('@middy/'))).toEqual([]);
    expect(dispatcher.packages).toContain('@aws-sdk/client-eventbridge');
  });

  it('site: no AWS SDK, no busboy, no OpenAPI generator or classic zod, at most 100 KiB', async () => {
    const site = await bundle('site');
    expect([...site.packages].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'))).toEqual([]);
    expect(site.packages.has('@fastify/busboy')).toBe(false);
    expect(site.packages.has('zod')).toBe(false);
    expect(site.files.some((f) => f.endsWith('lib/app/openapi.ts'))).toBe(false);
    expect(site.kib).toBeLessThanOrEqual(100);
  });

  it('read: no busboy', async () => {
    const read = await bundle('query-deployments');
    expect(read.packages.has('@fastify/busboy')).toBe(false);
    expect(read.packages.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect(read.packages.has('aws-jwt-verify')).toBe(false);
    expect(read.lazyPackages.has('aws-jwt-verify')).toBe(true);
  });

  it("record: busboy loaded only for a multipart body; the SDK's endpoint cache without mnemonist; what a cold start loads no larger than before the layers (325.5 KiB)", async () => {
    const record = await bundle('record-deployment');
    expect(record.packages.has('@fastify/busboy')).toBe(false);
    expect(record.lazyPackages.has('@fastify/busboy')).toBe(true);
    expect(record.packages.has('mnemonist')).toBe(false);
    expect(record.files.some((f) => f.endsWith('infra/bundle/lru-cache.ts'))).toBe(true);
    expect(record.kib).toBeLessThanOrEqual(325.5);
  });

  it('record: identity-token verification (aws-jwt-verify, the OIDC adapter, the trust checks) loaded only for a bearer token', async () => {
    const record = await bundle('record-deployment');
    expect(record.packages.has('aws-jwt-verify')).toBe(false);
    expect(record.lazyPackages.has('aws-jwt-verify')).toBe(true);
    for (const lazy of ['lib/store/oidc.ts', 'lib/store/trust-items.ts', 'lib/app/trust.ts', 'lib/domain/trust.ts']) {
      expect(record.files.some((f) => f.endsWith(lazy))).toBe(false);
    }
  });
});

describe('the LRU cache that stands in for mnemonist/lru-cache', () => {
  it('drops the least recently used entry when full; get refreshes, peek does not', () => {
    // Prepare
    const cache = new LRUCache<string, number>(2);
    cache.set('a', 1).set('b', 2);
    // Act: a is read (now the most recent), then c pushes out b
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    // Assess
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect(cache.peek('a')).toBe(1);
    cache.set('d', 4); // peek did not refresh a: after c was written, a is the oldest
    expect([cache.has('a'), cache.has('c'), cache.has('d')]).toEqual([false, true, true]);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('c')).toBeUndefined();
  });

  it('keeps a key written again once, as the most recent', () => {
    const cache = new LRUCache<string, number>(2);
    cache.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    expect(cache.peek('a')).toBe(10);
    expect(cache.has('b')).toBe(false);
  });

  it('refuses a capacity that is not positive', () => {
    expect(() => new LRUCache(0)).toThrow(/capacity/);
  });
});
