import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { titleFor } from './errors.ts';

export type Response = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Response => ({
  statusCode,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** An RFC 9457 problem document. */
export const problemResponse = (
  status: number,
  detail: string,
  options: { headers?: Record<string, string>; extensions?: Record<string, unknown>; requestId?: string } = {},
): Response => ({
  statusCode: status,
  headers: { 'Content-Type': 'application/problem+json; charset=utf-8', 'Cache-Control': 'no-store', ...options.headers },
  body: JSON.stringify({
    ...options.extensions,
    type: 'about:blank',
    title: titleFor(status),
    status,
    detail,
    ...(options.requestId ? { requestId: options.requestId } : {}),
  }),
});
