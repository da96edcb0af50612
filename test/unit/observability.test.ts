import { describe, expect, it, vi } from 'vitest';
import { logger, redactRequest } from '../../lib/http/logger.ts';
import { outcomeOf } from '../../lib/http/metrics.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';

const KEY = 'k3y-S3cret-value_0123456789abcdefghijklmnopq';
const REDACTED = '[redacted]';

/** An event as the gateway builds it for this query string. */
const eventWithQuery = (query: string) => httpApiRequest({ method: 'POST', url: `/api/package-deployment/?${query}`, rawHeaders: [], body: Buffer.alloc(0) });
/** The query string as it would be logged. */
const loggedQuery = (query: string) => redactRequest(eventWithQuery(query)).rawQueryString;

/** What the service's logger writes for `attributes` (at INFO, whatever the suite's level). */
const logLine = (attributes: Record<string, unknown>): string => {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  try {
    logger.info('probe', attributes);
  } finally {
    logger.setLogLevel(level);
    write.mockRestore();
  }
  return written.join('');
};

describe('redaction', () => {
  it('removes every key parameter from a query string, whatever its casing or encoding', () => {
    expect(loggedQuery(`key=${KEY}`)).toBe(`key=${REDACTED}`);
    expect(loggedQuery(`a=1&KEY=${KEY}&b=2`)).toBe(`a=1&KEY=${REDACTED}&b=2`);
    expect(loggedQuery(`%6Bey=${KEY}&key=${KEY}`)).toBe(`%6Bey=${REDACTED}&key=${REDACTED}`);
    expect(loggedQuery('keys=1&monkey=2&key')).toBe(`keys=${REDACTED}&monkey=2&key=${REDACTED}`);
  });

  it('also redacts keys sent under names the service does not read, and look-alike spellings', () => {
    const query = `%E2%84%AAey=${KEY}&api_key=${KEY}&apikey=${KEY}&X-Api-Key=${KEY}&token=${KEY}&FeedName=F&Idempotency-Key=abc`;
    const redacted = loggedQuery(query);
    expect(redacted).not.toContain(KEY);
    expect(redacted).toContain('FeedName=F');
    expect(redacted).toContain('Idempotency-Key=abc');
    const event = httpApiRequest({
      method: 'POST',
      url: `/api/package-deployment/?${query}`,
      rawHeaders: ['X-Api-Key', KEY, 'X-NuGet-ApiKey', KEY, 'X-Auth-Token', KEY, 'Content-Type', 'application/json'],
      body: Buffer.from('{}'),
    });
    const text = logLine({ request: redactRequest(event) });
    expect(text).toContain('"probe"');
    expect(text).not.toContain(KEY);
    expect(text).toContain('application/json');
  });

  it('keeps method, path and harmless headers of an event, and no key transport, body or key parameter', () => {
    const basic = `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`;
    const event = httpApiRequest({
      method: 'POST',
      url: `/api/package-deployment/?key=${KEY}&Key=${KEY}`,
      rawHeaders: ['X-ApiKey', KEY, 'Authorization', basic, 'Content-Type', 'application/x-www-form-urlencoded', 'Cookie', `k=${KEY}`],
      body: Buffer.from(`FeedName=F&key=${KEY}`),
    });
    const redacted = redactRequest(event);
    const text = JSON.stringify(redacted);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(Buffer.from(`api:${KEY}`).toString('base64'));
    expect(redacted).toMatchObject({
      method: 'POST',
      path: '/api/package-deployment/',
      headers: { 'x-apikey': REDACTED, authorization: REDACTED, 'content-type': 'application/x-www-form-urlencoded' },
      queryStringParameters: { key: REDACTED, Key: REDACTED },
      bodyBytes: `FeedName=F&key=${KEY}`.length,
      isBase64Encoded: true,
    });
  });

  it('the logger redacts key transports in any logged object', () => {
    const line = logLine({
      headers: { 'X-ApiKey': KEY, Authorization: `Basic ${KEY}` },
      nested: { api_key: KEY, rawQueryString: `key=${KEY}` },
      keyHash: 'ab',
    });
    expect(line).toContain('"probe"');
    expect(line).not.toContain(KEY);
    expect(JSON.parse(line)).toMatchObject({ keyHash: 'ab', headers: { 'X-ApiKey': REDACTED } });
  });
});

describe('outcome metrics', () => {
  it('names each outcome', () => {
    expect(outcomeOf(200)).toBe('Recorded');
    expect(outcomeOf(200, { 'Idempotent-Replayed': 'true' })).toBe('Replayed');
    expect(outcomeOf(200, {}, 'Served')).toBe('Served');
    expect([400, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503, 418].map((s) => outcomeOf(s))).toEqual([
      'BadRequest',
      'Forbidden',
      'NotFound',
      'MethodNotAllowed',
      'Conflict',
      'TooLarge',
      'UnsupportedMediaType',
      'Unprocessable',
      'Throttled',
      'Failed',
      'Unavailable',
      'Status418',
    ]);
  });
});

describe('rawQueryString redaction by raw or decoded name', () => {
  it('redacts a parameter whose name resembles a credential as sent or once decoded, and keeps the others', () => {
    expect(loggedQuery(`%6Bey=${KEY}&ke%79=${KEY}&a%70i%5Fkey=${KEY}&%FFtoken=${KEY}&session%=${KEY}&FeedName=F`)).toBe(
      `%6Bey=${REDACTED}&ke%79=${REDACTED}&a%70i%5Fkey=${REDACTED}&%FFtoken=${REDACTED}&session%=${REDACTED}&FeedName=F`,
    );
  });
});
