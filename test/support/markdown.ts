import { readFileSync } from 'node:fs';

/**
 * Just enough Markdown for checking our own docs: fenced code blocks (skipped for headings and links, returned for
 * examples), ATX headings with GitHub's anchors, and inline links. Hand-written because no Markdown parser is in
 * the tree and these three rules cover what README.md and docs/*.md use.
 */
export type MarkdownFile = { lines: string[]; headings: string[]; links: string[]; codeBlocks: { info: string; text: string; heading: string }[] };

/** GitHub's anchor for a heading: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
export const githubAnchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

export const readMarkdown = (path: string): MarkdownFile => {
  const lines = readFileSync(path, 'utf8').split('\n');
  const headings: string[] = [];
  const links: string[] = [];
  const codeBlocks: MarkdownFile['codeBlocks'] = [];
  let fence: { info: string; body: string[] } | undefined;
  for (const line of lines) {
    const marker = /^```(.*)$/.exec(line);
    if (marker) {
      if (fence) codeBlocks.push({ info: fence.info, text: fence.body.join('\n'), heading: headings.at(-1) ?? '' });
      fence = fence ? undefined : { info: marker[1]!.trim(), body: [] };
      continue;
    }
    if (fence) {
      fence.body.push(line);
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) headings.push(heading[1]!);
    for (const [, target] of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push(target!);
  }
  return { lines, headings, links, codeBlocks };
};
