import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { both, checkFeedAccess, invalid, valid, type Caller, type Checked } from './access.ts';
import { principalKeyId, principalName, RECORD_PRIVILEGE, type Principal } from '../domain/auth.ts';
import { config } from '../store/config.ts';
import { nowIso } from '../domain/dates.ts';
import { documentClient } from '../store/client.ts';
import { putDeployment, type DeploymentTables, type NewDeployment, type Recorded } from '../store/deployments.ts';
import { Directory } from '../store/directory.ts';
import type { DeploymentItem } from '../store/items.ts';
import { validateDeployment, type DeploymentInput, type Validation } from '../domain/deployment.ts';
import type { ProblemError } from '../http/errors.ts';
import type { BodyEntries } from '../http/body.ts';
import type { DecodedEvent } from '../http/middlewares.ts';
import { json, type Response } from '../http/responses.ts';
import { idempotencyId } from '../domain/keys.ts';

export type RecordDependencies = {
  client: DynamoDBDocumentClient;
  directory: Directory;
  tables: DeploymentTables;
  region: string;
  now: () => Date;
};

/** How long an Idempotency-Key is remembered (as Stripe and the IETF draft suggest: at least 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_KEY_MAX = 255;

/**
 * The `Idempotency-Key` header: Stripe sends the key bare, the IETF httpapi draft as a structured-field string in
 * double quotes; both are accepted. At most 255 visible ASCII characters.
 */
export const parseIdempotencyKey = (header: string | undefined): Checked<string | undefined> => {
  if (header === undefined) return valid(undefined);
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    // An RFC 8941 string: \" and \\ are the only escapes, and a bare " cannot occur inside.
    const inner = key.slice(1, -1);
    if (!/^(?:[^"\\]|\\["\\])*$/.test(inner)) {
      return invalid([{ field: 'Idempotency-Key', detail: 'The quoted Idempotency-Key is not a valid structured-field string (escape only " and \\ with a backslash).' }]);
    }
    key = inner.replace(/\\(["\\])/g, '$1');
  } else if (key.includes(',')) {
    // HTTP API joins a repeated header with commas: two Idempotency-Key headers cannot both be honoured.
    return invalid([{ field: 'Idempotency-Key', detail: 'The Idempotency-Key header was sent more than once (or holds a comma); send one key per request.' }]);
  }
  if (key === '') {
    return invalid([{ field: 'Idempotency-Key', detail: 'The Idempotency-Key header is empty; send a unique value per deployment record, e.g. a UUID.' }]);
  }
  if (key.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    return invalid([
      { field: 'Idempotency-Key', detail: `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters, e.g. a UUID.` },
    ]);
  }
  return valid(key);
};

/** What makes two requests "the same": the validated fields, whatever their order, casing or encoding on the wire. */
const requestHash = (input: DeploymentInput): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(input).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest('hex');

export type RecordRequest = Caller & {
  fields: BodyEntries;
  /** The body could not be decoded: a 400, raised after the key check. */
  bodyError?: ProblemError | undefined;
};

/** The stored record as the API returns it: the seed's field names, plus the id and what the service added. */
export type DeploymentView = {
  Id: string;
  FeedName: string;
  GroupName?: string;
  PackageName: string;
  Version: string;
  Target: string;
  Application: string;
  Description: string;
  UserName: string;
  Url?: string;
  Date: string;
  ReceivedAt: string;
  Region: string;
};

export const toView = (item: DeploymentItem): DeploymentView => ({
  Id: item.id,
  FeedName: item.feedName,
  ...(item.groupName !== undefined ? { GroupName: item.groupName } : {}),
  PackageName: item.packageName,
  Version: item.version,
  Target: item.target,
  Application: item.application,
  Description: item.description,
  UserName: item.userName,
  ...(item.url !== undefined ? { Url: item.url } : {}),
  Date: item.date,
  ReceivedAt: item.receivedAt,
  Region: item.region,
});

/**
 * Records one deployment. The order of checks is ProGet's: a supplied key that is unknown, revoked or expired is 403;
 * then an invalid body (or Idempotency-Key) is 400; an unknown feed 404; a key (or anonymous) without
 * Feeds_DownloadPackage on the feed 403; otherwise the record is stored. Key and feed are resolved together in one
 * round trip (or from the cache); the record is stored in one more (see putDeployment).
 */
export const recordDeployment = async (deps: RecordDependencies, request: RecordRequest): Promise<Recorded> => {
  const fields: Validation = request.bodyError
    ? invalid([{ field: 'body', detail: request.bodyError.detail }])
    : validateDeployment(request.fields);
  const now = deps.now();
  const { principal, value } = await checkFeedAccess(deps.directory, request, {
    input: both(fields, parseIdempotencyKey(request.headers['idempotency-key'])),
    feedName: ([deployment]) => deployment.FeedName,
    privilege: RECORD_PRIVILEGE,
    now,
  });
  const [input, idempotencyKey] = value;

  const receivedAt = nowIso(now);
  const idempotency = idempotencyKey === undefined
    ? undefined
    : {
        id: idempotencyId(principalKeyId(principal), idempotencyKey),
        requestHash: requestHash(input),
        expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      };
  return putDeployment(deps.client, deps.tables, newDeployment(input, { principal, receivedAt, region: deps.region }), { idempotency });
};

/** The record to store for validated input: UserName defaults to the key's user (or Anonymous), Date to now. */
export const newDeployment = (
  input: DeploymentInput,
  received: { principal: Principal; receivedAt: string; region: string },
): NewDeployment => ({
  feedName: input.FeedName,
  groupName: input.GroupName,
  packageName: input.PackageName,
  version: input.Version,
  target: input.Target,
  application: input.Application,
  description: input.Description,
  userName: input.UserName ?? principalName(received.principal),
  url: input.Url,
  date: input.Date ?? received.receivedAt,
  receivedAt: received.receivedAt,
  keyId: principalKeyId(received.principal),
  region: received.region,
});

/**
 * The dependencies of the deployed function: configuration from the environment (validated: a bad value throws,
 * naming the variable), the shared client.
 */
export const defaultDependencies = (): RecordDependencies => {
  const c = config();
  const client = documentClient();
  return {
    client,
    directory: new Directory({
      client,
      feedsTable: c.feedsTable,
      apiKeysTable: c.apiKeysTable,
      cacheTtlMs: c.lookupCacheTtlMs,
    }),
    tables: { deployments: c.deploymentsTable, idempotency: c.idempotencyTable },
    region: c.region,
    now: () => new Date(),
  };
};

/**
 * The Lambda handler function behind the middlewares: event in, 200 with the stored record out. A replayed
 * Idempotency-Key answers the first record again, marked `Idempotent-Replayed: true` (as Stripe marks it).
 */
export const recordDeploymentHandler =
  (deps: RecordDependencies) =>
  async (event: DecodedEvent, _context: Context): Promise<Response> => {
    const { item, replayed } = await recordDeployment(deps, {
      headers: event.headers,
      query: event.queryStringParameters,
      fields: event.fields ?? [],
      bodyError: event.bodyError,
    });
    return json(200, toView(item), replayed ? { 'Idempotent-Replayed': 'true' } : {});
  };
