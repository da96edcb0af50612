import middy, { type MiddyfiedHandler } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { frontDoor } from './event.ts';
import { logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { headWithoutBody, methodGuard, problemResponses } from './middlewares.ts';
import { observe } from './observability.ts';
import type { Response } from './responses.ts';

/**
 * The middleware chain every function shares, outermost first: the front door (lib/http/event.ts: an HTTP API,
 * function URL, REST API or ALB event becomes one internal shape, and the answer the shape that door expects), the Lambda context in every log line (the event itself
 * is never logged as received, whatever POWERTOOLS_LOGGER_LOG_EVENT says: observe logs a redacted copy), one EMF metric
 * line per invocation, request logging and the outcome metrics, the one error handler (problem+json), lower-cased
 * headers, and 405 with Allow for other methods (HEAD is allowed wherever GET is, and answered without a body). A function adds what it needs after these, then its handler.
 */
export const httpFunction = <E extends APIGatewayProxyEventV2 = APIGatewayProxyEventV2>(options: {
  name: string;
  methods: readonly string[];
  /** Paths (without a trailing slash) that answer other methods than `methods`. */
  methodsByPath?: Readonly<Record<string, readonly string[]>>;
  /** The outcome metric of a 200 (`Recorded`, `Served`). */
  ok: string;
}): MiddyfiedHandler<E, Response, Error, Context> => {
  const metrics = createMetrics(options.name);
  return middy<E, Response>()
    .use(frontDoor<E>())
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(observe<E>({ logger, metrics, ok: options.ok }))
    .use(headWithoutBody())
    .use(problemResponses(logger))
    .use(httpHeaderNormalizer())
    .use(methodGuard(options.methods, options.methodsByPath));
};
