import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGateway, type Gateway, type LambdaHandler } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import type { RawRequest } from '../../lib/http/doors/wire.ts';

// Every test must assert something.
beforeEach(() => {
  expect.hasAssertions();
});

const NOW = new Date(Date.UTC(2020, 2, 2, 9, 3, 58, 123));

const request = (overrides: Partial<RawRequest> = {}): RawRequest => ({
  method: 'POST',
  url: '/api/package-deployment/',
  rawHeaders: ['Host', 'deploy.example.com:3000', 'User-Agent', 'curl/8.5.0'],
  body: Buffer.alloc(0),
  remoteAddress: '::ffff:10.1.2.3',
  ...overrides,
});

const withBody = (contentType: string | undefined, body: Buffer | string): RawRequest =>
  request({
    rawHeaders: [
      'Host',
      'localhost:3000',
      ...(contentType === undefined ? [] : ['Content-Type', contentType]),
      'Content-Length',
      String(Buffer.byteLength(body)),
    ],
    body: Buffer.from(body),
  });

describe('httpApiRequest', () => {
  it('a query parameter or header named __proto__ is one like any other (as AWS parses JSON)', () => {
    const event = httpApiRequest(request({ method: 'GET', url: '/api/deployments?__proto__=x&FeedName=F', rawHeaders: ['Host', 'h', '__proto__', 'y'] }), {
      now: NOW,
    });
    expect(Object.keys(event.queryStringParameters ?? {})).toEqual(['__proto__', 'FeedName']);
    expect(event.queryStringParameters?.['__proto__']).toBe('x');
    expect(event.headers['__proto__']).toBe('y');
  });

  it('builds the payload 2.0 event for a JSON POST', () => {
    const body = JSON.stringify({ feed: 'internal', package: 'Acme.Tools', version: '1.2.3' });
    const event = httpApiRequest(
      request({
        rawHeaders: [
          'Host',
          'deploy.example.com:3000',
          'User-Agent',
          'curl/8.5.0',
          'Content-Type',
          'application/json; charset=utf-8',
          'Content-Length',
          String(Buffer.byteLength(body)),
          'X-ApiKey',
          'secret',
        ],
        body: Buffer.from(body),
      }),
      { now: NOW, requestId: 'JKJaXmPLvHcESHA=' },
    );
    expect(event).toEqual({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/package-deployment/',
      rawQueryString: '',
      headers: {
        host: 'deploy.example.com:3000',
        'user-agent': 'curl/8.5.0',
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        'x-apikey': 'secret',
        'x-forwarded-for': '10.1.2.3',
        'x-forwarded-port': '3000',
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': expect.stringMatching(new RegExp(`^Root=1-${Math.floor(NOW.getTime() / 1000).toString(16)}-[0-9a-f]{24}$`)),
      },
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: 'deploy.example.com',
        domainPrefix: 'deploy',
        http: {
          method: 'POST',
          path: '/api/package-deployment/',
          protocol: 'HTTP/1.1',
          sourceIp: '10.1.2.3',
          userAgent: 'curl/8.5.0',
        },
        requestId: 'JKJaXmPLvHcESHA=',
        routeKey: '$default',
        stage: '$default',
        time: '02/Mar/2020:09:03:58 +0000',
        timeEpoch: NOW.getTime(),
      },
      body,
      isBase64Encoded: false,
    });
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
  });

  it('is a pure function of the request and options', () => {
    const req = withBody('application/json', '{}');
    expect(httpApiRequest(req, { now: NOW, requestId: 'id' })).toEqual(httpApiRequest(req, { now: NOW, requestId: 'id' }));
  });

  it('base64-encodes a form body', () => {
    const form = 'feed=internal&package=Acme.Tools&version=1.2.3&note=caf%C3%A9+au+lait';
    const event = httpApiRequest(withBody('application/x-www-form-urlencoded', form));
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(Buffer.from(form).toString('base64'));
    expect(Buffer.from(event.body ?? '', 'base64').toString('utf8')).toBe(form);
  });

  it('base64-encodes a body without a Content-Type', () => {
    const event = httpApiRequest(withBody(undefined, '{"feed":"internal"}'));
    expect(event.headers['content-type']).toBeUndefined();
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(Buffer.from('{"feed":"internal"}').toString('base64'));
  });

  it('base64-encodes a multipart body byte for byte', () => {
    const boundary = '----b0undary';
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="feed"\r\n\r\ninternal\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="blob"; filename="b.bin"\r\n\r\n`),
      binary,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const event = httpApiRequest(withBody(`multipart/form-data; boundary=${boundary}`, body));
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').equals(body)).toBe(true);
  });

  it.each([
    ['text/plain', 'hello'],
    ['text/csv; charset=utf-8', 'a,b\n1,2'],
    ['application/json', '{"ok":true}'],
    ['application/problem+json', '{"status":400}'],
    ['application/xml', '<a/>'],
    ['application/atom+xml', '<feed/>'],
    ['application/javascript', 'let x = 1;'],
  ])('passes a %s body as text', (contentType, body) => {
    const event = httpApiRequest(withBody(contentType, body));
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(body);
  });

  it('decodes a text body as UTF-8', () => {
    const event = httpApiRequest(withBody('application/json', '{"note":"café ✓"}'));
    expect(event.body).toBe('{"note":"café ✓"}');
  });

  it('omits an empty body', () => {
    const event = httpApiRequest(request({ method: 'get' }));
    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.http.method).toBe('GET');
  });

  it('keeps the raw query string and decodes the parameters, joining repeats with commas', () => {
    const raw = 'feed=internal&tag=a&tag=b%2Cc&q=caf%C3%A9+au%20lait&plus=%2B1&flag&tag=d&bad=%E0%A4%A';
    const event = httpApiRequest(request({ url: `/api/package-deployment?${raw}` }));
    expect(event.rawPath).toBe('/api/package-deployment');
    expect(event.requestContext.http.path).toBe('/api/package-deployment');
    expect(event.rawQueryString).toBe(raw);
    expect(event.queryStringParameters).toEqual({
      feed: 'internal',
      tag: 'a,b,c,d',
      q: 'café au lait',
      plus: '+1',
      flag: '',
      bad: '%E0%A4%A',
    });
  });

  it('builds only well-formed UTF-16 from any bytes: encoded surrogates, truncated sequences, raw bytes in headers', () => {
    // `%ED%A0%80` is a UTF-8 encoded surrogate (invalid UTF-8), `%F0%9F` a truncated emoji: both are kept as sent.
    const event = httpApiRequest(
      request({
        url: '/api/deployments?FeedName=%ED%A0%80&Tag=%F0%9F&%ED%B0%80=x',
        rawHeaders: ['Host', 'localhost', 'X-Note', Buffer.from([0xed, 0xa0, 0x80, 0xff]).toString('latin1'), 'Content-Type', 'application/json'],
        body: Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]),
      }),
    );
    expect(event.queryStringParameters).toEqual({ FeedName: '%ED%A0%80', Tag: '%F0%9F', '%ED%B0%80': 'x' });
    const strings: string[] = [];
    JSON.stringify(event, (key, value: unknown) => {
      strings.push(key);
      if (typeof value === 'string') strings.push(value);
      return value;
    });
    expect(strings.filter((s) => !s.isWellFormed())).toEqual([]);
    expect(event.body).toBe('{\ufffd\ufffd\ufffd}');
  });

  it('omits queryStringParameters without a query string', () => {
    for (const url of ['/x', '/x?']) {
      const event = httpApiRequest(request({ url }));
      expect(event.rawPath).toBe('/x');
      expect(event.rawQueryString).toBe('');
      expect(event).not.toHaveProperty('queryStringParameters');
    }
  });

  it('lower-cases header names and joins repeated headers with commas', () => {
    const event = httpApiRequest(
      request({
        rawHeaders: ['Host', 'localhost', 'Accept', 'text/html', 'X-Custom', 'one', 'ACCEPT', 'application/json', 'x-custom', 'two'],
      }),
    );
    expect(event.headers.accept).toBe('text/html,application/json');
    expect(event.headers['x-custom']).toBe('one,two');
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers['x-forwarded-port']).toBe('80');
  });

  it('moves Cookie headers into cookies, split on "; "', () => {
    const event = httpApiRequest(request({ rawHeaders: ['Host', 'localhost', 'Cookie', 'a=1; b=2', 'Accept', '*/*', 'cookie', 'c=3'] }));
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.headers.accept).toBe('*/*');
  });

  it('appends the source address to X-Forwarded-For', () => {
    const event = httpApiRequest(request({ rawHeaders: ['X-Forwarded-For', '203.0.113.9'], remoteAddress: '127.0.0.1' }));
    expect(event.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(event.requestContext.domainName).toBe('localhost');
    expect(event.requestContext.http.userAgent).toBe('');
  });

  it('takes the route key, stage and time from the options, and makes request ids when not given', () => {
    const event = httpApiRequest(request(), { routeKey: 'ANY /api/package-deployment', stage: 'prod', now: NOW });
    expect(event.routeKey).toBe('ANY /api/package-deployment');
    expect(event.requestContext.routeKey).toBe('ANY /api/package-deployment');
    expect(event.requestContext.stage).toBe('prod');
    expect(event.requestContext.timeEpoch).toBe(NOW.getTime());
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9]{15}=$/);
    expect(httpApiRequest(request()).requestContext.requestId).not.toBe(event.requestContext.requestId);
  });

  it('accepts a request target in absolute form', () => {
    const event = httpApiRequest(request({ url: 'http://localhost:3000/a/b?x=1' }));
    expect(event.rawPath).toBe('/a/b');
    expect(event.rawQueryString).toBe('x=1');
  });
});

describe('the request time of the event', () => {
  const timeAt = (now: Date) => httpApiRequest({ method: 'GET', url: '/', rawHeaders: [], body: Buffer.alloc(0) }, { now }).requestContext.time;
  it('writes dd/Mon/yyyy:HH:mm:ss +0000 in UTC', () => {
    expect(timeAt(new Date(Date.UTC(2020, 2, 12, 19, 3, 58)))).toBe('12/Mar/2020:19:03:58 +0000');
    expect(timeAt(new Date(Date.UTC(2024, 11, 1, 0, 0, 5)))).toBe('01/Dec/2024:00:00:05 +0000');
  });
});

describe('which bodies the event carries as text (the others base64)', () => {
  it.each([
    ['text/plain', true],
    ['TEXT/HTML; charset=iso-8859-1', true],
    ['application/json', true],
    ['application/vnd.api+json', true],
    ['application/xml', true],
    ['application/soap+xml', true],
    ['application/javascript', true],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['application/octet-stream', false],
    ['image/png', false],
    ['application/jsonx', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (contentType, text) => {
    const rawHeaders = contentType === undefined ? [] : ['Content-Type', contentType];
    const event = httpApiRequest({ method: 'POST', url: '/', rawHeaders, body: Buffer.from('{"a":"é"}') });
    expect(event.isBase64Encoded).toBe(!text);
    expect(event.body).toBe(text ? '{"a":"é"}' : Buffer.from('{"a":"é"}').toString('base64'));
  });
});

describe('startGateway', () => {
  type Seen = { event: APIGatewayProxyEventV2; context: Context; remaining: number };
  const seen: Seen[] = [];
  const echo: LambdaHandler = async (event, context) => {
    seen.push({ event, context, remaining: context.getRemainingTimeInMillis() });
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ requestId: event.requestContext.requestId, method: event.requestContext.http.method }),
    };
  };

  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });

  let gateway: Gateway;
  let slow: Gateway;
  let errorLog: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      maxBodyBytes: 1024,
      routes: [
        { path: '/api/package-deployment', handler: echo, functionName: 'record-deployment' },
        { path: '/api/package-deployment/', handler: echo, functionName: 'record-deployment' },
        {
          path: '/structured',
          handler: async () => ({
            statusCode: 201,
            headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-One': 'a', 'X-Count': 3 },
            multiValueHeaders: { 'X-Many': ['1', '2'] },
            cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'],
            body: 'created',
            isBase64Encoded: false,
          }),
        },
        { path: '/object', handler: async () => ({ ok: true, items: [1, 2], when: new Date(0), gone: undefined }) },
        { path: '/string', handler: async () => 'plain words' },
        { path: '/nothing', handler: async () => undefined },
        {
          path: '/binary',
          handler: async () => ({
            statusCode: 200,
            headers: { 'content-type': 'application/octet-stream' },
            body: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64'),
            isBase64Encoded: true,
          }),
        },
        { path: '/no-body', handler: async () => ({ statusCode: 204 }) },
        { path: '/malformed', handler: async () => ({ statusCode: 200, body: { not: 'a string' } }) },
        {
          path: '/throws',
          handler: async () => {
            throw new Error('boom');
          },
        },
        { path: '/rejects', handler: () => Promise.reject(new Error('bang')) },
        {
          path: '/wait',
          handler: async () => {
            await released;
            return { statusCode: 200, body: 'waited' };
          },
        },
        {
          path: '/release',
          handler: async () => {
            release();
            return { statusCode: 200, body: 'released' };
          },
        },
      ],
    });
    slow = await startGateway({
      port: 0,
      timeoutMs: 100,
      routes: [
        {
          path: '/slow',
          handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'late' }), 400)),
        },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all([gateway?.close(), slow?.close()]);
  });

  afterEach(() => {
    seen.length = 0;
    errorLog?.mockRestore();
  });

  const silenceErrors = () => {
    errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
    return errorLog;
  };

  it('listens on a free loopback port and reports it', () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    expect(slow.port).not.toBe(gateway.port);
  });

  it('sends the handler a payload 2.0 event and a Lambda context', async () => {
    const res = await fetch(`${gateway.url}/api/package-deployment/?feed=internal&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-ApiKey': 'k', Cookie: 'a=1; b=2' },
      body: '{"package":"Acme.Tools"}',
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('apigw-requestid');
    expect(requestId).toMatch(/^[A-Za-z0-9]{15}=$/);
    expect(await res.json()).toEqual({ requestId, method: 'POST' });

    expect(seen).toHaveLength(1);
    const { event, context, remaining } = seen[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/package-deployment/',
      rawQueryString: 'feed=internal&tag=a&tag=b',
      queryStringParameters: { feed: 'internal', tag: 'a,b' },
      cookies: ['a=1', 'b=2'],
      body: '{"package":"Acme.Tools"}',
      isBase64Encoded: false,
      requestContext: { requestId, stage: '$default', http: { method: 'POST', sourceIp: '127.0.0.1' } },
    });
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['x-apikey']).toBe('k');
    expect(event.headers.host).toBe(`127.0.0.1:${gateway.port}`);
    expect(context).toMatchObject({
      awsRequestId: requestId,
      functionName: 'record-deployment',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:record-deployment',
      memoryLimitInMB: '1024',
      logGroupName: '/aws/lambda/record-deployment',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(remaining).toBeGreaterThan(28_000);
    expect(remaining).toBeLessThanOrEqual(29_000);
    expect(() => {
      context.done();
      context.fail('x');
      context.succeed('x');
    }).not.toThrow();
  });

  it('sends a form body base64-encoded', async () => {
    const res = await fetch(`${gateway.url}/api/package-deployment`, {
      method: 'POST',
      body: new URLSearchParams({ feed: 'internal', note: 'café au lait' }),
    });
    expect(res.status).toBe(200);
    const { event } = seen[0]!;
    expect(event.rawPath).toBe('/api/package-deployment');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').toString()).toBe('feed=internal&note=caf%C3%A9+au+lait');
  });

  it('sends a body without a Content-Type base64-encoded', async () => {
    const res = await fetch(`${gateway.url}/api/package-deployment`, { method: 'POST', body: new Uint8Array([123, 125]) });
    expect(res.status).toBe(200);
    const { event } = seen[0]!;
    expect(event.headers['content-type']).toBeUndefined();
    expect(event).toMatchObject({ isBase64Encoded: true, body: Buffer.from('{}').toString('base64') });
  });

  it('sends every method to the handler', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(`${gateway.url}/api/package-deployment/`, { method });
      expect(res.status).toBe(200);
    }
    expect(seen.map((s) => s.event.requestContext.http.method)).toEqual(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
    expect(seen.every((s) => s.event.body === undefined)).toBe(true);
  });

  it('answers a problem+json 404 for a path no route has (without a $default route)', async () => {
    for (const path of ['/', '/api/package-deployment//', '/api/Package-Deployment', '/unknown?x=1']) {
      const res = await fetch(`${gateway.url}${path}`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(res.headers.get('apigw-requestid')).toBeTruthy();
      expect(await res.json()).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: `No route of this API matches ${path.split('?')[0]}.` });
    }
    expect(seen).toHaveLength(0);
  });

  it("sends a path no route has to the $default route, as $default, within the stage; outside it, the gateway's own 404", async () => {
    const fallback = await startGateway({
      port: 0,
      stage: 'prod',
      routes: [{ path: '/api/package-deployment', handler: async () => ({ statusCode: 200, body: 'route' }) }],
      defaultRoute: { path: '$default', handler: echo, functionName: 'site' },
    });
    try {
      expect(await (await fetch(`${fallback.url}/prod/api/package-deployment`)).text()).toBe('route');
      const res = await fetch(`${fallback.url}/prod/unknown`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(seen.map((s) => [s.event.routeKey, s.event.rawPath, s.context.functionName])).toEqual([['$default', '/prod/unknown', 'site']]);
      const outside = await fetch(`${fallback.url}/dev/unknown`);
      expect(outside.status).toBe(404);
      expect(outside.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(seen).toHaveLength(1);
    } finally {
      await fallback.close();
    }
  });

  it('answers 413 for a body over the limit, whether announced or streamed, and keeps serving', async () => {
    const announced = await fetch(`${gateway.url}/api/package-deployment`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(64 * 1024),
    });
    expect(announced.status).toBe(413);
    expect(announced.headers.get('content-type')).toBe('application/json');
    expect(await announced.text()).toBe('{"message":"Request Entity Too Large"}');

    // No Content-Length (chunked): the limit is found while reading.
    let chunksLeft = 40;
    const streamed = await fetch(`${gateway.url}/api/package-deployment`, {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(new Uint8Array(100));
          if (--chunksLeft === 0) controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.text()).toBe('{"message":"Request Entity Too Large"}');

    const atLimit = await fetch(`${gateway.url}/api/package-deployment`, { method: 'POST', body: 'x'.repeat(1024) });
    expect(atLimit.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.event.body).toBe('x'.repeat(1024));
  });

  it('answers 500 and logs once when the handler throws or rejects', async () => {
    const log = silenceErrors();
    for (const path of ['/throws', '/rejects']) {
      const res = await fetch(`${gateway.url}${path}`);
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe('{"message":"Internal Server Error"}');
    }
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls[0]).toContainEqual(expect.objectContaining({ message: 'boom' }));
    expect(log.mock.calls[1]).toContainEqual(expect.objectContaining({ message: 'bang' }));
  });

  it('answers 500 for a result HTTP API cannot read', async () => {
    const log = silenceErrors();
    const res = await fetch(`${gateway.url}/malformed`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"message":"Internal Server Error"}');
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('writes a structured result: status, headers, multi-value headers, cookies, body', async () => {
    const res = await fetch(`${gateway.url}/structured`);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-one')).toBe('a');
    expect(res.headers.get('x-count')).toBe('3');
    expect(res.headers.get('x-many')).toBe('1, 2');
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark']);
    expect(res.headers.get('apigw-requestid')).toBeTruthy();
    expect(await res.text()).toBe('created');
  });

  it('writes a structured result without a body as an empty body', async () => {
    const res = await fetch(`${gateway.url}/no-body`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('decodes a base64 result body', async () => {
    const res = await fetch(`${gateway.url}/binary`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 0xfe, 0xff]));
  });

  it('infers 200 JSON for a result without a statusCode, as serialized by Lambda', async () => {
    const res = await fetch(`${gateway.url}/object`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"ok":true,"items":[1,2],"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('sends a string result as it is', async () => {
    const res = await fetch(`${gateway.url}/string`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('plain words');
  });

  it('sends null for a handler that returns nothing', async () => {
    const res = await fetch(`${gateway.url}/nothing`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('null');
  });

  it('handles requests concurrently', async () => {
    const waiting = fetch(`${gateway.url}/wait`);
    // /wait only finishes once /release has run: with a global lock this would hang until the test times out.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const releasing = await fetch(`${gateway.url}/release`);
    expect(await releasing.text()).toBe('released');
    const waited = await waiting;
    expect(await waited.text()).toBe('waited');
  });

  it('answers 503 when the handler outlives the integration timeout', async () => {
    const log = silenceErrors();
    const res = await fetch(`${slow.url}/slow`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('{"message":"Service Unavailable"}');
    expect(log).toHaveBeenCalledTimes(1);
  });
});
