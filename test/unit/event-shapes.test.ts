import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  AlbMultiValueHeadersSchema,
  AlbSchema,
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  LambdaFunctionUrlSchema,
} from '@aws-lambda-powertools/parser/schemas';
import { lambdaContext, startGateway } from '../../infra/local/gateway.ts';
import { frontDoor, UnsupportedEventError } from '../../lib/http/front-door.ts';
import { logger } from '../../lib/http/logger.ts';
import { problemResponses } from '../../lib/http/middlewares.ts';
import { problemResponse, type Response } from '../../lib/http/responses.ts';
import { stringPlaces, withStringAt } from '../support/fuzz.ts';
import { albEvent, functionUrlEvent, httpApiEvent, restApiEvent, type Request } from '../fixtures/events/doors.ts';

/**
 * The fixtures (test/fixtures/events/doors.ts) and the local gateway's events are checked against Powertools' parser
 * schemas, which follow AWS's published payloads; and every door's event, once through the front door
 * (lib/http/front-door.ts, the outermost middleware of every function), reads the same to the handlers and gets its
 * answer in its door's shape.
 */
const ANSWER = problemResponse(405, 'GET is not allowed here; use POST.', { headers: { Allow: 'POST' } });

/** Sends an event through the front door alone: what the handler behind it saw, and the answer that came out. */
const through = async (event: unknown, answer: Response = ANSWER): Promise<{ seen: APIGatewayProxyEventV2; out: Record<string, unknown> }> => {
  let seen: APIGatewayProxyEventV2 | undefined;
  const handler = middy<APIGatewayProxyEventV2, Response>()
    .use(frontDoor())
    .handler(async (e) => {
      seen = e;
      return answer;
    });
  const out = (await handler(event as APIGatewayProxyEventV2, lambdaContext('test') as Context)) as unknown as Record<string, unknown>;
  return { seen: seen!, out };
};
/** The error an event makes the front door throw (an HTTP event of another kind: a 400 problem; else a named error). */
const refusal = async (event: unknown): Promise<unknown> => {
  try {
    await through(event);
  } catch (e) {
    return e;
  }
  return undefined;
};
const REQUESTS: Request[] = [
  { method: 'POST', path: '/api/package-deployment/', headers: { 'Content-Type': 'application/json', 'X-ApiKey': 'k' }, body: '{"FeedName":"DefaultNuGet"}' },
  {
    method: 'POST',
    path: '/api/package-deployment',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
    body: Buffer.from('Description=D\xe9ploy\xe9&Version=1.0', 'latin1'),
  },
  {
    method: 'GET',
    path: '/api/deployments',
    query: 'FeedName=My%20Feed&PackageName=a+b&limit=2&limit=3',
    headers: { Accept: ['application/json', 'text/html'] },
  },
  { method: 'GET', path: '/' },
  { method: 'PUT', path: '/api/feeds/', query: 'key=s%C3%A9cret' },
];

const parse = (schema: { safeParse: (v: unknown) => { success: boolean; error?: unknown } }, event: unknown) => {
  const result = schema.safeParse(event);
  return result.success ? 'valid' : String(result.error);
};

describe("fixtures match Powertools' parser schemas", () => {
  it.each(REQUESTS)('$method $path', (r) => {
    expect(parse(APIGatewayProxyEventV2Schema, httpApiEvent(r))).toBe('valid');
    expect(parse(APIGatewayProxyEventV2Schema, httpApiEvent(r, { stage: 'prod', routeKey: `ANY ${r.path}` }))).toBe('valid');
    expect(parse(LambdaFunctionUrlSchema, functionUrlEvent(r))).toBe('valid');
    expect(parse(APIGatewayProxyEventSchema, restApiEvent(r))).toBe('valid');
    expect(parse(APIGatewayProxyEventSchema, restApiEvent(r, { resource: '/{proxy+}', basePath: '/v1' }))).toBe('valid');
    expect(parse(AlbSchema, albEvent(r))).toBe('valid');
    expect(parse(AlbMultiValueHeadersSchema, albEvent(r, { multiValue: true }))).toBe('valid');
  });
});

