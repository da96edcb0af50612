/**
 * Fuzzing the real middy handlers in-process (fast-check). The handlers are the deployed ones, loaded as Lambda loads
 * them; only their DynamoDB document client is stubbed (aws-sdk-client-mock), answering as DynamoDB would for a small
 * seeded world: two feeds, four keys (valid, view-only, revoked, expired), writes kept in memory so that queries,
 * Idempotency-Key replays (200), reuses with another body (422) and claims in flight (409) happen too.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type BatchGetCommandInput,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { lambdaContext, type LambdaHandler } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import { lambdaEnvironment } from './lambda-env.ts';
import { DOORS, eventFor } from '../fixtures/events/doors.ts';

export const ALLOWED = new Set([200, 400, 403, 404, 405, 409, 413, 415, 422]);

const TABLES = { deployments: 'fz-deployments', feeds: 'fz-feeds', apiKeys: 'fz-api-keys', idempotency: 'fz-idempotency' };
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export const KEYS = {
  valid: 'fuzz-valid-key-0123456789abcdefghijklmnopqrstu',
  viewOnly: 'fuzz-view-only-key-0123456789abcdefghijklmnop',
  revoked: 'fuzz-revoked-key-0123456789abcdefghijklmnopqr',
  expired: 'fuzz-expired-key-0123456789abcdefghijklmnopqr',
};
const NOW = new Date().toISOString();
const keyItems: Record<string, Record<string, unknown>> = {
  [sha(KEYS.valid)]: {
    keyHash: sha(KEYS.valid),
    id: 'K1',
    user: 'ci',
    allFeeds: true,
    feeds: [],
    privileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'],
    revoked: false,
    createdAt: NOW,
  },
  [sha(KEYS.viewOnly)]: {
    keyHash: sha(KEYS.viewOnly),
    id: 'K2',
    user: 'viewer',
    allFeeds: false,
    feeds: ['private'],
    privileges: ['Feeds_ViewFeed'],
    revoked: false,
    createdAt: NOW,
  },
  [sha(KEYS.revoked)]: {
    keyHash: sha(KEYS.revoked),
    id: 'K3',
    user: 'gone',
    allFeeds: true,
    feeds: [],
    privileges: ['Feeds_DownloadPackage'],
    revoked: true,
    createdAt: NOW,
  },
  [sha(KEYS.expired)]: {
    keyHash: sha(KEYS.expired),
    id: 'K4',
    user: 'old',
    allFeeds: true,
    feeds: [],
    privileges: ['Feeds_DownloadPackage'],
    expiresAt: '2020-01-01T00:00:00Z',
    revoked: false,
    createdAt: NOW,
  },
};
const feedItems: Record<string, Record<string, unknown>> = {
  defaultnuget: { name: 'defaultnuget', displayName: 'DefaultNuGet', anonymousPrivileges: ['Feeds_ViewFeed', 'Feeds_DownloadPackage'], createdAt: NOW },
  private: { name: 'private', displayName: 'Private', anonymousPrivileges: [], createdAt: NOW },
};

export type FuzzWorld = {
  record: LambdaHandler;
  query: LambdaHandler;
  /** Successful TransactWriteItems: each a record stored. */
  writes: () => number;
  restore: () => void;
};

