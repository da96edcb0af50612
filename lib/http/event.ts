import type { MiddlewareObj } from '@middy/core';
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { problem } from './errors.ts';
import type { Response } from './responses.ts';

/**
 * The front doors: one internal request shape for the four integrations that can invoke these functions, and the
 * answer in the shape each one expects.
 *
 * | door          | detected by                                   | documented at (AWS)                                                 |
 * |---------------|-----------------------------------------------|---------------------------------------------------------------------|
 * | `httpApi`     | `version: '2.0'`, `requestContext.http`       | API Gateway, "Create AWS Lambda proxy integrations for HTTP APIs" (payload 2.0) |
 * | `functionUrl` | the same, `domainName` `*.lambda-url.*.on.aws`| Lambda, "Invoking Lambda function URLs" (request and response payloads) |
 * | `restApi`     | `httpMethod` and `resource` (no `elb`)        | API Gateway, "Lambda proxy integrations in API Gateway" (input format 1.0); HTTP API's payload 1.0 is read the same way |
 * | `alb`         | `requestContext.elb`                           | Elastic Load Balancing, "Lambda functions as targets" (with and without multi-value headers) |
 *
 * The internal shape is the payload 2.0 event (what the handlers read: `requestContext.http.method`, `rawPath`,
 * `rawQueryString`, `headers`, `queryStringParameters`, `body`, `isBase64Encoded`), with one difference: `rawPath` is
 * the path within the API, without a named stage or a custom domain's base path (routing never depends on them), and
 * `requestContext.http.path` keeps the path as received.
 *
 * Hand-written because no well-kept library converts between them: @middy/http-event-normalizer (7.x) only adds
 * empty `queryStringParameters`/`pathParameters` objects in place, keeps each format's own shape, takes any event
 * without `version` for payload 1.0 (an SQS event included) and does not touch responses.
 */
export type Door = 'httpApi' | 'functionUrl' | 'restApi' | 'alb';

/** An invocation that is not an HTTP request at all (a queue message, a test event `{}`): thrown, never answered. */
export class UnsupportedEventError extends Error {
  override name = 'UnsupportedEventError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

const SUPPORTED =
  'API Gateway HTTP API (payload format 2.0), API Gateway REST API (Lambda proxy integration, payload format 1.0), an Application Load Balancer, or a Lambda function URL';

/** Which door sent the event; an HTTP-looking event of another kind is a 400, anything else an UnsupportedEventError. */
const doorOf = (event: unknown): Door => {
  if (!isObject(event))
    throw new UnsupportedEventError(
      `This function answers HTTP requests from ${SUPPORTED}; it was invoked with ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}.`,
    );
  const context = event.requestContext;
  if (isObject(context) && isObject(context.elb) && isString(event.httpMethod) && isString(event.path)) return 'alb';
  if (event.version === '2.0' && isObject(context) && isObject(context.http) && isString(context.http.method) && isString(event.rawPath)) {
    return isString(context.domainName) && /\.lambda-url\.[a-z0-9-]+\.on\.aws$/.test(context.domainName) ? 'functionUrl' : 'httpApi';
  }
  if (isString(event.httpMethod) && isString(event.path) && isString(event.resource) && isObject(context)) return 'restApi';
  const looksHttp = ['httpMethod', 'rawPath', 'routeKey', 'method', 'version'].some((k) => k in event) || isObject(context);
  if (!looksHttp) {
    throw new UnsupportedEventError(
      `This function answers HTTP requests from ${SUPPORTED}; the event (keys ${Object.keys(event).slice(0, 8).join(', ') || 'none'}) is none of them.`,
    );
  }
  const what =
    isObject(context) && isString(context.eventType)
      ? `a WebSocket API event (${context.eventType})`
      : 'method' in event && 'raw_path' in event
        ? 'a VPC Lattice event'
        : 'version' in event
          ? `an event of payload format ${JSON.stringify(event.version)}`
          : 'an event of an unknown format';
  throw problem(400, `The function was invoked with ${what}; it accepts ${SUPPORTED}.`);
};

/** Percent-decoding as API Gateway decodes query strings (`+` is a space); a malformed escape is kept as sent. */
const decodeComponent = (s: string): string => {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
};

/** Header names lower-cased and repeated values joined with `,`, as payload 2.0 gives them. */
const joinedHeaders = (single: unknown, multi: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObject(multi) && Object.keys(multi).length > 0) {
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values)) out[name.toLowerCase()] = values.filter(isString).join(',');
    }
    return out;
  }
  if (isObject(single)) for (const [name, value] of Object.entries(single)) if (isString(value)) out[name.toLowerCase()] = value;
  return out;
};

