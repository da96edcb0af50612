import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { startLocalService, stop, type Child } from '../support/processes.ts';
import { admin, baseUrl } from './support.ts';

/**
 * The overview across two regions, through HTTP and in Chromium: a second `npm start` (region us-east-2) serves
 * against the suite's DynamoDB, as a second region of a global table; records go through both gateways. The API's
 * overview shows each target's version, region, PreviousVersion, Change and each package's Drift; the page's matrix
 * shows what the API says, marks the drift and the rollback, and its chart has one bar per bucket of the frequency API.
 */
const suffix = randomUUID().slice(0, 8);
const FEED = `Overview-${suffix}`;
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

let browser: Browser;
let second: (Child & { baseUrl: string }) | undefined;
let regionTwo: string;

const FIRST = 'first';
const SECOND = 'second';
type R = { via: typeof FIRST | typeof SECOND; PackageName: string; GroupName?: string; Version: string; Target: string; Date: string };
const RECORDS: R[] = [
  { via: FIRST, PackageName: 'Web.App', Version: '1.0.0', Target: 'web01', Date: daysAgo(20) },
  { via: FIRST, PackageName: 'Web.App', Version: '1.1.0', Target: 'web01', Date: daysAgo(6) },
  { via: SECOND, PackageName: 'Web.App', Version: '1.1.0', Target: 'web02', Date: daysAgo(6) },
  { via: SECOND, PackageName: 'Web.App', Version: '1.0.0', Target: 'web02', Date: daysAgo(1) },
  { via: SECOND, PackageName: 'Worker', GroupName: 'Backend', Version: '2.0.0', Target: 'web01', Date: daysAgo(13) },
  { via: FIRST, PackageName: 'Worker', GroupName: 'Backend', Version: '2.0.0', Target: 'web02', Date: daysAgo(13) },
  { via: FIRST, PackageName: 'Api', Version: '3.0.0', Target: 'web03', Date: daysAgo(3) },
  { via: FIRST, PackageName: 'Api', Version: '3.0.0', Target: 'web03', Date: daysAgo(2) },
];

