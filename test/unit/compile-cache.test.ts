import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBundleOptions, makeCompileCache, openApiAsset, openApiJson } from '../../infra/build.ts';
import { root } from '../../infra/paths.ts';

/**
 * The compile cache shipped beside a bundle (infra/build.ts writeCompileCache), as Lambda's Node meets it: used when
 * it matches, and ignored without a word when it does not or cannot be written (Lambda's /var/task is read-only).
 * The site's bundle stands for all three (same build, same cache).
 */
const dir = mkdtempSync(join(tmpdir(), 'pda-cache-'));
const task = join(dir, 'task');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await esbuild.build(lambdaBundleOptions(join(root, 'functions', 'site', 'handler.ts'), join(task, 'index.mjs'), [openApiAsset(await openApiJson())]));
  makeCompileCache(join(task, 'index.mjs'), join(task, 'compile-cache'));
});

/**
 * Loads the bundle in a fresh Node with the cache at `cache`, as Lambda's Node would with serverless.yml's environment:
 * what it printed, and what Node's compile-cache debug output (stderr) says of the bundle's entry.
 */
const load = (cache: string, at = task): { stdout: string; verdict: string } => {
  const bundle = `file://${join(at, 'index.mjs')}`;
  const run = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const { handler } = await import(${JSON.stringify(bundle)}); console.log(typeof handler);`],
    {
      env: {
        PATH: process.env.PATH,
        NODE_COMPILE_CACHE: cache,
        NODE_COMPILE_CACHE_PORTABLE: '1',
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      encoding: 'utf8',
    },
  );
  expect(run.status).toBe(0);
  const verdict = run.stderr.split('\n').find((line) => line.includes(`${bundle} was`)) ?? '';
  return { stdout: run.stdout, verdict };
};

const entries = (cache: string): string[] =>
  readdirSync(cache, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

describe("the bundle's compile cache", () => {
  it('is made for this Node version and architecture, in a folder of their own', () => {
    const folders = readdirSync(join(task, 'compile-cache'));
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(new RegExp(`^${process.version}-${process.arch}-`));
  });

  it('is used when the bundle and its cache are moved together (portable), and still serves', () => {
    // Prepare: the artifact unpacked elsewhere, as in /var/task
    const moved = join(dir, 'var-task');
    cpSync(task, moved, { recursive: true });
    // Act
    const { stdout, verdict } = load(join(moved, 'compile-cache'), moved);
    // Assess
    expect(stdout).toBe('function\n');
    expect(verdict).toMatch(/was accepted/);
  });

  it('is discarded silently when its entries do not match (another build of the bundle)', () => {
    const cache = join(dir, 'corrupt');
    cpSync(join(task, 'compile-cache'), cache, { recursive: true });
    for (const file of entries(cache)) writeFileSync(file, Buffer.concat([readFileSync(file).subarray(0, 64), Buffer.alloc(4096, 7)]));
    const { stdout, verdict } = load(cache);
    expect(stdout).toBe('function\n');
    expect(verdict).not.toMatch(/was accepted/);
  });

  it('costs nothing when it cannot be written (a read-only or impossible location)', () => {
    const { stdout, verdict } = load('/etc/passwd/compile-cache');
    expect(stdout).toBe('function\n');
    expect(verdict).not.toMatch(/was accepted/);
  });
});
