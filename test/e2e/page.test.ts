import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { CURRENT_AFTER_SCENARIO, TWO_VERSIONS_THREE_TARGETS } from '../support/scenario.ts';
import { admin, baseUrl, endpoint } from './support.ts';

/**
 * The deployments page in a real browser (Debian's headless Chromium driven by playwright-core): after two versions
 * are deployed to three targets, one record backdated, it shows the right current version per target and the full
 * history with regions; a private feed needs an API key, which the page sends once one is entered.
 */
const suffix = randomUUID().slice(0, 8);
const PACKAGE = `Page.Demo.${suffix}`;
const PRIVATE_FEED = `Page-${suffix}`;

const RECORDS = TWO_VERSIONS_THREE_TARGETS;

const record = async (feed: string, r: (typeof RECORDS)[number], key?: string): Promise<void> => {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { 'X-ApiKey': key } : {}) },
    body: JSON.stringify({ FeedName: feed, PackageName: PACKAGE, Application: 'Release Pipeline', Description: `Deploy ${r.Version}`, UserName: 'ci', ...r }),
  });
  expect(response.status).toBe(200);
};

const rows = (page: Page, table: string): Promise<string[][]> =>
  page.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent ?? '')),
  );

let browser: Browser;
let key: string;

beforeAll(async () => {
  browser = await launchChromium();
  for (const r of RECORDS) await record('DefaultNuGet', r);
  await admin('feeds', 'add', PRIVATE_FEED);
  key = (await admin('keys', 'add', '--user', 'viewer', '--feed', PRIVATE_FEED, '--privilege', 'Feeds_ViewFeed', '--privilege', 'Feeds_DownloadPackage')).at(
    -1,
  )!;
  await record(PRIVATE_FEED, RECORDS[0]!, key);
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('the deployments page', () => {
  it('shows the current version on each target and the full history, with regions', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${baseUrl()}/`);
    // The feed list comes from /api/feeds; pick the feed and the package as a user does.
    await page.waitForSelector('#feed option[value="DefaultNuGet"]', { state: 'attached' });
    await page.selectOption('#feed', 'DefaultNuGet');
    await page.fill('#package', PACKAGE.toLowerCase());
    await page.click('#query button[type=submit]');
    await page.waitForSelector('#results:not([hidden])');

    expect(new URL(page.url()).searchParams.get('package')).toBe(PACKAGE.toLowerCase());
    expect((await rows(page, 'current')).map((r) => r.slice(0, 2))).toEqual(CURRENT_AFTER_SCENARIO.map((c) => c.slice(0, 2)));
    const history = await rows(page, 'history');
    expect(history.map((r) => [r[0], r[1], r[2]])).toEqual(
      [...RECORDS].sort((a, b) => (a.Date < b.Date ? 1 : -1)).map((r) => [r.Date.replace('T', ' ').replace('Z', ' UTC'), r.Version, r.Target]),
    );
    // Every record shows the region that received it (the local gateway's `local`, or the deployed stage's region).
    expect(new Set(history.map((r) => r[6]))).toHaveLength(1);
    expect(history[0]![6]).toMatch(/^[a-z0-9-]+$/);
    expect(await page.textContent('#status')).toBe('');
    expect(errors).toEqual([]);
    await page.screenshot({ path: process.env.PAGE_SCREENSHOT ?? join(tmpdir(), 'deployments-page.png'), fullPage: true });
    await page.close();
  });

  it('opens a link whose feed name is in another casing, with that feed selected', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl()}/?feed=defaultnuget&package=${encodeURIComponent(PACKAGE)}`);
    await page.waitForSelector('#results:not([hidden])');
    expect(await page.inputValue('#feed')).toBe('DefaultNuGet');
    expect(await page.textContent('#title')).toBe(`${PACKAGE} in DefaultNuGet`);
    await page.close();
  });

  it('needs an API key for a private feed and uses the one entered, without putting it in the URL', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl()}/?feed=${encodeURIComponent(PRIVATE_FEED)}&package=${encodeURIComponent(PACKAGE)}`);
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/Feeds_ViewFeed|anonymous/i);
    expect(await page.isHidden('#results')).toBe(true);

    await page.click('summary');
    await page.fill('#key', key);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#results:not([hidden])');
    expect((await rows(page, 'current')).map((r) => r.slice(0, 2))).toEqual([['web01', '1.0.0']]);
    expect(page.url()).not.toContain(key);
    expect(await page.inputValue('#key')).toBe('');
    await page.close();
  });

  it('is served with a policy that allows only its own script and same-origin requests', async () => {
    const response = await fetch(`${baseUrl()}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });
});
