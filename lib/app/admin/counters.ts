import { NotFound } from '../../domain/errors.ts';
import { foldName } from '../../domain/keys.ts';
import { backfill, type BackfillResult } from '../../store/backfill.ts';
import type { AdminDependencies } from './dependencies.ts';

/**
 * Rebuilds the deployment-frequency counters from the history and brings current items up to date (idempotent), for
 * every feed or one. A feed name that finds no records and names no feed (a typo) is NotFound rather than a
 * successful count of nothing.
 */
export const backfillCounters = async (
  deps: Pick<AdminDependencies, 'client' | 'deploymentsTable' | 'feeds'>,
  feed: string | undefined,
): Promise<BackfillResult> => {
  const result = await backfill(deps.client, deps.deploymentsTable, { feed });
  if (feed !== undefined && result.records === 0 && !(await deps.feeds.list()).some((f) => f.name === foldName(feed))) {
    throw new NotFound(`No feed named ${feed}, and no records stored under that name: nothing to count (see feeds list).`);
  }
  return result;
};
