import { authenticate, authorize, extractCredential, type ApiKeyRecord, type FeedRecord, type Principal, type Privilege } from '../domain/auth.ts';
import { Forbidden, InvalidInput, NotFound } from '../domain/errors.ts';
import { hashApiKey } from '../domain/keys.ts';
import type { Checked } from '../domain/result.ts';
import type { Directory } from '../store/directory.ts';

/** Who is asking: lower-cased header names, the query string and the body's fields (any of which may carry the key). */
export type Caller = {
  headers: Readonly<Record<string, string | undefined>>;
  query: Readonly<Record<string, string | undefined>> | undefined;
  /** The query string as sent (HTTP API joins a repeated parameter's values with commas in `query`). */
  rawQuery?: string | undefined;
  fields?: ReadonlyArray<readonly [name: string, value: unknown]> | undefined;
};

/**
 * The principal behind a request without a feed (e.g. listing feeds): anonymous, or a valid key; a supplied key that
 * is unknown, revoked or expired is 403.
 */
export const authenticateCaller = async (directory: Directory, caller: Caller, now: Date): Promise<Principal> => {
  const keyHash = callerKeyHash(caller);
  return principalFor(keyHash, keyHash === undefined ? undefined : (await directory.resolve({ keyHash })).key, now);
};

/** The hash of the key the caller sent, undefined for none; two keys or a malformed credential are 403. */
const callerKeyHash = (caller: Caller): string | undefined => {
  const credential = extractCredential(caller.headers, caller.query, caller.fields);
  if (credential.kind === 'invalid') throw new Forbidden(credential.detail);
  return credential.kind === 'key' ? hashApiKey(credential.key) : undefined;
};

/** Anonymous without a key; otherwise the key's principal, or 403 for a key that is unknown, revoked or expired. */
const principalFor = (keyHash: string | undefined, key: ApiKeyRecord | null | undefined, now: Date): Principal =>
  keyHash === undefined ? { kind: 'anonymous' } : authenticate(key ?? undefined, now);

/**
 * ProGet's order of checks for a request on one feed: a supplied key that is unknown, revoked or expired is 403; then
 * invalid input is 400; a feed that does not exist 404; a principal without `privilege` on the feed 403. Key and feed
 * are resolved together, in one round trip or none (see Directory). Invalid input without a key costs no round trip.
 */
export const checkFeedAccess = async <T>(
  directory: Directory,
  caller: Caller,
  check: { input: Checked<T>; feedName: (value: T) => string; privilege: Privilege; now: Date },
): Promise<{ principal: Principal; feed: FeedRecord; value: T }> => {
  const { input, privilege, now } = check;
  const keyHash = callerKeyHash(caller);
  if (!input.ok && keyHash === undefined) throw new InvalidInput(input);

  const feedName = input.ok ? check.feedName(input.value) : undefined;
  const resolved = await directory.resolve({ keyHash, feedName });
  const principal = principalFor(keyHash, resolved.key, now);
  if (!input.ok) throw new InvalidInput(input);
  if (!resolved.feed) throw new NotFound(`Feed ${feedName} was not found.`);
  authorize(principal, resolved.feed, privilege);
  return { principal, feed: resolved.feed, value: input.value };
};
