import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { methodGuard, problemResponses } from '../../lib/http/middlewares.ts';
import type { Response } from '../../lib/http/responses.ts';
import { logger } from '../../lib/logger.ts';
import { siteHandler } from '../../lib/site/site.ts';

/** GET / (the deployments web page) and GET /api/openapi.json (the API's description). */
export const handler = middy<APIGatewayProxyEventV2, Response>()
  .use(problemResponses(logger))
  .use(httpHeaderNormalizer())
  .use(methodGuard(['GET']))
  .handler(siteHandler());
