import { authenticate, authorize, extractCredential, type ApiKeyRecord, type FeedRecord, type Principal, type Privilege } from '../domain/auth.ts';
import { Forbidden, InvalidInput, NotFound } from '../domain/errors.ts';
import { hashApiKey } from '../domain/keys.ts';
import type { Checked } from '../domain/result.ts';
import type { TrustPolicy } from '../domain/trust.ts';
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
  const { keyHash, bearer } = callerCredential(caller);
  if (bearer !== undefined) throw new Forbidden('An identity token (Bearer) is accepted only on requests that name a feed (FeedName).');
  return principalFor(keyHash, keyHash === undefined ? undefined : (await directory.resolve({ keyHash })).key, now);
};

/** The hash of the key the caller sent, or its bearer token; neither for none; two keys or a malformed credential are 403. */
const callerCredential = (caller: Caller): { keyHash?: string; bearer?: string } => {
  const credential = extractCredential(caller.headers, caller.query, caller.fields);
  if (credential.kind === 'invalid') throw new Forbidden(credential.detail);
  return credential.kind === 'key' ? { keyHash: hashApiKey(credential.key) } : credential.kind === 'bearer' ? { bearer: credential.token } : {};
};

/** Anonymous without a key; otherwise the key's principal, or 403 for a key that is unknown, revoked or expired. */
const principalFor = (keyHash: string | undefined, key: ApiKeyRecord | null | undefined, now: Date): Principal =>
  keyHash === undefined ? { kind: 'anonymous' } : authenticate(key ?? undefined, now);

/**
 * ProGet's order of checks for a request on one feed: a supplied key that is unknown, revoked or expired is 403; then
 * invalid input is 400; a feed that does not exist 404; a principal without `privilege` on the feed 403. Key and feed
 * are resolved together, in one round trip or none (see Directory). Invalid input without a key costs no round trip.
 * A bearer token is checked against the feed's trust policies (resolved with the feed) once the feed is known: so
 * invalid input is 400 and an unknown feed 404 before it (see trust.ts).
 */
export const checkFeedAccess = async <T>(
  directory: Directory,
  caller: Caller,
  check: { input: Checked<T>; feedName: (value: T) => string; privilege: Privilege; now: Date },
): Promise<{ principal: Principal; feed: FeedRecord; value: T }> => {
  const { input, privilege, now } = check;
  const { keyHash, bearer } = callerCredential(caller);
  if (!input.ok && keyHash === undefined) throw new InvalidInput(input);

  const feedName = input.ok ? check.feedName(input.value) : undefined;
  const resolved = await directory.resolve({ keyHash, feedName, trust: bearer !== undefined });
  const keyPrincipal = bearer === undefined ? principalFor(keyHash, resolved.key, now) : undefined;
  if (!input.ok) throw new InvalidInput(input);
  if (!resolved.feed) throw new NotFound(`Feed ${feedName} was not found.`);
  const principal: Principal = keyPrincipal ?? (await bearerPrincipal(directory, bearer!, resolved.feed, resolved.policies ?? [], now));
  authorize(principal, resolved.feed, privilege);
  return { principal, feed: resolved.feed, value: input.value };
};

/**
 * The principal of an identity token: the checks (./trust.ts) and the verifier (lib/store/oidc.ts, through the
 * Directory) are loaded with `import()`, so that requests with a key or none never load them.
 */
const bearerPrincipal = async (directory: Directory, token: string, feed: FeedRecord, policies: readonly TrustPolicy[], now: Date): Promise<Principal> => {
  const { trustedIdentity } = await import('./trust.ts');
  const identity = await trustedIdentity(async (t, issuer) => (await directory.tokenVerifier()).verify(t, issuer), token, feed, policies, now);
  return { kind: 'trust', ...identity };
};
