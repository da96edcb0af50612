import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEWTONSOFT } from '../fixtures/osv/advisories.ts';
import { launchChromium } from '../support/browser.ts';
import { admin, baseUrl, endpoint } from './support.ts';

/**
 * The page's "Which targets run..." box in headless Chromium: the seed's example (Newtonsoft.Json 12.0.3 on localhost)
 * and a 13.0.1 elsewhere; the deep link `?feed=F&package=P&range=R` and the box (a range, or an advisory pasted as
 * JSON) list exactly localhost and mark it in the matrix.
 */
const suffix = randomUUID().slice(0, 8);
const FEED = `AffectedPage-${suffix}`;

const record = async (target: string, version: string, packageName = 'Newtonsoft.Json'): Promise<void> => {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      FeedName: FEED,
      PackageName: packageName,
      Version: version,
      Target: target,
      Application: 'ProfitCalc',
      Description: 'Deployed by Custom Release Server',
    }),
  });
  expect(response.status).toBe(200);
};

const rows = (page: Page): Promise<string[][]> =>
  page.$$eval('#affected-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent ?? '')),
  );
/** The matrix cells marked, as "package/target: mark" (run in the page: the tests compile without the DOM's types). */
const marked = (page: Page): Promise<string[]> =>
  page.evaluate(`(() => {
    const heads = Array.from(document.querySelectorAll('#matrix thead th'), (th) => th.textContent);
    return Array.from(document.querySelectorAll('#matrix tbody tr')).flatMap((tr) =>
      Array.from(tr.querySelectorAll('td'))
        .map((td, i) => [td, heads[i + 1]])
        .filter(([td]) => td.querySelector('.mark.affected, .mark.unknown'))
        .map(([td, target]) => tr.querySelector('th').textContent.replace(/drift$/, '') + '/' + target + ': ' + td.querySelector('.mark.affected, .mark.unknown').textContent));
  })()`);
/** Waits for the summary to match (a locator's wait: the page's CSP refuses the string predicates waitForFunction evals). */
const summaryMatches = (page: Page, pattern: string) =>
  page
    .locator('#affected-summary')
    .filter({ hasText: new RegExp(pattern) })
    .waitFor();

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  await admin('feeds', 'add', FEED, '--anonymous');
  await record('localhost', '12.0.3');
  await record('web02', '13.0.1');
  await record('web02', '4.0.0', 'Other.Package');
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('Which targets run... (the overview)', () => {
  it('the deep link ?feed=F&package=P&range=R lists and marks exactly localhost', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${baseUrl()}/?${new URLSearchParams({ feed: FEED, package: 'Newtonsoft.Json', range: '<13.0.1' })}`);
    await page.waitForSelector('#affected-table:not([hidden])');
    expect(await rows(page)).toEqual([['Newtonsoft.Json', 'localhost', expect.any(String), '12.0.3', 'affected', '']]);
    expect(await page.textContent('#affected-summary')).toBe('1 of 2 targets run an affected version (Newtonsoft.Json <13.0.1).');
    expect(await marked(page)).toEqual(['Newtonsoft.Json/localhost: affected']);
    expect(await page.inputValue('#affected-range')).toBe('<13.0.1');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'deployments-page-affected.png'), fullPage: true });
    await page.close();
  });

  it('the box: a NuGet interval, then a pasted advisory (with the fixing version); a bare version is refused', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${baseUrl()}/?feed=${FEED}`);
    await page.waitForSelector('#overview:not([hidden])');
    await page.fill('#affected-package', 'newtonsoft.json');
    await page.fill('#affected-range', '13.0.1');
    await page.click('#affected-form button[type=submit]');
    await summaryMatches(page, 'bare version');
    expect(await marked(page)).toEqual([]);

    await page.fill('#affected-range', '(,13.0.1)');
    await page.click('#affected-form button[type=submit]');
    await page.waitForSelector('#affected-table:not([hidden])');
    expect((await rows(page)).map((r) => r.slice(0, 2))).toEqual([['Newtonsoft.Json', 'localhost']]);
    expect(new URL(page.url()).searchParams.get('range')).toBe('(,13.0.1)');
    expect(await marked(page)).toEqual(['Newtonsoft.Json/localhost: affected']);

    await page.fill('#affected-range', '');
    await page.fill('#affected-osv', JSON.stringify(NEWTONSOFT, null, 2));
    await page.click('#affected-form button[type=submit]');
    await summaryMatches(page, 'GHSA-5crp-9r3c-p9vr');
    expect(await rows(page)).toEqual([['Newtonsoft.Json', 'localhost', expect.any(String), '12.0.3', 'affected', '13.0.1']]);
    expect(await marked(page)).toEqual(['Newtonsoft.Json/localhost: affected']);
    await page.close();
  });
});
