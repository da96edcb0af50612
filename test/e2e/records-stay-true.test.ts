import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PageSchema } from '../../lib/domain/views.ts';
import { seedFields } from '../support/seed.ts';
import { admin, baseUrl, curl, endpoint } from './support.ts';

/**
 * Issue 11 through `npm start` (or E2E_BASE_URL), as a user would meet it: curl, fetch and the admin CLI. The running
 * functions cache feed and key lookups (LOOKUP_CACHE_TTL_SECONDS), so the re-created feeds here are looked up by
 * HTTP only after their re-creation.
 */
const suffix = randomUUID().slice(0, 8);
const postJson = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(endpoint(), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(seedFields(fields)) });
const history = async (query: Record<string, string>, headers: Record<string, string> = {}) => {
  const res = await fetch(`${baseUrl()}/api/deployments?${new URLSearchParams(query)}`, { headers });
  return { status: res.status, page: res.status === 200 ? PageSchema.parse(await res.json()) : undefined };
};

describe('feed identity through the admin CLI', () => {
  it('re-creating a name refuses to inherit its records; purge, then a new feed starts empty and old keys fail', async () => {
    const name = `E2eGen-${suffix}`;
    await admin('feeds', 'add', name, '--anonymous');
    expect((await postJson({ FeedName: name, PackageName: 'Old.Pkg' })).status).toBe(200);
    await admin('feeds', 'remove', name);

    const refused = await admin('feeds', 'add', name.toLowerCase()).catch((e: { stderr: string; code: number }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/1 deployment record\(s\) are stored under the name .*--take-over.*--purge/) });

    expect(await admin('feeds', 'remove', name, '--purge')).toEqual([
      `No feed named ${name} exists; deleted 1 deployment record(s), 1 current-version item(s) and 0 Idempotency-Key claim(s) stored under that name.`,
    ]);
    expect(await admin('feeds', 'add', name, '--anonymous')).toEqual([`Added feed ${name} (anonymous users: Feeds_ViewFeed, Feeds_DownloadPackage).`]);
    expect((await history({ FeedName: name })).page!.Items).toEqual([]);
  });

  it('a key scoped to a removed feed does not work on a feed re-created under its name', async () => {
    const name = `E2eKey-${suffix}`;
    await admin('feeds', 'add', name);
    const key = (await admin('keys', 'add', '--user', 'old', '--feed', name)).at(-1)!;
    await admin('feeds', 'remove', name);
    await admin('feeds', 'add', name);
    const res = await postJson({ FeedName: name }, { 'X-ApiKey': key });
    expect(res.status).toBe(403);
  });
});

describe('dates', () => {
  it('a future Date is answered with DateInFuture and never becomes the current version', async () => {
    const pkg = `Future.${suffix}`;
    const future = await postJson({ PackageName: pkg, Version: '9.0.0', Date: '2999-01-01T00:00:00Z' });
    expect(future.status).toBe(200);
    expect(await future.json()).toMatchObject({ Date: '2999-01-01T00:00:00.000Z', DateInFuture: true });
    const now = await postJson({ PackageName: pkg, Version: '1.0.0' });
    expect(await now.json()).not.toHaveProperty('DateInFuture');
    const current = await curl(
      '-G',
      `${baseUrl()}/api/deployments/current`,
      '--data-urlencode',
      'FeedName=DefaultNuGet',
      '--data-urlencode',
      `PackageName=${pkg}`,
    );
    expect(PageSchema.parse(current.json()).Items.map((i) => i.Version)).toEqual(['1.0.0']);
    expect((await history({ FeedName: 'DefaultNuGet', PackageName: pkg })).page!.Items.map((i) => i.Version)).toEqual(['1.0.0', '9.0.0']);
  });

  it('a Date without a time zone is read as UTC, and the answer shows the instant used', async () => {
    const res = await curl(
      endpoint(),
      '-F',
      'FeedName=DefaultNuGet',
      '-F',
      `PackageName=Utc.${suffix}`,
      '-F',
      'Version=1',
      '-F',
      'Target=t',
      '-F',
      'Application=a',
      '-F',
      'Description=d',
      '-F',
      'Date=2024-05-01 12:30',
    );
    expect(res.status).toBe(200);
    expect(res.json().Date).toBe('2024-05-01T12:30:00.000Z');
  });
});

describe('requests', () => {
  it('an anonymous Idempotency-Key is scoped to the feed', async () => {
    const other = `E2eIdem-${suffix}`;
    await admin('feeds', 'add', other, '--anonymous');
    const idem = { 'Idempotency-Key': `anon-${suffix}` };
    const a = (await (await postJson({ PackageName: `Idem.${suffix}` }, idem)).json()) as { Id: string };
    const b = await postJson({ FeedName: other, PackageName: `Idem.${suffix}` }, idem);
    expect(b.status).toBe(200);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(((await b.json()) as { Id: string }).Id).not.toBe(a.Id);
  });

  it('a name with an invisible format character is a 400 naming the field', async () => {
    const res = await postJson({ Target: 'web\u202e01' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/^Target must not contain invisible format characters/);
  });

  it.each(['/api/deployments?FeedName=DefaultNuGet', '/api/deployments?FeedName=Nope', '/api/feeds', '/', '/api/openapi.json'])(
    'HEAD %s answers as GET without a body',
    async (path) => {
      const get = await curl('-D', '-', `${baseUrl()}${path}`);
      const head = await curl('-I', `${baseUrl()}${path}`);
      expect(head.status).toBe(get.status);
      const headers = (text: string) =>
        text
          .split('\r\n\r\n')[0]!
          .split('\r\n')
          .slice(1)
          .filter((l) => !/^(date|apigw-requestid|content-length):/i.test(l))
          .sort();
      expect(head.body).not.toContain('{');
      expect(headers(head.body)).toEqual(headers(get.body));
    },
  );
});

describe('local engine under load', () => {
  it('200 concurrent POSTs (one package and target: every write contends for its current item): no 503, every record stored', async () => {
    const pkg = `Burst.${suffix}`;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        postJson({ PackageName: pkg, Version: String(i) }).then(async (r) => ({
          status: r.status,
          ms: Date.now() - started,
          body: (await r.json()) as { Id?: string },
        })),
      ),
    );
    const byStatus: Record<number, number> = {};
    for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    console.log(`200 concurrent POSTs through npm start: ${JSON.stringify(byStatus)}, last answer after ${Math.max(...answers.map((a) => a.ms))} ms`);
    expect(byStatus).toEqual({ 200: 200 });
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = (await history({ FeedName: 'DefaultNuGet', PackageName: pkg, limit: '100', ...(cursor ? { cursor } : {}) })).page!;
      for (const item of page.Items) ids.add(item.Id);
      cursor = page.NextCursor;
    } while (cursor);
    expect(ids).toEqual(new Set(answers.map((a) => a.body.Id)));
  }, 120_000);
});