/** Loads both handlers with a stubbed document client (env first: the handlers read it at load). */
export const fuzzWorld = async (): Promise<FuzzWorld> => {
  Object.assign(process.env, lambdaEnvironment(TABLES, 'http://127.0.0.1:9'), { LOOKUP_CACHE_TTL_SECONDS: '0' });
  const mock = mockClient(DynamoDBDocumentClient);
  const items: Array<Record<string, unknown>> = [];
  const claims = new Map<string, Record<string, unknown>>();
  let writes = 0;

  mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
    const Responses: Record<string, Record<string, unknown>[]> = {};
    for (const [table, { Keys = [] }] of Object.entries(input.RequestItems ?? {})) {
      // Own properties only: a feed named __proto__ must be "not found", as in DynamoDB, not Object.prototype.
      const own = (items: Record<string, Record<string, unknown>>, id: unknown) => (Object.hasOwn(items, String(id)) ? items[String(id)] : undefined);
      Responses[table] = Keys.map((k) =>
        table === TABLES.apiKeys ? own(keyItems, k.keyHash) : table === TABLES.feeds ? own(feedItems, k.name) : undefined,
      ).filter((x): x is Record<string, unknown> => x !== undefined);
    }
    return { Responses, UnprocessedKeys: {} };
  });
  mock.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
    const steps = input.TransactItems ?? [];
    const claim = steps.map((s) => s.Put).find((p) => p?.TableName === TABLES.idempotency)?.Item;
    if (claim) {
      const id = String(claim.id);
      const cancel = (reason: Record<string, unknown>) =>
        new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: [...steps.slice(0, -1).map(() => ({ Code: 'None' })), reason],
        });
      // One claim in sixteen is "being written by another request" (DynamoDB's TransactionConflict).
      if (id.endsWith('0')) throw cancel({ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' });
      const stored = claims.get(id);
      if (stored) throw cancel({ Code: 'ConditionalCheckFailed', Item: marshall(stored, { removeUndefinedValues: true }) });
      claims.set(id, claim);
    }
    for (const step of steps) if (step.Put?.Item && step.Put.TableName === TABLES.deployments) items.push(step.Put.Item);
    writes++;
    return {};
  });
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const attribute = input.ExpressionAttributeNames?.['#p'] ?? 'pk';
    const value = input.ExpressionAttributeValues?.[':p'];
    const found = items.filter((i) => i[attribute] === value).slice(0, input.Limit ?? 50);
    return { Items: found, Count: found.length };
  });
  mock.on(ScanCommand).resolves({ Items: Object.values(feedItems), Count: 2 });

  const { handler: record } = await import('../../functions/record-deployment/handler.ts');
  const { handler: query } = await import('../../functions/query-deployments/handler.ts');
  return { record: record as LambdaHandler, query: query as LambdaHandler, writes: () => writes, restore: () => mock.restore() };
};

// ---------------------------------------------------------------------------------------------------------------------
// Arbitraries

/** Each character upper- or lower-cased at random. */
const anyCase = (name: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((flags) => [...name].map((c, i) => (flags[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

const FIELDS = ['FeedName', 'Application', 'Description', 'Target', 'PackageName', 'Version', 'GroupName', 'UserName', 'Url', 'Date'];
const fieldName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FIELDS).chain(anyCase) },
  { weight: 1, arbitrary: fc.constantFrom('key', 'API_Key', 'apikey').chain(anyCase) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' FeedName ', 'Feed Name', 'Version[]', 'a.b'),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** `s` repeated up to `n` characters: values of any size without generating them character by character. */
const huge = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.integer({ min: 200, max: 80_000 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n));
const controls = fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const isoDate = fc
  .tuple(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 9 }))
  .map(([d, variant]) => {
    const iso = d.toISOString();
    switch (variant) {
      case 0:
        return iso;
      case 1:
        return iso.replace('Z', '+02:00');
      case 2:
        return iso.replace(/\.\d{3}Z$/, '.1234567Z');
      case 3:
        return iso.slice(0, 10);
      case 4:
        return iso.replace(/[-:]/g, '');
      case 5:
        return iso.replace('T', ' ');
      case 6:
        return iso.replace('Z', '');
      case 7:
        return iso.replace(/T.*/, 'T24:00:00Z');
      case 8:
        return `${iso.slice(0, 4)}-W${String((d.getUTCDate() % 53) + 1).padStart(2, '0')}-${(d.getUTCDay() % 7) + 1}`;
      default:
        return iso.replace(/\d/g, (c) => String((Number(c) * 7) % 10));
    }
  });
const seedValue = (name: string): string =>
  (
    ({
      feedname: 'DefaultNuGet',
      application: 'ProfitCalc',
      description: 'Deployed by Custom Release Server',
      target: 'localhost',
      packagename: 'Newtonsoft.Json',
      version: '12.0.3',
      url: 'https://example.com/x',
    }) as Record<string, string>
  )[name.toLowerCase()] ?? 'value';

/** A JSON value of any kind (the form encodings stringify it). */
const jsonLeaf = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: controls },
  { weight: 1, arbitrary: huge },
  { weight: 3, arbitrary: isoDate },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.POSITIVE_INFINITY), fc.constant(-0)) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'DefaultNuGet',
      'defaultnuget',
      'Private',
      'Missing',
      'http://h/x',
      'ftp://h',
      ' ',
      '\u200b',
      '\ufffd',
      KEYS.valid,
      KEYS.revoked,
    ),
  },
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: jsonLeaf },
  { weight: 1, arbitrary: fc.array(jsonLeaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), jsonLeaf, { maxKeys: 3 }) },
);

