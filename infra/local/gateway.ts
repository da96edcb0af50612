/**
 * A local stand-in for API Gateway HTTP API with Lambda proxy integrations (payload format 2.0): it turns a
 * `node:http` request into the event AWS sends (built by lib/http/doors/http-api.ts, the module that owns every door's
 * event shape), invokes the handler with a fake Lambda context, and writes the
 * handler's result back the way HTTP API does. Only what this service relies on is emulated (no authorizers, path
 * parameters, stage variables, CORS or throttling).
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import { newRequestId, splitTarget } from '../../lib/http/doors/wire.ts';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export type Route = {
  /** Matched exactly against the raw path (no trailing-slash folding: register both forms if both are wanted). */
  path: string;
  handler: LambdaHandler;
  /** The event's `routeKey`; `$default` unless given. */
  routeKey?: string;
  /** Names the function in the fake context; `local-function` unless given. */
  functionName?: string;
};

export type GatewayOptions = {
  port: number;
  host?: string;
  routes: Route[];
  /**
   * HTTP API's `$default` route: what a path no route matches reaches (within the stage), with routeKey `$default`.
   * Without one, or outside the stage, the gateway answers the service's problem+json 404 itself.
   */
  defaultRoute?: Route;
  /** The largest request body accepted; HTTP API's limit (10 MiB) unless given. */
  maxBodyBytes?: number;
  /** HTTP API's integration timeout (29 s unless given): a slower handler's caller gets a 503. */
  timeoutMs?: number;
  /**
   * A named stage (not `$default`): as HTTP API serves one, every path starts with `/<stage>` (anything else is 404),
   * and the event's `rawPath` and `requestContext.http.path` keep that prefix, with `requestContext.stage` set.
   */
  stage?: string;
};

export type Gateway = { url: string; port: number; close: () => Promise<void> };

/**
 * What the Lambda runtime sets in every execution environment that the functions' libraries read at load, applied to
 * this process (see applyLambdaRuntimeEnvironment): with AWS_LAMBDA_INITIALIZATION_TYPE=on-demand, Powertools counts
 * the first invocation of each function as a cold start (`cold_start: true` in its logs, the ColdStart metric), as
 * Lambda reports it, instead of never (its behaviour outside Lambda).
 */
export const LAMBDA_RUNTIME_ENVIRONMENT: Readonly<Record<string, string>> = { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };

/** Sets {@link LAMBDA_RUNTIME_ENVIRONMENT} where not set already; call it before loading the bundles. */
export const applyLambdaRuntimeEnvironment = (env: NodeJS.ProcessEnv = process.env): void => {
  for (const [name, value] of Object.entries(LAMBDA_RUNTIME_ENVIRONMENT)) env[name] ??= value;
};

const ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 29_000;
/** After a 413, what is still coming is read and thrown away up to this much (or this long), then the socket is cut. */
const DISCARD_LIMIT_BYTES = 1024 * 1024;
const DISCARD_LIMIT_MS = 10_000;

/** A fake Lambda context for one invocation. */
export const lambdaContext = (requestId: string, functionName = 'local-function', timeoutMs = DEFAULT_TIMEOUT_MS, start = Date.now()): Context => {
  const day = new Date(start).toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${createHash('md5').update(requestId).digest('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - start)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
};

/** What goes on the wire for one result. */
type Rendered = { statusCode: number; headers: OutgoingHttpHeaders; body: Buffer };

class MalformedResult extends Error {
  override name = 'MalformedLambdaResult';
}

/** Headers the server computes itself; a function's values for them are dropped. */
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

const jsonMessage = (statusCode: number, message: string): Rendered => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

/** A path no route matches: a problem+json 404 (RFC 9457), as the service answers one. */
const notFound = (path: string): Rendered => ({
  statusCode: 404,
  headers: { 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' },
  body: Buffer.from(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: `No route of this API matches ${path}.` })),
});

const headerValue = (name: string, v: unknown): string => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    const s = String(v);
    validateHeaderValue(name, s);
    return s;
  }
  throw new MalformedResult(`header ${name} has a ${v === null ? 'null' : typeof v} value`);
};

