import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { methodGuard, problemResponses } from '../../lib/http/middlewares.ts';
import type { Response } from '../../lib/http/responses.ts';
import { logger } from '../../lib/logger.ts';
import { defaultReadDependencies, readHandler } from '../../lib/read.ts';

/** GET /api/deployments, /api/deployments/current and /api/feeds: the read API (dependencies built at load). */
export const handler = middy<APIGatewayProxyEventV2, Response>()
  .use(problemResponses(logger))
  .use(httpHeaderNormalizer())
  .use(methodGuard(['GET']))
  .handler(readHandler(defaultReadDependencies()));
