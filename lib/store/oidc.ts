import { JwtVerifier } from 'aws-jwt-verify';
import {
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import { Unavailable } from '../domain/errors.ts';
import { CLOCK_SKEW_SECONDS, issuerAllowed, type Refusal, type TokenClaims } from '../domain/trust.ts';

/**
 * OpenID Connect identity tokens, verified against their issuer's published keys: a network adapter (OpenID discovery,
 * then the JWKS it names; GitHub's JWKS URL has no `.json`, so the URL is always taken from discovery), with the
 * signature checked by aws-jwt-verify (AWS's JWT library: node:crypto, no dependencies; measured against jose, it
 * bundles to the same 16 KiB and verifies RS256 in about half the time, 76 vs 137 µs). Nothing here loads until a
 * bearer token arrives: lib/app/access.ts imports it with `import()`, and the bundle puts it in a chunk of its own.
 *
 * Keys are cached per issuer (one process-wide instance serves every warm request without a network call). A token
 * signed with a key id the cache lacks refetches the JWKS, at most once per `refetchIntervalMs` per issuer (a flood of
 * made-up key ids costs the issuer one request a minute). An issuer that cannot be reached is the domain's
 * {@link Unavailable} (503 with Retry-After), not a refusal; keys already cached keep being used meanwhile. Each fetch
 * is bounded in time (`fetchTimeoutMs`, body included) and its body in size (256 KiB, read by a small hand-written
 * loop, as fetch's own readers take any size), so an issuer that drips or floods costs a few seconds, not the memory.
 */
export type TokenVerifierOptions = {
  /** http://127.0.0.1 and localhost issuers are accepted (npm start and the tests; never on AWS). */
  allowLoopbackIssuers: boolean;
  fetchTimeoutMs?: number;
  refetchIntervalMs?: number;
  /** After this long the JWKS is fetched again on the next token (the old keys serve if that fails). */
  maxAgeMs?: number;
  now?: () => number;
};

export type Verified = { ok: true; claims: TokenClaims } | { ok: false; refusal: Refusal };

const createVerifier = (issuer: string, jwksUri: string) => JwtVerifier.create({ issuer, audience: null, jwksUri, graceSeconds: CLOCK_SKEW_SECONDS });
type IssuerState = {
  verifier: ReturnType<typeof createVerifier> | undefined;
  fetchedAt: number;
  pending?: Promise<void> | undefined;
  /** The last fetch's failure and when it ended: answered again, without a fetch, for FAILURE_BACKOFF_MS. */
  failed?: { at: number; error: unknown } | undefined;
};

/**
 * How long an issuer that could not be reached is not asked again: requests meanwhile are a 503 at once, so a caller
 * cannot make every request wait for a stalled issuer's timeout.
 */
export const FAILURE_BACKOFF_MS = 10_000;

/** A fetch or read given up on its time limit (AbortSignal.timeout). */
const isTimeout = (e: unknown): boolean => ['TimeoutError', 'AbortError'].includes((e as { name?: unknown } | undefined)?.name as string);

const UNREACHABLE = (issuer: string, what: string) =>
  new Unavailable(`The identity token's issuer (${issuer}) could not be reached for its signing keys (${what}); nothing was changed. Retry shortly.`);

export class TokenVerifier {
  readonly #o: Required<TokenVerifierOptions>;
  readonly #issuers = new Map<string, IssuerState>();

  constructor(options: TokenVerifierOptions) {
    this.#o = { fetchTimeoutMs: 3000, refetchIntervalMs: 60_000, maxAgeMs: 3600_000, now: Date.now, ...options };
  }

  /**
   * Verifies a token's signature (RS256 or ES256 only) against `issuer`'s keys, its `iss` (exactly `issuer`), `exp`
   * and `nbf` (with the allowed skew); the caller checks audience, lifetime and claims against its policies.
   */
  async verify(token: string, issuer: string): Promise<Verified> {
    if (!issuerAllowed(issuer, this.#o.allowLoopbackIssuers)) return { ok: false, refusal: 'issuer-scheme' };
    const state = await this.#keys(issuer, false);
    const first = this.#check(state, token);
    if (first.ok || first.refusal !== 'unknown-key') return first;
    // A key id not (yet) in the cache: the issuer may have rotated its keys.
    return this.#check(await this.#keys(issuer, true), token);
  }

  #check(state: IssuerState, token: string): Verified {
    if (!state.verifier) return { ok: false, refusal: 'unknown-key' };
    try {
      return { ok: true, claims: state.verifier.verifySync(token) as TokenClaims };
    } catch (e) {
      return { ok: false, refusal: refusalOf(e) };
    }
  }

  /** The issuer's keys: cached, fetched when missing or old, or (`unknownKid`) refetched if the last fetch is old enough. */
  async #keys(issuer: string, unknownKid: boolean): Promise<IssuerState> {
    const now = this.#o.now();
    let state = this.#issuers.get(issuer);
    if (!state) this.#issuers.set(issuer, (state = { verifier: undefined, fetchedAt: -Infinity }));
    const stale = now - state.fetchedAt >= this.#o.maxAgeMs;
    const mayRefetch = now - state.fetchedAt >= this.#o.refetchIntervalMs;
    if (state.verifier && !stale && !(unknownKid && mayRefetch)) return state;
    if (state.verifier && unknownKid && !mayRefetch) return state;
    const s = state;
    if (s.failed !== undefined && now - s.failed.at < FAILURE_BACKOFF_MS && (!s.verifier || unknownKid)) throw s.failed.error;
    s.pending ??= this.#fetch(issuer, s)
      .then(
        () => (s.failed = undefined),
        (e: unknown) => {
          s.failed = { at: this.#o.now(), error: e };
          throw e;
        },
      )
      .finally(() => (s.pending = undefined));
    try {
      await s.pending;
    } catch (e) {
      // Old keys keep serving while the issuer is out of reach; without any, or for a key they lack, it is a 503.
      if (!s.verifier || unknownKid) throw e;
      // Asked again in a minute, not on every request meanwhile (each would wait for the fetch to fail).
      s.fetchedAt = Math.max(s.fetchedAt, this.#o.now() - this.#o.maxAgeMs + this.#o.refetchIntervalMs);
    }
    return s;
  }

  async #fetch(issuer: string, state: IssuerState): Promise<void> {
    const discovery = await this.#json(issuer, `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, 'its OpenID configuration');
    const doc = discovery as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer || typeof doc.jwks_uri !== 'string' || !issuerAllowed(doc.jwks_uri, this.#o.allowLoopbackIssuers)) {
      throw UNREACHABLE(issuer, 'its OpenID configuration names another issuer or no usable jwks_uri');
    }
    const jwks = (await this.#json(issuer, doc.jwks_uri, 'its JWKS')) as { keys?: unknown };
    if (!Array.isArray(jwks.keys)) throw UNREACHABLE(issuer, 'its JWKS holds no keys');
    // Signature keys of the kinds the accepted algorithms use; others (encryption keys, OKP) are no concern here.
    const keys = jwks.keys.filter(
      (k): k is Record<string, unknown> =>
        typeof k === 'object' &&
        k !== null &&
        ['RSA', 'EC'].includes((k as { kty?: unknown }).kty as string) &&
        [undefined, 'sig'].includes((k as { use?: unknown }).use as string),
    );
    const verifier = createVerifier(issuer, doc.jwks_uri);
    try {
      verifier.cacheJwks({ keys } as never);
    } catch (e) {
      throw UNREACHABLE(issuer, `its JWKS is not valid: ${(e as Error).message}`);
    }
    state.verifier = verifier;
    state.fetchedAt = this.#o.now();
  }

  async #json(issuer: string, url: string, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.#o.fetchTimeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    } catch (e) {
      throw UNREACHABLE(issuer, `fetching ${what} ${isTimeout(e) ? `took over ${this.#o.fetchTimeoutMs} ms` : 'failed'}`);
    }
    if (!response.ok) throw UNREACHABLE(issuer, `${what} answered ${response.status}`);
    let text: string;
    try {
      text = await boundedText(response, MAX_DOCUMENT_BYTES);
    } catch (e) {
      throw UNREACHABLE(
        issuer,
        e instanceof TooLarge
          ? `${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`
          : `reading ${what} ${isTimeout(e) ? `took over ${this.#o.fetchTimeoutMs} ms` : 'failed'}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw UNREACHABLE(issuer, `${what} is not JSON`);
    }
  }
}

/**
 * The largest discovery document or JWKS read (GitHub's and GitLab's are a few KiB): a body past it is refused as it
 * streams in, so that an issuer cannot fill the function's memory within the fetch's time limit.
 */
const MAX_DOCUMENT_BYTES = 256 * 1024;

class TooLarge extends Error {}

/**
 * A response's body as UTF-8 text, read chunk by chunk up to `max` bytes. Hand-written: fetch's `text()`/`json()` read
 * the whole body whatever its size, and the response's Content-Length may be absent (chunked) or untrue.
 */
const boundedText = async (response: Response, max: number): Promise<string> => {
  if (Number(response.headers.get('content-length') ?? 0) > max) throw new TooLarge();
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** The library's error as the domain's refusal (its message, which may quote the token's claims, is not passed on). */
const refusalOf = (e: unknown): Refusal => {
  if (e instanceof KidNotFoundInJwksError || e instanceof JwtWithoutValidKidError) return 'unknown-key';
  if (e instanceof JwtInvalidSignatureAlgorithmError) return 'algorithm';
  if (e instanceof JwtInvalidSignatureError) return 'signature';
  if (e instanceof JwtExpiredError) return 'expired';
  if (e instanceof JwtNotBeforeError) return 'not-yet-valid';
  if (e instanceof JwtInvalidIssuerError) return 'issuer';
  if (e instanceof JwtParseError) return 'malformed';
  return 'signature';
};
