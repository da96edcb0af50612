import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { hasPrivilege, PRIVILEGES, VIEW_PRIVILEGE, type FeedRecord, type Principal } from '../domain/auth.ts';
import { InvalidInput, NotFound } from '../domain/errors.ts';
import { bucketCount, bucketEnd, bucketOf, dayOf, defaultFromDay, MAX_BUCKETS, sumIntoBuckets } from '../domain/frequency.ts';
import {
  currentPartitionKey,
  deploymentPartitionKey,
  feedIndexKey,
  foldName,
  overviewGroupPrefix,
  sortKeyRange,
  targetIndexKey,
  versionIndexKey,
} from '../domain/keys.ts';
import {
  CurrentQuerySchema,
  DoraQuerySchema,
  FeedsQuerySchema,
  FrequencyQuerySchema,
  HistoryQuerySchema,
  OverviewQuerySchema,
  readParameters,
  type HistoryQuery,
} from '../domain/queries.ts';
import { findRoute, ROUTES, type RouteOf } from '../domain/routes.ts';
import { toCurrentView, toPackageOverview, toView } from '../domain/record.ts';
import { daysIn, DORA_DEFAULT_DAYS, DORA_MAX_DAYS, doraView } from '../domain/dora.ts';
import type { CurrentPageView, DoraView, FeedsView, FrequencyView, OverviewView, PageView } from '../domain/views.ts';
import { json, type Response } from '../http/responses.ts';
import type { DocumentClient } from '../store/client.ts';
import type { Directory } from '../store/directory.ts';
import { readDailyCounts, readDoraCounts } from '../store/counters.ts';
import { READ_UNAVAILABLE, withStore } from '../store/failures.ts';
import type { FeedRepository } from '../store/feeds.ts';
import type { CurrentItem } from '../store/items.ts';
import { queryOverview } from '../store/overview.ts';
import { queryPage, type Page, type Partition } from '../store/queries.ts';
import { authenticateCaller, checkFeedAccess, type Caller } from './access.ts';

const HISTORY_NAMES = Object.keys(HistoryQuerySchema.shape);
const CURRENT_NAMES = Object.keys(CurrentQuerySchema.shape);
const OVERVIEW_NAMES = Object.keys(OverviewQuerySchema.shape);
const FREQUENCY_NAMES = Object.keys(FrequencyQuerySchema.shape);
const DORA_NAMES = Object.keys(DoraQuerySchema.shape);

export type ReadDependencies = {
  client: DocumentClient;
  directory: Directory;
  feeds: FeedRepository;
  deploymentsTable: string;
  now: () => Date;
  /** The region this function runs in: the DORA read stores the summaries of its closed days (lib/store/counters.ts). */
  region: string;
  /** Hears of a summary of a closed day that could not be stored (the read's answer is whole all the same). */
  onSummaryError?: ((error: unknown) => void) | undefined;
};

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
  const now = deps.now();
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(HistoryQuerySchema, HISTORY_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now,
  });
  const range = sortKeyRange(q.from, q.to);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return pageView(await queryPage(deps.client, deps.deploymentsTable, { partition: historyPartition(q), range, limit: q.limit, cursor: q.cursor, nowSeconds }));
};

/** For each target of a package, its latest record by Date, in target order, with the version it ran before. */
export const currentDeployments = async (deps: ReadDependencies, caller: Caller): Promise<CurrentPageView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(CurrentQuerySchema, CURRENT_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const partition = { value: currentPartitionKey(q.FeedName, q.GroupName, q.PackageName) };
  const page = await queryPage(deps.client, deps.deploymentsTable, { partition, ascending: true, limit: q.limit, cursor: q.cursor });
  return {
    Items: (page.items as unknown as CurrentItem[]).map(toCurrentView),
    ...(page.cursor !== undefined ? { NextCursor: page.cursor } : {}),
  };
};

/**
 * Every package of a feed (a page of `limit` packages, in group and package order), each with its current record per
 * target, the version each target ran before and what changed, its distinct versions and whether they differ (Drift).
 * The filters keep the matching targets (case-insensitively); Versions and Drift are of the targets shown, and a
 * package with none left is not listed. Reads the overview index: O(current items of the page).
 */
export const deploymentOverview = async (deps: ReadDependencies, caller: Caller): Promise<OverviewView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(OverviewQuerySchema, OVERVIEW_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const same = (wanted: string | undefined, value: string) => wanted === undefined || foldName(wanted) === foldName(value);
  const page = await queryOverview(deps.client, deps.deploymentsTable, {
    feedName: q.FeedName,
    prefix: q.GroupName !== undefined ? overviewGroupPrefix(q.GroupName) : undefined,
    limit: q.limit,
    cursor: q.cursor,
    keep: (item) => same(q.Target, item.target) && same(q.Region, item.region) && same(q.Application, item.application),
  });
  return { Packages: page.packages.map(toPackageOverview), ...(page.cursor !== undefined ? { NextCursor: page.cursor } : {}) };
};

/**
 * Deployments per day or per week (weeks start Monday UTC; a range is widened to whole weeks), zero buckets included,
 * summed across regions, from the per-day counters: O(buckets x regions), whatever the history's length. A record
 * counts on the day its Date says. Without `to`, up to today; without `from`, the DEFAULT_BUCKETS buckets before.
 */
