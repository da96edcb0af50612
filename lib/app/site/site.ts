import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFound } from '../../domain/errors.ts';
import type { Response } from '../../http/responses.ts';
import { openApiJson } from './openapi-document.ts';
import { PAGE } from './page.ts';

/** The web page at `/` and the OpenAPI document at `/api/openapi.json`, both prepared at build time. */
export const siteHandler =
  () =>
  async (event: APIGatewayProxyEventV2): Promise<Response> => {
    switch (event.rawPath) {
      case '/':
        return { statusCode: 200, headers: { ...PAGE.headers }, body: PAGE.html };
      case '/api/openapi.json':
        return {
          statusCode: 200,
          headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' },
          body: openApiJson(),
        };
      default:
        throw new NotFound(`There is no ${event.rawPath} here; see / or /api/openapi.json.`);
    }
  };
