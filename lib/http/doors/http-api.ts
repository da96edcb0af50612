/**
 * API Gateway HTTP API, payload format 2.0 ("Create AWS Lambda proxy integrations for HTTP APIs", payload format
 * version): the event it sends for a request (built for the local gateway and the tests) and the front door's reading
 * of one. Payload 2.0 is also the internal shape every handler reads (see lib/http/front-door.ts).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isObject, isString, stringsOf, type Json } from './json.ts';
import { decodeQueryComponent, joinedQuery, rawQueryPairs } from './query.ts';
import {
  domainOf,
  formatRequestTime,
  headerPairs,
  isTextContentType,
  newRequestId,
  sourceIpOf,
  splitTarget,
  traceId,
  type BuildOptions,
  type RawRequest,
} from './wire.ts';

export type HttpApiOptions = BuildOptions & {
  /** `$default`, or a route key such as `ANY /some/path`. */
  routeKey?: string;
  /** `$default` unless given; a named stage is in `rawPath` as `/<stage>` (the request's path must carry it). */
  stage?: string;
};

const ACCOUNT_ID = '123456789012';
const API_ID = 'local';

/** Header names lower-cased, repeats joined with `,`; Cookie headers split on `; ` into `cookies` instead. */
const collectHeaders = (rawHeaders: string[]): { headers: Record<string, string>; cookies: string[] } => {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const cookies: string[] = [];
  for (const [rawName, value] of headerPairs(rawHeaders)) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookies.push(...value.split('; ').filter((c) => c !== ''));
      continue;
    }
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
};

/**
 * The payload format 2.0 event HTTP API would send for this request. Header names are lower-cased and repeated
 * headers joined with `,`; Cookie headers are not among them but split on `; ` into `cookies`; the query string is
 * kept as sent in `rawQueryString` and decoded into `queryStringParameters` (repeats joined with `,`); like AWS it
 * adds `x-forwarded-for`, `x-forwarded-port`, `x-forwarded-proto` and `x-amzn-trace-id` headers. See
 * isTextContentType (./wire.ts) for when the body is base64-encoded.
 */
export const httpApiRequest = (req: RawRequest, options: HttpApiOptions = {}): APIGatewayProxyEventV2 => {
  const now = options.now ?? new Date();
  const requestId = options.requestId ?? newRequestId();
  const routeKey = options.routeKey ?? '$default';
  const stage = options.stage ?? '$default';
  const { path, query } = splitTarget(req.url);
  const { headers, cookies } = collectHeaders(req.rawHeaders);
  const sourceIp = sourceIpOf(req);
  const { domainName, domainPrefix, port } = domainOf(headers.host);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = port ?? '80';
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= traceId(requestId, now);

  const pairs = rawQueryPairs(query)
    .map(([n, v]): [string, string] => [decodeQueryComponent(n), decodeQueryComponent(v)])
    .filter(([n]) => n !== '');
  const queryStringParameters = joinedQuery(pairs);
  const hasBody = req.body.length > 0;
  const asText = isTextContentType(headers['content-type']);

  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix,
      http: { method: req.method.toUpperCase(), path, protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey,
      stage,
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: asText ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !asText,
  };
};

/**
 * The path within the API for a payload 2.0 event: the route's own path when the route is a literal one (`ANY
 * /some/path`), else `rawPath` without a named stage (HTTP API puts `/<stage>` in front of it).
 */
const apiPath = (event: APIGatewayProxyEventV2): string => {
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
 * Payload 2.0 (HTTP API, function URLs) as the handlers read it: what the door detection checked is kept, and every
 * field a handler reads has its documented type, so that a malformed direct invocation (a header that is a number, a
 * body that is an object) reads as a request without it, never as a TypeError and a 500.
 */
export const fromHttpApi = (event: Json): APIGatewayProxyEventV2 => {
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
  return { ...typed, rawPath: apiPath(typed) };
};

/** Whether a payload 2.0 event is one: what the front door checks before reading it with {@link fromHttpApi}. */
export const isPayloadV2 = (event: Json): boolean =>
  event.version === '2.0' &&
  isObject(event.requestContext) &&
  isObject(event.requestContext.http) &&
  isString(event.requestContext.http.method) &&
  isString(event.rawPath);
