/**
 * API Gateway REST API, Lambda proxy integration, payload format 1.0 ("Lambda proxy integrations in API Gateway",
 * input and output formats); HTTP API's payload 1.0 is read the same way. The event it sends for a request (built for
 * the tests), the front door's reading of one as payload 2.0, and the answer in its shape.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { isObject, isString, text, type Json } from './json.ts';
import { decodeQueryComponent, encodeQueryComponent, joinedQuery, rawQueryPairs } from './query.ts';
import { dict, domainOf, formatRequestTime, headerOf, headerPairs, newRequestId, sourceIpOf, splitTarget, type BuildOptions, type RawRequest } from './wire.ts';
import type { Response } from '../responses.ts';

export type RestApiOptions = BuildOptions & {
  /** The stage (`prod` unless given): in `requestContext.path`, never in `path`. */
  stage?: string;
  /** The matched resource (the path itself unless given, e.g. `/{proxy+}`). */
  resource?: string;
  /** A custom domain's base path, which REST API keeps in `path` (not in `resource`). */
  basePath?: string;
};

const ACCOUNT_ID = '123456789012';
/** The binary media types serverless.yml declares for the REST API: bodies of these types arrive base64-encoded. */
const BINARY_MEDIA_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/octet-stream'];

/**
 * The event REST API sends for this request: header names as sent, `headers` with the last value of a repeated header
 * and `multiValueHeaders` with all; query parameters decoded, likewise single and multi-value (`null` when none);
 * `path` without the stage (with a custom domain's base path), `requestContext.path` with the stage.
 */
export const restApiRequest = (req: RawRequest, options: RestApiOptions = {}): APIGatewayProxyEvent => {
  const now = options.now ?? new Date();
  const requestId = options.requestId ?? newRequestId();
  const stage = options.stage ?? 'prod';
  const { path: requestPath, query } = splitTarget(req.url);
  const resource = options.resource ?? requestPath;
  const raw = headerPairs(req.rawHeaders);
  const sent: Array<[string, string]> = [['X-Forwarded-For', sourceIpOf(req)], ['X-Forwarded-Port', '443'], ['X-Forwarded-Proto', 'https'], ...raw];
  const headers = dict<string>();
  const multiValueHeaders = dict<string[]>();
  for (const [n, v] of sent) {
    headers[n] = v;
    (multiValueHeaders[n] ??= []).push(v);
  }
  const pairs = rawQueryPairs(query).map(([n, v]): [string, string] => [decodeQueryComponent(n), decodeQueryComponent(v)]);
  const single = dict<string>();
  const multi = dict<string[]>();
  for (const [n, v] of pairs) {
    single[n] = v;
    (multi[n] ??= []).push(v);
  }
  const type = (headerOf(raw, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const binary = BINARY_MEDIA_TYPES.includes(type);
  const { domainName, domainPrefix } = domainOf(headerOf(raw, 'host'));
  return {
    resource,
    path: `${options.basePath ?? ''}${requestPath}`,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: pairs.length > 0 ? single : null,
    multiValueQueryStringParameters: pairs.length > 0 ? multi : null,
    pathParameters: resource.includes('{proxy+}') ? { proxy: requestPath.replace(/^\//, '') } : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'a1b2c3',
      resourcePath: resource,
      httpMethod: req.method,
      extendedRequestId: requestId,
      requestTime: formatRequestTime(now),
      path: `/${stage}${requestPath}`,
      accountId: ACCOUNT_ID,
      protocol: 'HTTP/1.1',
      stage,
      domainPrefix,
      requestTimeEpoch: now.getTime(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: sourceIpOf(req),
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: headerOf(raw, 'user-agent') ?? null,
        user: null,
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName,
      deploymentId: 'v99qix',
      apiId: domainPrefix,
      authorizer: null,
    } as unknown as APIGatewayProxyEvent['requestContext'],
    body: req.body.length === 0 ? null : binary ? req.body.toString('base64') : req.body.toString('utf8'),
    isBase64Encoded: req.body.length > 0 && binary,
  };
};

/** Header names lower-cased and repeated values joined with `,`, as payload 2.0 gives them. */
export const joinedHeaders = (single: unknown, multi: unknown): Record<string, string> => {
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
export const queryPairs = (single: unknown, multi: unknown): Array<[string, string]> => {
  if (isObject(multi) && Object.keys(multi).length > 0) {
    return Object.entries(multi).flatMap(([name, values]) => (Array.isArray(values) ? values.filter(isString).map((v): [string, string] => [name, v]) : []));
  }
  return isObject(single) ? Object.entries(single).flatMap(([name, v]): Array<[string, string]> => (isString(v) ? [[name, v]] : [])) : [];
};

/**
 * The path within a REST API: its resource with the path parameters put in (`/{proxy+}` and `{"proxy": "some/path"}`
 * give `/some/path`), which carries neither the stage nor a custom domain's base path (`path` may carry the latter).
 */
const apiPath = (event: APIGatewayProxyEvent): string => {
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

/** The context fields payload 2.0 has and the other doors' events lack or name differently. */
export const contextFields = (requestId: string, domainName: string, stage: string, routeKey: string, now: number) => ({
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

/** Whether an event is REST API's (or HTTP API's payload 1.0): `httpMethod`, `path`, `resource` and a context. */
export const isRestApi = (event: Json): boolean =>
  isString(event.httpMethod) && isString(event.path) && isString(event.resource) && isObject(event.requestContext);

/** A REST API event as payload 2.0, `rawPath` the path within the API. */
export const fromRestApi = (event: APIGatewayProxyEvent): APIGatewayProxyEventV2 => {
  const headers = joinedHeaders(event.headers, event.multiValueHeaders);
  const pairs = queryPairs(event.queryStringParameters, event.multiValueQueryStringParameters);
  // Only what has its documented type: API Gateway sends nothing else, a direct invocation may.
  const raw: unknown = event.requestContext;
  const epoch =
    isObject(raw) && typeof raw.requestTimeEpoch === 'number' && Number.isFinite(raw.requestTimeEpoch) && Math.abs(raw.requestTimeEpoch) < 8.64e15
      ? raw.requestTimeEpoch
      : undefined;
  const identity = isObject(raw) ? raw.identity : undefined;
  const queryStringParameters = joinedQuery(pairs);
  const routeKey = `${event.httpMethod} ${event.resource}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: apiPath(event),
    rawQueryString: pairs.map(([n, v]) => `${encodeQueryComponent(n)}=${encodeQueryComponent(v)}`).join('&'),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      ...contextFields(text(raw, 'requestId') ?? '', text(raw, 'domainName') ?? headers.host ?? '', text(raw, 'stage') ?? '', routeKey, epoch ?? Date.now()),
      accountId: text(raw, 'accountId') ?? '',
      apiId: text(raw, 'apiId') ?? '',
      http: {
        method: event.httpMethod,
        path: text(raw, 'path') ?? event.path,
        protocol: text(raw, 'protocol') ?? 'HTTP/1.1',
        sourceIp: text(identity, 'sourceIp') ?? '',
        userAgent: text(identity, 'userAgent') ?? headers['user-agent'] ?? '',
      },
    },
    ...(isString(event.body) ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
  };
};

/** REST API's answer: `{statusCode, headers, body, isBase64Encoded}`. */
export const restApiResponse = (response: Response) => ({
  statusCode: response.statusCode,
  headers: response.headers,
  body: response.body ?? '',
  isBase64Encoded: response.isBase64Encoded === true,
});
