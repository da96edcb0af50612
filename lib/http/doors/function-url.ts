/**
 * Lambda function URLs ("Invoking Lambda function URLs", request and response payloads): payload 2.0 with `routeKey`
 * and `stage` always `$default` and a `<url-id>.lambda-url.<region>.on.aws` domain. Read as HTTP API's payload 2.0
 * (./http-api.ts); only the builder and the detection are its own.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isString, type Json } from './json.ts';
import { httpApiRequest } from './http-api.ts';
import type { BuildOptions, RawRequest } from './wire.ts';

const DOMAIN = /\.lambda-url\.[a-z0-9-]+\.on\.aws$/;

/** Whether a payload 2.0 event came through a function URL (its domain says so). */
export const isFunctionUrl = (event: Json): boolean => {
  const context = event.requestContext as Json;
  return isString(context.domainName) && DOMAIN.test(context.domainName);
};

/** The event a function URL sends for this request; the Host header names the URL (`<url-id>.lambda-url...`). */
export const functionUrlRequest = (req: RawRequest, options: BuildOptions = {}): APIGatewayProxyEventV2 => {
  const event = httpApiRequest(req, options);
  const { domainName, domainPrefix } = event.requestContext;
  return { ...event, requestContext: { ...event.requestContext, apiId: domainPrefix, domainName, domainPrefix } };
};