type Entry = [name: string, value: unknown];
/** Mostly a complete, valid-looking record with a few fields changed, added, dropped or repeated. */
const entries: fc.Arbitrary<Entry[]> = fc
  .tuple(
    fc.subarray(FIELDS.slice(0, 6).concat(FIELDS.slice(6)), { minLength: 0 }),
    fc.array(fc.tuple(fieldName, value), { maxLength: 6 }),
    fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 4 }),
  )
  .chain(([kept, extra, casing]) =>
    fc.constant(
      kept
        .map((n, i): Entry => {
          const flip = casing[i % Math.max(1, casing.length)];
          return [flip?.[1] ? n.toLowerCase() : n, seedValue(n)];
        })
        .concat(extra),
    ),
  )
  .chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));

/** Percent-encoding that also takes lone surrogates (as UTF-8 encoders do: U+FFFD). */
const enc = (s: string): string => encodeURIComponent(s.toWellFormed());
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

const jsonBody = fc.tuple(entries, fc.integer({ min: 0, max: 9 })).map(([list, mode]) => {
  const members = list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',');
  switch (mode) {
    case 0:
      return `[${members}]`;
    case 1:
      return `{${members}`;
    case 2:
      return `${'['.repeat(5000)}${']'.repeat(5000)}`;
    case 3:
      return `{"a":${'{"a":'.repeat(300)}1${'}'.repeat(301)}`;
    default:
      return `{${members}}`;
  }
});
const formBody = fc.tuple(entries, fc.constantFrom('encode', 'raw', 'plus', 'broken')).map(([list, how]) =>
  list
    .map(([k, v]) => {
      const t = asText(v);
      if (how === 'encode') return `${enc(k)}=${enc(t)}`;
      if (how === 'plus') return `${enc(k)}=${enc(t).replace(/%20/g, '+')}`;
      if (how === 'broken') return `${k}=%${t}%zz%E0%A4`;
      return `${k}=${t}`;
    })
    .join('&'),
);
const multipartBody = fc.tuple(entries, fc.constantFrom('ok', 'file', 'noname', 'truncated', 'wrongboundary')).map(([list, how]) => {
  const parts = list.map(([k, v], i) => {
    const disposition =
      how === 'noname' && i === 0
        ? 'form-data'
        : how === 'file' && i === 0
          ? `form-data; name="${k}"; filename="a.txt"`
          : `form-data; name="${k.replace(/"/g, '%22')}"`;
    return `--BOUNDARY\r\nContent-Disposition: ${disposition}\r\n\r\n${asText(v)}\r\n`;
  });
  const text = `${parts.join('')}--BOUNDARY--\r\n`;
  if (how === 'truncated') return text.slice(0, Math.floor(text.length / 2));
  if (how === 'wrongboundary') return text.replace(/BOUNDARY/g, 'OTHER');
  return text;
});

const mediaType = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=BOUNDARY',
  'multipart/form-data',
  'text/plain',
  'application/xml',
  'application/octet-stream',
  'application/merge-patch+json',
  'text/json',
  '*/*',
  '',
  ';;;',
  'application/json; charset',
);
const contentType = fc.option(
  fc
    .tuple(
      mediaType,
      fc.option(fc.constantFrom('utf-8', 'UTF-8', 'iso-8859-1', 'ISO-8859-1', 'latin1', 'utf-16', 'us-ascii', 'bogus', '"utf-8"', '')),
      fc.boolean(),
    )
    .chain(([type, charset, upper]) => anyCase(type).map((t) => (upper ? t : type) + (charset === null ? '' : `; charset=${charset}`))),
  { freq: 8 },
);

