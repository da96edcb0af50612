import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';

/**
 * Every file of the repository that a comment or a document names (`lib/...ts`, `infra/...ts`, `docs/...md`,
 * `functions/...`, `cli/...`, `action/...`, `test/...`) exists, so that no comment or guide sends a reader to a file
 * that was renamed or never was. Read: the tracked sources, docs and configuration; not the tests, which plant files
 * of their own, nor bundles and fixtures. A file named `planted.ts` is the layer example's deliberately wrong import
 * (docs/architecture.md), planted by the reader.
 */
const NAMED = /(?<![\w./-])((?:lib|infra|docs|functions|cli|action|test)\/[\w./-]*?[\w-]\.(?:ts|mts|cts|md|cjs|mjs|yml|yaml|guard|json|png))(?![\w/-])/g;

const readable = (file: string) =>
  !file.startsWith('test/') &&
  !file.startsWith('action/dist/') &&
  file !== 'package-lock.json' &&
  /\.(ts|md|cjs|mjs|js|yml|yaml|json|guard)$|^\.ci\/run$/.test(file);

const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && readable(f) && existsSync(join(root, f)));

const namedPaths = (text: string): string[] => [...text.matchAll(NAMED)].map((m) => m[1]!);

describe('files named in comments and docs', () => {
  it('finds the names a comment or a document uses, and only those', () => {
    const text = 'see lib/store/client.ts, `docs/api.md#errors`, infra/guard/api.guard; not mylib/x.ts, lib/...ts or a/lib/y.ts';
    expect(namedPaths(text)).toEqual(['lib/store/client.ts', 'docs/api.md', 'infra/guard/api.guard']);
  });

  it('reads the sources and the docs', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'lib/domain/errors.ts', 'infra/paths.ts']));
  });

  it('every named file exists', () => {
    const missing = files.flatMap((file) =>
      namedPaths(readFileSync(join(root, file), 'utf8'))
        .filter((path) => !path.endsWith('/planted.ts') && !existsSync(join(root, path)))
        .map((path) => `${file} names ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
