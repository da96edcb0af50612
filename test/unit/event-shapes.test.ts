import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  AlbMultiValueHeadersSchema,
  AlbSchema,
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  LambdaFunctionUrlSchema,
} from '@aws-lambda-powertools/parser/schemas';
import { startGateway } from '../../infra/local/gateway.ts';
import { doorOf, toDoorResponse, toInternalEvent, UnsupportedEventError } from '../../lib/http/event.ts';
import { problemResponse } from '../../lib/http/responses.ts';
import { albEvent, functionUrlEvent, httpApiEvent, restApiEvent, type Request } from '../fixtures/events/doors.ts';

/**
 * The fixtures (test/fixtures/events/doors.ts) and the local gateway's events are checked against Powertools' parser
 * schemas, which follow AWS's published payloads; and every door's event, once through the front door
 * (lib/http/event.ts), reads the same to the handlers.
 */
const REQUESTS: Request[] = [
  { method: 'POST', path: '/api/package-deployment/', headers: { 'Content-Type': 'application/json', 'X-ApiKey': 'k' }, body: '{"FeedName":"DefaultNuGet"}' },
  { method: 'POST', path: '/api/package-deployment', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' }, body: Buffer.from('Description=D\xe9ploy\xe9&Version=1.0', 'latin1') },
  { method: 'GET', path: '/api/deployments', query: 'FeedName=My%20Feed&PackageName=a+b&limit=2&limit=3', headers: { Accept: ['application/json', 'text/html'] } },
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
  it.each(REQUESTS)('$method $path', (r) => {
    const expected = reading(toInternalEvent(httpApiEvent(r)).event);
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
      expect({ name, ...reading(toInternalEvent(event).event) }).toEqual({ name, ...expected });
    }
    // Without multi-value headers an ALB passes the last value of a repeated parameter or header only.
    const alb = reading(toInternalEvent(albEvent(r)).event);
    const repeats = { query: [], queryStringParameters: {}, accept: '' };
    expect({ ...alb, ...repeats }).toEqual({ ...expected, ...repeats });
    if (r.query?.includes('limit=2&limit=3')) expect(alb.queryStringParameters?.limit).toBe('3');
  });

  it("HTTP API's payload 1.0 (version 1.0, its $default route as the resource) is read as REST API's", () => {
    const r = REQUESTS[2]!;
    const v1 = { ...restApiEvent(r), version: '1.0', resource: '$default', path: r.path };
    expect(doorOf(v1)).toBe('restApi');
    expect(reading(toInternalEvent(v1).event)).toEqual(reading(toInternalEvent(httpApiEvent(r)).event));
  });

  it('names the door', () => {
    const r = REQUESTS[0]!;
    expect([httpApiEvent(r), functionUrlEvent(r), restApiEvent(r), albEvent(r), albEvent(r, { multiValue: true })].map(doorOf)).toEqual([
      'httpApi', 'functionUrl', 'restApi', 'alb', 'alb',
    ]);
  });
});

describe('answers in each door’s shape', () => {
  const response = problemResponse(405, 'GET is not allowed here; use POST.', { headers: { Allow: 'POST' } });
  it('HTTP API and function URLs: unchanged', () => {
    expect(toDoorResponse('httpApi', {}, response)).toBe(response);
    expect(toDoorResponse('functionUrl', {}, response)).toBe(response);
  });
  it('REST API: statusCode, headers, body, isBase64Encoded', () => {
    expect(toDoorResponse('restApi', {}, response)).toEqual({ statusCode: 405, headers: response.headers, body: response.body, isBase64Encoded: false });
  });
  it('ALB: statusDescription, and multiValueHeaders only when the event had them', () => {
    expect(toDoorResponse('alb', albEvent(REQUESTS[3]!), response)).toEqual({
      statusCode: 405, statusDescription: '405 Method Not Allowed', headers: response.headers, body: response.body, isBase64Encoded: false,
    });
    const multi = toDoorResponse('alb', albEvent(REQUESTS[3]!, { multiValue: true }), response);
    expect(multi).toMatchObject({ statusDescription: '405 Method Not Allowed', multiValueHeaders: { Allow: ['POST'] } });
    expect(multi).not.toHaveProperty('headers');
  });
});

describe('events of no door', () => {
  it.each([null, 'text', [], {}, { Records: [{ eventSource: 'aws:sqs' }] }, { source: 'aws.events', detail: {} }])('%j is an UnsupportedEventError', (event) => {
    expect(() => doorOf(event)).toThrow(UnsupportedEventError);
  });
  it.each([
    [{ version: '1.0', routeKey: '$default', rawPath: '/' }, 'payload format "1.0"'],
    [{ method: 'GET', raw_path: '/', is_base64_encoded: false }, 'VPC Lattice'],
    [{ requestContext: { eventType: 'MESSAGE', routeKey: '$default' }, body: '{}' }, 'WebSocket'],
    [{ version: '2.0', rawPath: '/' }, 'payload format "2.0"'],
  ])('%j is a 400 naming the format', (event, named) => {
    let thrown: unknown;
    try {
      doorOf(event);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ statusCode: 400, detail: expect.stringContaining(named) });
  });
});