const post = async (r: R): Promise<void> => {
  const url = r.via === SECOND && second ? second.baseUrl : baseUrl();
  const { via: _via, ...fields } = r;
  const response = await fetch(`${url}/api/package-deployment/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ FeedName: FEED, Application: 'Release Pipeline', Description: `Deploy ${r.Version}`, UserName: 'ci', ...fields }),
  });
  expect(response.status).toBe(200);
};

/** What the tests read of a DOM element (the suite compiles without the DOM's types). */
type El = { textContent: string | null; classList: { contains: (c: string) => boolean }; querySelector: (s: string) => El | null };
type Target = { Target: string; Version: string; Region: string; PreviousVersion?: string; Change: string };
type Package = { GroupName?: string; PackageName: string; Versions: string[]; Drift: boolean; Targets: Target[] };
const getJson = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${baseUrl()}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

beforeAll(async () => {
  browser = await launchChromium();
  await admin('feeds', 'add', FEED, '--anonymous');
  if (!process.env.E2E_BASE_URL) {
    // A second region on the same tables (a deployed stage has its own regions).
    second = await startLocalService({
      AWS_ENDPOINT_URL_DYNAMODB: inject('adminEndpoint'),
      AWS_REGION: 'us-east-2',
      SEED_FEED: '',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
  }
  regionTwo = second ? 'us-east-2' : '';
  for (const r of RECORDS) await post(r);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (second) await stop(second);
});

describe('the overview across regions', () => {
  it("answers each target's version, region, PreviousVersion and Change, and each package's Drift", async () => {
    const { Packages } = await getJson<{ Packages: Package[] }>(`/api/deployments/overview?FeedName=${FEED}`);
    const regionOne = Packages[0]!.Targets[0]!.Region;
    const two = regionTwo || regionOne;
    expect(Packages.map((p) => [p.GroupName, p.PackageName, p.Drift, p.Versions])).toEqual([
      [undefined, 'Api', false, ['3.0.0']],
      [undefined, 'Web.App', true, ['1.1.0', '1.0.0']],
      ['Backend', 'Worker', false, ['2.0.0']],
    ]);
    expect(Packages.flatMap((p) => p.Targets.map((t) => [p.PackageName, t.Target, t.Version, t.Region, t.PreviousVersion, t.Change]))).toEqual([
      ['Api', 'web03', '3.0.0', regionOne, '3.0.0', 'redeployed'],
      ['Web.App', 'web01', '1.1.0', regionOne, '1.0.0', 'upgraded'],
      ['Web.App', 'web02', '1.0.0', two, '1.1.0', 'rolledback'],
      ['Worker', 'web01', '2.0.0', two, undefined, 'deployed'],
      ['Worker', 'web02', '2.0.0', regionOne, undefined, 'deployed'],
    ]);
    if (regionTwo) expect(regionOne).not.toBe(regionTwo);
    const frequency = await getJson<{ Buckets: Array<{ Count: number }> }>(`/api/deployments/frequency?FeedName=${FEED}&interval=day&from=${daysAgo(30)}`);
    expect(frequency.Buckets.reduce((n, b) => n + b.Count, 0)).toBe(RECORDS.length);
  });
});

describe('the overview page', () => {
  const matrix = (page: Page) =>
    page.$$eval('#matrix tbody tr', (trs) =>
      trs.map((tr) => ({
        name: tr.querySelector('th a')?.textContent ?? '',
        drift: tr.classList.contains('drift'),
        cells: Array.from(tr.querySelectorAll('td'), (td: El) => ({
          version: td.querySelector('.version')?.textContent ?? '',
          region: td.querySelector('.region')?.textContent ?? '',
          rolledback: td.classList.contains('rolledback') && td.querySelector('.mark.rollback') !== null,
        })),
      })),
    );

  it("opens on the feed's overview: the matrix shows what the API says, drift and rollback marked, one bar per bucket", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(FEED)}`);
    await page.waitForSelector('#overview:not([hidden])');

    const { Packages } = await getJson<{ Packages: Package[] }>(`/api/deployments/overview?FeedName=${FEED}`);
    const columns = await page.$$eval('#matrix thead th', (ths) => ths.map((th) => th.textContent ?? ''));
    expect(columns).toEqual(['Package', 'web01', 'web02', 'web03']);
    const shown = await matrix(page);
    expect(shown.map((r) => r.name)).toEqual(Packages.map((p) => (p.GroupName ? `${p.GroupName}/` : '') + p.PackageName));
    shown.forEach((row, i) => {
      const p = Packages[i]!;
      expect(row.drift).toBe(p.Drift);
      columns.slice(1).forEach((target, j) => {
        const t = p.Targets.find((x) => x.Target === target);
        expect(row.cells[j]).toEqual({ version: t?.Version ?? '', region: t?.Region ?? '', rolledback: t?.Change === 'rolledback' });
      });
    });
    expect(await page.locator('#matrix tr.drift .mark.drift').count()).toBe(1);
    expect(await page.locator('#matrix td.rolledback .mark.rollback').count()).toBe(1);

    const frequency = await getJson<{ Buckets: Array<{ Start: string; Count: number }> }>(`/api/deployments/frequency?FeedName=${FEED}&interval=week`);
    const bars = await page.$$eval('#chart rect.bar', (rects) => rects.map((r) => [r.getAttribute('data-start'), Number(r.getAttribute('data-count'))]));
    expect(bars).toEqual(frequency.Buckets.map((b) => [b.Start, b.Count]));
    expect(bars.reduce((n, [, c]) => n + (c as number), 0)).toBe(RECORDS.length);
    expect(errors).toEqual([]);
    await page.screenshot({ path: process.env.OVERVIEW_SCREENSHOT ?? join(tmpdir(), 'overview-page.png'), fullPage: true });

    // A package opens its history, with what each target ran before.
    await page.click('#matrix a:text("Web.App")');
    await page.waitForSelector('#results:not([hidden])');
    expect(new URL(page.url()).searchParams.get('package')).toBe('Web.App');
    const current = await page.$$eval('#current tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td: El) => td.textContent ?? '')));
    expect(current.map((r) => [r[0], r[1], r[6], r[7]])).toEqual([
      ['web01', '1.1.0', '1.0.0', 'upgraded'],
      ['web02', '1.0.0', '1.1.0', 'rolledback'],
    ]);
    await page.close();
  });

  it('filters by region and by group through its deep link', async () => {
    const page = await browser.newPage();
    const { Packages } = await getJson<{ Packages: Package[] }>(`/api/deployments/overview?FeedName=${FEED}`);
    const region = regionTwo || Packages[0]!.Targets[0]!.Region;
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(FEED)}&region=${region}`);
    await page.waitForSelector('#overview:not([hidden])');
    const regions = await page.$$eval('#matrix td .region', (els) => els.map((e) => e.textContent));
    expect(new Set(regions)).toEqual(new Set([region]));
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(FEED)}&group=backend`);
    await page.waitForSelector('#overview:not([hidden])');
    expect((await matrix(page)).map((r) => r.name)).toEqual(['Backend/Worker']);
    await page.close();
  });

  it("keeps the target filter when a package opens: its current versions and history show that target's only", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(FEED)}&package=Web.App&target=WEB02`);
    await page.waitForSelector('#results:not([hidden])');
    await page.waitForSelector('#history tbody tr');
    const current = await page.$$eval('#current tbody tr', (rows) => rows.map((r) => (r as unknown as { textContent: string }).textContent));
    const history = await page.$$eval('#history tbody tr', (rows) => rows.map((r) => (r as unknown as { textContent: string }).textContent));
    expect(current).toHaveLength(1);
    expect(current[0]).toContain('web02');
    expect(history).toHaveLength(2);
    expect(history.every((row) => row.includes('web02') && !row.includes('web01'))).toBe(true);
    await page.close();
  });
});
