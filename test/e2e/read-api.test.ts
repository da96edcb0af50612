import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/app/openapi.ts';
import { PageSchema } from '../../lib/domain/views.ts';
import { CURRENT_AFTER_SCENARIO, TWO_VERSIONS_THREE_TARGETS } from '../support/scenario.ts';
import { admin, baseUrl, curl, endpoint } from './support.ts';

/**
 * The read API over real HTTP, as the README's curl examples call it: after two versions are deployed to three
 * targets (one record backdated), history and the current version per target; the OpenAPI document; errors.
 */
const suffix = randomUUID().slice(0, 8);
const PACKAGE = `Read.Demo.${suffix}`;
const FEED = `Reports-${suffix}`;
let key: string;

const RECORDS = TWO_VERSIONS_THREE_TARGETS;

beforeAll(async () => {
  await admin('feeds', 'add', FEED);
  key = (await admin('keys', 'add', '--user', 'release', '--feed', FEED, '--privilege', 'Feeds_ViewFeed', '--privilege', 'Feeds_DownloadPackage')).at(-1)!;
  for (const r of RECORDS) {
    const answer = await curl(
      endpoint(),
      '-H',
      `X-ApiKey: ${key}`,
      '-F',
      `FeedName=${FEED}`,
      '-F',
      `PackageName=${PACKAGE}`,
      '-F',
      'Application=CI',
      '-F',
      'Description=Deployed',
      '-F',
      `Version=${r.Version}`,
      '-F',
      `Target=${r.Target}`,
      '-F',
      `Date=${r.Date}`,
    );
    expect(answer.status).toBe(200);
  }
}, 60_000);

const get = async (path: string, ...args: string[]) => {
  const answer = await curl('-G', `${baseUrl()}${path}`, ...args);
  return { ...answer, page: () => PageSchema.parse(answer.json()) };
};

describe('GET /api/deployments/current', () => {
  it('gives each target its latest version by Date; the backdated record replaces nothing', async () => {
    const answer = await get(
      '/api/deployments/current',
      '-H',
      `X-ApiKey: ${key}`,
      '--data-urlencode',
      `FeedName=${FEED}`,
      '--data-urlencode',
      `PackageName=${PACKAGE.toUpperCase()}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.page().Items.map((d) => [d.Target, d.Version, d.Date])).toEqual(CURRENT_AFTER_SCENARIO);
  });
});

describe('GET /api/deployments', () => {
  it("lists a package's history newest first, in pages, with the region of each record", async () => {
    // The package's history, 4 at a time, as the API key's user.
    const history = (...more: string[]) =>
      get(
        '/api/deployments',
        '-u',
        `api:${key}`,
        '--data-urlencode',
        `FeedName=${FEED}`,
        '--data-urlencode',
        `PackageName=${PACKAGE}`,
        '-d',
        'limit=4',
        ...more,
      );
    const first = await history();
    expect(first.status).toBe(200);
    const page1 = first.page();
    expect(page1.Items).toHaveLength(4);
    const second = await history('--data-urlencode', `cursor=${page1.NextCursor}`);
    const page2 = second.page();
    expect(page2.NextCursor).toBeUndefined();
    const dates = [...page1.Items, ...page2.Items].map((d) => d.Date);
    expect(dates).toEqual(
      RECORDS.map((r) => r.Date.replace('Z', '.000Z'))
        .sort()
        .reverse(),
    );
    for (const d of [...page1.Items, ...page2.Items]) expect(d.Region).toMatch(/^[a-z0-9-]+$/);
  });

  it("lists one version's deployments, a target's, and a time range, with the key in the query string", async () => {
    const q = (...args: string[]) => get('/api/deployments', '--data-urlencode', `key=${key}`, '--data-urlencode', `FeedName=${FEED}`, ...args);
    const v2 = (await q('--data-urlencode', `PackageName=${PACKAGE}`, '-d', 'Version=2.0.0')).page();
    expect(v2.Items.map((d) => d.Target)).toEqual(['web02', 'web01']);
    const web02 = (await q('-d', 'Target=WEB02')).page();
    expect(web02.Items.map((d) => d.Version)).toEqual(['2.0.0', '1.0.0', '1.0.0']);
    const january = (await q('--data-urlencode', `PackageName=${PACKAGE}`, '-d', 'from=2026-01-01', '-d', 'to=2026-01-31T23:59:59Z')).page();
    expect(january.Items).toHaveLength(3);
  });

  it('answers 403 without the key, 404 for an unknown feed, 400 for bad parameters, 405 for POST', async () => {
    const anonymous = await get('/api/deployments', '--data-urlencode', `FeedName=${FEED}`);
    expect(anonymous.status).toBe(403);
    expect(anonymous.contentType).toMatch(/^application\/problem\+json/);
    expect((await get('/api/deployments', '-H', `X-ApiKey: ${key}`, '-d', 'FeedName=NoSuchFeed')).status).toBe(404);
    const bad = await get('/api/deployments', '-H', `X-ApiKey: ${key}`, '--data-urlencode', `FeedName=${FEED}`, '-d', 'limit=1000', '-d', 'Colour=red');
    expect(bad.status).toBe(400);
    expect(bad.json().detail).toMatch(/Colour/);
    const post = await curl('-X', 'POST', `${baseUrl()}/api/deployments`);
    expect(post.status).toBe(405);
  });
});

describe('a path no route matches', () => {
  it('answers a problem+json 404 whatever the method, not the gateway’s own message', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const answer = await curl('-X', method, `${baseUrl()}/api/deployments/nothing-here`);
      expect(answer.status, method).toBe(404);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.json()).toMatchObject({ title: 'Not Found', status: 404 });
    }
  });
});

describe('GET /api/openapi.json', () => {
  it('serves the OpenAPI 3.1 document of every endpoint', async () => {
    const answer = await curl(`${baseUrl()}/api/openapi.json`);
    expect(answer.status).toBe(200);
    const doc = answer.json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/deployments',
      '/api/deployments/affected',
      '/api/deployments/current',
      '/api/deployments/dora',
      '/api/deployments/frequency',
      '/api/deployments/overview',
      '/api/feeds',
      '/api/package-deployment/',
    ]);
  });

  it('is the document the schemas generate (built into the site bundle at build time, gzipped)', async () => {
    const answer = await curl(`${baseUrl()}/api/openapi.json`);
    expect(answer.json()).toEqual(openApiDocument());
  });
});
