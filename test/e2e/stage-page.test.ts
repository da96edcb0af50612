import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { startLocalService, stop } from '../support/processes.ts';
import { seedFields } from '../support/seed.ts';

/**
 * The service under a named stage, as HTTP API serves one (`npm start` with STAGE=prod: every path under /prod, the
 * stage in rawPath): it records and reads there, and the page, whose requests are relative, works at /prod/ and at
 * /prod in a real browser.
 */
let service: Awaited<ReturnType<typeof startLocalService>>;
let browser: Browser;
const PACKAGE = `Stage.Page.${Date.now()}`;

beforeAll(async () => {
  service = await startLocalService({ DYNAMODB_ENGINE: 'dynalite', POWERTOOLS_LOG_LEVEL: 'WARN', STAGE: 'prod' });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  if (service) await stop(service);
});

describe('under the named stage prod', () => {
  it('serves under /prod only, and records and reads there', async () => {
    expect(service.baseUrl).toMatch(/\/prod$/);
    const recorded = await fetch(`${service.baseUrl}/api/package-deployment/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(seedFields({ PackageName: PACKAGE })),
    });
    expect(recorded.status).toBe(200);
    const history = await fetch(`${service.baseUrl}/api/deployments?FeedName=DefaultNuGet&PackageName=${PACKAGE}`);
    expect(history.status).toBe(200);
    expect(((await history.json()) as { Items: unknown[] }).Items).toHaveLength(1);
    const withoutStage = await fetch(`${service.baseUrl.replace(/\/prod$/, '')}/api/feeds`);
    expect(withoutStage.status).toBe(404);
  });

  it.each(['/', ''])('the page at /prod%s lists the feeds and shows the history', async (slash) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${service.baseUrl}${slash}`);
    await page.waitForSelector('#feed option[value="DefaultNuGet"]', { state: 'attached' });
    await page.selectOption('#feed', 'DefaultNuGet');
    await page.fill('#package', PACKAGE);
    await page.click('#query button[type=submit]');
    await page.waitForSelector('#results:not([hidden])');
    await page.waitForSelector('#history tbody tr');
    expect(new URL(page.url()).pathname).toBe(`/prod${slash}`);
    expect(await page.$$eval('#history tbody tr', (trs) => trs.length)).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
