import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { invalid, valid, type Checked } from '../domain/result.ts';
import { decodeBody, type BodyEntries } from './body.ts';
import { isProblem } from './errors.ts';
import type { Response } from './responses.ts';

/**
 * The request after {@link bodyFields}: its body decoded into name/value fields, or the reason it could not be, as a
 * value (the domain's Checked). The use case decides when a body that cannot be read is answered (ProGet's order: a
 * bad API key's 403 before the body's 400); the one error handler then maps it to its problem like any other.
 * Optional in the type because the chain is invoked with the request as received, before this middleware runs.
 */
export type DecodedRequest = APIGatewayProxyEventV2 & { decodedBody?: Checked<BodyEntries> };

/**
 * Decodes the body (JSON, form, multipart; base64 and charsets) into `decodedBody`. Needs lower-cased headers. A 413 or
 * 415 answers at once (thrown to the error handler); a body that cannot be read (a 400) becomes an invalid
 * `decodedBody` naming the field `body`. In a file of its own so that only the functions that read bodies bundle busboy.
 */
export const bodyFields = (): MiddlewareObj<DecodedRequest, Response> => ({
  before: async (request) => {
    const { body, isBase64Encoded, headers } = request.event;
    try {
      request.event.decodedBody = valid(await decodeBody({ body, isBase64Encoded, contentType: headers['content-type'] }));
    } catch (e) {
      if (!isProblem(e) || e.statusCode !== 400) throw e;
      request.event.decodedBody = invalid([{ field: 'body', detail: e.detail }]);
    }
  },
});