const bodyText = fc.oneof(
  { weight: 4, arbitrary: jsonBody },
  { weight: 4, arbitrary: formBody },
  { weight: 2, arbitrary: multipartBody },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant('') },
);
const bodyBytes = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(bodyText, fc.constantFrom<BufferEncoding>('utf8', 'utf8', 'latin1', 'utf16le')).map(([t, enc]) => Buffer.from(t, enc)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
);

const keyValue = fc.constantFrom(
  KEYS.valid,
  KEYS.viewOnly,
  KEYS.revoked,
  KEYS.expired,
  'wrong-key',
  '',
  ' ',
  `${KEYS.valid},${KEYS.valid}`,
  `${KEYS.valid},other`,
  '\u00e9t\u00e9',
);
const basic = fc
  .tuple(fc.constantFrom('api', 'API', 'user', ''), keyValue, fc.constantFrom('Basic', 'basic', 'Bearer', 'Digest', 'Basic  '))
  .map(([user, key, scheme]) => `${scheme} ${Buffer.from(user ? `${user}:${key}` : key).toString('base64')}`);
const header = fc.oneof(
  fc.tuple(anyCase('X-ApiKey'), keyValue),
  fc.tuple(anyCase('Authorization'), fc.oneof(basic, fc.constantFrom('Basic !!!', 'Basic', 'Basic ' + 'QQ=='.repeat(3000)))),
  fc.tuple(
    anyCase('Idempotency-Key'),
    fc.oneof(
      fc.uuid().map((u) => u.slice(0, 2)),
      fc.uuid(),
      fc.constantFrom('', '""', '"abc"', 'x'.repeat(300), 'cl\u00e9', 'a b'),
    ),
  ),
  fc.tuple(
    fc.constantFrom('Content-Encoding', 'Content-Length', 'Transfer-Encoding', 'Host', 'Cookie', 'X-Forwarded-For', 'Accept'),
    fc.string({ maxLength: 20 }),
  ),
  fc.tuple(
    fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  ),
);
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc
          .constantFrom(
            'key',
            'FeedName',
            'PackageName',
            'GroupName',
            'Version',
            'Target',
            'Region',
            'Application',
            'from',
            'to',
            'interval',
            'limit',
            'cursor',
            '__proto__',
            'constructor',
          )
          .chain(anyCase),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        keyValue,
        jsonLeaf.map(asText),
        fc.constantFrom(
          'DefaultNuGet',
          'Private',
          '0',
          '201',
          '50',
          'eyJ4IjoxfQ',
          'WyJhIiwiRiMiXQ',
          'day',
          'week',
          '2026-11-01',
          '0001-01-01',
          '9999-12-31T23:59:59Z',
        ),
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'));

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constant('POST') },
  { weight: 1, arbitrary: fc.constant('GET') },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'post', 'TRACE', 'BREW') },
);
const path = (paths: string[]) => fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...paths) }, { weight: 1, arbitrary: fc.webPath() });

/** A whole HTTP API event, as AWS would build it for the request (base64 when AWS would), sometimes with the flag lied about. */
const eventOf = (methods: fc.Arbitrary<string>, paths: string[], withBody: boolean) =>
  fc
    .record({
      method: methods,
      path: path(paths),
      query: fc.option(queryString, { freq: 3 }),
      contentType,
      headers: fc.array(header, { maxLength: 3 }),
      body: withBody ? bodyBytes : fc.option(bodyBytes, { freq: 6 }).map((b) => b ?? Buffer.alloc(0)),
      base64: fc.constantFrom('as-aws', 'as-aws', 'as-aws', 'as-aws', 'flip', 'garbage'),
    })
    .map(({ method: m, path: p, query, contentType: ct, headers, body, base64 }) => {
      const rawHeaders = [...(ct === null ? [] : ['Content-Type', ct]), ...headers.flat()];
      const event = httpApiRequest({ method: m, url: `${p}${query ? `?${query}` : ''}`, rawHeaders, body, remoteAddress: '127.0.0.1' });
      if (base64 === 'flip' && event.body !== undefined) {
        event.body = event.isBase64Encoded ? body.toString('latin1') : body.toString('base64');
        event.isBase64Encoded = !event.isBase64Encoded;
      } else if (base64 === 'garbage' && event.body !== undefined) {
        event.body = `%%${event.body}!!`;
        event.isBase64Encoded = true;
      }
      return event;
    });

