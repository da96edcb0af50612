import type { FeedRecord } from '../../domain/auth.ts';
import { NotFound } from '../../domain/errors.ts';
import { applyRetentionPage } from '../../store/retention.ts';
import type { AdminDependencies } from './dependencies.ts';

/** History items read per page of `retention apply` (one Query of the byFeed index, one BatchGetItem of current items). */
export const RETENTION_PAGE = 200;

export type RetentionProgress = { read: number; changed: number; next?: string | undefined };

const feedNamed = async (deps: Pick<AdminDependencies, 'feeds'>, name: string): Promise<FeedRecord> => {
  const feed = await deps.feeds.get(name);
  if (!feed) throw new NotFound(`No feed named ${name} (see feeds list).`);
  return feed;
};

/**
 * Walks a feed's history in pages (from `after`, a token an earlier run printed), giving each record the expiry the
 * feed's retention wants; `onPage` hears the running totals and the token to resume from after each page. With
 * `dryRun`, writes nothing and counts what it would change.
 */
export const applyRetention = async (
  deps: Pick<AdminDependencies, 'feeds' | 'client' | 'deploymentsTable'>,
  request: {
    name: string;
    after?: string | undefined;
    dryRun?: boolean;
    now: Date;
    onPage?: (progress: RetentionProgress) => void;
    /** Records per page (default RETENTION_PAGE). */
    pageSize?: number | undefined;
  },
): Promise<RetentionProgress & { feed: FeedRecord }> => {
  const feed = await feedNamed(deps, request.name);
  const nowSeconds = Math.floor(request.now.getTime() / 1000);
  const totals: RetentionProgress = { read: 0, changed: 0, next: request.after };
  do {
    const page = await applyRetentionPage(deps.client, deps.deploymentsTable, {
      feedName: feed.name,
      retainDays: feed.retainDays,
      after: totals.next,
      limit: request.pageSize ?? RETENTION_PAGE,
      nowSeconds,
      dryRun: request.dryRun,
    });
    totals.read += page.read;
    totals.changed += page.changed;
    totals.next = page.next;
    request.onPage?.({ ...totals });
  } while (totals.next !== undefined);
  return { ...totals, feed };
};

/**
 * Sets how long a feed keeps its history (undefined: forever) and counts the records whose expiry `retention apply`
 * must then rewrite (new records follow the new setting within LOOKUP_CACHE_TTL_SECONDS).
 */
export const setRetention = async (
  deps: Pick<AdminDependencies, 'feeds' | 'client' | 'deploymentsTable'>,
  request: { name: string; retainDays: number | undefined; now: Date },
): Promise<{ feed: FeedRecord; toChange: number }> => {
  if (!(await deps.feeds.setRetention(request.name, request.retainDays))) throw new NotFound(`No feed named ${request.name} (see feeds list).`);
  const { feed, changed } = await applyRetention(deps, { name: request.name, dryRun: true, now: request.now });
  return { feed, toChange: changed };
};
