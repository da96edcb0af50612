import type { MiddlewareObj, Request } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isDomainError } from '../domain/errors.ts';
import { isProblem, problem, problemOf } from './errors.ts';
import { problemResponse, type Response } from './responses.ts';
import { withSourceStack } from './stack.ts';

type Mw = MiddlewareObj<APIGatewayProxyEventV2, Response>;

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
