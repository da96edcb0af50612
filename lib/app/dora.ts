/** GET /api/deployments/dora: the use case, loaded by the read function on the route's first request. */
import { VIEW_PRIVILEGE } from '../domain/auth.ts';
import { daysIn, DORA_DEFAULT_DAYS, DORA_MAX_DAYS, doraView } from '../domain/dora.ts';
import { InvalidInput } from '../domain/errors.ts';
import { dayOf } from '../domain/frequency.ts';
import { foldName } from '../domain/keys.ts';
import { DoraQuerySchema, readParameters } from '../domain/queries.ts';
import type { DoraView } from '../domain/views.ts';
import { readDoraCounts } from '../store/dora-counts.ts';
import { checkFeedAccess, type Caller } from './access.ts';
import type { ReadDependencies } from './read.ts';

const DORA_NAMES = Object.keys(DoraQuerySchema.shape);

/**
 * The four DORA keys (lib/domain/dora.ts) of a feed, a package, a target or both, optionally of one region, over the
 * whole UTC days from `from` to `to` (default: the DORA_DEFAULT_DAYS days up to today): closed days from their
 * summaries (one item per day and region, of bounded size), the last three days from the per-day counters
 * (lib/store/dora-counts.ts readDoraCounts), so its cost is O(days x regions) whatever the history's length.
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
