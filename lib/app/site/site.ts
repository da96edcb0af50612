import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFound } from '../../domain/errors.ts';
import { findRoute, ROUTES, type RouteOf } from '../../domain/routes.ts';
import type { Response } from '../../http/responses.ts';
import { openApiJson } from './openapi-document.ts';
import { PAGE } from './page.ts';

/** The site's answers, one per route of the function (lib/domain/routes.ts): a route without one is a compile error. */
const SITE_HANDLERS: Record<RouteOf<'site'>, () => Response> = {
  page: () => ({ statusCode: 200, headers: { ...PAGE.headers }, body: PAGE.html }),
  openapi: () => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' },
    body: openApiJson(),
  }),
};

/**
 * The web page and the OpenAPI document, both prepared at build time. The site is also HTTP API's `$default` route
 * (see DEFAULT_ROUTE_FUNCTION): any other path is a problem+json 404 (answered by the route guard of lib/http/chain.ts
 * before this handler; the throw below keeps the handler whole on its own).
 */
export const siteHandler =
  () =>
  async (request: APIGatewayProxyEventV2): Promise<Response> => {
    const id = findRoute('site', request.rawPath);
    if (id === undefined) throw new NotFound(`There is no ${request.rawPath} here; see ${ROUTES.page.path} or ${ROUTES.openapi.path}.`);
    return SITE_HANDLERS[id]();
  };