/** Query parameters as name and values in order, from a multi-value map when there is one. */
const queryPairs = (single: unknown, multi: unknown): Array<[string, string]> => {
  if (isObject(multi) && Object.keys(multi).length > 0) {
    return Object.entries(multi).flatMap(([name, values]) => (Array.isArray(values) ? values.filter(isString).map((v): [string, string] => [name, v]) : []));
  }
  return isObject(single) ? Object.entries(single).flatMap(([name, v]): Array<[string, string]> => (isString(v) ? [[name, v]] : [])) : [];
};

/** Decoded pairs as payload 2.0's `queryStringParameters`: a repeated name's values joined with `,`. */
const joinedQuery = (pairs: Array<[string, string]>): Record<string, string> | undefined => {
  if (pairs.length === 0) return undefined;
  // A null-prototype object, so that a parameter named `__proto__` is a parameter like any other.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of pairs) out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
  return out;
};

const encode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

/**
 * The path within the API for a payload 2.0 event: the route's own path when the route is a literal one (`ANY
 * /api/feeds`), else `rawPath` without a named stage (HTTP API puts `/<stage>` in front of it).
 */
const apiPathV2 = (event: APIGatewayProxyEventV2): string => {
  const literal = /^[A-Z]+ (\/[^{}]*)$/.exec(event.routeKey ?? '');
  if (literal) return literal[1]!;
  const stage = event.requestContext.stage;
  if (stage && stage !== '$default') {
    const prefix = `/${stage}`;
    if (event.rawPath === prefix) return '/';
    if (event.rawPath.startsWith(`${prefix}/`)) return event.rawPath.slice(prefix.length);
  }
  return event.rawPath;
};

/**
 * The path within a REST API: its resource with the path parameters put in (`/{proxy+}` and `{"proxy": "api/feeds"}`
 * give `/api/feeds`), which carries neither the stage nor a custom domain's base path (`path` may carry the latter).
 */
const apiPathV1 = (event: APIGatewayProxyEvent): string => {
  // HTTP API's payload 1.0 names its catch-all route `$default` here: then only `path` says where the request went.
  if (!event.resource.startsWith('/')) return event.path;
  const params: Record<string, unknown> = isObject(event.pathParameters) ? event.pathParameters : {};
  // A linear scan for `{name}` and `{name+}` (a regular expression backtracked quadratically on a resource of many
  // unclosed braces, which only a direct invocation can send).
  let path = '';
  let at = 0;
  while (at < event.resource.length) {
    const open = event.resource.indexOf('{', at);
    const close = open < 0 ? -1 : event.resource.indexOf('}', open);
    if (open < 0 || close < 0) break;
    const name = event.resource.slice(open + 1, close).replace(/\+$/, '');
    const value = params[name];
    if (name === '' || name.includes('{') || !isString(value)) return event.path;
    path += event.resource.slice(at, open) + value;
    at = close + 1;
  }
  return path + event.resource.slice(at);
};

const contextFields = (requestId: string, domainName: string, stage: string, routeKey: string, now: number) => ({
  accountId: '',
  apiId: '',
  domainName,
  domainPrefix: domainName.split('.')[0] ?? domainName,
  requestId,
  routeKey,
  stage,
  time: new Date(now).toISOString(),
  timeEpoch: now,
});

