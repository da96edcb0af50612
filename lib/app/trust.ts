import type { FeedRecord } from '../domain/auth.ts';
import { Forbidden } from '../domain/errors.ts';
import { matchPolicy, peekToken, refusalDetail, timeRefusal, tokenUserName, type Refusal, type TrustPolicy } from '../domain/trust.ts';
import type { Verified } from '../store/oidc.ts';

/** Who a verified token is: the policy it satisfied and what the record's UserName defaults to. */
export type TrustedIdentity = { policy: TrustPolicy; userName: string };

/** Verifies a token's signature, issuer and validity period against the issuer's keys (lib/store/oidc.ts). */
export type VerifyToken = (token: string, issuer: string) => Promise<Verified>;

/**
 * A bearer token (an OpenID Connect identity token from a CI platform) on a request naming a feed, made an identity:
 * the token is checked against the trust policies of that feed, bound to its id (a policy of another feed, or of an
 * earlier feed of the same name, never applies). The checks, in order: a well-formed JWT signed with RS256 or ES256
 * (read before anything is fetched), an issuer some policy of the feed trusts, the signature against that issuer's
 * published keys (fetched by the store, lazily loaded: lib/store/oidc.ts), `exp`/`nbf`/`iat` within the allowed skew,
 * then a policy whose lifetime limit, audience and claims the token satisfies. A failed check is 403 saying which, in
 * general terms and never with the token; an issuer out of reach is a 503 (the store's Unavailable).
 */
export const trustedIdentity = async (
  verify: VerifyToken,
  token: string,
  feed: FeedRecord,
  policies: readonly TrustPolicy[],
  now: Date,
): Promise<TrustedIdentity> => {
  const refuse = (refusal: Refusal): never => {
    throw new Forbidden(refusalDetail(refusal, feed.displayName));
  };
  const peeked = peekToken(token);
  if (!peeked.ok) return refuse(peeked.refusal);
  const own = policies.filter((p) => p.feedId === feed.id);
  if (own.length === 0) return refuse('no-policy');
  const issuer = own.find((p) => p.issuer === peeked.iss)?.issuer;
  if (issuer === undefined) return refuse('issuer');

  const verified = await verify(token, issuer);
  if (!verified.ok) return refuse(verified.refusal);
  const late = timeRefusal(verified.claims, now);
  if (late) return refuse(late);
  const matched = matchPolicy(own, verified.claims);
  if (!matched.ok) return refuse(matched.refusal);
  return { policy: matched.policy, userName: tokenUserName(verified.claims) };
};
