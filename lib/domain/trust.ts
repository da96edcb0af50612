import { RECORD_PRIVILEGE, VIEW_PRIVILEGE, type Privilege } from './auth.ts';
import ipaddr from 'ipaddr.js';
import { required } from './deployment.ts';
import { refusedAddress } from './webhooks.ts';

/**
 * Trust policies: a feed trusts the OpenID Connect identity tokens that a CI platform (GitHub Actions, GitLab CI)
 * signs for a repository's jobs, so that a pipeline records with no stored secret ("trusted publishing", as npm and
 * PyPI call it). This module is the pure part: the policy, how its claims match a verified token's claims, the
 * shorthands that fill issuer and claims, and what the record's UserName becomes. Signature verification is the
 * store's (lib/store/oidc.ts, with a library); the use case is lib/app/trust.ts.
 */

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITLAB_ISSUER = 'https://gitlab.com';

/** Signature algorithms accepted: `none`, every HMAC and everything else are refused whatever the header says. */
export const TOKEN_ALGORITHMS = ['RS256', 'ES256'] as const;
/** Clock skew allowed on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;
/** A policy's default maximum lifetime (`exp - iat`) of a token, and the longest that may be set. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;
export const MAX_MAX_LIFETIME_SECONDS = 24 * 3600;

/**
 * The claims that name the repository or project itself; a policy binds at least one, so that no policy trusts every
 * job of an issuer (GitHub's `repository`/`repository_id`, GitLab's `project_path`/`project_id`).
 */
export const IDENTITY_CLAIMS = ['repository', 'repository_id', 'project_path', 'project_id'] as const;

/** Claims compared case-insensitively: GitHub's owner and repository names are (PyPI compares them so too). */
const CASE_INSENSITIVE_CLAIMS = new Set(['repository', 'repository_owner']);
/**
 * Claims of the form `<path>@<ref>`: a policy value without `@` binds the path and accepts any ref (bind the ref with
 * a `ref` claim), as PyPI's trusted publishers bind a workflow file. GitHub's `job_workflow_ref` is
 * `OWNER/REPO/.github/workflows/FILE@REF` (its OWNER/REPO part case-insensitive); GitLab's `ci_config_ref_uri` is
 * `gitlab.com/GROUP/PROJECT//PATH@REF`.
 */
const REF_SUFFIXED_CLAIMS = new Set(['job_workflow_ref', 'ci_config_ref_uri']);

export type TrustPolicy = {
  id: string;
  /** The feed's identity (`FeedRecord.id`): a feed re-created under the same name does not inherit the policy. */
  feedId: string;
  /** The folded feed name it was created for (where it is stored and how it is listed). */
  feedName: string;
  issuer: string;
  audience: string;
  /** Claim name -> the value the token must carry. */
  claims: Record<string, string>;
  privileges: Privilege[];
  name?: string | undefined;
  maxLifetimeSeconds: number;
  createdAt: string;
};

/** The privileges `--privileges record` and `record,view` grant. */
export const TRUST_PRIVILEGES: Record<'record' | 'view', Privilege> = { record: RECORD_PRIVILEGE, view: VIEW_PRIVILEGE };

/** A verified token's payload (what the library returns once signature and issuer hold). */
export type TokenClaims = Readonly<Record<string, unknown>>;

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

const claimText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** Whether one claim of a token holds the value a policy binds (see the claim sets above for the exceptions to exact). */
export const claimMatches = (name: string, expected: string, actual: unknown): boolean => {
  let text = claimText(actual);
  if (text === undefined) return false;
  let want = expected;
  if (REF_SUFFIXED_CLAIMS.has(name) && !want.includes('@')) {
    const at = text.lastIndexOf('@');
    if (at < 0) return false;
    text = text.slice(0, at);
  }
  if (CASE_INSENSITIVE_CLAIMS.has(name)) return asciiLower(text) === asciiLower(want);
  if (name === 'job_workflow_ref') {
    // OWNER/REPO/ in any case, the rest (the workflow's path, the ref) exact.
    const [owner = '', repo = '', ...rest] = text.split('/');
    const [wOwner = '', wRepo = '', ...wRest] = want.split('/');
    text = [asciiLower(owner), asciiLower(repo), ...rest].join('/');
    want = [asciiLower(wOwner), asciiLower(wRepo), ...wRest].join('/');
  }
  return text === want;
};

/** Whether a token's `aud` (a string or a list) contains the audience. */
export const audienceMatches = (aud: unknown, audience: string): boolean =>
  typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience);

/** The general reason a token was refused: said in the 403, never with the token or its claims' values. */
export type Refusal =
  | 'malformed'
  | 'algorithm'
  | 'no-policy'
  | 'issuer'
  | 'issuer-scheme'
  | 'signature'
  | 'unknown-key'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'lifetime'
  | 'audience'
  | 'claims';