/** A few Idempotency-Keys shared by many requests: replays (same body) and reuses with another body (422) happen. */
const IDEMPOTENCY_POOL = Array.from({ length: 24 }, (_, i) => `fuzz-idem-${i}`);

/**
 * A request a pipeline could plausibly send: POST, every required field (names in any casing), a body of the declared
 * type in the declared charset, perhaps a key in one of its transports and an Idempotency-Key from a small pool, and a
 * few fields changed to anything at all.
 */
const plausibleRecord = fc
  .record({
    kind: fc.constantFrom('json', 'form', 'multipart'),
    names: fc.tuple(...FIELDS.slice(0, 6).map(anyCase)),
    optional: fc.subarray(FIELDS.slice(6)),
    changes: fc.array(fc.tuple(fc.nat(), fc.option(fieldName, { freq: 2 }), value), { maxLength: 2 }),
    version: fc.oneof(fc.constant('12.0.3'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), isoDate),
    charset: fc.constantFrom<'utf-8' | 'iso-8859-1' | null>(null, 'utf-8', 'iso-8859-1'),
    credential: fc.option(
      fc.tuple(
        fc.constantFrom('X-ApiKey', 'Authorization', 'query', 'body'),
        fc.constantFrom(KEYS.valid, KEYS.valid, KEYS.viewOnly, KEYS.revoked, KEYS.expired, 'unknown-key'),
      ),
      { freq: 2 },
    ),
    idempotencyKey: fc.option(fc.constantFrom(...IDEMPOTENCY_POOL), { freq: 2 }),
    path: fc.constantFrom('/api/package-deployment/', '/api/package-deployment'),
  })
  .map(({ kind, names, optional, changes, version, charset, credential, idempotencyKey, path: p }) => {
    const list: Entry[] = names.map((n) => [n, n.toLowerCase() === 'version' ? version : seedValue(n)]);
    for (const n of optional) list.push([n, n === 'Date' ? new Date(Date.UTC(2024, 4, 1)).toISOString() : n === 'Url' ? 'https://ci.example.com/1' : `${n}-x`]);
    for (const [at, name, v] of changes) {
      if (name === null) list[at % list.length]![1] = v;
      else list.push([name, v]);
    }
    const headers: string[] = [];
    let query = '';
    if (credential) {
      const [where, key] = credential;
      if (where === 'X-ApiKey') headers.push('X-ApiKey', key);
      else if (where === 'Authorization') headers.push('Authorization', `Basic ${Buffer.from(`api:${key}`).toString('base64')}`);
      else if (where === 'query') query = `?key=${enc(key)}`;
      else list.push([kind === 'json' ? 'API_Key' : 'key', key]);
    }
    if (idempotencyKey) headers.push('Idempotency-Key', idempotencyKey);
    const text =
      kind === 'json'
        ? `{${list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`
        : kind === 'form'
          ? list.map(([k, v]) => `${enc(k)}=${enc(asText(v))}`).join('&')
          : `${list.map(([k, v]) => `--B\r\nContent-Disposition: form-data; name="${k.replace(/"/g, '%22')}"\r\n\r\n${asText(v)}\r\n`).join('')}--B--\r\n`;
    const type = kind === 'json' ? 'application/json' : kind === 'form' ? 'application/x-www-form-urlencoded' : 'multipart/form-data; boundary=B';
    headers.push('Content-Type', `${type}${charset ? `; charset=${charset}` : ''}`);
    const body = Buffer.from(text, charset === 'iso-8859-1' ? 'latin1' : 'utf8');
    return httpApiRequest({ method: 'POST', url: `${p}${query}`, rawHeaders: headers, body, remoteAddress: '127.0.0.1' });
  });

