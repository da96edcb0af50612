import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { idempotencyScope, RECORD_PRIVILEGE } from '../domain/auth.ts';
import { nowIso } from '../domain/dates.ts';
import { validateDeployment, type Validation } from '../domain/deployment.ts';
import type { Fields } from '../domain/fields.ts';
import { IDEMPOTENCY_TTL_SECONDS, parseIdempotencyKey, requestHash } from '../domain/idempotency.ts';
import { idempotencyId } from '../domain/keys.ts';
import { newDeployment, toView } from '../domain/record.ts';
import { both, invalid } from '../domain/result.ts';
import type { DecodedEvent } from '../http/body-fields.ts';
import { json, type Response } from '../http/responses.ts';
import { documentClient } from '../store/client.ts';
import { config } from '../store/config.ts';
import { putDeployment, type DeploymentTables, type Recorded } from '../store/deployments.ts';
import { Directory } from '../store/directory.ts';
import { withStore, WRITE_UNAVAILABLE } from '../store/failures.ts';
import { checkFeedAccess, type Caller } from './access.ts';

export type RecordDependencies = {
  client: DynamoDBDocumentClient;
  directory: Directory;
  tables: DeploymentTables;
  region: string;
  now: () => Date;
};

export type RecordRequest = Caller & {
  fields: Fields;
  /** The body could not be decoded: a 400, raised after the key check. */
  bodyError?: { detail: string } | undefined;
};

/**
 * Records one deployment. The order of checks is ProGet's: a supplied key that is unknown, revoked or expired is 403;
 * then an invalid body (or Idempotency-Key) is 400; an unknown feed 404; a key (or anonymous) without
 * Feeds_DownloadPackage on the feed 403; otherwise the record is stored. Key and feed are resolved together in one
 * round trip (or from the cache); the record is stored in one more (see putDeployment).
 */
export const recordDeployment = (deps: RecordDependencies, request: RecordRequest): Promise<Recorded> =>
  withStore(() => record(deps, request), WRITE_UNAVAILABLE);

const record = async (deps: RecordDependencies, request: RecordRequest): Promise<Recorded> => {
  const now = deps.now();
  const fields: Validation = request.bodyError ? invalid([{ field: 'body', detail: request.bodyError.detail }]) : validateDeployment(request.fields, now);
  const { principal, feed, value } = await checkFeedAccess(deps.directory, request, {
    input: both(fields, parseIdempotencyKey(request.headers['idempotency-key'])),
    feedName: ([deployment]) => deployment.FeedName,
    privilege: RECORD_PRIVILEGE,
    now,
  });
  const [input, idempotencyKey] = value;

  const receivedAt = nowIso(now);
  const idempotency =
    idempotencyKey === undefined
      ? undefined
      : {
          id: idempotencyId(idempotencyScope(principal, feed), idempotencyKey),
          requestHash: requestHash(input),
          expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        };
  return putDeployment(deps.client, deps.tables, newDeployment(input, { principal, receivedAt, region: deps.region, feedId: feed.id }), { idempotency });
};

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
