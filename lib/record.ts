import type { Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  authenticate,
  authorize,
  extractCredential,
  principalKeyId,
  principalName,
  RECORD_PRIVILEGE,
  type Principal,
} from './auth.ts';
import { config } from './config.ts';
import { nowIso } from './dates.ts';
import { documentClient } from './db/client.ts';
import { putDeployment } from './db/deployments.ts';
import { Directory } from './db/directory.ts';
import type { DeploymentItem } from './db/items.ts';
import { validateDeployment, type Validation } from './deployment.ts';
import { forbidden, notFound, problem, type ProblemError } from './errors.ts';
import type { BodyEntries } from './http/body.ts';
import type { DecodedEvent } from './http/middlewares.ts';
import { json, type Response } from './http/responses.ts';
import { hashApiKey } from './keys.ts';

export type RecordDependencies = {
  client: DynamoDBDocumentClient;
  directory: Directory;
  deploymentsTable: string;
  region: string;
  now: () => Date;
};

export type RecordRequest = {
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  query: Readonly<Record<string, string | undefined>> | undefined;
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
 * then an invalid body is 400; an unknown feed 404; a key (or anonymous) without Feeds_DownloadPackage on the feed
 * 403; otherwise the record is stored. Key and feed are resolved together in one round trip (or from the cache).
 */
export const recordDeployment = async (deps: RecordDependencies, request: RecordRequest): Promise<DeploymentItem> => {
  const credential = extractCredential(request.headers, request.query);
  if (credential.kind === 'invalid') throw forbidden(credential.detail);
  const keyHash = credential.kind === 'key' ? hashApiKey(credential.key) : undefined;

  const validation: Validation = request.bodyError
    ? { ok: false, detail: request.bodyError.detail, errors: [{ field: 'body', detail: request.bodyError.detail }] }
    : validateDeployment(request.fields);
  if (!validation.ok && keyHash === undefined) {
    throw problem(400, validation.detail, { extensions: { errors: validation.errors } });
  }

  const resolved = await deps.directory.resolve({
    keyHash,
    feedName: validation.ok ? validation.value.FeedName : undefined,
  });
  const now = deps.now();
  const principal: Principal = keyHash === undefined ? { kind: 'anonymous' } : authenticate(resolved.key ?? undefined, now);

  if (!validation.ok) {
    throw problem(400, validation.detail, { extensions: { errors: validation.errors } });
  }
  const input = validation.value;
  if (!resolved.feed) throw notFound(`Feed ${input.FeedName} was not found.`);
  authorize(principal, resolved.feed, RECORD_PRIVILEGE);

  const receivedAt = nowIso(now);
  return putDeployment(deps.client, deps.deploymentsTable, {
    feedName: input.FeedName,
    groupName: input.GroupName,
    packageName: input.PackageName,
    version: input.Version,
    target: input.Target,
    application: input.Application,
    description: input.Description,
    userName: input.UserName ?? principalName(principal),
    url: input.Url,
    date: input.Date ?? receivedAt,
    receivedAt,
    keyId: principalKeyId(principal),
    region: deps.region,
  });
};

let defaults: RecordDependencies | undefined;
/** The dependencies of the deployed function: configuration from the environment, the shared client. */
export const defaultDependencies = (): RecordDependencies => {
  if (defaults) return defaults;
  const c = config();
  const client = documentClient();
  return (defaults = {
    client,
    directory: new Directory({
      client,
      feedsTable: c.feedsTable,
      apiKeysTable: c.apiKeysTable,
      cacheTtlMs: c.lookupCacheTtlMs,
    }),
    deploymentsTable: c.deploymentsTable,
    region: c.region,
    now: () => new Date(),
  });
};

/** The Lambda handler function behind the middlewares: event in, 200 with the stored record out. */
export const recordDeploymentHandler = async (event: DecodedEvent, _context: Context): Promise<Response> => {
  const item = await recordDeployment(defaultDependencies(), {
    headers: event.headers,
    query: event.queryStringParameters,
    fields: event.fields ?? [],
    bodyError: event.bodyError,
  });
  return json(200, toView(item));
};
