/**
 * A real OpenID Connect issuer on 127.0.0.1 for the tests and for trying keyless pipelines locally
 * (`npm run -s oidc-issuer`, see docs/pipelines.md): its own keys (RSA and EC, generated at start), the discovery
 * document at /.well-known/openid-configuration, its JWKS at /.well-known/jwks (no `.json`, as GitHub's), key
 * rotation, and stop/start on the same port (for the "issuer unreachable" case). It also answers as GitHub Actions'
 * token endpoint (/actions-token, as ACTIONS_ID_TOKEN_REQUEST_URL, checking ACTIONS_ID_TOKEN_REQUEST_TOKEN).
 *
 * Tokens are signed here with node:crypto rather than a JWT library: the tests need tokens no library will make (alg
 * none, HS256 keyed with the public key, a header naming another algorithm than the key's), and the production code
 * verifies them with its library (lib/store/oidc.ts).
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';

type Key = { kid: string; alg: 'RS256' | 'ES256'; privateKey: KeyObject; publicKey: KeyObject };

const newKey = (alg: 'RS256' | 'ES256'): Key => {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`, alg, ...pair };
};

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export type SignOptions = {
  alg?: 'RS256' | 'ES256' | 'none' | 'HS256';
  /** Header kid; default the current key's. */
  kid?: string;
  /** Seconds from now. */
  lifetime?: number;
  /** iat relative to now, in seconds (default 0). */
  issuedAt?: number;
  /** Sign with a key the JWKS does not publish (under the same kid). */
  foreignKey?: boolean;
};

export type Issuer = {
  url: string;
  /** A token with these claims (iss, aud, iat, exp filled in unless given). */
  token: (claims: Record<string, unknown>, options?: SignOptions) => string;
  /** A new key per algorithm becomes current; the JWKS publishes only the new ones (old tokens then fail). */
  rotate: () => void;
  /** How many times the JWKS was fetched. */
  jwksFetches: () => number;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** What /actions-token last received: the audience asked for and whether the request token was right. */
  lastTokenRequest: () => { audience: string | null; authorized: boolean } | undefined;
  /** The ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN a GitHub runner would set, and the claims its tokens carry. */
  actions: { requestUrl: string; requestToken: string; claims: Record<string, unknown> };
  close: () => Promise<void>;
};

export const startIssuer = async (
  options: { audience?: string; actionsClaims?: Record<string, unknown>; port?: number; requestToken?: string } = {},
): Promise<Issuer> => {
  let keys: Record<'RS256' | 'ES256', Key> = { RS256: newKey('RS256'), ES256: newKey('ES256') };
  let fetches = 0;
  let url = '';
  let port = options.port ?? 0;
  let lastRequest: { audience: string | null; authorized: boolean } | undefined;
  const requestToken = options.requestToken ?? randomBytes(16).toString('hex');
  const actionsClaims = options.actionsClaims ?? {};

  const token = (claims: Record<string, unknown>, o: SignOptions = {}): string => {
    const alg = o.alg ?? 'RS256';
    const key = alg === 'ES256' ? keys.ES256 : keys.RS256;
    const now = Math.floor(Date.now() / 1000) + (o.issuedAt ?? 0);
    const payload = { iss: url, aud: options.audience ?? 'test-audience', iat: now, nbf: now, exp: now + (o.lifetime ?? 300), ...claims };
    const header = alg === 'none' ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: o.kid ?? key.kid };
    const input = `${b64(header)}.${b64(payload)}`;
    if (alg === 'none') return `${input}.`;
    if (alg === 'HS256') {
      // The classic confusion attack: HMAC keyed with the issuer's public key, which anyone can fetch.
      const secret = key.publicKey.export({ type: 'spki', format: 'pem' });
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    }
    const signer = o.foreignKey ? newKey(alg).privateKey : key.privateKey;
    const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key: signer, dsaEncoding: 'ieee-p1363' } : signer);
    return `${input}.${signature.toString('base64url')}`;
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path.pathname === '/.well-known/openid-configuration') return send(200, { issuer: url, jwks_uri: `${url}/.well-known/jwks` });
    if (path.pathname === '/.well-known/jwks') {
      fetches++;
      return send(200, {
        keys: Object.values(keys).map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })),
      });
    }
    if (path.pathname === '/actions-token') {
      const authorized = req.headers.authorization === `Bearer ${requestToken}`;
      lastRequest = { audience: path.searchParams.get('audience'), authorized };
      if (!authorized) return send(401, { message: 'Bad credentials' });
      const aud = path.searchParams.get('audience');
      // Unlike GitHub's, this stand-in lets the request URL override claims (&repository=octo/other), to try a refusal.
      const overrides = Object.fromEntries([...path.searchParams].filter(([k]) => k !== 'api-version' && k !== 'audience'));
      return send(200, { count: 1, value: token({ ...actionsClaims, ...overrides, ...(aud ? { aud } : {}) }) });
    }
    return send(404, { message: 'not found' });
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  url = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url,
    token,
    rotate: () => {
      keys = { RS256: newKey('RS256'), ES256: newKey('ES256') };
    },
    jwksFetches: () => fetches,
    stop: close,
    start: listen,
    lastTokenRequest: () => lastRequest,
    actions: { requestUrl: `${url}/actions-token?api-version=2.0`, requestToken, claims: actionsClaims },
    close: () => (server.listening ? close() : Promise.resolve()),
  };
};

/**
 * `npm run -s oidc-issuer -- [--port 3100] [--claim NAME=VALUE]...`: runs the issuer until interrupted, as a
 * stand-in for GitHub Actions' token service, and prints the variables a runner would set. Its tokens carry the
 * claims given (default: those of a workflow of octo/app run by mona on main), and any the request URL adds as query
 * parameters.
 */
if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, claim: { type: 'string', multiple: true } }, strict: true });
  const claims: Record<string, string> = {
    repository: 'octo/app',
    repository_owner: 'octo',
    actor: 'mona',
    ref: 'refs/heads/main',
    sub: 'repo:octo/app:ref:refs/heads/main',
    job_workflow_ref: 'octo/app/.github/workflows/deploy.yml@refs/heads/main',
  };
  for (const c of values.claim ?? []) {
    const eq = c.indexOf('=');
    if (eq < 1) throw new Error(`--claim takes NAME=VALUE, got ${c}`);
    claims[c.slice(0, eq)] = c.slice(eq + 1);
  }
  // A fixed request token, so that the commands in docs/pipelines.md can be copied as they are (loopback only).
  const issuer = await startIssuer({ port: Number(values.port ?? 3100), actionsClaims: claims, requestToken: 'local-runner-token' });
  console.log(`OpenID issuer ${issuer.url} (tokens for ${claims.repository}); in the pipeline's shell:`);
  console.log(`export ACTIONS_ID_TOKEN_REQUEST_URL='${issuer.actions.requestUrl}'`);
  console.log(`export ACTIONS_ID_TOKEN_REQUEST_TOKEN='${issuer.actions.requestToken}'`);
}
