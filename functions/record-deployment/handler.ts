import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { bodyFields, methodGuard, problemResponses, type DecodedEvent } from '../../lib/http/middlewares.ts';
import { observe } from '../../lib/http/observability.ts';
import type { Response } from '../../lib/http/responses.ts';
import { logger } from '../../lib/logger.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { defaultDependencies, recordDeploymentHandler, type RecordDependencies } from '../../lib/record.ts';

const metrics = createMetrics('record-deployment');

/**
 * POST /api/package-deployment/ (ProGet's Package Deployment API). Its dependencies are built at load, so a bad
 * configuration fails the cold start, naming the variable, instead of answering every request with a 500. The event is
 * never logged as received (`logEvent: false` whatever POWERTOOLS_LOGGER_LOG_EVENT says): observe logs a redacted copy.
 * `createHandler` builds the same chain for given dependencies (the benchmark injects a store stub).
 */
export const createHandler = (deps: RecordDependencies) =>
  middy<DecodedEvent, Response>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(observe({ logger, metrics, ok: 'Recorded' }))
    .use(problemResponses(logger))
    .use(httpHeaderNormalizer())
    .use(methodGuard(['POST']))
    .use(bodyFields())
    .handler(recordDeploymentHandler(deps));

export const handler = createHandler(defaultDependencies());