/**
 * HTTP API's reading of a function's result (payload format 2.0). With a `statusCode` it is structured: status,
 * `headers`, `multiValueHeaders` (merged with `headers`), `cookies` (one `Set-Cookie` each) and `body`, base64-decoded
 * when `isBase64Encoded`. Without one, HTTP API infers the response: 200, `content-type: application/json`, and the
 * result as JSON as the body (a string as it is). A result it cannot read throws {@link MalformedResult}.
 */
const renderResult = (result: unknown): Rendered => {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(typeof result === 'string' ? result : (JSON.stringify(result ?? null) ?? 'null')),
    };
  }
  const r = result as {
    statusCode: unknown;
    headers?: unknown;
    multiValueHeaders?: unknown;
    cookies?: unknown;
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode) || r.statusCode < 100 || r.statusCode > 599) {
    throw new MalformedResult(`statusCode ${JSON.stringify(r.statusCode)} is not an HTTP status`);
  }
  const merged = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: string): void => {
    validateHeaderName(name);
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key)) return;
    const entry = merged.get(key) ?? { name, values: [] };
    if (!entry.values.includes(value)) entry.values.push(value);
    merged.set(key, entry);
  };
  const objectOrNothing = (what: string, v: unknown): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new MalformedResult(`${what} is not an object`);
    return v as Record<string, unknown>;
  };
  for (const [name, v] of Object.entries(objectOrNothing('headers', r.headers))) add(name, headerValue(name, v));
  for (const [name, vs] of Object.entries(objectOrNothing('multiValueHeaders', r.multiValueHeaders))) {
    if (!Array.isArray(vs)) throw new MalformedResult(`multiValueHeaders.${name} is not an array`);
    for (const v of vs) add(name, headerValue(name, v));
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies)) throw new MalformedResult('cookies is not an array');
    for (const c of r.cookies) add('set-cookie', headerValue('set-cookie', c));
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') {
    throw new MalformedResult(`body is a ${typeof r.body}, not a string`);
  }
  const bodyText = r.body ?? '';
  const body = r.isBase64Encoded === true ? Buffer.from(bodyText, 'base64') : Buffer.from(bodyText, 'utf8');
  const headers: OutgoingHttpHeaders = {};
  for (const { name, values } of merged.values()) {
    headers[name] = name.toLowerCase() === 'set-cookie' || values.length > 1 ? values : values[0];
  }
  return { statusCode: r.statusCode, headers, body };
};

const send = (res: ServerResponse, rendered: Rendered): void => {
  res.statusCode = rendered.statusCode;
  for (const [name, value] of Object.entries(rendered.headers)) {
    if (value !== undefined) res.setHeader(name, value);
  }
  res.end(rendered.body);
};

/**
 * Writes a function's result as HTTP API would (see {@link renderResult}); a result HTTP API could not read becomes
 * its 500 `{"message":"Internal Server Error"}`, with the reason on stderr. Headers already set on `res` (such as
 * `apigw-requestid`) are kept.
 */
const writeResult = (res: ServerResponse, result: unknown): void => {
  let rendered: Rendered;
  try {
    rendered = renderResult(result);
  } catch (e) {
    console.error('[gateway] malformed Lambda result:', e instanceof Error ? e.message : e);
    rendered = jsonMessage(500, 'Internal Server Error');
  }
  send(res, rendered);
};

/**
 * What crosses the Lambda boundary is JSON: the function's result is serialized and parsed back, so whatever JSON
 * drops (undefined fields) or turns into something else (Dates, Buffers) arrives as it would in AWS.
 */
const overTheWire = (result: unknown): unknown => {
  const json = JSON.stringify(result ?? null);
  return json === undefined ? null : JSON.parse(json);
};

