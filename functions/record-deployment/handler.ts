import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { bodyFields, methodGuard, problemResponses, type DecodedEvent } from '../../lib/http/middlewares.ts';
import type { Response } from '../../lib/http/responses.ts';
import { logger } from '../../lib/logger.ts';
import { defaultDependencies, recordDeploymentHandler, type RecordDependencies } from '../../lib/record.ts';

/** The middleware chain around the handler function, for given dependencies (the benchmark injects a store stub). */
export const createHandler = (deps: RecordDependencies) =>
  middy<DecodedEvent, Response>()
    .use(problemResponses(logger))
    .use(httpHeaderNormalizer())
    .use(methodGuard(['POST']))
    .use(bodyFields())
    .handler(recordDeploymentHandler(deps));

/**
 * POST /api/package-deployment/ (ProGet's Package Deployment API). Its dependencies are built at load, so a bad
 * configuration fails the cold start, naming the variable, instead of answering every request with a 500.
 */
export const handler = createHandler(defaultDependencies());