export const refusalDetail = (refusal: Refusal, feed: string): string => {
  switch (refusal) {
    case 'malformed':
      return 'The bearer token is not a well-formed JSON Web Token.';
    case 'algorithm':
      return 'The identity token is not signed with an accepted algorithm (RS256 or ES256).';
    case 'no-policy':
      return `Feed ${feed} trusts no identity tokens; add a trust policy (trust add) or send an API key.`;
    case 'issuer':
      return `The identity token's issuer is not trusted by feed ${feed}.`;
    case 'issuer-scheme':
      return `The identity token's issuer is not an https:// URL.`;
    case 'signature':
      return "The identity token's signature does not verify against its issuer's published keys.";
    case 'unknown-key':
      return 'The identity token is signed with a key its issuer does not publish.';
    case 'expired':
      return 'The identity token has expired; request a new one.';
    case 'not-yet-valid':
      return 'The identity token is not valid yet (nbf); check the clock of the machine that requested it.';
    case 'issued-in-future':
      return 'The identity token was issued in the future (iat); check the clock of the machine that requested it.';
    case 'lifetime':
      return "The identity token's lifetime (exp - iat) is longer than the trust policy allows.";
    case 'audience':
      return `The identity token's audience is not one that feed ${feed}'s trust policies accept.`;
    case 'claims':
      return `The identity token's claims (repository, workflow, ref, environment) match no trust policy of feed ${feed}.`;
  }
};

/** How far a policy got with a token: the later the stage, the more telling its refusal (the one reported). */
const STAGES: Refusal[] = ['issuer', 'lifetime', 'audience', 'claims'];

const numeric = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * The time checks every token must pass (the library checks `exp` and `nbf` too; these use the caller's clock and also
 * require `exp` and `iat`): `exp` and `nbf` with at most {@link CLOCK_SKEW_SECONDS} of skew, `iat` not in the future.
 */
export const timeRefusal = (claims: TokenClaims, now: Date): Refusal | undefined => {
  const t = now.getTime() / 1000;
  const exp = numeric(claims.exp);
  const iat = numeric(claims.iat);
  const nbf = claims.nbf === undefined ? undefined : numeric(claims.nbf);
  if (exp === undefined || iat === undefined || (claims.nbf !== undefined && nbf === undefined)) return 'malformed';
  if (exp + CLOCK_SKEW_SECONDS < t) return 'expired';
  if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > t) return 'not-yet-valid';
  if (iat - CLOCK_SKEW_SECONDS > t) return 'issued-in-future';
  return undefined;
};

/**
 * The policy of the feed that a verified token satisfies: the same issuer (exactly), a lifetime within its maximum,
 * its audience in `aud`, and every claim it binds. Otherwise the refusal of the policy that got furthest.
 */
export const matchPolicy = (policies: readonly TrustPolicy[], claims: TokenClaims): { ok: true; policy: TrustPolicy } | { ok: false; refusal: Refusal } => {
  let furthest = 0;
  const lifetime = (numeric(claims.exp) ?? Infinity) - (numeric(claims.iat) ?? -Infinity);
  for (const policy of policies) {
    let stage = 0;
    if (claims.iss === policy.issuer) {
      stage = 1;
      if (lifetime <= policy.maxLifetimeSeconds) {
        stage = 2;
        if (audienceMatches(claims.aud, policy.audience)) {
          stage = 3;
          if (Object.entries(policy.claims).every(([name, value]) => claimMatches(name, value, claims[name]))) return { ok: true, policy };
        }
      }
    }
    furthest = Math.max(furthest, stage);
  }
  return { ok: false, refusal: STAGES[furthest]! };
};

/** A claim's text as a record's UserName, checked as the API checks that field (within its limit, visible, no controls). */
const USER_NAME = required('UserName');

/**
 * What the record's UserName defaults to: GitHub's `actor`, GitLab's `user_login`, else the token's `sub`; the first
 * that is a valid UserName (a claim too long, or holding control or invisible format characters, is passed over, as
 * the same text sent as the UserName field would be refused), else `identity token`.
 */
export const tokenUserName = (claims: TokenClaims): string => {
  for (const name of ['actor', 'user_login', 'sub']) {
    const value = claimText(claims[name]);
    const checked = value === undefined ? undefined : USER_NAME.safeParse(value);
    if (checked?.success) return checked.data;
  }
  return 'identity token';
};

/**
 * Whether an issuer URL (or the JWKS URL its discovery document names) may be trusted: https, or http on a loopback
 * host where local issuers are allowed. A host given as an IP address must be a public one (as webhooks' addresses:
 * never private, link-local such as the instance metadata service 169.254.169.254, or loopback unless local issuers
 * are allowed), and `localhost` is loopback: the service fetches these URLs, so a policy cannot point it inside the
 * network. (A name that resolves to such an address is not checked here: see docs/operations.md.)
 */
