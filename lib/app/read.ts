import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { hasPrivilege, PRIVILEGES, VIEW_PRIVILEGE, type FeedRecord, type Principal } from '../domain/auth.ts';
import { InvalidInput, NotFound } from '../domain/errors.ts';
import { currentPartitionKey, deploymentPartitionKey, feedIndexKey, sortKeyRange, targetIndexKey, versionIndexKey } from '../domain/keys.ts';
import { CurrentQuerySchema, FeedsQuerySchema, HistoryQuerySchema, readParameters, type HistoryQuery } from '../domain/queries.ts';
import { toView, type DeploymentView } from '../domain/record.ts';
import { json, type Response } from '../http/responses.ts';
import { documentClient } from '../store/client.ts';
import { config } from '../store/config.ts';
import { Directory } from '../store/directory.ts';
import { READ_UNAVAILABLE, withStore } from '../store/failures.ts';
import { FeedRepository } from '../store/feeds.ts';
import { queryPage, type Page, type Partition } from '../store/queries.ts';
import { authenticateCaller, checkFeedAccess, type Caller } from './access.ts';

const HISTORY_NAMES = Object.keys(HistoryQuerySchema.shape);
const CURRENT_NAMES = Object.keys(CurrentQuerySchema.shape);

export type ReadDependencies = {
  client: DynamoDBDocumentClient;
  directory: Directory;
  feeds: FeedRepository;
  deploymentsTable: string;
  now: () => Date;
};

export type PageView = { Items: DeploymentView[]; NextCursor?: string };
const pageView = (page: Page): PageView => ({
  Items: page.items.map(toView),
  ...(page.cursor !== undefined ? { NextCursor: page.cursor } : {}),
});

/** Which partition answers a history query: the table for a package, an index for a version, a target or a feed. */
const historyPartition = (q: HistoryQuery): Partition => {
  if (q.PackageName !== undefined && q.Version !== undefined) {
    return { index: 'byVersion', value: versionIndexKey(q.FeedName, q.GroupName, q.PackageName, q.Version) };
  }
  if (q.PackageName !== undefined) return { value: deploymentPartitionKey(q.FeedName, q.GroupName, q.PackageName) };
  if (q.Target !== undefined) return { index: 'byTarget', value: targetIndexKey(q.FeedName, q.Target) };
  return { index: 'byFeed', value: feedIndexKey(q.FeedName) };
};

/** A page of deployment records, newest first; one Query whatever the history's length. */
export const listDeployments = async (deps: ReadDependencies, caller: Caller): Promise<PageView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(HistoryQuerySchema, HISTORY_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const range = sortKeyRange(q.from, q.to);
  return pageView(await queryPage(deps.client, deps.deploymentsTable, { partition: historyPartition(q), range, limit: q.limit, cursor: q.cursor }));
};

/** For each target of a package, its latest record by Date, in target order. */
export const currentDeployments = async (deps: ReadDependencies, caller: Caller): Promise<PageView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(CurrentQuerySchema, CURRENT_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const partition = { value: currentPartitionKey(q.FeedName, q.GroupName, q.PackageName) };
  return pageView(await queryPage(deps.client, deps.deploymentsTable, { partition, ascending: true, limit: q.limit, cursor: q.cursor }));
};

export type FeedView = { Name: string; Privileges: string[] };
const privilegesOn = (principal: Principal, feed: FeedRecord): string[] => PRIVILEGES.filter((p) => hasPrivilege(principal, feed, p));

/** The feeds the caller may view, with what the caller may do on each. */
export const listFeeds = async (deps: ReadDependencies, caller: Caller): Promise<{ Items: FeedView[] }> => {
  const principal = await authenticateCaller(deps.directory, caller, deps.now());
  const parameters = readParameters(FeedsQuerySchema, [], caller.query, caller.rawQuery);
  if (!parameters.ok) throw new InvalidInput(parameters);
  const feeds = await deps.feeds.list();
  return {
    Items: feeds
      .filter((f) => hasPrivilege(principal, f, VIEW_PRIVILEGE))
      .map((f) => ({ Name: f.displayName, Privileges: privilegesOn(principal, f) })),
  };
};

/** The dependencies of the deployed function, from the validated configuration (see defaultDependencies). */
export const defaultReadDependencies = (): ReadDependencies => {
  const c = config();
  const client = documentClient();
  return {
    client,
    directory: new Directory({ client, feedsTable: c.feedsTable, apiKeysTable: c.apiKeysTable, cacheTtlMs: c.lookupCacheTtlMs }),
    feeds: new FeedRepository(client, c.feedsTable),
    deploymentsTable: c.deploymentsTable,
    now: () => new Date(),
  };
};

/** The read API's routes, by path without a trailing slash. */
const READ_ROUTES = {
  '/api/deployments': listDeployments,
  '/api/deployments/current': currentDeployments,
  '/api/feeds': listFeeds,
} as const;

/** The Lambda handler function behind the middlewares: routes by path (with or without a trailing slash). */
export const readHandler =
  (deps: ReadDependencies) =>
  async (event: APIGatewayProxyEventV2, _context: Context): Promise<Response> => {
    const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
    const route = (READ_ROUTES as Record<string, (deps: ReadDependencies, caller: Caller) => Promise<object>>)[path];
    if (!route) throw new NotFound(`There is no ${event.rawPath} here; see /api/openapi.json.`);
    const caller = { headers: event.headers, query: event.queryStringParameters, rawQuery: event.rawQueryString };
    return json(200, await withStore(() => route(deps, caller), READ_UNAVAILABLE));
  };