export const deploymentFrequency = async (deps: ReadDependencies, caller: Caller): Promise<FrequencyView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(FrequencyQuerySchema, FREQUENCY_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const interval = q.interval;
  const toDay = q.to !== undefined ? dayOf(q.to) : dayOf(deps.now().toISOString());
  const fromDay = q.from !== undefined ? dayOf(q.from) : defaultFromDay(interval, toDay);
  if (fromDay > toDay) {
    throw new InvalidInput({ detail: 'from is after to (today, when to is not given).', errors: [{ field: 'from', detail: 'from is after to.' }] });
  }
  const count = bucketCount(interval, fromDay, toDay);
  if (count > MAX_BUCKETS[interval]) {
    const detail = `from and to span ${count} ${interval}s; at most ${MAX_BUCKETS[interval]} ${interval}s per request.`;
    throw new InvalidInput({ detail, errors: [{ field: 'from', detail }] });
  }
  const first = bucketOf(interval, fromDay);
  const last = bucketEnd(interval, toDay);
  const dimension = { feed: q.FeedName, group: q.GroupName, pkg: q.PackageName, target: q.Target };
  const counts = await readDailyCounts(deps.client, deps.deploymentsTable, dimension, first, last);
  return { Interval: interval, Buckets: sumIntoBuckets(interval, first, last, counts) };
};

/**
 * The four DORA keys (lib/domain/dora.ts) of a feed, a package, a target or both, optionally of one region, over the
 * whole UTC days from `from` to `to` (default: the DORA_DEFAULT_DAYS days up to today): closed days from their
 * summaries (one item per day and region, of bounded size), the last three days (today and the two before it) from
 * the per-day counters (lib/store/counters.ts readDoraCounts), so its cost is O(days x regions) whatever the
 * history's length.
 */
export const deploymentDora = async (deps: ReadDependencies, caller: Caller): Promise<DoraView> => {
  const { value: q } = await checkFeedAccess(deps.directory, caller, {
    input: readParameters(DoraQuerySchema, DORA_NAMES, caller.query, caller.rawQuery),
    feedName: (v) => v.FeedName,
    privilege: VIEW_PRIVILEGE,
    now: deps.now(),
  });
  const toDay = q.to !== undefined ? dayOf(q.to) : dayOf(deps.now().toISOString());
  const fromDay = q.from !== undefined ? dayOf(q.from) : dayOf(new Date(Date.parse(`${toDay}T00:00:00Z`) - (DORA_DEFAULT_DAYS - 1) * 86_400_000).toISOString());
  if (fromDay > toDay) {
    throw new InvalidInput({ detail: 'from is after to (today, when to is not given).', errors: [{ field: 'from', detail: 'from is after to.' }] });
  }
  const days = daysIn(fromDay, toDay);
  if (days > DORA_MAX_DAYS) {
    const detail = `from and to span ${days} days; at most ${DORA_MAX_DAYS} days per request.`;
    throw new InvalidInput({ detail, errors: [{ field: 'from', detail }] });
  }
  const dimension = { feed: q.FeedName, group: q.GroupName, pkg: q.PackageName, target: q.Target };
  const counts = await readDoraCounts(deps.client, deps.deploymentsTable, dimension, fromDay, toDay, {
    now: deps.now(),
    region: deps.region,
    onStoreError: deps.onSummaryError,
  });
  const region = q.Region;
  return doraView(fromDay, toDay, region === undefined ? counts : counts.filter((c) => foldName(c.region) === foldName(region)));
};

const privilegesOn = (principal: Principal, feed: FeedRecord): string[] => PRIVILEGES.filter((p) => hasPrivilege(principal, feed, p));

/** The feeds the caller may view, with what the caller may do on each and how long each keeps its history. */
export const listFeeds = async (deps: ReadDependencies, caller: Caller): Promise<FeedsView> => {
  const principal = await authenticateCaller(deps.directory, caller, deps.now());
  const parameters = readParameters(FeedsQuerySchema, [], caller.query, caller.rawQuery);
  if (!parameters.ok) throw new InvalidInput(parameters);
  const feeds = await deps.feeds.list();
  return {
    Items: feeds
      .filter((f) => hasPrivilege(principal, f, VIEW_PRIVILEGE))
      .map((f) => ({ Name: f.displayName, Privileges: privilegesOn(principal, f), ...(f.retainDays !== undefined ? { RetainDays: f.retainDays } : {}) })),
  };
};

/** The read API's handlers, one per route of the function (lib/domain/routes.ts): a route without one is a compile error. */
const READ_HANDLERS: Record<RouteOf<'query-deployments'>, (deps: ReadDependencies, caller: Caller, request: ReadRequest) => Promise<object>> = {
  history: listDeployments,
  current: currentDeployments,
  overview: deploymentOverview,
  frequency: deploymentFrequency,
  dora: deploymentDora,
  // Loaded on its first request: its version ranges (node-semver) and advisory parsing stay out of the cold start.
  affected: async (deps, caller, request) => (await import('./affected.ts')).affectedDeployments(deps, caller, request),
  feeds: listFeeds,
};

/** What a read handler may need of the request beyond its query: the body and method (an advisory is POSTed). */
export type ReadRequest = Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'> & { method: string };

/** The Lambda handler function behind the middlewares: routes by path (with or without a trailing slash). */
export const readHandler =
  (deps: ReadDependencies) =>
  async (request: APIGatewayProxyEventV2, _context: Context): Promise<Response> => {
    const id = findRoute('query-deployments', request.rawPath);
    if (id === undefined) throw new NotFound(`There is no ${request.rawPath} here; see ${ROUTES.openapi.path}.`);
    const caller = { headers: request.headers, query: request.queryStringParameters, rawQuery: request.rawQueryString };
    const readRequest: ReadRequest = {
      body: request.body,
      isBase64Encoded: request.isBase64Encoded,
      headers: request.headers,
      method: request.requestContext.http.method.toUpperCase(),
    };
    return json(200, await withStore(() => READ_HANDLERS[id](deps, caller, readRequest), READ_UNAVAILABLE));
  };
