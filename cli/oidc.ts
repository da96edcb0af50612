import type { RecordArgs } from './args.ts';
import { USER_AGENT } from './auth.ts';
import { UsageError, type Io } from './output.ts';

/**
 * `record --oidc`: an OpenID Connect identity token from the CI platform instead of an API key (keyless pipelines, see
 * docs/pipelines.md). On GitHub Actions the token is requested from the runner (ACTIONS_ID_TOKEN_REQUEST_URL with
 * `&audience=`, authorized by ACTIONS_ID_TOKEN_REQUEST_TOKEN; both exist only with `permissions: id-token: write`);
 * on GitLab CI (and elsewhere) it is read from the variable `--oidc-token-env` names (an `id_tokens:` entry). The token
 * goes into the Authorization header and nowhere else: no log line or error message holds it.
 */
export class TokenRequestError extends Error {}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const oidcHeaders = async (args: RecordArgs, io: Io, log: (line: string) => void, timeoutMs: number): Promise<Record<string, string>> => {
  const oidc = args.oidc!;
  if (io.env[args.keyEnv]?.trim()) log(`--oidc: the API key in ${args.keyEnv} is not sent`);
  if (oidc.tokenEnv !== undefined) {
    const token = io.env[oidc.tokenEnv]?.trim();
    if (!token) {
      throw new UsageError(
        `--oidc-token-env ${oidc.tokenEnv}: that environment variable is not set (or is empty); on GitLab CI declare it in the job: id_tokens: ${oidc.tokenEnv}: aud: ${oidc.audience}`,
      );
    }
    if (!TOKEN_SHAPE.test(token)) throw new UsageError(`--oidc-token-env ${oidc.tokenEnv}: that variable does not hold a JSON Web Token`);
    log(`identity token: from ${oidc.tokenEnv}`);
    return { Authorization: `Bearer ${token}` };
  }
  const requestUrl = io.env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim();
  const requestToken = io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      '--oidc: no identity token to request. On GitHub Actions the job needs "permissions: id-token: write" (without it the runner sets neither ACTIONS_ID_TOKEN_REQUEST_URL nor ACTIONS_ID_TOKEN_REQUEST_TOKEN); on GitLab CI use --oidc-token-env NAME with an id_tokens: entry.',
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set('audience', oidc.audience);
  log(`identity token: requested from GitHub Actions for audience ${oidc.audience}`);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${requestToken}`, Accept: 'application/json', 'User-Agent': USER_AGENT },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new TokenRequestError(`the GitHub Actions identity token request failed: ${(e as Error).name}`);
  }
  if (!response.ok) throw new TokenRequestError(`the GitHub Actions identity token request answered ${response.status}`);
  const value = ((await response.json().catch(() => ({}))) as { value?: unknown }).value;
  if (typeof value !== 'string' || !TOKEN_SHAPE.test(value)) throw new TokenRequestError('the GitHub Actions identity token request answered no token');
  return { Authorization: `Bearer ${value}` };
};