/** A string field of a map as sent, or undefined (a direct invocation may send anything). */
const text = (map: unknown, key: string): string | undefined => (isObject(map) && isString(map[key]) ? map[key] : undefined);

const fromRest = (event: APIGatewayProxyEvent): APIGatewayProxyEventV2 => {
  const headers = joinedHeaders(event.headers, event.multiValueHeaders);
  const pairs = queryPairs(event.queryStringParameters, event.multiValueQueryStringParameters);
  // Only what has its documented type: API Gateway sends nothing else, a direct invocation may.
  const raw: unknown = event.requestContext;
  const epoch =
    isObject(raw) && typeof raw.requestTimeEpoch === 'number' && Number.isFinite(raw.requestTimeEpoch) && Math.abs(raw.requestTimeEpoch) < 8.64e15
      ? raw.requestTimeEpoch
      : undefined;
  const identity = isObject(raw) ? raw.identity : undefined;
  const rc = {
    requestId: text(raw, 'requestId'),
    domainName: text(raw, 'domainName'),
    stage: text(raw, 'stage'),
    requestTimeEpoch: epoch,
    accountId: text(raw, 'accountId'),
    apiId: text(raw, 'apiId'),
    path: text(raw, 'path'),
    protocol: text(raw, 'protocol'),
    identity: { sourceIp: text(identity, 'sourceIp'), userAgent: text(identity, 'userAgent') },
  };
  const apiPath = apiPathV1(event);
  const queryStringParameters = joinedQuery(pairs);
  return {
    version: '2.0',
    routeKey: `${event.httpMethod} ${event.resource}`,
    rawPath: apiPath,
    rawQueryString: pairs.map(([n, v]) => `${encode(n)}=${encode(v)}`).join('&'),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      ...contextFields(
        rc.requestId ?? '',
        rc.domainName ?? headers.host ?? '',
        rc.stage ?? '',
        `${event.httpMethod} ${event.resource}`,
        rc.requestTimeEpoch ?? Date.now(),
      ),
      accountId: rc.accountId ?? '',
      apiId: rc.apiId ?? '',
      http: {
        method: event.httpMethod,
        path: rc.path ?? event.path,
        protocol: rc.protocol ?? 'HTTP/1.1',
        sourceIp: rc.identity?.sourceIp ?? '',
        userAgent: rc.identity?.userAgent ?? headers['user-agent'] ?? '',
      },
    },
    ...(isString(event.body) ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
  };
};

/** ALB passes the query string as sent (not decoded): `rawQueryString` is rebuilt from it, the values decoded. */
const fromAlb = (event: ALBEvent): APIGatewayProxyEventV2 => {
  const headers = joinedHeaders(event.headers, event.multiValueHeaders);
  const raw = queryPairs(event.queryStringParameters, event.multiValueQueryStringParameters);
  const queryStringParameters = joinedQuery(raw.map(([n, v]) => [decodeComponent(n), decodeComponent(v)]));
  const forwardedFor = headers['x-forwarded-for']?.split(',').at(-1)?.trim() ?? '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: event.path,
    rawQueryString: raw.map(([n, v]) => `${n}=${v}`).join('&'),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      ...contextFields(headers['x-amzn-trace-id'] ?? '', headers.host ?? '', '$default', '$default', Date.now()),
      http: { method: event.httpMethod, path: event.path, protocol: 'HTTP/1.1', sourceIp: forwardedFor, userAgent: headers['user-agent'] ?? '' },
    },
    ...(isString(event.body) && event.body !== '' ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
  };
};

/** Only the string values of a map (API Gateway never sends others; a direct invocation may), in a null-prototype object. */
const stringsOf = (map: unknown): Record<string, string> | undefined => {
  if (!isObject(map)) return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(map)) if (isString(value)) out[name] = value;
  return out;
};

