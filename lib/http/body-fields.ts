import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeBody, type BodyEntries } from './body.ts';
import { isProblem, type ProblemError } from './errors.ts';
import type { Response } from './responses.ts';

/**
 * The event after {@link bodyFields}: the decoded fields beside the raw body, or the 400 that decoding raised. A body
 * that cannot be read is answered only after a supplied API key has been checked (ProGet's order: 403 before 400).
 */
export type DecodedEvent = APIGatewayProxyEventV2 & { fields?: BodyEntries; bodyError?: ProblemError };

/**
 * Decodes the body (JSON, form, multipart; base64 and charsets) into `event.fields`. Needs lower-cased headers. A 413
 * or 415 answers at once; a 400 (a body that cannot be read) is left in `event.bodyError` for the handler to raise
 * after the API key check. In a file of its own so that only the functions that read bodies bundle busboy.
 */
export const bodyFields = (): MiddlewareObj<DecodedEvent, Response> => ({
  before: async (request) => {
    const { body, isBase64Encoded, headers } = request.event;
    try {
      request.event.fields = await decodeBody({ body, isBase64Encoded, contentType: headers['content-type'] });
    } catch (e) {
      if (!isProblem(e) || e.statusCode !== 400) throw e;
      request.event.bodyError = e;
    }
  },
});
