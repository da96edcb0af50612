import { UnsupportedEventError } from './front-door.ts';
import type { MiddlewareObj, Request } from '@middy/core';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { LogLevelThreshold, type Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { redactRequest } from './logger.ts';
import { outcomeOf } from './metrics.ts';
import type { Response } from './responses.ts';

/** What observe keeps per invocation on middy's `request.internal`: when the request reached it. */
type ObserveState = { observedAt?: number };

/**
 * Request logging and outcome metrics, outside the error handler so that it sees the final answer. Before: the request,
 * redacted (see redactRequest), at DEBUG. After (or after an error became a problem response): one INFO line with
 * method, path, status, outcome and duration, and one metric, the outcome (`Recorded`, `BadRequest`, ...), a Count
 * of 1. The Lambda request id comes from Powertools' injectLambdaContext, used before this.
 */
export const observe = <E extends APIGatewayProxyEventV2>(options: { logger: Logger; metrics: Metrics; ok: string }): MiddlewareObj<E, Response> => {
  const { logger, metrics, ok } = options;
  const finish = (request: Request<E, Response>): void => {
    // An invocation that is no HTTP request (the front door throws it on) is answered by no one: nothing to log here.
    if (request.error instanceof UnsupportedEventError) return;
    const response = request.response;
    const status = response?.statusCode ?? 500;
    const outcome = outcomeOf(status, response?.headers, ok);
    const now = Date.now();
    const durationMs = now - ((request.internal as ObserveState).observedAt ?? now);
    // One metric per answer: each costs the function ~2 µs in Powertools, and API Gateway (4xx, 5xx, Latency) and
    // Lambda (Duration, Errors) already publish the status classes and times.
    metrics.addMetric(outcome, MetricUnit.Count, 1);
    const received = request.event as Partial<APIGatewayProxyEventV2> | null;
    const line = { method: received?.requestContext?.http?.method, path: received?.rawPath, status, outcome, durationMs };
    if (status >= 500) logger.warn('answered', line);
    // Built and passed only when INFO is on: the bench and quiet stages run at WARN.
    else if (logger.level <= LogLevelThreshold.INFO) logger.info('answered', line);
  };
  return {
    before: (request) => {
      (request.internal as ObserveState).observedAt = Date.now();
      // The redacted copy is built only when DEBUG is on.
      if (logger.level <= LogLevelThreshold.DEBUG) logger.debug('request', { request: redactRequest(request.event) });
    },
    after: finish,
    onError: finish,
  };
};
