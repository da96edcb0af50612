import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedFields } from '../support/seed.ts';
import { admin, baseUrl, curl, endpoint } from './support.ts';

/**
 * The seed's examples, sent over real HTTP to the running service exactly as PowerShell and curl send them, and
 * every status code of the seed (plus 405, 413 and 415).
 */
const SEED_FORM =
  'FeedName=DefaultNuGet&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=localhost&PackageName=Newtonsoft.Json&Version=12.0.3';

// What Windows PowerShell 5.1's ConvertTo-Json prints for the seed's hashtable (CRLF, 4-space indent, 2 spaces after ':').
const SEED_JSON = [
  '{',
  '    "Target":  "localhost",',
  '    "Description":  "Deployed by Custom Release Server",',
  '    "Application":  "ProfitCalc",',
  '    "FeedName":  "DefaultNuGet",',
  '    "PackageName":  "Newtonsoft.Json",',
  '    "Version":  "12.0.3"',
  '}',
].join('\r\n');

// What Invoke-RestMethod sends for `-Body $data` with a hashtable: WebUtility.UrlEncode, spaces as '+'.
const SEED_HASHTABLE_FORM =
  'Target=localhost&Description=Deployed+by+Custom+Release+Server&Application=ProfitCalc&FeedName=DefaultNuGet&PackageName=Newtonsoft.Json&Version=12.0.3';

const expectSeedRecord = (json: Record<string, unknown>) => expect(json).toMatchObject(seedFields());

const suffix = randomUUID().slice(0, 8);
const PRIVATE_FEED = `Private-${suffix}`;
let key: string;

beforeAll(async () => {
  await admin('feeds', 'add', PRIVATE_FEED);
  key = (await admin('keys', 'add', '--user', 'release-server', '--feed', PRIVATE_FEED)).at(-1)!;
});

describe("the seed's PowerShell examples", () => {
  it('URL-encoded request: a raw string body with literal spaces, as PowerShell sends it (form content type)', async () => {
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: SEED_FORM,
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, unknown>;
    expectSeedRecord(json);
    expect(json.UserName).toBe('Anonymous');
  });

  it('URL-encoded request with no Content-Type at all (sniffed as a form)', async () => {
    const res = await fetch(endpoint(), { method: 'POST', body: new Blob([SEED_FORM]) });
    expect(res.status).toBe(200);
    expectSeedRecord((await res.json()) as Record<string, unknown>);
  });

  it('JSON request: ConvertTo-Json output with content-type application/json', async () => {
    const res = await fetch(endpoint(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: SEED_JSON });
    expect(res.status).toBe(200);
    expectSeedRecord((await res.json()) as Record<string, unknown>);
  });

  it('Form post: a hashtable body, URL-encoded by PowerShell', async () => {
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: SEED_HASHTABLE_FORM,
    });
    expect(res.status).toBe(200);
    expectSeedRecord((await res.json()) as Record<string, unknown>);
  });

  it('Authentication: the X-ApiKey header on a feed closed to anonymous users', async () => {
    const body = SEED_FORM.replace('DefaultNuGet', PRIVATE_FEED);
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'X-ApiKey': key, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ FeedName: PRIVATE_FEED, UserName: 'release-server' });
  });

  it('without the trailing slash too', async () => {
    const res = await fetch(`${baseUrl()}/api/package-deployment`, { method: 'POST', body: SEED_JSON, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('an old PowerShell body in iso-8859-1 keeps its accents', async () => {
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      body: Buffer.from(`${SEED_FORM.replace('Deployed by', 'Déployé par')}&UserName=Zoë`, 'latin1'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ Description: 'Déployé par Custom Release Server', UserName: 'Zoë' });
  });
});

describe('the same requests with curl, as the README shows them', () => {
  it('curl --data (form), -F (multipart), --json, with the key as X-ApiKey, Basic api:KEY and ?key=', async () => {
    const fields = SEED_FORM.replace('DefaultNuGet', PRIVATE_FEED).split('&');
    const form = await curl('-X', 'POST', endpoint(), '-H', `X-ApiKey: ${key}`, ...fields.flatMap((f) => ['--data-urlencode', f]));
    expect(form.status).toBe(200);
    const multipart = await curl(endpoint(), '-u', `api:${key}`, ...fields.flatMap((f) => ['-F', f]));
    expect(multipart.status).toBe(200);
    expect(multipart.json().UserName).toBe('release-server');
    const json = await curl(
      `${endpoint()}?key=${encodeURIComponent(key)}`,
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify(Object.fromEntries(fields.map((f) => f.split('=')))),
    );
    expect(json.status).toBe(200);
    expect(json.contentType).toMatch(/^application\/json/);
  });
});

describe('every status code, as problem+json', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }) =>
    fetch(endpoint(), { method: 'POST', headers, body });
  const problem = async (res: Response) => {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await res.json()) as { status: number; title: string; detail: string };
  };

  it('400 names the field and the problem', async () => {
    const res = await post(SEED_FORM.replace('&Version=12.0.3', ''));
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe('Version is required.');
  });

  it('403 for an invalid key, and for anonymous users on a closed feed', async () => {
    const bad = await post(SEED_FORM, { 'X-ApiKey': 'wrong', 'content-type': 'application/x-www-form-urlencoded' });
    expect(bad.status).toBe(403);
    expect((await problem(bad)).detail).toBe('The API key is not valid.');
    const anonymous = await post(SEED_FORM.replace('DefaultNuGet', PRIVATE_FEED));
    expect(anonymous.status).toBe(403);
    expect((await problem(anonymous)).detail).toMatch(/Anonymous users are not granted Feeds_DownloadPackage/);
  });

  it('403 before 400: an invalid key with a body that is not even JSON', async () => {
    const res = await post('{"FeedName": ', { 'X-ApiKey': 'wrong', 'content-type': 'application/json' });
    expect(res.status).toBe(403);
    expect((await problem(res)).detail).toBe('The API key is not valid.');
  });

  it('404 for a feed that does not exist', async () => {
    const res = await post(SEED_FORM.replace('DefaultNuGet', 'NoSuchFeed'));
    expect(res.status).toBe(404);
    expect((await problem(res)).detail).toBe('Feed NoSuchFeed was not found.');
  });

  it('405 with Allow for GET', async () => {
    const res = await fetch(endpoint());
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await problem(res);
  });

  it('413 over 64 KiB', async () => {
    const res = await post(`${SEED_FORM}&Padding=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
    await problem(res);
  });

  it('415 for another media type', async () => {
    const res = await post('<deployment/>', { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expect((await problem(res)).detail).toMatch(/application\/json, application\/x-www-form-urlencoded or multipart\/form-data/);
  });

  it('400 for a multipart part without a name, and the service stays up', async () => {
    const res = await post('--XX\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XX--\r\n', { 'content-type': 'multipart/form-data; boundary=XX' });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/has no name/);
    expect((await post(SEED_FORM)).status).toBe(200);
  });

  it('no stack trace or 5xx for a garbage body', async () => {
    const res = await post('{"FeedName": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
  });
});
