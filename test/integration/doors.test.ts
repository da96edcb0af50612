import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, bundlePath } from '../../infra/build.ts';
import { lambdaContext } from '../../infra/local/gateway.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { documentClient } from '../../lib/store/client.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { DOORS, eventFor, type Door, type DoorOptions, type Request } from '../fixtures/events/doors.ts';
import { formBody, seedFields } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * The contract, through every front door: the same requests, as HTTP API (named stage), REST API (named stage),
 * ALB (with and without multi-value headers) and a function URL deliver them, sent to the BUILT bundles
 * (dist/<function>/index.mjs, as Lambda loads them), against the suite's real local DynamoDB. Each door's answer
 * must be in the shape that door reads (REST API: isBase64Encoded; ALB: statusDescription, and multiValueHeaders
 * only when the target group sends them).
 */
type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<Record<string, unknown>>;
const handlers: Record<string, Handler> = {};
const FEED = `Doors-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await build({ quiet: true });
  for (const name of ['record-deployment', 'query-deployments', 'site']) {
    handlers[name] = ((await import(`${pathToFileURL(bundlePath(name)).href}?doors`)) as { handler: Handler }).handler;
  }
  await new FeedRepository(documentClient(), TEST_TABLES.feeds, TEST_TABLES).add(FEED, VIEW_AND_DOWNLOAD);
}, 120_000);

type Variant = { name: string; door: Door; options: DoorOptions };
const VARIANTS: Variant[] = [
  { name: 'HTTP API, stage prod ($default route)', door: 'httpApi', options: { stage: 'prod' } },
  { name: 'REST API, stage prod', door: 'restApi', options: { stage: 'prod' } },
  { name: 'ALB', door: 'alb', options: {} },
  { name: 'ALB, multi-value headers', door: 'alb', options: { multiValue: true } },
  { name: 'function URL', door: 'functionUrl', options: {} },
];
expect(new Set(VARIANTS.map((v) => v.door))).toEqual(new Set(DOORS));

type Answer = { status: number; headers: Record<string, string>; text: string; raw: Record<string, unknown> };
const FUNCTION_OF = (path: string) =>
  path.startsWith('/api/package-deployment') ? 'record-deployment' : path === '/' || path === '/api/openapi.json' ? 'site' : 'query-deployments';

const send = async (v: Variant, r: Request, options: DoorOptions = {}): Promise<Answer> => {
  const event = eventFor(v.door, r, { ...v.options, ...options });
  const fn = FUNCTION_OF(r.path);
  const raw = await handlers[fn]!(event, lambdaContext(randomUUID(), fn));
  // What crosses the Lambda boundary is JSON.
  const result = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  const single = (result.headers ?? {}) as Record<string, string>;
  const multi = (result.multiValueHeaders ?? {}) as Record<string, string[]>;
  const headers: Record<string, string> = {};
  for (const [n, value] of Object.entries(single)) headers[n.toLowerCase()] = value;
  for (const [n, values] of Object.entries(multi)) headers[n.toLowerCase()] = values.join(', ');
  const body = String(result.body ?? '');
  return { status: result.statusCode as number, headers, text: result.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body, raw: result };
};

const shapeOf = (v: Variant, a: Answer) => {
  if (v.door === 'alb') {
    expect(a.raw.statusDescription).toMatch(new RegExp(`^${a.status} \\w`));
    if (v.options.multiValue) expect([a.raw.headers, typeof a.raw.multiValueHeaders]).toEqual([undefined, 'object']);
    else expect([typeof a.raw.headers, a.raw.multiValueHeaders]).toEqual(['object', undefined]);
  }
  if (v.door === 'alb' || v.door === 'restApi') expect(typeof a.raw.isBase64Encoded).toBe('boolean');
};

describe.each(VARIANTS)('through $name', (v) => {
  const pkg = `Doors.${v.door}.${v.options.multiValue ? 'mv' : 'sv'}`;
  const json = (fields: Record<string, string>): Request => ({
    method: 'POST',
    path: '/api/package-deployment/',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fields),
  });

  it('records a JSON body, a form body and a base64 (ISO-8859-1) form body', async () => {
    const a = await send(v, json(seedFields({ FeedName: FEED, PackageName: pkg, Version: '1.0.0', Target: 'web01' })));
    const b = await send(v, {
      method: 'POST',
      path: '/api/package-deployment',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: formBody(seedFields({ FeedName: FEED, PackageName: pkg, Version: '1.0.1', Target: 'web02' })),
    });
    const { Description: _, ...fields } = seedFields({ FeedName: FEED, PackageName: pkg, Version: '1.0.2', Target: 'web03' });
    const latin1 = Buffer.from(`${formBody(fields)}&Description=D\xe9ploy\xe9`, 'latin1');
    const c = await send(v, {
      method: 'POST',
      path: '/api/package-deployment/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      body: latin1,
    });

    for (const answer of [a, b, c]) {
      expect(answer.status, answer.text).toBe(200);
      shapeOf(v, answer);
    }
    expect(JSON.parse(a.text)).toMatchObject({ FeedName: FEED, PackageName: pkg, Version: '1.0.0', Target: 'web01' });
    expect(JSON.parse(b.text)).toMatchObject({ Version: '1.0.1', Target: 'web02' });
    expect(JSON.parse(c.text)).toMatchObject({ Version: '1.0.2', Description: 'Déployé' });
  });

  it('reads the history, the current deployments and the feeds', async () => {
    const query = `FeedName=${FEED}&PackageName=${encodeURIComponent(pkg)}&GroupName=`;
    const history = await send(v, { method: 'GET', path: '/api/deployments', query: `${query}&limit=10` });
    const current = await send(v, { method: 'GET', path: '/api/deployments/current/', query });
    const feeds = await send(v, { method: 'GET', path: '/api/feeds' });
    for (const answer of [history, current, feeds]) {
      expect(answer.status, answer.text).toBe(200);
      shapeOf(v, answer);
    }
    expect((JSON.parse(history.text) as { Items: Array<{ Version: string }> }).Items.map((i) => i.Version)).toEqual(['1.0.2', '1.0.1', '1.0.0']);
    expect((JSON.parse(current.text) as { Items: Array<{ Target: string }> }).Items.map((i) => i.Target)).toEqual(['web01', 'web02', 'web03']);
    expect((JSON.parse(feeds.text) as { Items: Array<{ Name: string }> }).Items.map((i) => i.Name)).toContain(FEED);
  });

  // An ALB target group without multi-value headers passes only the last value of a repeated parameter (AWS's rule).
  it.skipIf(v.door === 'alb' && !v.options.multiValue)('refuses a parameter given twice (repeated query parameters reach the service)', async () => {
    const answer = await send(v, { method: 'GET', path: '/api/deployments', query: `FeedName=${FEED}&FeedName=${FEED}` });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('FeedName was given more than once');
  });

  it('serves the page, whose requests are relative, and the OpenAPI document', async () => {
    const page = await send(v, { method: 'GET', path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('"history":"api/deployments"');
    expect(page.text).toContain('api(PATHS.history,');
    expect(page.text).not.toMatch(/["']\/api\//);
    shapeOf(v, page);
    const openapi = await send(v, { method: 'GET', path: '/api/openapi.json' });
    expect(openapi.status).toBe(200);
    expect(JSON.parse(openapi.text)).toHaveProperty('openapi');
  });

  it('answers 405 with Allow for another method, and 404 for an unknown path', async () => {
    const wrongMethod = await send(v, { method: 'GET', path: '/api/package-deployment/' });
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'POST']);
    expect(wrongMethod.headers['content-type']).toMatch(/^application\/problem\+json/);
    shapeOf(v, wrongMethod);
    const unknown = await send(v, { method: 'GET', path: '/api/nothing-here' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ status: 404, detail: expect.stringContaining('/api/nothing-here') });
  });
});

describe('routing ignores stages and base paths', () => {
  const feeds: Request = { method: 'GET', path: '/api/feeds' };
  it('HTTP API: by the route key, or by rawPath without the named stage', async () => {
    const http = VARIANTS[0]!;
    expect((await send(http, feeds, { stage: 'prod', routeKey: 'ANY /api/feeds' })).status).toBe(200);
    expect((await send(http, feeds, { stage: 'api' })).status).toBe(200); // a stage named like the path's first segment
    expect((await send(http, { method: 'GET', path: '/' }, { stage: 'prod' })).status).toBe(200);
  });
  it('REST API: by the resource, also behind /{proxy+} and a custom domain base path', async () => {
    const rest = VARIANTS[1]!;
    expect((await send(rest, feeds, { basePath: '/v1' })).status).toBe(200);
    expect((await send(rest, feeds, { resource: '/{proxy+}', basePath: '/v1' })).status).toBe(200);
  });
});

describe('events of no door', () => {
  it('throws a named error for an invocation that is no HTTP request', async () => {
    await expect(handlers['query-deployments']!({ Records: [{ eventSource: 'aws:sqs' }] }, lambdaContext('x', 'query-deployments'))).rejects.toMatchObject({
      name: 'UnsupportedEventError',
      message: expect.stringContaining('REST API'),
    });
  });
  it('a malformed direct invocation (values of the wrong type) is answered as a request without them, never a 5xx', async () => {
    // Prepare: for each function a valid payload 2.0 request (answered 200), then the same with header, query,
    // cookie and body values that are not strings (API Gateway never sends them; `aws lambda invoke` can).
    const bases: Record<string, Record<string, unknown>> = {
      'record-deployment': eventFor('httpApi', {
        method: 'POST',
        path: '/api/package-deployment/',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(seedFields({ FeedName: FEED, PackageName: 'Malformed', Version: '1.0.0', Target: 'web01' })),
      }) as Record<string, unknown>,
      'query-deployments': eventFor('httpApi', { method: 'GET', path: '/api/deployments', query: `FeedName=${FEED}` }) as Record<string, unknown>,
      site: eventFor('httpApi', { method: 'GET', path: '/' }) as Record<string, unknown>,
    };
    const junk: unknown[] = [7, null, true, ['a'], { a: 1 }];
    for (const [fn, base] of Object.entries(bases)) {
      expect((await handlers[fn]!(structuredClone(base), lambdaContext(randomUUID(), fn))).statusCode, `${fn} valid`).toBe(200);
      const query = base.queryStringParameters as Record<string, string> | undefined;
      const variants = junk.flatMap((value) => [
        // Read as if they were not sent: an anonymous caller (the feed is open to anonymous users), a sniffed JSON body.
        { event: { ...base, headers: { 'content-type': value, 'x-apikey': value } }, status: 200 },
        { event: { ...base, queryStringParameters: { ...query, key: value, ['__proto__']: value } }, status: 200 },
        // (isBase64Encoded: true is a valid value, which would make the JSON body base64: only the others here.)
        { event: { ...base, cookies: [value], routeKey: value, isBase64Encoded: value === true ? 'yes' : value }, status: 200 },
        { event: { ...base, headers: value, cookies: value }, status: 200 },
        // Without a body, a record is a 400 naming the missing fields; the other functions read no body.
        { event: { ...base, body: value }, status: fn === 'record-deployment' ? 400 : 200 },
      ]);
      for (const { event, status } of variants) {
        // Act
        const answer = await handlers[fn]!(structuredClone(event), lambdaContext(randomUUID(), fn));
        // Assess
        expect(answer.statusCode, `${fn} ${JSON.stringify(event).slice(0, 300)}`).toBe(status);
      }
    }
  });

  it('a malformed REST API or HTTP API event (wrong types in the context, a pathological resource) is a 4xx or the named error', async () => {
    // Prepare (attacker review): values API Gateway never sends, which a direct invocation can.
    const rest = eventFor('restApi', { method: 'GET', path: '/api/feeds' }) as Record<string, unknown> & { requestContext: Record<string, unknown> };
    const http = eventFor('httpApi', { method: 'GET', path: '/api/feeds' }) as Record<string, unknown> & { requestContext: Record<string, unknown> };
    const events: unknown[] = [
      ...[7, true, ['x'], { a: 1 }].map((v) => ({ ...rest, requestContext: { ...rest.requestContext, domainName: v } })),
      ...['x', '', 1e300, [], {}].map((v) => ({ ...rest, requestContext: { ...rest.requestContext, requestTimeEpoch: v } })),
      { ...rest, requestContext: { ...rest.requestContext, identity: 'x' } },
      ...[1, ['GET'], {}, true].map((v) => ({
        ...http,
        requestContext: { ...http.requestContext, http: { ...(http.requestContext.http as object), method: v } },
      })),
    ];
    for (const fn of ['record-deployment', 'query-deployments', 'site']) {
      for (const event of events) {
        // Act
        const answer = await handlers[fn]!(structuredClone(event), lambdaContext(randomUUID(), fn));
        // Assess
        expect(answer.statusCode, `${fn} ${JSON.stringify(event).slice(0, 300)}`).toBeLessThan(500);
      }
      // null is no HTTP request: the named error, not a TypeError.
      await expect(handlers[fn]!(null, lambdaContext(randomUUID(), fn))).rejects.toMatchObject({ name: 'UnsupportedEventError' });
    }
    // A resource of 160,000 unclosed braces is read in linear time (a regular expression took 13 s on it).
    const started = performance.now();
    const answer = await handlers['query-deployments']!({ ...rest, resource: `/${'{'.repeat(160_000)}` }, lambdaContext(randomUUID(), 'query-deployments'));
    expect(answer.statusCode).toBeLessThan(500);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('answers 400 naming the format for an HTTP event of another kind', async () => {
    const answer = await handlers['record-deployment']!({ version: '1.0', routeKey: 'x', rawPath: '/' }, lambdaContext('y', 'record-deployment'));
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body as string)).toMatchObject({ detail: expect.stringContaining('payload format "1.0"') });
  });
});