export const recordEvents = fc.oneof(
  { weight: 1, arbitrary: plausibleRecord },
  { weight: 1, arbitrary: eventOf(method, ['/api/package-deployment/', '/api/package-deployment'], true) },
);
export const queryEvents = eventOf(
  fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constantFrom('POST', 'PUT', 'HEAD', 'get', 'OPTIONS') }),
  [
    '/api/deployments',
    '/api/deployments/',
    '/api/deployments/current',
    '/api/deployments/overview',
    '/api/deployments/frequency/',
    '/api/deployments/affected',
    '/api/deployments/affected/',
    '/api/feeds',
    '/api/feeds/',
    '/api/nothing',
  ],
  false,
);

/** Where a string sits in an event: the path to it, and whether it is a property's name rather than a value. */
export type StringPlace = { path: Array<string | number>; isName: boolean };

/** Every string of an event, values and property names, depth first. */
export const stringPlaces = (value: unknown, path: Array<string | number> = []): StringPlace[] => {
  if (typeof value === 'string') return [{ path, isName: false }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPlaces(v, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [{ path: [...path, k], isName: true }, ...stringPlaces(v, [...path, k])]);
  }
  return [];
};

/** A copy of `event` whose string at `place` (a value, or a property's name) has `insert` put in its middle. */
export const withStringAt = (event: unknown, place: StringPlace, insert: string): unknown => {
  const copy = structuredClone(event) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const step of place.path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = place.path.at(-1)!;
  // Split at a code point, never inside a surrogate pair: halves of a pair around the insert could pair with it
  // ("\ud800" + "\udc00\ud800" + "\udc00" is two well-formed characters).
  const middle = (s: string) => {
    const m = s.length >> 1;
    return /[\ud800-\udbff]/.test(s.charAt(m - 1)) && /[\udc00-\udfff]/.test(s.charAt(m)) ? m + 1 : m;
  };
  const spliced = (s: string) => `${s.slice(0, middle(s))}${insert}${s.slice(middle(s))}`;
  if (!place.isName) parent[last] = spliced(parent[last] as string);
  else {
    // Rebuilt in order, so that only the name changes.
    const entries = Object.entries(parent).map(([k, v]): [string, unknown] => [k === String(last) ? spliced(k) : k, v]);
    for (const k of Object.keys(parent)) delete parent[k];
    Object.assign(parent, Object.fromEntries(entries));
  }
  return copy;
};

/** Strings that are not well-formed UTF-16: lone high and low surrogates, and a pair in the wrong order. */
export const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'];

/**
 * An event of any door (HTTP API, REST API, ALB with or without multi-value headers, function URL) for a plausible
 * request, with a lone surrogate put into one of its strings, value or name, as only a direct invocation can send.
 */
export const malformedUtf16Events = (paths: string[]) =>
  fc
    .record({
      door: fc.constantFrom(...DOORS),
      multiValue: fc.boolean(),
      method: fc.constantFrom('POST', 'GET'),
      path: fc.constantFrom(...paths),
      query: fc.option(queryString, { nil: undefined }),
      headers: fc.array(header, { maxLength: 3 }),
      json: fc.boolean(),
      at: fc.nat(),
      surrogate: fc.constantFrom(...LONE_SURROGATES),
    })
    .map(({ door, multiValue, method, path: p, query, headers, json, at, surrogate }) => {
      const event = eventFor(
        door,
        {
          method,
          path: p,
          ...(query ? { query } : {}),
          headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded', ...Object.fromEntries(headers) },
          body: json ? '{"FeedName":"open","Version":"1.0"}' : 'FeedName=open&Version=1.0',
        },
        { multiValue },
      );
      const places = stringPlaces(event);
      const place = places[at % places.length]!;
      return { door, place: place.path.join('.'), event: withStringAt(event, place, surrogate) };
    });

// ---------------------------------------------------------------------------------------------------------------------
// The property

export type FuzzFigures = { cases: number; byStatus: Record<number, number>; recorded: number; replayed: number; writes: number };

const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

class FuzzFailure extends Error {}
const check = (ok: boolean, message: string) => {
  if (!ok) throw new FuzzFailure(message);
};

