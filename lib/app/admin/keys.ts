import type { Privilege } from '../../domain/auth.ts';
import { NotFound } from '../../domain/errors.ts';
import type { ApiKeySummary } from '../../store/api-keys.ts';
import type { AdminDependencies } from './dependencies.ts';

export type NewKey = { user: string; feedNames: string[]; privileges: Privilege[]; expiresAt?: string | undefined; key?: string | undefined };

/** Adds an API key (generated unless `key` imports one), bound to the named feeds' ids; the key is returned once. */
export const addKey = (deps: Pick<AdminDependencies, 'keys'>, request: NewKey): Promise<{ key: string; record: ApiKeySummary }> =>
  deps.keys.add({ user: request.user, feeds: request.feedNames, privileges: request.privileges, expiresAt: request.expiresAt, key: request.key });

export type KeyStatus = 'active' | 'revoked' | 'expired';

/** A key as listed: never the key or its hash; its feeds by display name, or `*` for all feeds. */
export type KeyListing = ApiKeySummary & { feedNames: string[]; status: KeyStatus };

/**
 * Every key, with its feeds by their display names (a feed removed since, whose id is no longer a feed's, as
 * `<name> (removed)`) and its status at `now`.
 */
export const listKeys = async (deps: Pick<AdminDependencies, 'keys' | 'feeds'>, now: Date): Promise<KeyListing[]> => {
  const list = await deps.keys.list();
  if (list.length === 0) return [];
  const byId = new Map((await deps.feeds.list()).map((f) => [f.id, f.displayName]));
  const feedNames = (k: ApiKeySummary): string[] =>
    k.allFeeds ? ['*'] : (k.feedIds?.map((id, i) => byId.get(id) ?? `${k.feeds[i] ?? id} (removed)`) ?? k.feeds);
  const status = (k: ApiKeySummary): KeyStatus => (k.revoked ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= now.getTime() ? 'expired' : 'active');
  return list.map((k) => ({ ...k, feedNames: feedNames(k), status: status(k) }));
};

/** Revokes a key by its id; an unknown id is NotFound. */
export const revokeKey = async (deps: Pick<AdminDependencies, 'keys'>, id: string): Promise<void> => {
  if (!(await deps.keys.revoke(id))) throw new NotFound(`No key with id ${id}.`);
};
