import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from '../domain/zod.ts';
import { authenticateCaller, checkFeedAccess, invalid, invalidInput, valid, type Caller, type Checked, type FieldError } from './access.ts';
import { hasPrivilege, isKeyParameter, PRIVILEGES, VIEW_PRIVILEGE, type FeedRecord, type Principal } from '../domain/auth.ts';
import { config } from '../store/config.ts';
import { documentClient } from '../store/client.ts';
import { Directory } from '../store/directory.ts';
import { FeedRepository } from '../store/feeds.ts';
import { queryPage, type Page, type Partition } from '../store/queries.ts';
import { instant, optional, required, zodFailure } from '../domain/deployment.ts';
import { notFound } from '../http/errors.ts';
import { isForbiddenKey } from '../http/body.ts';
import { json, type Response } from '../http/responses.ts';
import { currentPartitionKey, deploymentPartitionKey, feedIndexKey, sortKeyRange, targetIndexKey, versionIndexKey } from '../domain/keys.ts';
import { toView, type DeploymentView } from './record.ts';

/** Page sizes: `limit` is 1 to MAX_LIMIT, DEFAULT_LIMIT when not given. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

const limit = z.pipe(
  z.optional(z.string()),
  z.transform((s: string | undefined, ctx) => {
    if (s === undefined || s.trim() === '') return DEFAULT_LIMIT;
    const n = /^\d{1,4}$/.test(s.trim()) ? Number(s.trim()) : NaN;
    if (n >= 1 && n <= MAX_LIMIT) return n;
    ctx.issues.push({ code: 'custom', message: `must be a whole number from 1 to ${MAX_LIMIT}`, input: s });
    return z.NEVER;
  }),
);
const cursor = z.optional(z.string().check(z.maxLength(4096, 'is not a cursor this API returned')));

/** `GET /api/deployments`: a package's history (optionally of one version), a target's, or a feed's. */
export const HistoryQuerySchema = z
  .object({
    FeedName: required('FeedName'),
    PackageName: optional('PackageName'),
    GroupName: optional('GroupName'),
    Version: optional('Version'),
    Target: optional('Target'),
    from: instant('Date'),
    to: instant('Date'),
    limit,
    cursor,
  })
  .check(z.superRefine((q, ctx) => {
    if (q.PackageName === undefined) {
      for (const field of ['Version', 'GroupName'] as const) {
        if (q[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'needs PackageName' });
      }
    } else if (q.Target !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['Target'],
        message: 'cannot be combined with PackageName; ask for the package (its history lists each target) or the target, or see /api/deployments/current',
      });
    }
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'is after to' });
    }
  }));
export type HistoryQuery = z.output<typeof HistoryQuerySchema>;

/** `GET /api/deployments/current`: the latest record per target of one package. */
export const CurrentQuerySchema = z.object({
  FeedName: required('FeedName'),
  PackageName: required('PackageName'),
  GroupName: optional('GroupName'),
  limit,
  cursor,
});
export type CurrentQuery = z.output<typeof CurrentQuerySchema>;

/** `GET /api/feeds`: no parameters besides an API key. */
export const FeedsQuerySchema = z.object({});

type Query = Readonly<Record<string, string | undefined>> | undefined;


/**
 * Query-string parameters by name, case-insensitively as ProGet matches names; `key` is the API key and not a
 * parameter of the query. An unknown name is a 400 (a typo must not widen a query silently), as is a name given twice.
 */
export const readParameters = <T>(schema: z.ZodMiniType<T>, names: readonly string[], query: Query, rawQuery?: string): Checked<T> => {
  const canonical = new Map(names.map((n) => [n.toLowerCase(), n]));
  const values: Record<string, string> = Object.create(null);
  const errors: FieldError[] = [];
  // A name repeated in the same casing reaches us once, its values joined with commas: count it in the raw query.
  const sent = new Map<string, number>();
  for (const [raw] of new URLSearchParams(rawQuery ?? '')) sent.set(raw.trim().toLowerCase(), (sent.get(raw.trim().toLowerCase()) ?? 0) + 1);
  for (const [name, count] of sent) {
    const known = canonical.get(name);
    if (known !== undefined && count > 1) errors.push({ field: known, detail: `${known} was given more than once.` });
  }
  for (const [raw, value] of Object.entries(query ?? {})) {
    if (isKeyParameter(raw)) continue;
    const lower = raw.trim().toLowerCase();
    const name = canonical.get(lower);
    if (name === undefined || isForbiddenKey(raw)) {
      const use = names.length > 0 ? `use ${names.join(', ')}` : 'it takes none (an API key may be sent as key)';
      errors.push({ field: raw, detail: `${raw} is not a parameter here; ${use}.` });
    } else if (name in values) {
      if (!errors.some((e) => e.field === name)) errors.push({ field: name, detail: `${name} was given more than once.` });
    } else {
      values[name] = value ?? '';
    }
  }
  if (errors.length > 0) return invalid(errors);
  const parsed = schema.safeParse(values);
  return parsed.success ? valid(parsed.data) : zodFailure(parsed.error, 'query');
};

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
export const historyPartition = (q: HistoryQuery): Partition => {
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
  if (!parameters.ok) throw invalidInput(parameters);
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
export const READ_ROUTES = {
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
    if (!route) throw notFound(`There is no ${event.rawPath} here; see /api/openapi.json.`);
    return json(200, await route(deps, { headers: event.headers, query: event.queryStringParameters, rawQuery: event.rawQueryString }));
  };
