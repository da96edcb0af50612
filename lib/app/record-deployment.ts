import type { Context } from 'aws-lambda';
import { idempotencyScope, RECORD_PRIVILEGE } from '../domain/auth.ts';
import { nowIso } from '../domain/dates.ts';
import { validateDeployment, type Validation } from '../domain/deployment.ts';
import type { Fields } from '../domain/fields.ts';
import { IDEMPOTENCY_TTL_SECONDS, parseIdempotencyKey, requestHash } from '../domain/idempotency.ts';
import { idempotencyId } from '../domain/keys.ts';
import { newDeployment, toView } from '../domain/record.ts';
import { both, type Checked } from '../domain/result.ts';
import type { DecodedRequest } from '../http/body-fields.ts';
import { json, type Response } from '../http/responses.ts';
import type { DocumentClient } from '../store/client.ts';
import { putDeployment, type DeploymentTables, type Recorded } from '../store/deployments.ts';
import type { Directory } from '../store/directory.ts';
import { withStore, WRITE_UNAVAILABLE } from '../store/failures.ts';
import { checkFeedAccess, type Caller } from './access.ts';

export type RecordDependencies = {
  client: DocumentClient;
  directory: Directory;
  tables: DeploymentTables;
  region: string;
  now: () => Date;
};

export type RecordRequest = Omit<Caller, 'fields'> & {
  /** The body's fields (which may carry the key), or why it could not be decoded (a 400, after the key check). */
  body: Checked<Fields>;
};

/**
 * Records one deployment. The order of checks is ProGet's: a supplied key that is unknown, revoked or expired is 403;
 * then an invalid body (or Idempotency-Key) is 400; an unknown feed 404; a key (or anonymous) without
 * Feeds_DownloadPackage on the feed 403; otherwise the record is stored. Key and feed are resolved together in one
 * round trip (or from the cache); the record is stored in one more (see putDeployment).
 */
export const recordDeployment = (deps: RecordDependencies, request: RecordRequest): Promise<Recorded> =>
  withStore(() => checkAndStore(deps, request), WRITE_UNAVAILABLE);

/** The use case inside withStore: the checks in ProGet's order, then the one transaction that stores the record. */
const checkAndStore = async (deps: RecordDependencies, request: RecordRequest): Promise<Recorded> => {
  const now = deps.now();
  const fields: Validation = request.body.ok ? validateDeployment(request.body.value, now) : request.body;
  const caller: Caller = { ...request, fields: request.body.ok ? request.body.value : undefined };
  const { principal, feed, value } = await checkFeedAccess(deps.directory, caller, {
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
  return putDeployment(deps.client, deps.tables, newDeployment(input, { principal, receivedAt, region: deps.region, feedId: feed.id }), {
    idempotency,
    retainDays: feed.retainDays,
  });
};

/**
 * The Lambda handler function behind the middlewares: the decoded request in, 200 with the stored record out. A replayed
 * Idempotency-Key answers the first record again, marked `Idempotent-Replayed: true` (as Stripe marks it).
 */
export const recordDeploymentHandler =
  (deps: RecordDependencies) =>
  async (request: DecodedRequest, _context: Context): Promise<Response> => {
    // Set by bodyFields() (functions/record-deployment/handler.ts); without it the chain is miswired: a 500, logged.
    if (!request.decodedBody) throw new Error('The record handler needs bodyFields() before it in the chain.');
    const { item, replayed } = await recordDeployment(deps, {
      headers: request.headers,
      query: request.queryStringParameters,
      body: request.decodedBody,
    });
    return json(200, toView(item), replayed ? { 'Idempotent-Replayed': 'true' } : {});
  };
