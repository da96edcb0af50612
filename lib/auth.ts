import { timingSafeEqual } from 'node:crypto';
import { forbidden } from './errors.ts';

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

/** The privilege ProGet requires to record a deployment. */
export const RECORD_PRIVILEGE: Privilege = 'Feeds_DownloadPackage';
/** "View & Download Packages", what `feeds add --anonymous` grants anonymous users. */
export const VIEW_AND_DOWNLOAD: Privilege[] = ['Feeds_ViewFeed', 'Feeds_DownloadPackage'];

export const ANONYMOUS = 'Anonymous';

export type ApiKeyRecord = {
  keyHash: string;
  id: string;
  user: string;
  /** True: every feed; otherwise the folded names in `feeds`. */
  allFeeds: boolean;
  feeds: string[];
  privileges: string[];
  expiresAt?: string | undefined;
  revoked: boolean;
  createdAt: string;
};

export type FeedRecord = {
  /** The folded name (the partition key). */
  name: string;
  displayName: string;
  anonymousPrivileges: string[];
  createdAt: string;
};

export type Principal = { kind: 'anonymous' } | { kind: 'key'; key: ApiKeyRecord };

/** Where a key arrived from, for messages; never the key itself. */
export type KeySource = 'X-ApiKey header' | 'Authorization header' | 'key query parameter';
export type Credential =
  | { kind: 'none' }
  | { kind: 'key'; key: string; source: KeySource }
  | { kind: 'invalid'; detail: string };

type Headers = Readonly<Record<string, string | undefined>>;
type Query = Readonly<Record<string, string | undefined>> | undefined;

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The key transports ProGet accepts: the `X-ApiKey` header, HTTP Basic with user `api` and the key as password, and
 * the `key` query-string parameter. Headers must already be lower-cased. An empty value counts as no key (an unset
 * pipeline secret); two different keys, or a Basic user other than `api`, are refused rather than guessed at.
 */
export const extractCredential = (headers: Headers, query: Query): Credential => {
  const found: Array<{ key: string; source: KeySource }> = [];
  const header = headers['x-apikey']?.trim();
  if (header) found.push({ key: header, source: 'X-ApiKey header' });

  const authorization = headers['authorization']?.trim();
  if (authorization) {
    const [scheme = '', ...rest] = authorization.split(/\s+/);
    if (scheme.toLowerCase() !== 'basic') {
      return { kind: 'invalid', detail: `The Authorization scheme "${scheme.slice(0, 20)}" is not supported; send the API key in the X-ApiKey header or as HTTP Basic with user "api".` };
    }
    const decoded = Buffer.from(rest.join(''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    if (colon < 0 || user.toLowerCase() !== 'api') {
      return { kind: 'invalid', detail: 'HTTP Basic authentication takes the user name "api" and the API key as the password.' };
    }
    const password = decoded.slice(colon + 1).trim();
    if (password) found.push({ key: password, source: 'Authorization header' });
  }

  if (query) {
    for (const [name, value] of Object.entries(query)) {
      if (name.toLowerCase() === 'key' && value?.trim()) found.push({ key: value.trim(), source: 'key query parameter' });
    }
  }

  const [first, ...others] = found;
  if (first === undefined) return { kind: 'none' };
  const conflicting = others.find((o) => !sameSecret(o.key, first.key));
  if (conflicting) {
    return { kind: 'invalid', detail: `Different API keys were sent in the ${first.source} and the ${conflicting.source}.` };
  }
  return { kind: 'key', key: first.key, source: first.source };
};

/** A supplied key must exist, not be revoked and not have expired; otherwise 403, before the body is looked at. */
export const authenticate = (key: ApiKeyRecord | undefined, now: Date): Principal => {
  if (key === undefined) throw forbidden('The API key is not valid.');
  if (key.revoked) throw forbidden('The API key has been revoked.');
  // An expiry that does not parse (NaN) counts as expired: fail closed.
  if (key.expiresAt !== undefined && !(Date.parse(key.expiresAt) > now.getTime())) {
    throw forbidden(`The API key expired at ${key.expiresAt}.`);
  }
  return { kind: 'key', key };
};

/**
 * What anonymous users may do on a feed, everyone may: a valid key is never worth less than no key. Beyond that, a
 * key holds its privileges on the feeds it covers.
 */
export const hasPrivilege = (principal: Principal, feed: FeedRecord, privilege: Privilege): boolean => {
  if (feed.anonymousPrivileges.includes(privilege)) return true;
  if (principal.kind === 'anonymous') return false;
  const { key } = principal;
  return (key.allFeeds || key.feeds.includes(feed.name)) && key.privileges.includes(privilege);
};

export const authorize = (principal: Principal, feed: FeedRecord, privilege: Privilege): void => {
  if (hasPrivilege(principal, feed, privilege)) return;
  if (principal.kind === 'anonymous') {
    throw forbidden(`Anonymous users are not granted ${privilege} on feed ${feed.displayName}; send an API key in the X-ApiKey header.`);
  }
  throw forbidden(`The API key (user ${principal.key.user}) is not granted ${privilege} on feed ${feed.displayName}.`);
};

export const principalName = (principal: Principal): string =>
  principal.kind === 'anonymous' ? ANONYMOUS : principal.key.user;

export const principalKeyId = (principal: Principal): string =>
  principal.kind === 'anonymous' ? 'anonymous' : principal.key.id;
