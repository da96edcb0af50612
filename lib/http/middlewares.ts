import type { MiddlewareObj, Request } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isDomainError } from '../domain/errors.ts';
import { isProblem, problem, problemOf } from './errors.ts';
import { problemResponse, type Response } from './responses.ts';
import { withSourceStack } from './stack.ts';

type Mw = MiddlewareObj<APIGatewayProxyEventV2, Response>;

/**
 * The methods a function answers: those given, and HEAD wherever GET is (RFC 9110 §9.3.2: a server answering GET
 * answers HEAD the same way, without the body; see {@link headWithoutBody}).
 */
export const allowedMethods = (methods: readonly string[]): string[] =>
  methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : [...methods];

/**
 * 405 with an `Allow` header for any other method. `byPath` gives some paths (without a trailing slash) methods of
 * their own, e.g. one POST route among a function's GET routes; other paths take `methods`.
 */
export const methodGuard = (methods: readonly string[], byPath: Readonly<Record<string, readonly string[]>> = {}): Mw => {
  const everywhere = allowedMethods(methods);
  const own = new Map(Object.entries(byPath).map(([path, m]) => [path, allowedMethods(m)]));
  return {
    before: (request) => {
      const method = request.event.requestContext.http.method.toUpperCase();
      const path = request.event.rawPath.length > 1 ? request.event.rawPath.replace(/\/+$/, '') : request.event.rawPath;
      const allowed = own.get(path) ?? everywhere;
      if (!allowed.includes(method)) {
        throw problem(405, `${method} is not allowed here; use ${allowed.join(' or ')}.`, {
          headers: { Allow: allowed.join(', ') },
        });
      }
    },
  };
};

/** Read from the event as it is when an error stopped the chain: possibly not yet through the front door, so anything. */
const isHead = (request: Request<APIGatewayProxyEventV2, Response>): boolean => {
  const method: unknown = (request.event as Partial<APIGatewayProxyEventV2> | null | undefined)?.requestContext?.http?.method;
  return typeof method === 'string' && method.toUpperCase() === 'HEAD';
};

/**
 * HEAD is answered as GET (the handlers do not look at the method), then the body is dropped: same status and
 * headers, errors included. Content-Length is left to the gateway (RFC 9110 lets a HEAD answer omit it). Used outside
 * the error handler, so it sees the final answer.
 */
export const headWithoutBody = (): Mw => {
  const strip = (request: Request<APIGatewayProxyEventV2, Response>): void => {
    if (!isHead(request) || !request.response) return;
    const { body: _body, isBase64Encoded: _b64, ...rest } = request.response;
    request.response = rest as Response;
  };
  return { after: strip, onError: strip };
};

/**
 * The one error handler: the domain's errors (lib/domain/errors.ts) and HTTP's own (405, 413, 415, a body that cannot
 * be read) become RFC 9457 problem+json with their detail; a storage outage arrives as the domain's Unavailable (see
 * lib/store/failures.ts) and becomes 503 with Retry-After; anything else a 500 whose details stay in the log (logged
 * once, here) and never reach the client.
 */
export const problemResponses = (logger: Logger): Mw => ({
  onError: (request: Request<APIGatewayProxyEventV2, Response>) => {
    const error = request.error;
    const requestId = request.context.awsRequestId;
    const answer = isDomainError(error) ? problemOf(error) : isProblem(error) ? error : undefined;
    if (answer) {
      // Their detail is written for the client (a 5xx one says only what the client may know).
      if (answer.statusCode >= 500) logger.warn('service unavailable', { error: error as Error });
      request.response = problemResponse(answer.statusCode, answer.detail, {
        requestId,
        ...(answer.headers ? { headers: answer.headers } : {}),
        ...(answer.extensions ? { extensions: answer.extensions } : {}),
      });
      return;
    }
    logger.error('unhandled error', { error: withSourceStack(error as Error) });
    request.response = problemResponse(500, "An unexpected error occurred; the requestId identifies it in the service's logs.", { requestId });
  },
});
