/**
 * An Application Load Balancer with a Lambda target ("Use Lambda functions as targets of an Application Load
 * Balancer", with and without multi-value headers): the event it sends for a request (built for the tests), the front
 * door's reading of one as payload 2.0, and the answer in its shape.
 */
import type { ALBEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { isObject, isString, type Json } from './json.ts';
import { decodeQueryComponent, joinedQuery, rawQueryPairs } from './query.ts';
import { contextFields, joinedHeaders, queryPairs } from './rest-api.ts';
import { dict, headerPairs, isTextContentType, newRequestId, sourceIpOf, splitTarget, traceId, type BuildOptions, type RawRequest } from './wire.ts';
import type { Response } from '../responses.ts';

export type AlbOptions = BuildOptions & {
  /** The target group has multi-value headers on. */
  multiValue?: boolean;
};

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/package-deployment-api/804a67588bfdc10f';

/**
 * The event an ALB sends for this request: header names lower-cased, the query string NOT decoded (as sent); with
 * multi-value headers on, only `multiValueHeaders` and `multiValueQueryStringParameters`, else `headers` and
 * `queryStringParameters` with the last value of a repeat. `body` is `""` when there is none; a body whose type is
 * not text (HTTP API's rule: isTextContentType) arrives base64-encoded.
 */
export const albRequest = (req: RawRequest, options: AlbOptions = {}): ALBEvent => {
  const now = options.now ?? new Date();
  const requestId = options.requestId ?? newRequestId();
  const { path, query } = splitTarget(req.url);
  const pairs: Array<[string, string]> = [
    ...headerPairs(req.rawHeaders).map(([n, v]): [string, string] => [n.toLowerCase(), v]),
    ['x-forwarded-for', sourceIpOf(req)],
    ['x-forwarded-port', '443'],
    ['x-forwarded-proto', 'https'],
    ['x-amzn-trace-id', traceId(requestId, now)],
  ];
  const params = rawQueryPairs(query);
  const contentType = pairs.find(([n]) => n === 'content-type')?.[1];
  const asText = isTextContentType(contentType);
  const base = {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP } },
    httpMethod: req.method,
    path,
    body: req.body.length === 0 ? '' : asText ? req.body.toString('utf8') : req.body.toString('base64'),
    isBase64Encoded: req.body.length > 0 && !asText,
  };
  if (options.multiValue) {
    const multiValueHeaders = dict<string[]>();
    for (const [n, v] of pairs) (multiValueHeaders[n] ??= []).push(v);
    const multiValueQueryStringParameters = dict<string[]>();
    for (const [n, v] of params) (multiValueQueryStringParameters[n] ??= []).push(v);
    return { ...base, multiValueHeaders, multiValueQueryStringParameters };
  }
  return { ...base, headers: Object.fromEntries(pairs), queryStringParameters: Object.fromEntries(params) };
};

/** Whether an event is an ALB's: `requestContext.elb`, `httpMethod` and `path`. */
export const isAlb = (event: Json): boolean =>
  isObject(event.requestContext) && isObject(event.requestContext.elb) && isString(event.httpMethod) && isString(event.path);

/** ALB passes the query string as sent (not decoded): `rawQueryString` is rebuilt from it, the values decoded. */
export const fromAlb = (event: ALBEvent): APIGatewayProxyEventV2 => {
  const headers = joinedHeaders(event.headers, event.multiValueHeaders);
  const raw = queryPairs(event.queryStringParameters, event.multiValueQueryStringParameters);
  const queryStringParameters = joinedQuery(raw.map(([n, v]) => [decodeQueryComponent(n), decodeQueryComponent(v)]));
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

/**
 * ALB's answer: `statusDescription` too, and only `multiValueHeaders` when its target group has multi-value headers
 * on (which it shows by sending `multiValueHeaders`: `original` is the event as received).
 */
export const albResponse = (original: unknown, response: Response) => {
  const base = { statusCode: response.statusCode, body: response.body ?? '', isBase64Encoded: response.isBase64Encoded === true };
  // Node's reason phrases, loaded only for ALB (the site function otherwise never loads node:http at its cold start).
  const reason = process.getBuiltinModule('node:http').STATUS_CODES[response.statusCode] ?? '';
  const statusDescription = `${response.statusCode} ${reason}`.trim();
  if (isObject(original) && isObject(original.multiValueHeaders)) {
    return { ...base, statusDescription, multiValueHeaders: Object.fromEntries(Object.entries(response.headers).map(([n, v]) => [n, [v]])) };
  }
  return { ...base, statusDescription, headers: response.headers };
};