/**
 * Payload 2.0 (HTTP API, function URLs) as the handlers read it: what the door detection checked is kept, and every
 * field a handler reads has its documented type, so that a malformed direct invocation (a header that is a number, a
 * body that is an object) reads as a request without it, never as a TypeError and a 500.
 */
const fromV2 = (event: Json): APIGatewayProxyEventV2 => {
  const v2 = event as unknown as APIGatewayProxyEventV2;
  const queryStringParameters = stringsOf(event.queryStringParameters);
  const cookies = Array.isArray(event.cookies) ? event.cookies.filter(isString) : undefined;
  const { body: _body, cookies: _cookies, queryStringParameters: _query, pathParameters: _params, ...rest } = v2;
  const typed = {
    ...rest,
    routeKey: isString(event.routeKey) ? event.routeKey : '$default',
    headers: stringsOf(event.headers) ?? {},
    rawQueryString: isString(event.rawQueryString) ? event.rawQueryString : '',
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(cookies ? { cookies } : {}),
    ...(isString(event.body) ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
  } as APIGatewayProxyEventV2;
  const context = typed.requestContext;
  if (!isString(context.stage)) typed.requestContext = { ...context, stage: '$default' };
  return { ...typed, rawPath: apiPathV2(typed) };
};

/** The event in the internal shape (see the top of this file). */
const toInternalEvent = (event: unknown): { door: Door; event: APIGatewayProxyEventV2 } => {
  const door = doorOf(event);
  switch (door) {
    case 'restApi':
      return { door, event: fromRest(event as APIGatewayProxyEvent) };
    case 'alb':
      return { door, event: fromAlb(event as ALBEvent) };
    default:
      return { door, event: fromV2(event as Json) };
  }
};

/** ALB's and REST API's answer to one of ours (payload 2.0's structured result passes unchanged). */
type DoorResponse = {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
};

/**
 * The answer for a door. HTTP API and function URLs take the structured result as it is; REST API takes
 * `{statusCode, headers, body, isBase64Encoded}`; ALB also wants `statusDescription`, and only `multiValueHeaders`
 * when its target group has multi-value headers on (which it shows by sending `multiValueHeaders`).
 */
const toDoorResponse = (door: Door, original: unknown, response: Response): Response | DoorResponse => {
  if (door === 'httpApi' || door === 'functionUrl') return response;
  const base = { statusCode: response.statusCode, body: response.body ?? '', isBase64Encoded: response.isBase64Encoded === true };
  if (door === 'restApi') return { ...base, headers: response.headers };
  // Node's reason phrases, loaded only for ALB (the site function otherwise never loads node:http at its cold start).
  const reason = process.getBuiltinModule('node:http').STATUS_CODES[response.statusCode] ?? '';
  const statusDescription = `${response.statusCode} ${reason}`.trim();
  if (isObject(original) && isObject(original.multiValueHeaders)) {
    return { ...base, statusDescription, multiValueHeaders: Object.fromEntries(Object.entries(response.headers).map(([n, v]) => [n, [v]])) };
  }
  return { ...base, statusDescription, headers: response.headers };
};

const doors = new WeakMap<object, { door: Door; original: unknown }>();

/**
 * The outermost middleware: turns the event into the internal shape before anything reads it, and the answer into
 * the door's shape after everything else. An invocation that is no HTTP request is thrown (UnsupportedEventError),
 * never answered; an HTTP event of another kind becomes the error handler's 400.
 */
export const frontDoor = <E extends APIGatewayProxyEventV2>(): MiddlewareObj<E, Response> => {
  const answer = (request: { event: E; response: Response | undefined | null }): void => {
    const seen = doors.get(request.event);
    if (seen && request.response) request.response = toDoorResponse(seen.door, seen.original, request.response) as Response;
  };
  return {
    before: (request) => {
      const original: unknown = request.event;
      const { door, event } = toInternalEvent(original);
      request.event = event as E;
      doors.set(event, { door, original });
    },
    after: answer,
    onError: (request) => {
      if (request.error instanceof UnsupportedEventError) throw request.error;
      answer(request);
    },
  };
};
