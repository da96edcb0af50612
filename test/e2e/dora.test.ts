import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DORA_EXAMPLE } from '../../lib/app/openapi.ts';
import { launchChromium } from '../support/browser.ts';
import { DORA_FILTERED, DORA_RANGE, DORA_RECORDS, doraBody } from '../support/dora-fixture.ts';
import { admin, baseUrl } from './support.ts';

/**
 * The four DORA keys through `npm start`: the worked example (test/support/dora-fixture.ts) recorded over HTTP, asked
 * over HTTP, and shown by the page's DORA panel in Chromium (its range picker, its ratings), with the weekly chart's
 * failed deployments stacked in red. All records go through the one local gateway (its region): the feed's and the
 * target's numbers do not depend on which region recorded what.
 */
const FEED = `Dora-${randomUUID().slice(0, 8)}`;
let browser: Browser;

type Dora = typeof DORA_EXAMPLE;
const getJson = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${baseUrl()}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
};
const dora = (query: Record<string, string>) => getJson<Dora>(`/api/deployments/dora?${new URLSearchParams({ FeedName: FEED, ...query })}`);

beforeAll(async () => {
  browser = await launchChromium();
  await admin('feeds', 'add', FEED, '--anonymous');
  for (const r of DORA_RECORDS) {
    const response = await fetch(`${baseUrl()}/api/package-deployment/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: doraBody(FEED, r, 'Release Pipeline'),
    });
    expect(response.status, `record ${r.n}`).toBe(200);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('GET /api/deployments/dora through npm start', () => {
  it('answers the worked example, for the feed and for a target', async () => {
    expect(await dora(DORA_RANGE)).toEqual(DORA_EXAMPLE);
    const { From: _f, To: _t, ...web02 } = await dora({ ...DORA_RANGE, Target: 'web02' });
    expect(web02).toEqual(DORA_FILTERED.web02);
  });
});

describe('the DORA panel', () => {
  const DAY = 86_400_000;
  const range = (days: number) => {
    const to = new Date().toISOString().slice(0, 10);
    return { from: new Date(Date.parse(to) - (days - 1) * DAY).toISOString().slice(0, 10), to };
  };
  const ratings = (page: Page) =>
    page.$$eval(['#dora-frequency', '#dora-lead', '#dora-failure', '#dora-restore'].join(','), (dds) => dds.map((dd) => dd.getAttribute('data-rating')));
  const expected = (d: Dora) =>
    [d.DeploymentFrequency.Rating, d.LeadTimeForChanges.Rating, d.ChangeFailureRate.Rating, d.TimeToRestore.Rating].map((r) => r ?? '');

  it('shows the four keys and their ratings for the range picked, and the failed deployments in the weekly chart', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(FEED)}&days=90`);
    await page.waitForSelector('#overview:not([hidden])');
    await page.waitForSelector('#dora-frequency .rating');

    const ninety = await dora(range(90));
    expect(ninety.Deployments).toBe(DORA_RECORDS.length); // every record lies within the last 90 days
    expect(await ratings(page)).toEqual(expected(ninety));
    const failure = await page.textContent('#dora-failure');
    expect(failure).toContain(`(${ninety.ChangeFailureRate.Failed} of ${ninety.ChangeFailureRate.Total})`);
    expect(await page.textContent('#dora-frequency')).toContain(`${ninety.DeploymentFrequency.PerDay} a day`);
    await page.screenshot({ path: process.env.DORA_SCREENSHOT ?? join(tmpdir(), 'dora-panel.png'), fullPage: true });

    // 7 days: the fixture lies further back, so no data, no rating.
    await page.selectOption('#dora-days', '7');
    await expect.poll(() => page.textContent('#dora-caption')).toMatch(new RegExp(`^${range(7).from} to `));
    const seven = await dora(range(7));
    expect(await ratings(page)).toEqual(expected(seven));
    expect(new URL(page.url()).searchParams.get('days')).toBe('7');

    const frequency = await getJson<{ Buckets: Array<{ Start: string; Count: number; Failed: number }> }>(
      `/api/deployments/frequency?FeedName=${FEED}&interval=week`,
    );
    const red = await page.$$eval('#chart rect.bar-failed', (rects) => rects.map((r) => [r.getAttribute('data-start'), Number(r.getAttribute('data-failed'))]));
    expect(red).toEqual(frequency.Buckets.map((b) => [b.Start, b.Failed]));
    expect(red.reduce((n, [, f]) => n + (f as number), 0)).toBe(DORA_RECORDS.filter((r) => r.status === 'Failed').length + 2); // and the two rolled back
    // web02 still runs 1.0.0; its failed 3.0.0 is marked on it.
    expect(await page.locator('#matrix td .mark.failed').allTextContents()).toEqual(['failed 3.0.0']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
