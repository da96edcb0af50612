import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { notFound } from '../../http/errors.ts';
import { json, type Response } from '../../http/responses.ts';
import { openApiDocument } from '../openapi.ts';
import { PAGE } from './page.ts';

/** The web page at `/` and the OpenAPI document at `/api/openapi.json`; both built once per execution environment. */
export const siteHandler = () => {
  const document = openApiDocument();
  return async (event: APIGatewayProxyEventV2): Promise<Response> => {
    switch (event.rawPath) {
      case '/':
        return { statusCode: 200, headers: { ...PAGE.headers }, body: PAGE.html };
      case '/api/openapi.json':
        return json(200, document, { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' });
      default:
        throw notFound(`There is no ${event.rawPath} here; see / or /api/openapi.json.`);
    }
  };
};
