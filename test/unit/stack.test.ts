import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { mapStack, withSourceStack } from '../../lib/http/stack.ts';
import { root } from '../../infra/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'pda-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle built as the functions are (minified, with a map beside it) whose function throws from a known line. */
const bundle = async (withMap: boolean): Promise<string> => {
  const source = join(dir, 'thrower.ts');
  writeFileSync(source, ['export const fail = (): void => {', '  const why: string = "planted";', '  throw new Error(why);', '};', ''].join('\n'));
  const file = join(dir, withMap ? 'with-map.mjs' : 'without-map.mjs');
  await esbuild.build({
    entryPoints: [source],
    outfile: file,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    sourcemap: withMap,
    logLevel: 'silent',
  });
  return file;
};

/**
 * The stack as a plain Node process sees it (this test runner maps stacks itself), and as mapStack rewrites it: the
 * bundle is loaded, and its error caught, in a child process without --enable-source-maps.
 */
const stacks = (file: string, cause = false): { raw: string; mapped: string } => {
  const script = [
    `import { mapStack, withSourceStack } from ${JSON.stringify(pathToFileURL(join(root, 'lib', 'http', 'stack.ts')).href)};`,
    `const { fail } = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'let error; try { fail(); } catch (e) { error = e; }',
    'const raw = error.stack;',
    cause ? "const mapped = withSourceStack(new Error('outer', { cause: error })).cause.stack;" : 'const mapped = mapStack(raw);',
    'console.log(JSON.stringify({ raw, mapped }));',
  ].join('\n');
  const env = { ...process.env, NODE_OPTIONS: '' };
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })) as { raw: string; mapped: string };
};

describe('stacks mapped to the sources when logged (lib/http/stack.ts)', () => {
  it("maps a bundle's frames to the TypeScript file and line", async () => {
    // Prepare
    const file = await bundle(true);
    // Act
    const { raw, mapped } = stacks(file);
    // Assess
    expect(raw).toContain(`${file}:1:`);
    expect(mapped).toMatch(/thrower\.ts:3:\d+/);
    expect(mapped).not.toContain('with-map.mjs');
  });

  it("maps an error's causes too", async () => {
    const { mapped } = stacks(await bundle(true), true);
    expect(mapped).toMatch(/thrower\.ts:3:\d+/);
  });

  it('leaves frames without a map beside their file as they are', async () => {
    const file = await bundle(false);
    const { raw, mapped } = stacks(file);
    expect(raw).toContain(`${file}:1:`);
    expect(mapped).toBe(raw);
  });

  it('leaves text that is not a frame of a bundle alone', () => {
    const text = 'Error: x\n    at handler (node:internal/process/task_queues:104:5)';
    expect(mapStack(text)).toBe(text);
    expect(withSourceStack(text)).toBe(text);
  });
});
