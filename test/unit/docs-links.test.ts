import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubAnchor, readMarkdown } from '../support/markdown.ts';
import { root } from '../../infra/paths.ts';

/** Every relative link in README.md and docs/*.md points to a file that exists and, with a #fragment, to a heading in it. */
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('links in the docs', () => {
  it('GitHub anchors are computed as GitHub does', () => {
    expect(githubAnchor('Retries: `Idempotency-Key`')).toBe('retries-idempotency-key');
    expect(githubAnchor('Reliability: npm run test:reliability')).toBe('reliability-npm-run-testreliability');
    expect(githubAnchor('Keys and feeds: the admin CLI')).toBe('keys-and-feeds-the-admin-cli');
  });

  it.each(documents)('%s: every relative link resolves', (document) => {
    const path = join(root, document);
    const broken: string[] = [];
    const links = readMarkdown(path).links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
    for (const link of links) {
      const [file, fragment] = link.split('#', 2) as [string, string | undefined];
      const target = file === '' ? path : join(dirname(path), decodeURIComponent(file));
      if (!existsSync(target)) {
        broken.push(`${link}: no file ${relative(root, target)}`);
        continue;
      }
      if (fragment !== undefined && !readMarkdown(target).headings.map(githubAnchor).includes(fragment)) broken.push(`${link}: no heading #${fragment}`);
    }
    expect(links.length).toBeGreaterThan(0);
    expect(broken).toEqual([]);
  });

  it('the screenshot of the web page is referenced', () => {
    const referenced = documents.some((d) => readMarkdown(join(root, d)).links.some((l) => l.endsWith('deployments-page.png')));
    expect(referenced).toBe(true);
  });
});