export const issuerAllowed = (issuer: string, allowLoopback: boolean): boolean => {
  if (!URL.canParse(issuer)) return false;
  const url = new URL(issuer);
  if (url.username || url.password || url.search || url.hash) return false;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  if (ipaddr.isValid(host) ? refusedAddress(host, { allowLoopback }) !== undefined : loopbackName && !allowLoopback) return false;
  if (url.protocol === 'https:') return true;
  return allowLoopback && url.protocol === 'http:' && ['127.0.0.1', 'localhost', '::1'].includes(host);
};

/** The shorthands' input: `--github OWNER/REPO` or `--gitlab GROUP/PROJECT`, with the optional bindings. */
export type Shorthand = {
  platform: 'github' | 'gitlab';
  path: string;
  environment?: string | undefined;
  ref?: string | undefined;
  /** GitHub only: the workflow file under .github/workflows (e.g. deploy.yml). */
  workflow?: string | undefined;
};

/**
 * Issuer and claims for a shorthand. GitHub: `repository`, and optionally `environment`, `ref` (a bare branch name
 * becomes `refs/heads/NAME`) and `job_workflow_ref` (`OWNER/REPO/.github/workflows/FILE`, any ref). GitLab:
 * `project_path`, and optionally `environment` and `ref` (GitLab's `ref` claim is the bare branch or tag name).
 * An Error says what is wrong with the input.
 */
export const shorthandPolicy = (s: Shorthand): { issuer: string; claims: Record<string, string> } => {
  const parts = s.path.split('/');
  if (s.platform === 'github') {
    if (parts.length !== 2 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) throw new Error('--github takes OWNER/REPO');
    if (s.workflow !== undefined && !/^[A-Za-z0-9_.-]+\.ya?ml$/.test(s.workflow)) {
      throw new Error('--workflow takes the workflow file name under .github/workflows, e.g. deploy.yml');
    }
    return {
      issuer: GITHUB_ISSUER,
      claims: {
        repository: s.path,
        ...(s.environment !== undefined ? { environment: s.environment } : {}),
        ...(s.ref !== undefined ? { ref: s.ref.startsWith('refs/') ? s.ref : `refs/heads/${s.ref}` } : {}),
        ...(s.workflow !== undefined ? { job_workflow_ref: `${s.path}/.github/workflows/${s.workflow}` } : {}),
      },
    };
  }
  if (parts.length < 2 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p)))
    throw new Error('--gitlab takes GROUP/PROJECT (subgroups allowed: GROUP/SUB/PROJECT)');
  if (s.workflow !== undefined) throw new Error('--workflow is for --github; bind a GitLab job with --claim ci_config_ref_uri=... instead');
  return {
    issuer: GITLAB_ISSUER,
    claims: {
      project_path: s.path,
      ...(s.environment !== undefined ? { environment: s.environment } : {}),
      ...(s.ref !== undefined ? { ref: s.ref } : {}),
    },
  };
};

/** A policy's claims must bind the repository or project itself (see {@link IDENTITY_CLAIMS}); an Error otherwise. */
export const checkIdentityClaims = (claims: Record<string, string>): void => {
  if (!IDENTITY_CLAIMS.some((c) => claims[c] !== undefined && claims[c] !== '')) {
    throw new Error(`a trust policy must bind at least one of the claims ${IDENTITY_CLAIMS.join(', ')} (--claim NAME=VALUE, or --github / --gitlab)`);
  }
};

/** `--max-lifetime`: seconds, or a number followed by s, m or h; at most 24 hours. */
export const parseLifetime = (text: string): number => {
  const m = /^(\d+)\s*([smh]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!]! : NaN;
  if (!(seconds > 0 && seconds <= MAX_MAX_LIFETIME_SECONDS)) throw new Error('--max-lifetime takes a duration such as 600, 10m or 1h (at most 24h)');
  return seconds;
};

/**
 * A bearer token's header and payload read WITHOUT verifying anything: only to refuse a disallowed algorithm before any
 * key is fetched, and to find which of the feed's policies' issuers to fetch keys from. Everything that decides
 * access is checked after the library has verified the signature.
 */
export const peekToken = (token: string): { ok: true; alg: unknown; iss: unknown } | { ok: false; refusal: Refusal } => {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { ok: false, refusal: 'malformed' };
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown };
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) return { ok: false, refusal: 'malformed' };
    if (!(TOKEN_ALGORITHMS as readonly unknown[]).includes(header.alg)) return { ok: false, refusal: 'algorithm' };
    return { ok: true, alg: header.alg, iss: payload.iss };
  } catch {
    return { ok: false, refusal: 'malformed' };
  }
};
