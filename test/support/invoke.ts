import { lambdaContext, type LambdaHandler } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';

export type Call = {
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
};

/** `json` is {} when the answer has no body (HEAD: `body` is then undefined) or is not JSON (the web page). */
export type Answer = { status: number; headers: Record<string, string>; json: Record<string, unknown>; body: string | undefined };

/** Builds the HTTP API event AWS would send for a request (via the local gateway's builder) and invokes a handler. */
export const invoke = async (handler: LambdaHandler, call: Call): Promise<Answer> => {
  const rawHeaders = Object.entries(call.headers ?? {}).flat();
  const event = httpApiRequest({
    method: call.method ?? 'POST',
    url: `${call.path ?? '/api/package-deployment/'}${call.query ? `?${call.query}` : ''}`,
    rawHeaders,
    body: Buffer.isBuffer(call.body) ? call.body : Buffer.from(call.body ?? '', 'utf8'),
    remoteAddress: '127.0.0.1',
  });
  const result = (await handler(event, lambdaContext(event.requestContext.requestId, 'record-deployment'))) as {
    statusCode: number;
    headers: Record<string, string>;
    body?: string;
  };
  const isJson = /json/.test(result.headers?.['Content-Type'] ?? 'json');
  const json = result.body === undefined || !isJson ? {} : (JSON.parse(result.body) as Record<string, unknown>);
  return { status: result.statusCode, headers: result.headers, json, body: result.body };
};

export const formBody = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

export { seedFields } from './seed.ts';
