import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { methodGuard, problemResponses } from '../../lib/http/middlewares.ts';
import { observe } from '../../lib/http/observability.ts';
import type { Response } from '../../lib/http/responses.ts';
import { logger } from '../../lib/logger.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { siteHandler } from '../../lib/site/site.ts';

const metrics = createMetrics('site');

/** GET / (the deployments web page) and GET /api/openapi.json (the API's description). */
export const handler = middy<APIGatewayProxyEventV2, Response>()
  .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(observe({ logger, metrics, ok: 'Served' }))
  .use(problemResponses(logger))
  .use(httpHeaderNormalizer())
  .use(methodGuard(['GET']))
  .handler(siteHandler());