describe("the local gateway's events match APIGatewayProxyEventV2Schema", () => {
  it('for the requests npm start serves', async () => {
    const seen: APIGatewayProxyEventV2[] = [];
    const gateway = await startGateway({
      port: 0,
      routes: ['/api/package-deployment/', '/api/package-deployment', '/api/deployments', '/', '/api/feeds/'].map((path) => ({
        path,
        handler: async (event: APIGatewayProxyEventV2) => {
          seen.push(event);
          return { statusCode: 204 };
        },
      })),
    });
    try {
      for (const r of REQUESTS) {
        const headers = Object.entries(r.headers ?? {}).map(([n, v]): [string, string] => [n, Array.isArray(v) ? v.join(', ') : v]);
        const response = await fetch(`${gateway.url}${r.path}${r.query ? `?${r.query}` : ''}`, {
          method: r.method,
          headers: [...headers, ['Cookie', 'a=1; b=2']],
          ...(r.body !== undefined ? { body: r.body } : {}),
        });
        expect(response.status).toBe(204);
      }
    } finally {
      await gateway.close();
    }
    expect(seen).toHaveLength(REQUESTS.length);
    for (const event of seen) expect(parse(APIGatewayProxyEventV2Schema, event)).toBe('valid');
  });
});

/** What the handlers read of an event, with the body as bytes. */
const reading = (event: APIGatewayProxyEventV2) => ({
  method: event.requestContext.http.method,
  rawPath: event.rawPath,
  query: [...new URLSearchParams(event.rawQueryString)],
  queryStringParameters: event.queryStringParameters,
  contentType: event.headers['content-type'],
  accept: event.headers.accept,
  apiKey: event.headers['x-apikey'],
  body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('hex'),
});

describe('every door reads the same through the front door', () => {
  it.each(REQUESTS)('$method $path', async (r) => {
    const expected = reading((await through(httpApiEvent(r))).seen);
    expect(expected.rawPath).toBe(r.path);
    const doors = {
      httpApiStage: httpApiEvent(r, { stage: 'prod' }),
      httpApiRoute: httpApiEvent(r, { stage: 'prod', routeKey: `ANY ${r.path}` }),
      functionUrl: functionUrlEvent(r),
      restApi: restApiEvent(r),
      restApiProxy: restApiEvent(r, { resource: '/{proxy+}', basePath: '/v1' }),
      albMulti: albEvent(r, { multiValue: true }),
    };
    for (const [name, event] of Object.entries(doors)) {
      expect({ name, ...reading((await through(event)).seen) }).toEqual({ name, ...expected });
    }
    // Without multi-value headers an ALB passes the last value of a repeated parameter or header only.
    const alb = reading((await through(albEvent(r))).seen);
    const repeats = { query: [], queryStringParameters: {}, accept: '' };
    expect({ ...alb, ...repeats }).toEqual({ ...expected, ...repeats });
    if (r.query?.includes('limit=2&limit=3')) expect(alb.queryStringParameters?.limit).toBe('3');
  });

  it("HTTP API's payload 1.0 (version 1.0, its $default route as the resource) is read as REST API's", async () => {
    const r = REQUESTS[2]!;
    const v1 = { ...restApiEvent(r), version: '1.0', resource: '$default', path: r.path };
    expect(reading((await through(v1)).seen)).toEqual(reading((await through(httpApiEvent(r))).seen));
  });
});

describe('answers in each door’s shape', () => {
  const r = REQUESTS[3]!;
  it('HTTP API and function URLs: unchanged', async () => {
    expect((await through(httpApiEvent(r))).out).toEqual(ANSWER);
    expect((await through(functionUrlEvent(r))).out).toEqual(ANSWER);
  });
  it('REST API: statusCode, headers, body, isBase64Encoded', async () => {
    expect((await through(restApiEvent(r))).out).toEqual({ statusCode: 405, headers: ANSWER.headers, body: ANSWER.body, isBase64Encoded: false });
  });
  it('ALB: statusDescription, and multiValueHeaders only when the event had them', async () => {
    expect((await through(albEvent(r))).out).toEqual({
      statusCode: 405,
      statusDescription: '405 Method Not Allowed',
      headers: ANSWER.headers,
      body: ANSWER.body,
      isBase64Encoded: false,
    });
    const multi = (await through(albEvent(r, { multiValue: true }))).out;
    expect(multi).toMatchObject({ statusDescription: '405 Method Not Allowed', multiValueHeaders: { Allow: ['POST'] } });
    expect(multi).not.toHaveProperty('headers');
  });
});

