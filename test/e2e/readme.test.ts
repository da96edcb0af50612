import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readMarkdown } from '../support/markdown.ts';
import { root } from '../../infra/paths.ts';
import { seedFields } from '../support/seed.ts';
import { baseUrl } from './support.ts';

const exec = promisify(execFile);

/**
 * The README's "A first deployment", run as a newcomer runs it: its shell blocks, taken from the file, with the
 * local URL replaced by the service under test, through sh and the real curl; the answers must match what the
 * README shows; then the overview of the feed.
 */
const README_URL = 'http://127.0.0.1:3000';
const readme = readMarkdown(join(root, 'README.md'));
const blocks = (info: string) => readme.codeBlocks.filter((b) => b.heading === 'A first deployment' && b.info === info);

const run = async (command: string): Promise<Record<string, unknown>> => {
  const { stdout } = await exec('sh', ['-c', `set -e\n${command.replaceAll(README_URL, baseUrl())}`]);
  return JSON.parse(stdout) as Record<string, unknown>;
};

describe("the README's first deployment", () => {
  const [record, read, overview] = blocks('sh');

  it('records the deployment and answers the record the README shows', async () => {
    expect(record?.text).toMatch(/^curl /);
    const answer = await run(record!.text);
    const shown = JSON.parse(blocks('json')[0]!.text) as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(Object.keys(shown).sort());
    expect(answer).toMatchObject(seedFields());
    expect(answer).toMatchObject({ UserName: 'Anonymous', FeedName: 'DefaultNuGet' });
  });

  it('then reads the current version per target, anonymously', async () => {
    expect(read?.text).toMatch(/^curl /);
    const answer = (await run(read!.text)) as { Items: Array<Record<string, unknown>> };
    expect(answer.Items).toContainEqual(expect.objectContaining({ Target: 'localhost', Version: '12.0.3', PackageName: 'Newtonsoft.Json' }));
  });

  it('and the overview of the feed', async () => {
    expect(overview?.text).toMatch(/^curl /);
    const answer = (await run(overview!.text)) as { Packages: Array<{ PackageName: string; Targets: Array<Record<string, unknown>> }> };
    const pkg = answer.Packages.find((p) => p.PackageName === 'Newtonsoft.Json');
    expect(pkg?.Targets).toContainEqual(expect.objectContaining({ Target: 'localhost', Version: '12.0.3' }));
  });
});
