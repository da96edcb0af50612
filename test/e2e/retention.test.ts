import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { admin, baseUrl } from './support.ts';

/**
 * The retention issue's "done when", through `npm start` (or E2E_BASE_URL) and the admin CLI as a newcomer runs them:
 * a 30-day retention; a 40-day-old record leaves the history once a newer one replaces it (the dispatcher's step, from
 * the table's changes), while what each target runs stays (a 45-day-old current record included, and a target given a
 * 40-day-old backdated record keeps its version); the feed exported to JSON Lines and CSV, purged, added again,
 * imported: every read as before.
 */
const suffix = randomUUID().slice(0, 8);
const FEED = `Retain-${suffix}`;
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const dir = mkdtempSync(join(tmpdir(), 'retention-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = async (Target: string, Version: string, Date: string): Promise<string> => {
  const response = await fetch(`${baseUrl()}/api/package-deployment/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      FeedName: FEED,
      PackageName: 'Shop.Web',
      Application: 'Shop',
      Description: `=deploy ${Version}`,
      UserName: 'ci',
      Target,
      Version,
      Date,
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { Id: string }).Id;
};
const get = async (path: string, params: Record<string, string>): Promise<Record<string, unknown>> => {
  const response = await fetch(`${baseUrl()}${path}?${new URLSearchParams({ FeedName: FEED, ...params })}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};
const historyIds = async () => ((await get('/api/deployments', {})).Items as Array<{ Id: string }>).map((i) => i.Id);
const everyRead = async () => ({
  history: await get('/api/deployments', { limit: '200' }),
  current: await get('/api/deployments/current', { PackageName: 'Shop.Web' }),
  overview: await get('/api/deployments/overview', {}),
  frequency: await get('/api/deployments/frequency', { interval: 'day', from: daysAgo(29).slice(0, 10) }),
});

describe('a newcomer keeps 30 days of history, exports, purges and imports', () => {
  it('sees a 40-day-old record leave the history while its target keeps running what it runs, and every read come back', async () => {
    await admin('feeds', 'add', FEED, '--anonymous');
    expect(await admin('feeds', 'set', FEED, '--retain-days', '30')).toEqual([
      `Feed ${FEED} keeps its history 30 day(s) after each record's Date; what its targets run now is always kept.`,
      'No stored record needs a new expiry.',
    ]);
    const feeds = (await (await fetch(`${baseUrl()}/api/feeds`)).json()) as { Items: Array<{ Name: string; RetainDays?: number }> };
    expect(feeds.Items.find((f) => f.Name === FEED)?.RetainDays).toBe(30);
    // The page's feed list says how long each feed keeps its history.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${baseUrl()}/`);
      await page.waitForSelector(`#feed option[value="${FEED}"]`, { state: 'attached' });
      expect(await page.textContent(`#feed option[value="${FEED}"]`)).toBe(`${FEED} (history kept 30 days)`);
      expect(await page.textContent('#feed option[value="DefaultNuGet"]')).toBe('DefaultNuGet (history kept forever)');
    } finally {
      await browser.close();
    }

    const old = await post('web01', '1.0.0', daysAgo(40));
    expect(await historyIds()).toEqual([old]); // what web01 runs: kept, however old
    const now = await post('web01', '1.1.0', daysAgo(1));
    const ancient = await post('web03', '0.9.0', daysAgo(45)); // what web03 runs: kept
    const web02 = await post('web02', '1.1.0', daysAgo(2));
    const backdated = await post('web02', '1.0.0', daysAgo(40)); // backdated and past the retention: never shown
    // The dispatcher gives the replaced record its expiry from the table's changes, within a few seconds.
    for (let i = 0; i < 100 && (await historyIds()).includes(old); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await historyIds()).toEqual([now, web02, ancient]);
    expect(await historyIds()).not.toContain(backdated);
    const current = (await get('/api/deployments/current', { PackageName: 'Shop.Web' })).Items as Array<{ Target: string; Version: string }>;
    expect(current.map((c) => [c.Target, c.Version])).toEqual([
      ['web01', '1.1.0'],
      ['web02', '1.1.0'],
      ['web03', '0.9.0'],
    ]);
    const before = await everyRead();

    const jsonl = join(dir, 'feed.jsonl');
    const csv = join(dir, 'feed.csv');
    await admin('export', '--feed', FEED, '--out', jsonl);
    await admin('export', '--feed', FEED, '--format', 'csv', '--out', csv);
    expect(
      readFileSync(jsonl, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { Id: string }).Id),
    ).toEqual([ancient, web02, now]);
    const rows = readFileSync(csv, 'utf8').split('\r\n');
    expect(rows[0]).toMatch(/^Id,FeedName,/);
    expect(rows.slice(1, 4).every((r) => r.includes(",'=deploy "))).toBe(true);

    await admin('feeds', 'remove', FEED, '--purge');
    // The read function may know the removed feed for LOOKUP_CACHE_TTL_SECONDS: a 404, or a history with nothing in it.
    const purged = await fetch(`${baseUrl()}/api/deployments?FeedName=${FEED}`);
    expect(purged.status === 404 || ((await purged.json()) as { Items: unknown[] }).Items.length === 0).toBe(true);
    await admin('feeds', 'add', FEED, '--anonymous');
    await admin('feeds', 'set', FEED, '--retain-days', '30');
    expect(await admin('import', '--feed', FEED, jsonl)).toEqual([`Imported 3 record(s) into feed ${FEED}; 0 already there (skipped).`]);
    expect(await everyRead()).toEqual(before);
  });
});