type Timeout = { promise: Promise<'timeout'>; clear: () => void };
const timeoutAfter = (ms: number): Timeout => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
};

/**
 * Reads the body up to `max` bytes. Past that it answers 413 at once (also when Content-Length already says so),
 * keeps no more of the body, and reads and discards a bounded remainder so the client can see the response before the
 * socket is cut. Resolves undefined when the request got no further than that.
 */
const readBody = (req: IncomingMessage, res: ServerResponse, max: number): Promise<Buffer | undefined> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    const tooLarge = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(undefined);
      let discarded = 0;
      const cut = (): void => {
        req.socket.destroy();
      };
      const timer = setTimeout(cut, DISCARD_LIMIT_MS);
      timer.unref();
      req.on('data', (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DISCARD_LIMIT_BYTES) cut();
      });
      req.once('end', () => clearTimeout(timer));
      req.once('close', () => clearTimeout(timer));
      send(res, jsonMessage(413, 'Request Entity Too Large'));
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      tooLarge();
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });

/** Runs a route's handler as Lambda would, within its timeout: its result as it would cross the wire, its error, or `timeout`. */
const invoke = async (
  route: Route,
  event: APIGatewayProxyEventV2,
  context: Context,
  timeoutMs: number,
): Promise<{ result: unknown } | { error: unknown } | 'timeout'> => {
  const timeout = timeoutAfter(timeoutMs);
  try {
    return await Promise.race([(async () => ({ result: overTheWire(await route.handler(event, context)) }))(), timeout.promise]);
  } catch (error) {
    return { error };
  } finally {
    timeout.clear();
  }
};

/** Listens on `port` (0: any free port) and `host`; resolves once listening, rejects if it cannot. */
const listen = (server: Server, port: number, host: string): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

/** Serves `routes` over HTTP as HTTP API would front their functions. Every method reaches the route's handler. */
export const startGateway = async (options: GatewayOptions): Promise<Gateway> => {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const routes = new Map(options.routes.map((r) => [r.path, r]));
  const stage = options.stage && options.stage !== '$default' ? options.stage : undefined;
  /** The path a route is matched against: without the stage, or undefined when the stage is not there. */
  const routePath = (path: string): string | undefined => {
    if (!stage) return path;
    if (path === `/${stage}`) return '/';
    return path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : undefined;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    res.setHeader('apigw-requestid', requestId);
    const url = req.url ?? '/';
    const path = routePath(splitTarget(url).path);
    const route = path === undefined ? undefined : (routes.get(path) ?? (options.defaultRoute && { routeKey: '$default', ...options.defaultRoute }));
    if (!route) {
      send(res, notFound(splitTarget(url).path));
      return;
    }
    const body = await readBody(req, res, maxBodyBytes);
    if (body === undefined) return;

    const start = Date.now();
    const event = httpApiRequest(
      {
        method: req.method ?? 'GET',
        url,
        rawHeaders: req.rawHeaders,
        body,
        ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
      },
      { requestId, now: new Date(start), ...(route.routeKey ? { routeKey: route.routeKey } : {}), ...(stage ? { stage } : {}) },
    );
    const context = lambdaContext(requestId, route.functionName, timeoutMs, start);
    const outcome = await invoke(route, event, context, timeoutMs);
    const request = `${event.requestContext.http.method} ${event.rawPath} (${requestId})`;
    if (outcome === 'timeout') {
      console.error(`[gateway] ${request}: timed out`);
      send(res, jsonMessage(503, 'Service Unavailable'));
    } else if ('error' in outcome) {
      console.error(`[gateway] ${request}: handler failed:`, outcome.error);
      send(res, jsonMessage(500, 'Internal Server Error'));
    } else writeResult(res, outcome.result);
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      console.error('[gateway] request failed:', e);
      if (!res.headersSent) send(res, jsonMessage(500, 'Internal Server Error'));
      else res.destroy();
    });
  });

  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      }),
  };
};