describe('events of no door', () => {
  it.each([null, 'text', [], {}, { Records: [{ eventSource: 'aws:sqs' }] }, { source: 'aws.events', detail: {} }])(
    '%j is an UnsupportedEventError',
    async (event) => {
      expect(await refusal(event)).toBeInstanceOf(UnsupportedEventError);
    },
  );
  it.each([
    [{ version: '1.0', routeKey: '$default', rawPath: '/' }, 'payload format "1.0"'],
    [{ method: 'GET', raw_path: '/', is_base64_encoded: false }, 'VPC Lattice'],
    [{ requestContext: { eventType: 'MESSAGE', routeKey: '$default' }, body: '{}' }, 'WebSocket'],
    [{ version: '2.0', rawPath: '/' }, 'payload format "2.0"'],
  ])('%j is a 400 naming the format', async (event, named) => {
    expect(await refusal(event)).toMatchObject({ statusCode: 400, detail: expect.stringContaining(named) });
  });
});

describe("a string that is not well-formed UTF-16, anywhere in any door's event", () => {
  /** The front door and the one error handler, as every function's chain has them outermost. */
  const answer = async (event: unknown): Promise<Record<string, unknown>> => {
    const handler = middy<APIGatewayProxyEventV2, Response>()
      .use(frontDoor())
      .use(problemResponses(logger))
      .handler(async () => ANSWER);
    return (await handler(event as APIGatewayProxyEventV2, lambdaContext('utf16') as Context)) as unknown as Record<string, unknown>;
  };
  const r = REQUESTS[2]!;
  const doors = {
    httpApi: httpApiEvent(r, { stage: 'prod' }),
    functionUrl: functionUrlEvent(r),
    restApi: restApiEvent(r, { resource: '/{proxy+}', basePath: '/v1' }),
    alb: albEvent(r),
    albMulti: albEvent(r, { multiValue: true }),
  };

  it.each(Object.entries(doors))("%s: a lone surrogate in each value and each name is a 400 in the door's shape", async (door, event) => {
    const places = stringPlaces(event);
    expect(places.length).toBeGreaterThan(20);
    for (const place of places) {
      const out = await answer(withStringAt(event, place, '\udc00'));
      const where = `${place.path.join('.')}${place.isName ? ' (name)' : ''}`;
      expect({ where, status: out.statusCode }).toEqual({ where, status: 400 });
      expect(JSON.parse(out.body as string)).toMatchObject({ status: 400, detail: expect.stringContaining('not well-formed UTF-16') });
      // In the door's shape, unless the surrogate is in a name the door is recognised by (requestContext.elb...).
      const recognised = !(place.isName && place.path.length <= 2);
      if (recognised && door.startsWith('alb')) expect({ where, description: out.statusDescription }).toEqual({ where, description: '400 Bad Request' });
      if (recognised && door === 'albMulti') expect(out).toHaveProperty('multiValueHeaders');
    }
  });

  it('names the top-level field that holds it', async () => {
    const event = withStringAt(doors.restApi, { path: ['multiValueHeaders', 'Accept', 1], isName: false }, '\ud800');
    expect(JSON.parse((await answer(event)).body as string)).toMatchObject({
      detail: 'The request holds a string that is not well-formed UTF-16 (a lone surrogate) in "multiValueHeaders"; send text as UTF-8.',
    });
  });

  it('well-formed text in every script and surrogate pairs (emoji) pass', async () => {
    const text = 'é✓😀𝄞 ключ 鍵 \u{10FFFF}';
    const event = withStringAt(doors.restApi, { path: ['queryStringParameters', 'FeedName'], isName: false }, text);
    expect(JSON.stringify(event)).toContain('😀');
    expect((await answer({ ...(event as object), body: text })).statusCode).toBe(405);
  });
});
