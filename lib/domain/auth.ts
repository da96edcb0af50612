import { timingSafeEqual } from 'node:crypto';
import { Forbidden } from './errors.ts';
import type { TrustPolicy } from './trust.ts';

/** ProGet's feed privileges (a subset that feed API keys and the built-in tasks grant). */
export const PRIVILEGES = [
  'Feeds_ViewFeed',
  'Feeds_DownloadPackage',
  'Feeds_AddPackage',
  'Feeds_PromotePackage',
  'Feeds_OverwritePackage',
  'Feeds_DeletePackage',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** The privilege ProGet requires to read a feed (its packages and, here, its deployment records). */
export const VIEW_PRIVILEGE: Privilege = 'Feeds_ViewFeed';
/** The privilege ProGet requires to record a deployment. */
export const RECORD_PRIVILEGE: Privilege = 'Feeds_DownloadPackage';
/** "View & Download Packages", what `feeds add --anonymous` grants anonymous users. */
export const VIEW_AND_DOWNLOAD: Privilege[] = ['Feeds_ViewFeed', 'Feeds_DownloadPackage'];

export const ANONYMOUS = 'Anonymous';

export type ApiKeyRecord = {
  keyHash: string;
  id: string;
  user: string;
  /** True: every feed; otherwise the feeds whose ids are in `feedIds` (see {@link coversFeed}). */
  allFeeds: boolean;
  /** The folded names of the feeds it was created for, as shown by `keys list`. */
  feeds: string[];
  /**
   * The ids of the feeds it covers. Absent on keys created before feeds had ids: those cover the feeds named in
   * `feeds` that still have no id of their own (their legacy id, see {@link legacyFeedId}).
   */
  feedIds?: string[] | undefined;
  privileges: string[];
  expiresAt?: string | undefined;
  revoked: boolean;
  createdAt: string;
};

export type FeedRecord = {
  /** The folded name (the partition key). */
  name: string;
  /**
   * The feed's identity, which outlives its name: a ULID given by `feeds add`, or for a feed stored before feeds had
   * ids, its legacy id (see {@link legacyFeedId}). API keys scoped to a feed bind to it, records carry it.
   */
  id: string;
  displayName: string;
  anonymousPrivileges: string[];
  createdAt: string;
  /** How many days its history records are kept after their Date (lib/domain/retention.ts); absent: forever. */
  retainDays?: number | undefined;
};

/** Anonymous; an API key; or an identity token that satisfied a trust policy (see trust.ts), with the UserName it gives. */
export type Principal = { kind: 'anonymous' } | { kind: 'key'; key: ApiKeyRecord } | { kind: 'trust'; policy: TrustPolicy; userName: string };

/** Where a key arrived from, for messages; never the key itself. */
export type KeySource = 'X-ApiKey header' | 'Authorization header' | 'key query parameter' | 'body';
export type Credential =
  { kind: 'none' } | { kind: 'key'; key: string; source: KeySource } | { kind: 'bearer'; token: string } | { kind: 'invalid'; detail: string };

type Headers = Readonly<Record<string, string | undefined>>;
type Query = Readonly<Record<string, string | undefined>> | undefined;
/** Body fields, for the transports of older ProGet versions: a form field `key`, a JSON property `API_Key`. */
type BodyFields = ReadonlyArray<readonly [name: string, value: unknown]> | undefined;
const BODY_KEY_FIELDS = new Set(['key', 'api_key']);

/** Lower-cases A-Z only: a look-alike such as the Kelvin sign (U+212A), which toLowerCase() turns into k, is not a k. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The query-string parameter that carries an API key (ProGet's `?key=`), in any ASCII casing. */
export const isKeyParameter = (name: string): boolean => asciiLower(name.trim()) === 'key';

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * HTTP API joins a repeated header or query parameter with commas (`X-ApiKey: K` twice arrives as `K,K`). API keys
 * never contain commas (the admin CLI refuses to import one), so the parts are the keys sent.
 */
const keysIn = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');

/**
 * The key transports ProGet accepts: the `X-ApiKey` header, HTTP Basic with user `api` and the key as password, the
 * `key` query-string parameter, and (older versions) a body field `key` or `API_Key`. Headers must already be
 * lower-cased. An empty value counts as no key (an unset pipeline secret); two different keys, a Basic user other than
 * `api`, or another Authorization scheme are refused rather than guessed at. `Authorization: Bearer <JWT>` is an
 * identity token instead (see trust.ts), never together with a key. Messages never repeat what was sent.
 */
export const extractCredential = (headers: Headers, query: Query, body?: BodyFields): Credential => {
  const found: Array<{ key: string; source: KeySource }> = [];
  for (const key of keysIn(headers['x-apikey'])) found.push({ key, source: 'X-ApiKey header' });

  const authorization = headers['authorization']?.trim();
  let bearer: string | undefined;
  if (authorization) {
    const [scheme = '', ...rest] = authorization.split(/\s+/);
    if (scheme.toLowerCase() === 'bearer') {
      // Two Authorization headers arrive joined with a comma: more than one part is refused, never guessed at.
      if (rest.length !== 1 || rest[0] === '') return { kind: 'invalid', detail: "The Authorization header's Bearer scheme takes one identity token (a JWT)." };
      bearer = rest[0];
    } else if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(rest.join(''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      if (colon < 0 || user.toLowerCase() !== 'api') {
        return { kind: 'invalid', detail: 'HTTP Basic authentication takes the user name "api" and the API key as the password.' };
      }
      const password = decoded.slice(colon + 1).trim();
      if (password) found.push({ key: password, source: 'Authorization header' });
    } else {
      return {
        kind: 'invalid',
        detail:
          'The Authorization header takes HTTP Basic authentication (user "api", the API key as password) or a Bearer identity token; or send the API key in the X-ApiKey header.',
      };
    }
  }

  for (const [name, value] of Object.entries(query ?? {})) {
    if (isKeyParameter(name)) for (const key of keysIn(value)) found.push({ key, source: 'key query parameter' });
  }
  const seen = new Set<string>();
  for (const [name, value] of body ?? []) {
    const field = asciiLower(name.trim());
    if (!BODY_KEY_FIELDS.has(field)) continue;
    // A JSON property given twice reaches us twice with the last value: whatever the first held, it is a conflict.
    if (seen.has(field)) return { kind: 'invalid', detail: `The body field ${name} was given more than once.` };
    seen.add(field);
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      return { kind: 'invalid', detail: `The body field ${name} must hold the API key as a string.` };
    }
    if (String(value).trim()) found.push({ key: String(value).trim(), source: 'body' });
  }

  const [first, ...others] = found;
  if (bearer !== undefined) {
    if (first !== undefined) return { kind: 'invalid', detail: `Both a Bearer identity token and an API key (in the ${first.source}) were sent; send one.` };
    return { kind: 'bearer', token: bearer };
  }
  if (first === undefined) return { kind: 'none' };
  const conflicting = others.find((o) => !sameSecret(o.key, first.key));
  if (conflicting) {
    const where = conflicting.source === first.source ? `the ${first.source} (twice)` : `the ${first.source} and the ${conflicting.source}`;
    return { kind: 'invalid', detail: `Different API keys were sent in ${where}.` };
  }
  return { kind: 'key', key: first.key, source: first.source };
};

/** A supplied key must exist, not be revoked and not have expired; otherwise 403, before the body is looked at. */
export const authenticate = (key: ApiKeyRecord | undefined, now: Date): Principal => {
  if (key === undefined) throw new Forbidden('The API key is not valid.');
  if (key.revoked) throw new Forbidden('The API key has been revoked.');
  // An expiry that does not parse (NaN) counts as expired: fail closed.
  if (key.expiresAt !== undefined && !(Date.parse(key.expiresAt) > now.getTime())) {
    throw new Forbidden(`The API key expired at ${key.expiresAt}.`);
  }
  return { kind: 'key', key };
};

/** The id of a feed stored before feeds had ids: derived from its folded name, so it is stable and unique. */
export const legacyFeedId = (foldedName: string): string => `legacy:${foldedName}`;

/**
 * Whether a key covers a feed: every feed, or this feed by its id. A key created before feeds had ids names feeds; it
 * covers those that kept their legacy identity, never a feed created later under the same name.
 */
export const coversFeed = (key: ApiKeyRecord, feed: FeedRecord): boolean =>
  key.allFeeds || (key.feedIds !== undefined ? key.feedIds.includes(feed.id) : key.feeds.some((name) => legacyFeedId(name) === feed.id));

/**
 * What anonymous users may do on a feed, everyone may: a valid key is never worth less than no key. Beyond that, a
 * key holds its privileges on the feeds it covers.
 */
export const hasPrivilege = (principal: Principal, feed: FeedRecord, privilege: Privilege): boolean => {
  if (feed.anonymousPrivileges.includes(privilege)) return true;
  if (principal.kind === 'anonymous') return false;
  if (principal.kind === 'trust') return principal.policy.feedId === feed.id && principal.policy.privileges.includes(privilege);
  const { key } = principal;
  return coversFeed(key, feed) && key.privileges.includes(privilege);
};

export const authorize = (principal: Principal, feed: FeedRecord, privilege: Privilege): void => {
  if (hasPrivilege(principal, feed, privilege)) return;
  if (principal.kind === 'anonymous') {
    throw new Forbidden(`Anonymous users are not granted ${privilege} on feed ${feed.displayName}; send an API key in the X-ApiKey header.`);
  }
  if (principal.kind === 'trust') {
    throw new Forbidden(`The identity token's trust policy (${principal.policy.id}) does not grant ${privilege} on feed ${feed.displayName}.`);
  }
  throw new Forbidden(`The API key (user ${principal.key.user}) is not granted ${privilege} on feed ${feed.displayName}.`);
};

export const principalName = (principal: Principal): string =>
  principal.kind === 'anonymous' ? ANONYMOUS : principal.kind === 'trust' ? principal.userName : principal.key.user;

/** Who recorded, without the secret: the API key's id, `trust:<policy id>` for an identity token, or `anonymous`. */
export const principalKeyId = (principal: Principal): string =>
  principal.kind === 'anonymous' ? 'anonymous' : principal.kind === 'trust' ? `trust:${principal.policy.id}` : principal.key.id;

/**
 * The scope of an Idempotency-Key: the API key's id, or for anonymous callers anonymous and the feed's id, so that an
 * anonymous caller cannot claim another feed's keys in advance (nor a re-created feed replay an old feed's answers).
 */
export const idempotencyScope = (principal: Principal, feed: FeedRecord): string =>
  principal.kind === 'anonymous' ? `anonymous:${feed.id}` : principalKeyId(principal);
