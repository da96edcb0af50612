import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NEWTONSOFT } from '../fixtures/osv/advisories.ts';
import { runCli } from '../support/cli.ts';
import { admin, baseUrl, curl, endpoint } from './support.ts';

/**
 * The "done when", through `npm start` (or E2E_BASE_URL): the seed's example (Newtonsoft.Json 12.0.3 on
 * localhost) and a 13.0.1 elsewhere; "which targets run Newtonsoft.Json older than 13.0.1" in one curl and one CLI
 * line answers exactly localhost; the CLI's exit codes (0 none, 7 some, 2 bad range, 3 refused, 4 no feed).
 */
const suffix = randomUUID().slice(0, 8);
const FEED = `Affected-${suffix}`;
const CLOSED = `AffectedClosed-${suffix}`;
let osvFile: string;

beforeAll(async () => {
  await admin('feeds', 'add', FEED, '--anonymous');
  await admin('feeds', 'add', CLOSED);
  for (const [target, version] of [
    ['localhost', '12.0.3'],
    ['web02', '13.0.1'],
  ]) {
    const res = await curl(
      endpoint(),
      '--data',
      `FeedName=${FEED}&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=${target}&PackageName=Newtonsoft.Json&Version=${version}`,
    );
    expect(res.status).toBe(200);
  }
  osvFile = join(mkdtempSync(join(tmpdir(), 'pda-osv-')), 'GHSA-5crp-9r3c-p9vr.json');
  writeFileSync(osvFile, JSON.stringify(NEWTONSOFT));
}, 60_000);

const cli = (...args: string[]) => runCli(['affected', '--url', baseUrl(), ...args]);

describe('which targets run Newtonsoft.Json older than 13.0.1', () => {
  it('one curl (a range in either spelling, or the advisory) answers exactly localhost', async () => {
    for (const range of ['<13.0.1', '(,13.0.1)']) {
      const res = await curl(
        '-G',
        `${baseUrl()}/api/deployments/affected`,
        '--data-urlencode',
        `FeedName=${FEED}`,
        '--data-urlencode',
        'PackageName=Newtonsoft.Json',
        '--data-urlencode',
        `Range=${range}`,
      );
      expect(res.status).toBe(200);
      const body = res.json() as { Packages: Array<{ Affected: Array<{ Target: string }>; Unaffected: number }>; Checked: number };
      expect(body.Packages[0]!.Affected.map((a) => a.Target)).toEqual(['localhost']);
      expect(body.Packages[0]!.Unaffected).toBe(1);
      expect(body.Checked).toBe(2);
    }
    const posted = await curl(`${baseUrl()}/api/deployments/affected?FeedName=${FEED}`, '-H', 'Content-Type: application/json', '--data-binary', `@${osvFile}`);
    expect(posted.status).toBe(200);
    expect(posted.json()).toMatchObject({ Advisory: 'GHSA-5crp-9r3c-p9vr', Packages: [{ Affected: [{ Target: 'localhost', FixedIn: '13.0.1' }] }] });
  });

  it('one CLI line: a table of localhost and exit 7; exit 0 when none is affected', async () => {
    const run = await cli('--feed', FEED, '--package', 'Newtonsoft.Json', '--range', '<13.0.1');
    expect(run.code).toBe(7);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^PACKAGE +TARGET +REGION +VERSION +STATUS +FIXED IN$/),
      expect.stringMatching(/^Newtonsoft\.Json +localhost +\S+ +12\.0\.3 +affected$/),
    ]);
    expect(run.stderr).toMatch(/1 of 2 target\(s\) run an affected version/);
    const osv = await cli('--feed', FEED, '--osv', osvFile, '--json');
    expect(osv.code).toBe(7);
    expect(JSON.parse(osv.stdout)).toMatchObject({
      Advisory: 'GHSA-5crp-9r3c-p9vr',
      Checked: 2,
      Packages: [{ Affected: [{ Target: 'localhost', FixedIn: '13.0.1' }] }],
    });
    const none = await cli('--feed', FEED, '--package', 'Newtonsoft.Json', '--range', '<12.0.0');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('exit 2 for a bare version or a malformed advisory, 3 for a feed the caller may not view, 4 for no such feed', async () => {
    const bare = await cli('--feed', FEED, '--package', 'Newtonsoft.Json', '--range', '13.0.1');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/bare version/);
    const malformedFile = join(mkdtempSync(join(tmpdir(), 'pda-osv-')), 'bad.json');
    writeFileSync(malformedFile, '{"affected":[{"package":{"ecosystem":"NuGet"}}]}');
    const malformed = await cli('--feed', FEED, '--osv', malformedFile);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/affected\[0\]\.package\.name/);
    expect((await cli('--feed', CLOSED, '--package', 'Newtonsoft.Json', '--range', '<13.0.1')).code).toBe(3);
    expect((await cli('--feed', `Nope-${suffix}`, '--package', 'Newtonsoft.Json', '--range', '<13.0.1')).code).toBe(4);
    expect((await cli('--feed', FEED, '--package', 'Newtonsoft.Json')).code).toBe(2);
  });
});
