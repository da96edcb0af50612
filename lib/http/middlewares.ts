import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isProblem, problem, type ProblemError } from './errors.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import { decodeBody, type BodyEntries } from './body.ts';
import { problemResponse, type Response } from './responses.ts';

/**
 * The event after {@link bodyFields}: the decoded fields beside the raw body, or the 400 that decoding raised. A body
 * that cannot be read is answered only after a supplied API key has been checked (ProGet's order: 403 before 400).
 */
export type DecodedEvent = APIGatewayProxyEventV2 & { fields?: BodyEntries; bodyError?: ProblemError };

type Mw = MiddlewareObj<DecodedEvent, Response>;

/** 405 with an `Allow` header for any other method. */
export const methodGuard = (allowed: readonly string[]): Mw => ({
  before: (request) => {
    const method = request.event.requestContext.http.method.toUpperCase();
    if (!allowed.includes(method)) {
      throw problem(405, `${method} is not allowed here; use ${allowed.join(' or ')}.`, {
        headers: { Allow: allowed.join(', ') },
      });
    }
  },
});

/**
 * Decodes the body (JSON, form, multipart; base64 and charsets) into `event.fields`. Needs lower-cased headers. A 413
 * or 415 answers at once; a 400 (a body that cannot be read) is left in `event.bodyError` for the handler to raise
 * after the API key check.
 */
export const bodyFields = (): Mw => ({
  before: async (request) => {
    const { body, isBase64Encoded, headers } = request.event;
    try {
      request.event.fields = await decodeBody({ body, isBase64Encoded, contentType: headers['content-type'] });
    } catch (e) {
      if (!isProblem(e) || e.statusCode !== 400) throw e;
      request.event.bodyError = e;
    }
  },
});

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'TransactionConflictException',
  // A retried TransactWriteItems whose first attempt (same ClientRequestToken) is still being applied.
  'TransactionInProgressException',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export const STORE_UNAVAILABLE =
  'The deployment store is unavailable right now; retry shortly. If the request carried an Idempotency-Key, retry with the same key: a record stored before this failure is then returned, never stored twice.';

/** Storage that is throttling, failing or out of reach after the SDK's own retries: the client should retry. */
export const isTransientStorageError = (e: unknown): boolean => {
  if (!(e instanceof Error)) return false;
  const meta = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const code = (e as { code?: string }).code;
  return (
    TRANSIENT_NAMES.has(e.name) ||
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500)
  );
};

/**
 * The one error handler: client errors become RFC 9457 problem+json with their detail; storage outages become 503
 * with Retry-After; anything else a 500 whose details stay in the log (logged once, here) and never reach the client.
 */
export const problemResponses = (logger: Logger): Mw => ({
  onError: (request: Request<DecodedEvent, Response>) => {
    const error = request.error;
    const requestId = request.context.awsRequestId;
    if (isProblem(error)) {
      // Our own errors: their detail is written for the client (a 5xx one says only what the client may know).
      if (error.statusCode >= 500) logger.warn('service unavailable', { error });
      request.response = problemResponse(error.statusCode, error.detail, {
        requestId,
        ...(error.headers ? { headers: error.headers } : {}),
        ...(error.extensions ? { extensions: error.extensions } : {}),
      });
      return;
    }
    if (isTransientStorageError(error)) {
      logger.warn('storage unavailable', { error: error as Error });
      // The write may have been applied before its answer was lost (a timeout, a reset connection): say so, and how to
      // retry without a duplicate.
      request.response = problemResponse(503, STORE_UNAVAILABLE, {
        requestId,
        headers: { 'Retry-After': '1' },
      });
      return;
    }
    logger.error('unhandled error', { error: error as Error });
    request.response = problemResponse(500, "An unexpected error occurred; the requestId identifies it in the service's logs.", { requestId });
  },
});