/**
 * Runs `numRuns` generated events through a handler. Each answer must be one of ALLOWED; a non-200 a problem+json
 * whose `status` matches and whose `detail` is not empty; a 200 of the record handler either a replay or the
 * answer to exactly one stored write. Object.prototype must keep its own property names, and nothing may be left to
 * reject or throw outside the handler. Throws (with fast-check's seed and the shrunk counterexample) on the first
 * failure.
 */
export const fuzz = async (world: FuzzWorld, which: 'record' | 'query', options: { numRuns: number; seed?: number }): Promise<FuzzFigures> => {
  const handler = which === 'record' ? world.record : world.query;
  const figures: FuzzFigures = { cases: 0, byStatus: {}, recorded: 0, replayed: 0, writes: 0 };
  const stray: unknown[] = [];
  const onStray = (e: unknown) => stray.push(e);
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onStray);
  const before = protoNames();
  const writesBefore = world.writes();
  try {
    await fc.assert(
      fc.asyncProperty(which === 'record' ? recordEvents : queryEvents, async (event) => {
        const writes = world.writes();
        const result = (await handler(event, lambdaContext(event.requestContext.requestId, `fuzz-${which}`))) as {
          statusCode: number;
          headers: Record<string, string>;
          body: string;
        };
        figures.cases++;
        figures.byStatus[result.statusCode] = (figures.byStatus[result.statusCode] ?? 0) + 1;
        check(ALLOWED.has(result.statusCode), `status ${result.statusCode}: ${result.body}`);
        check(protoNames() === before, `Object.prototype changed: ${protoNames()}`);
        check(stray.length === 0, `stray error: ${String(stray[0])}`);
        if (event.requestContext.http.method.toUpperCase() === 'HEAD') {
          // Answered as GET without the body (RFC 9110): same status and headers, errors included.
          check(result.body === undefined, `HEAD answered with a body: ${result.body}`);
          check(
            result.statusCode === 200 || result.headers['Content-Type']?.startsWith('application/problem+json') === true,
            `HEAD ${result.statusCode} not problem+json`,
          );
          check(world.writes() === writes, 'a HEAD wrote a record');
          return;
        }
        const body = JSON.parse(result.body) as Record<string, unknown>;
        if (result.statusCode !== 200) {
          check(result.headers['Content-Type']?.startsWith('application/problem+json') === true, `not problem+json: ${result.headers['Content-Type']}`);
          check(body.status === result.statusCode, `problem status ${String(body.status)} for ${result.statusCode}`);
          check(typeof body.detail === 'string' && body.detail.trim() !== '', `empty detail: ${result.body}`);
          check(world.writes() === writes, `a ${result.statusCode} wrote a record`);
        } else if (which === 'record') {
          const replayed = result.headers['Idempotent-Replayed'] === 'true';
          check(typeof body.Id === 'string' && body.Id !== '', `200 without Id: ${result.body}`);
          check(world.writes() === writes + (replayed ? 0 : 1), `200 (replayed: ${replayed}) after ${world.writes() - writes} writes`);
          if (replayed) figures.replayed++;
          else figures.recorded++;
        } else {
          // The overview and the affected read answer Packages, the frequency Buckets, every other read Items.
          const list = /\/(overview|affected)/.test(event.rawPath) ? body.Packages : event.rawPath.includes('/frequency') ? body.Buckets : body.Items;
          check(Array.isArray(list), `200 without its list: ${result.body}`);
        }
      }),
      { numRuns: options.numRuns, ...(options.seed !== undefined ? { seed: options.seed } : {}), endOnFailure: false },
    );
  } finally {
    process.off('unhandledRejection', onStray);
    process.off('uncaughtException', onStray);
  }
  // Let anything scheduled by the last case settle before the final check.
  await new Promise((r) => setTimeout(r, 20));
  check(stray.length === 0, `stray error after the run: ${String(stray[0])}`);
  check(protoNames() === before, 'Object.prototype changed');
  figures.writes = world.writes() - writesBefore;
  return figures;
};

export const newSeed = (): number => Number.parseInt(randomUUID().slice(0, 8), 16);
