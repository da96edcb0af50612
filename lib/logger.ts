import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const REDACTED = '[redacted]';

/** Names under which a secret may travel: header names, the `key` query parameter, the older body fields. */
const SECRET_NAMES = new Set(['x-apikey', 'authorization', 'proxy-authorization', 'key', 'api_key', 'apikey', 'cookie', 'cookies']);

/** A query string with the value of every `key` parameter (any casing, encoded or not) replaced. */
export const redactQueryString = (raw: string): string =>
  raw.replace(/(^|&)((?:k|%4b|%6b)(?:e|%45|%65)(?:y|%59|%79))(?=[=&]|$)(=[^&]*)?/gi, (_m, sep: string, name: string) => `${sep}${name}=${REDACTED}`);

/**
 * Every log line passes through this (Powertools' `jsonReplacerFn`): whatever object is logged, a property named like a
 * key transport (X-ApiKey, Authorization, key, API_Key, cookies) is written as `[redacted]`, and the `key` parameters of
 * a `rawQueryString` are too. A second line of defence behind {@link redactEvent}.
 */
export const redactingReplacer = (name: string, value: unknown): unknown => {
  if (name === '') return value;
  const lower = name.toLowerCase();
  if (SECRET_NAMES.has(lower) && value !== undefined && value !== null) return REDACTED;
  if (lower === 'rawquerystring' && typeof value === 'string') return redactQueryString(value);
  return value;
};

/**
 * What of an HTTP API event may be logged: method, path, query string and headers with every key transport redacted,
 * and the body's size and encoding but never its text (a form field or JSON property may hold an API key).
 */
export const redactEvent = (event: APIGatewayProxyEventV2) => {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    headers[name] = SECRET_NAMES.has(name.toLowerCase()) ? REDACTED : value;
  }
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    query[name] = SECRET_NAMES.has(name.trim().toLowerCase()) ? REDACTED : value;
  }
  return {
    routeKey: event.routeKey,
    method: event.requestContext?.http?.method,
    path: event.rawPath,
    rawQueryString: redactQueryString(event.rawQueryString ?? ''),
    queryStringParameters: query,
    headers,
    sourceIp: event.requestContext?.http?.sourceIp,
    gatewayRequestId: event.requestContext?.requestId,
    bodyBytes: event.body === undefined ? 0 : Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    isBase64Encoded: event.isBase64Encoded,
  };
};

/**
 * Structured JSON logs (Powertools), one line per request with its Lambda request id (see lib/http/observability.ts).
 * Events are only ever logged through {@link redactEvent}, and every line passes {@link redactingReplacer}, so no API
 * key reaches a log; `POWERTOOLS_LOG_LEVEL` sets the level.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'package-deployment-api',
  jsonReplacerFn: redactingReplacer,
});
