import { foldName } from '../../domain/keys.ts';
import { checkIdentityClaims, issuerAllowed, shorthandPolicy, TRUST_PRIVILEGES, type Shorthand, type TrustPolicy } from '../../domain/trust.ts';
import type { FeedRepository } from '../../store/feeds.ts';
import type { TrustPolicyRepository } from '../../store/trust-policies.ts';

/**
 * The admin use cases of trust policies (`trust add`, `trust list`, `trust remove`; `feeds remove` removes a feed's
 * policies with it). Dependencies are passed in: infra/admin.ts parses the arguments, builds them and prints.
 */
export type TrustAdmin = {
  feeds: FeedRepository;
  policies: TrustPolicyRepository;
  /** http://127.0.0.1 / localhost issuers are accepted (the tables are a local engine's, whose API is npm start's). */
  allowLoopbackIssuers: boolean;
};

/** A mistake in what `trust add` was given (the CLI prints it with the usage). */
export class TrustInputError extends Error {}

export type AddTrust = {
  feed: string;
  issuer?: string | undefined;
  /** The audience; the caller resolves the default (the service's base URL). */
  audience: string;
  /** `--claim NAME=VALUE`, in order. */
  claims: string[];
  shorthand?: Shorthand | undefined;
  privileges: ReadonlyArray<'record' | 'view'>;
  name?: string | undefined;
  maxLifetimeSeconds: number;
};

const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Registered claims a policy cannot bind: the verifier checks them itself. */
const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** Issuer and claims from the shorthand and the `--claim`s (a `--claim` of the same name overrides the shorthand's). */
const policyClaims = (input: AddTrust): { issuer: string; claims: Record<string, string> } => {
  let base: { issuer?: string | undefined; claims: Record<string, string> } = { issuer: input.issuer, claims: {} };
  if (input.shorthand) {
    try {
      const s = shorthandPolicy(input.shorthand);
      base = { issuer: input.issuer ?? s.issuer, claims: s.claims };
    } catch (e) {
      throw new TrustInputError((e as Error).message);
    }
  }
  const claims = { ...base.claims };
  for (const text of input.claims) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? '' : text.slice(0, eq).trim();
    const value = eq < 0 ? '' : text.slice(eq + 1).trim();
    if (!CLAIM_NAME.test(name) || value === '') throw new TrustInputError(`--claim takes NAME=VALUE, got ${JSON.stringify(text)}`);
    if (['__proto__', 'constructor', 'prototype'].includes(name)) throw new TrustInputError(`--claim ${name}: not a claim name`);
    if (RESERVED.has(name)) throw new TrustInputError(`--claim ${name}: the ${name} claim is checked by the service itself (use --issuer, --audience)`);
    claims[name] = value;
  }
  if (base.issuer === undefined) throw new TrustInputError('trust add needs --issuer URL (or --github / --gitlab)');
  try {
    checkIdentityClaims(claims);
  } catch (e) {
    throw new TrustInputError((e as Error).message);
  }
  return { issuer: base.issuer, claims };
};

/** Adds a policy to an existing feed, bound to the feed's identity. */
export const addTrustPolicy = async (deps: TrustAdmin, input: AddTrust): Promise<TrustPolicy> => {
  const { issuer, claims } = policyClaims(input);
  if (!issuerAllowed(issuer, deps.allowLoopbackIssuers)) {
    throw new TrustInputError(
      `--issuer must be an https:// URL without credentials, query or fragment, on a public host (not a private, link-local or loopback address)${deps.allowLoopbackIssuers ? '; or http://127.0.0.1 / localhost' : ''}`,
    );
  }
  if (!URL.canParse(input.audience)) throw new TrustInputError('--audience must be a URL (the service base URL pipelines use)');
  if (input.privileges.length === 0 || !input.privileges.includes('record')) {
    throw new TrustInputError('--privileges takes record or record,view');
  }
  const feed = (await deps.feeds.list()).find((f) => f.name === foldName(input.feed));
  if (!feed) throw new Error(`No feed named ${input.feed} (see feeds list).`);
  return deps.policies.add(feed, {
    issuer,
    audience: input.audience,
    claims,
    privileges: input.privileges.map((p) => TRUST_PRIVILEGES[p]),
    name: input.name,
    maxLifetimeSeconds: input.maxLifetimeSeconds,
  });
};

export type ListedPolicy = TrustPolicy & { feedDisplayName: string; feedRemoved: boolean };

/** Policies (of one feed, by name), each with its feed's display name, or marked removed when its feed is gone. */
export const listTrustPolicies = async (deps: TrustAdmin, feed?: string): Promise<ListedPolicy[]> => {
  const byId = new Map((await deps.feeds.list()).map((f) => [f.id, f.displayName]));
  return (await deps.policies.list(feed)).map((p) => ({ ...p, feedDisplayName: byId.get(p.feedId) ?? p.feedName, feedRemoved: !byId.has(p.feedId) }));
};

export const removeTrustPolicy = (deps: TrustAdmin, id: string): Promise<boolean> => deps.policies.remove(id.trim());
