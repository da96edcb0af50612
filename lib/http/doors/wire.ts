/**
 * What every door's event builder shares: a request as read off the wire, and the pieces AWS derives from it (request
 * ids, times, trace ids, which bodies travel as text). The builders (httpApiRequest, functionUrlRequest,
 * restApiRequest, albRequest) serve the local gateway (`npm start`) and the tests; the front door only parses, so no
 * function's bundle carries them.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A request as read off the wire: Node's `rawHeaders` keep repeated headers, their order and their names' casing. */
export type RawRequest = {
  method: string;
  /** The request target: `/path?query`, or the absolute form `http://host/path?query`. */
  url: string;
  /** Name, value, name, value... as Node's `IncomingMessage.rawHeaders`. */
  rawHeaders: string[];
  body: Buffer;
  remoteAddress?: string;
};

/** What makes a built event reproducible: the time and the request id (else now and a fresh id). */
export type BuildOptions = {
  now?: Date;
  requestId?: string;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** `requestContext.time` (`requestTime` in REST API) as AWS writes it: `12/Mar/2020:19:03:58 +0000` (always UTC). */
export const formatRequestTime = (d: Date): string =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;

/** An id shaped like HTTP API's (`JKJaXmPLvHcESHA=`): 11 random bytes in base64, kept alphanumeric. */
export const newRequestId = (): string => randomBytes(11).toString('base64').replace(/[+/]/g, 'x');

/** `Root=1-<epoch seconds in hex>-<24 hex digits>`, derived from the request id so the event is a pure function. */
export const traceId = (requestId: string, now: Date): string =>
  `Root=1-${Math.floor(now.getTime() / 1000)
    .toString(16)
    .padStart(8, '0')}-` + createHash('sha256').update(requestId).digest('hex').slice(0, 24);

/**
 * Whether HTTP API (and ALB) passes a body of this Content-Type as a plain string. The rule emulated here: text when
 * the media type is `text/*`, `application/json`, `application/*+json`, `application/xml`, `application/*+xml` or
 * `application/javascript`; anything else (among them `application/x-www-form-urlencoded`, `multipart/form-data`,
 * `application/octet-stream` and a missing Content-Type) reaches the function base64-encoded with
 * `isBase64Encoded: true`. Parameters such as `charset` do not matter; text bodies are decoded as UTF-8.
 */
export const isTextContentType = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type === 'application/javascript' ||
    /^application\/[^/\s]+\+(json|xml)$/.test(type)
  );
};

/** Path and query of a request target, which may also be in absolute form (`http://host/path?q`). */
export const splitTarget = (url: string): { path: string; query: string } => {
  let target = url;
  if (!target.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(target);
    target = m?.[1] || '/';
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q < 0 ? { path: target || '/', query: '' } : { path: target.slice(0, q) || '/', query: target.slice(q + 1) };
};

/** The client's address as AWS gives it: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) as plain IPv4. */
export const sourceIpOf = (req: RawRequest): string => {
  const ip = req.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
};

/** The raw headers as name/value pairs, names as sent. */
export const headerPairs = (rawHeaders: string[]): Array<[string, string]> => {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
  return pairs;
};

/** A header's first value, its name matched in any casing. */
export const headerOf = (pairs: Array<[string, string]>, name: string): string | undefined => pairs.find(([n]) => n.toLowerCase() === name)?.[1];

/** The domain name (without the port) and its first label, from a Host header. */
export const domainOf = (host: string | undefined): { domainName: string; domainPrefix: string; port: string | undefined } => {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host ?? 'localhost');
  const domainName = m?.[1] || 'localhost';
  return { domainName, domainPrefix: domainName.split('.')[0] ?? domainName, port: m?.[2] };
};

/** An empty map without a prototype, as AWS's JSON parsing gives: a name such as `__proto__` is a name like any other. */
export const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
