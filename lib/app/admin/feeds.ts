import type { FeedRecord, Privilege } from '../../domain/auth.ts';
import { NotFound } from '../../domain/errors.ts';
import { foldName } from '../../domain/keys.ts';
import type { Purged } from '../../store/feed-records.ts';
import type { AdminDependencies } from './dependencies.ts';

/** A feed of that name (case-insensitively) exists already. */
export class FeedExists extends Error {}

/**
 * Adds a feed. A new feed starts without webhooks or trust policies, even if the removal of an earlier feed of this
 * name left some behind: they go before the feed exists, so that none of its records can reach them (trust policies
 * are bound to the earlier feed's id and would never apply, but go too). Records stored under the name
 * by a removed feed are refused (FeedNameHasRecords, from lib/store/feeds.ts) unless `takeOver`, which adopts them.
 * Resolves with the webhooks removed and, on a take-over, how many records the feed now holds.
 */
export const addFeed = async (
  deps: Pick<AdminDependencies, 'feeds' | 'webhooks' | 'trustPolicies'>,
  request: { name: string; anonymous: Privilege[]; takeOver: boolean },
): Promise<{ staleWebhooks: number; adopted?: number }> => {
  const { feeds, webhooks } = deps;
  const exists = (await feeds.list()).some((f) => f.name === foldName(request.name));
  const staleWebhooks = exists ? 0 : await webhooks.removeForFeed(request.name);
  if (!exists) await deps.trustPolicies.removeForFeed(request.name);
  if (!(await feeds.add(request.name, request.anonymous, { takeOver: request.takeOver }))) throw new FeedExists(`A feed named ${request.name} already exists.`);
  return request.takeOver ? { staleWebhooks, adopted: await feeds.countRecords(request.name) } : { staleWebhooks };
};

/** Every feed, as stored (its display name, anonymous privileges, creation time and id). */
export const listAllFeeds = (deps: Pick<AdminDependencies, 'feeds'>): Promise<FeedRecord[]> => deps.feeds.list();

export type FeedRemoval = {
  /** Whether a feed of that name was removed now (false: none, or one removed by an earlier run). */
  removed: boolean;
  /** The webhooks stored under the name, removed with the feed. */
  webhooks: number;
  /** The trust policies stored under the name, removed with the feed. */
  trustPolicies: number;
  /** With `purge`: what was deleted of the records stored under the name. */
  purged?: Purged;
};

/**
 * Removes a feed, its webhooks and its trust policies (also when the feed went in an earlier, interrupted run: a feed added later under
 * this name starts without them). Its records are kept unless `purge`, which deletes them (also those of a feed
 * removed earlier). Without `purge`, a name with no feed, webhooks or trust policies is NotFound.
 */
export const removeFeed = async (
  deps: Pick<AdminDependencies, 'feeds' | 'webhooks' | 'trustPolicies'>,
  request: { name: string; purge: boolean },
): Promise<FeedRemoval> => {
  const removed = await deps.feeds.remove(request.name);
  const webhooks = await deps.webhooks.removeForFeed(request.name);
  const trustPolicies = await deps.trustPolicies.removeForFeed(request.name);
  if (!request.purge) {
    if (!removed && webhooks === 0 && trustPolicies === 0) throw new NotFound(`No feed named ${request.name}.`);
    return { removed, webhooks, trustPolicies };
  }
  return { removed, webhooks, trustPolicies, purged: await deps.feeds.purge(request.name) };
};
