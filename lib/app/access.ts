import {
  authenticate,
  authorize,
  extractCredential,
  type ApiKeyRecord,
  type FeedRecord,
  type Principal,
  type Privilege,
} from '../domain/auth.ts';
import type { Directory } from '../store/directory.ts';
import { forbidden, notFound, problem, type ProblemError } from '../http/errors.ts';
import { hashApiKey } from '../domain/keys.ts';

export type FieldError = { field: string; detail: string };

/** A request's input after validation: its value, or every problem found, each naming its field. */
export type Checked<T> = { ok: true; value: T } | { ok: false; detail: string; errors: FieldError[] };

export const valid = <T>(value: T): Checked<T> => ({ ok: true, value });
/** At most this many problems are reported (each once): a body of 5,000 bad fields gets a short answer. */
const MAX_ERRORS = 20;

export const invalid = (errors: FieldError[]): Checked<never> => {
  const unique = [...new Map(errors.map((e) => [`${e.field}\n${e.detail}`, e])).values()];
  const shown = unique.slice(0, MAX_ERRORS);
  const more = unique.length - shown.length;
  return {
    ok: false,
    errors: shown,
    detail: shown.map((e) => e.detail).join(' ') + (more > 0 ? ` (and ${more} more problems)` : ''),
  };
};

/** Both values, or the problems of both. */
export const both = <A, B>(a: Checked<A>, b: Checked<B>): Checked<[A, B]> =>
  a.ok && b.ok ? valid([a.value, b.value]) : invalid([...(a.ok ? [] : a.errors), ...(b.ok ? [] : b.errors)]);

/** 400 with the detail and one `errors` entry per field (RFC 9457 extension member). */
export const invalidInput = (checked: { detail: string; errors: FieldError[] }): ProblemError =>
  problem(400, checked.detail, { extensions: { errors: checked.errors } });

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
  if (credential.kind === 'invalid') throw forbidden(credential.detail);
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
  if (!input.ok && keyHash === undefined) throw invalidInput(input);

  const feedName = input.ok ? check.feedName(input.value) : undefined;
  const resolved = await directory.resolve({ keyHash, feedName });
  const principal = principalFor(keyHash, resolved.key, now);
  if (!input.ok) throw invalidInput(input);
  if (!resolved.feed) throw notFound(`Feed ${feedName} was not found.`);
  authorize(principal, resolved.feed, privilege);
  return { principal, feed: resolved.feed, value: input.value };
};
