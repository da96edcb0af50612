import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeQueryComponent } from './doors/query.ts';

const REDACTED = '[redacted]';

/**
 * Whether a header, query parameter or property name may carry a secret: the key transports (X-ApiKey, Authorization,
 * key, API_Key) and anything named like a credential (X-Api-Key, X-NuGet-ApiKey, api_key, token, cookie, ...), however
 * it is cased, percent-encoded or written with look-alike characters (NFKC folds the Kelvin sign K into k). Better a
 * harmless value redacted than a key in a log.
 */
const SECRET_NAME = /(^|[^a-z0-9])keys?($|[^a-z0-9])|apikey|auth|token|secret|passw|cookie|credential|signature|session/;
const NOT_SECRET = new Set(['idempotency-key']);
const verdicts = new Map<string, boolean>();
const isSecretName = (name: string): boolean => {
  let secret = verdicts.get(name);
  if (secret === undefined) {
    const folded = name.normalize('NFKC').toLowerCase().trim();
    secret = !NOT_SECRET.has(folded) && SECRET_NAME.test(folded);
    // Log lines use a nearly fixed set of names; a bounded memo keeps the per-line cost to a lookup.
    if (verdicts.size < 1000) verdicts.set(name, secret);
  }
  return secret;
};

/**
 * A query string with the value of every parameter whose name may carry a secret (see isSecretName), as sent or once
 * percent-decoded, replaced. Both are checked: a name that does not decode (`%zzkey`) is judged as sent.
 */
const redactQueryString = (raw: string): string =>
  raw
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return isSecretName(name) || isSecretName(decodeQueryComponent(name)) ? `${name}=${REDACTED}` : part;
    })
    .join('&');

/**
 * Every log line passes through this (Powertools' `jsonReplacerFn`): whatever object is logged, a property named like a
 * key transport (X-ApiKey, Authorization, key, API_Key, cookies) is written as `[redacted]`, and the `key` parameters of
 * a `rawQueryString` are too. A second line of defence behind {@link redactRequest}.
 */
const redactingReplacer = (name: string, value: unknown): unknown => {
  if (name === '') return value;
  if (name === 'rawQueryString' && typeof value === 'string') return redactQueryString(value);
  if (isSecretName(name) && value !== undefined && value !== null) return REDACTED;
  return value;
};

/**
 * What of a request (the internal payload 2.0 shape) may be logged: method, path, query string and headers with every
 * key transport redacted, and the body's size and encoding but never its text (a form field or JSON property may hold
 * an API key).
 */
export const redactRequest = (request: APIGatewayProxyEventV2) => {
  // Null-prototype objects, so that a header or parameter named `__proto__` is logged like any other.
  const headers: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name] = isSecretName(name) ? REDACTED : value;
  }
  const query: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of Object.entries(request.queryStringParameters ?? {})) {
    query[name] = isSecretName(name) ? REDACTED : value;
  }
  return {
    routeKey: request.routeKey,
    method: request.requestContext?.http?.method,
    path: request.rawPath,
    rawQueryString: redactQueryString(request.rawQueryString ?? ''),
    queryStringParameters: query,
    headers,
    sourceIp: request.requestContext?.http?.sourceIp,
    gatewayRequestId: request.requestContext?.requestId,
    bodyBytes: request.body === undefined ? 0 : Buffer.byteLength(request.body, request.isBase64Encoded ? 'base64' : 'utf8'),
    isBase64Encoded: request.isBase64Encoded,
  };
};

/**
 * Structured JSON logs (Powertools), one line per request with its Lambda request id (see lib/http/observability.ts).
 * Requests are only ever logged through {@link redactRequest}, and every line passes {@link redactingReplacer}, so no API
 * key reaches a log; `POWERTOOLS_LOG_LEVEL` sets the level.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'package-deployment-api',
  jsonReplacerFn: redactingReplacer,
});
