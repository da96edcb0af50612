import { describe, expect, it } from 'vitest';
import {
  claimMatches,
  checkIdentityClaims,
  DEFAULT_MAX_LIFETIME_SECONDS,
  GITHUB_ISSUER,
  GITLAB_ISSUER,
  issuerAllowed,
  matchPolicy,
  parseLifetime,
  peekToken,
  shorthandPolicy,
  timeRefusal,
  tokenUserName,
  type TrustPolicy,
} from '../../lib/domain/trust.ts';
import { policiesOf } from '../../lib/store/trust-items.ts';

const NOW = new Date('2026-12-05T12:00:00Z');
const T = NOW.getTime() / 1000;

const policy = (overrides: Partial<TrustPolicy> = {}): TrustPolicy => ({
  id: 'P1',
  feedId: 'F1',
  feedName: 'f',
  issuer: GITHUB_ISSUER,
  audience: 'https://api.example',
  claims: { repository: 'octo/app' },
  privileges: ['Feeds_DownloadPackage'],
  maxLifetimeSeconds: DEFAULT_MAX_LIFETIME_SECONDS,
  createdAt: NOW.toISOString(),
  ...overrides,
});
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: GITHUB_ISSUER,
  aud: 'https://api.example',
  iat: T,
  exp: T + 300,
  repository: 'octo/app',
  ...overrides,
});

describe('claim matching', () => {
  it('is exact, except for GitHub owner and repository names', () => {
    expect(claimMatches('repository', 'octo/app', 'Octo/App')).toBe(true);
    expect(claimMatches('repository_owner', 'OCTO', 'octo')).toBe(true);
    expect(claimMatches('repository', 'octo/app', 'octo/apq')).toBe(false);
    expect(claimMatches('environment', 'prod', 'Prod')).toBe(false);
    expect(claimMatches('project_path', 'group/project', 'Group/project')).toBe(false);
    expect(claimMatches('repository_id', '42', 42)).toBe(true);
    expect(claimMatches('repository', 'octo/app', undefined)).toBe(false);
    expect(claimMatches('repository', 'octo/app', ['octo/app'])).toBe(false);
  });

  it('binds a workflow file whatever its ref, unless the policy names the ref', () => {
    const wf = 'octo/app/.github/workflows/deploy.yml';
    expect(claimMatches('job_workflow_ref', wf, `${wf}@refs/heads/main`)).toBe(true);
    expect(claimMatches('job_workflow_ref', wf, `Octo/APP/.github/workflows/deploy.yml@refs/tags/v1`)).toBe(true);
    expect(claimMatches('job_workflow_ref', wf, `octo/app/.github/workflows/Deploy.yml@refs/heads/main`)).toBe(false);
    expect(claimMatches('job_workflow_ref', wf, `octo/app/.github/workflows/deploy.yml.evil@refs/heads/main`)).toBe(false);
    expect(claimMatches('job_workflow_ref', wf, wf)).toBe(false);
    expect(claimMatches('job_workflow_ref', `${wf}@refs/heads/main`, `${wf}@refs/heads/dev`)).toBe(false);
  });
});

describe('matchPolicy', () => {
  it('finds the policy whose issuer, lifetime, audience and claims all hold', () => {
    const r = matchPolicy([policy({ id: 'other', claims: { repository: 'octo/x' } }), policy()], claims());
    expect(r).toEqual({ ok: true, policy: expect.objectContaining({ id: 'P1' }) });
  });

  it.each([
    ['issuer', claims({ iss: 'https://evil.example' })],
    ['lifetime', claims({ exp: T + DEFAULT_MAX_LIFETIME_SECONDS + 1 })],
    ['audience', claims({ aud: ['https://other.example'] })],
    ['claims', claims({ repository: 'octo/apq' })],
  ])('reports the furthest check failed: %s', (refusal, token) => {
    expect(matchPolicy([policy()], token)).toEqual({ ok: false, refusal });
  });

  it('takes an audience list that contains the audience, and a lifetime set on the policy', () => {
    expect(matchPolicy([policy()], claims({ aud: ['x', 'https://api.example'] })).ok).toBe(true);
    expect(matchPolicy([policy({ maxLifetimeSeconds: 120 })], claims()).ok).toBe(false);
  });
});

describe('timeRefusal (60 s of skew)', () => {
  it.each([
    [undefined, claims()],
    [undefined, claims({ exp: T - 59 })],
    ['expired', claims({ exp: T - 61 })],
    [undefined, claims({ nbf: T + 59 })],
    ['not-yet-valid', claims({ nbf: T + 61 })],
    ['issued-in-future', claims({ iat: T + 61, exp: T + 400 })],
    ['malformed', claims({ exp: undefined })],
    ['malformed', claims({ iat: '1' })],
    ['malformed', claims({ nbf: 'soon' })],
  ])('%s for %o', (refusal, token) => {
    expect(timeRefusal(token, NOW)).toBe(refusal);
  });
});

describe('peekToken', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  it.each([
    [{ alg: 'none' }, 'algorithm'],
    [{ alg: 'HS256' }, 'algorithm'],
    [{ alg: 'RS512' }, 'algorithm'],
    [{}, 'algorithm'],
  ])('refuses the header %o before anything is fetched', (header, refusal) => {
    expect(peekToken(`${b64(header)}.${b64({ iss: 'x' })}.sig`)).toEqual({ ok: false, refusal });
  });
  it('reads alg and iss of a well-formed token, and refuses what is not one', () => {
    expect(peekToken(`${b64({ alg: 'ES256' })}.${b64({ iss: 'x' })}.sig`)).toEqual({ ok: true, alg: 'ES256', iss: 'x' });
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.b.c', `${b64({ alg: 'RS256' })}.bm90IGpzb24.c`, `${b64('RS256')}.${b64(1)}.c`]) {
      expect(peekToken(bad)).toEqual({ ok: false, refusal: expect.stringMatching(/malformed|algorithm/) });
    }
  });
});

describe('shorthands', () => {
  it('--github OWNER/REPO with environment, branch and workflow', () => {
    expect(shorthandPolicy({ platform: 'github', path: 'octo/app', environment: 'prod', ref: 'main', workflow: 'deploy.yml' })).toEqual({
      issuer: GITHUB_ISSUER,
      claims: { repository: 'octo/app', environment: 'prod', ref: 'refs/heads/main', job_workflow_ref: 'octo/app/.github/workflows/deploy.yml' },
    });
    expect(shorthandPolicy({ platform: 'github', path: 'octo/app', ref: 'refs/tags/v1' }).claims.ref).toBe('refs/tags/v1');
  });
  it('--gitlab GROUP/SUBGROUP/PROJECT', () => {
    expect(shorthandPolicy({ platform: 'gitlab', path: 'g/s/p', ref: 'main' })).toEqual({
      issuer: GITLAB_ISSUER,
      claims: { project_path: 'g/s/p', ref: 'main' },
    });
  });
  it.each([
    [{ platform: 'github' as const, path: 'octo' }, /OWNER\/REPO/],
    [{ platform: 'github' as const, path: 'a/b/c' }, /OWNER\/REPO/],
    [{ platform: 'github' as const, path: 'octo/app', workflow: '../x.yml' }, /--workflow/],
    [{ platform: 'gitlab' as const, path: 'project' }, /GROUP\/PROJECT/],
    [{ platform: 'gitlab' as const, path: 'g/p', workflow: 'x.yml' }, /for --github/],
  ])('refuses %o', (s, message) => {
    expect(() => shorthandPolicy(s)).toThrow(message);
  });
});

describe('the rest', () => {
  it('requires an identity claim', () => {
    expect(() => checkIdentityClaims({ environment: 'prod' })).toThrow(/at least one of the claims repository, repository_id, project_path, project_id/);
    expect(() => checkIdentityClaims({ project_id: '7' })).not.toThrow();
  });
  it('takes UserName from actor, user_login, then sub', () => {
    expect(tokenUserName({ actor: 'mona', user_login: 'x', sub: 's' })).toBe('mona');
    expect(tokenUserName({ user_login: 'gl', sub: 's' })).toBe('gl');
    expect(tokenUserName({ sub: 'repo:o/r:ref:refs/heads/main' })).toBe('repo:o/r:ref:refs/heads/main');
  });
  it('passes over a claim that would be refused as the UserName field: too long, control or invisible format characters', () => {
    expect(tokenUserName({ actor: 'y'.repeat(2000), sub: 's' })).toBe('s');
    expect(tokenUserName({ actor: 'mo\u202ena', user_login: 'gl\u0000', sub: 's' })).toBe('s');
    expect(tokenUserName({ actor: 'mo\u200bna', sub: '\u0007' })).toBe('identity token');
    expect(tokenUserName({ actor: '  mona  ' })).toBe('mona');
  });
  it('allows https issuers, and http on loopback only where allowed', () => {
    expect(issuerAllowed(GITHUB_ISSUER, false)).toBe(true);
    expect(issuerAllowed('http://127.0.0.1:9000', false)).toBe(false);
    expect(issuerAllowed('http://127.0.0.1:9000', true)).toBe(true);
    expect(issuerAllowed('http://localhost:9000', true)).toBe(true);
    expect(issuerAllowed('http://10.0.0.1', true)).toBe(false);
    expect(issuerAllowed('https://u:p@issuer.example', false)).toBe(false);
    expect(issuerAllowed('not a url', true)).toBe(false);
  });
  it('refuses issuers (and JWKS URLs) at internal addresses: link-local, private, loopback unless local issuers are allowed', () => {
    for (const internal of [
      'https://169.254.169.254',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00:ec2::254]',
      'https://10.0.0.5',
      'https://192.168.1.1:8443',
      'https://0x7f.1',
      'https://127.0.0.1',
      'https://[::1]',
      'https://[::ffff:169.254.169.254]',
      'https://localhost',
      'https://issuer.localhost',
    ]) {
      expect(issuerAllowed(internal, false), internal).toBe(false);
    }
    expect(issuerAllowed('https://10.0.0.5', true)).toBe(false);
    expect(issuerAllowed('https://169.254.169.254', true)).toBe(false);
    expect(issuerAllowed('https://127.0.0.1:8443', true)).toBe(true);
    expect(issuerAllowed('http://[::1]:9000', true)).toBe(true);
    expect(issuerAllowed('https://8.8.8.8', false)).toBe(true);
    expect(issuerAllowed(GITLAB_ISSUER, false)).toBe(true);
  });
  it('parses lifetimes', () => {
    expect([parseLifetime('600'), parseLifetime('10m'), parseLifetime('1h')]).toEqual([600, 600, 3600]);
    for (const bad of ['0', '-5', '25h', 'soon', '']) expect(() => parseLifetime(bad)).toThrow(/--max-lifetime/);
  });
});

describe('a stored trust item, read back', () => {
  const stored = (overrides: Record<string, unknown> = {}) => ({ ...policy(), ...overrides });
  it('gives its policies, oldest first', () => {
    const item = { keyHash: 'trust#f', policies: { P2: stored({ id: 'P2' }), P1: stored() } };
    expect(policiesOf(item).map((p) => p.id)).toEqual(['P1', 'P2']);
    expect(policiesOf(undefined)).toEqual([]);
    expect(policiesOf({ keyHash: 'trust#f' })).toEqual([]);
  });
  it.each([
    ['a key that is no trust item', { keyHash: 'a'.repeat(64), policies: {} }, /no trust# key/],
    ['policies that are no map', { keyHash: 'trust#f', policies: [] }, /not a map/],
    ['a claim that is no string', { keyHash: 'trust#f', policies: { P1: stored({ claims: { repository: 1 } }) } }, /claim that is not a string/],
    ['an unknown privilege', { keyHash: 'trust#f', policies: { P1: stored({ privileges: ['Feeds_All'] }) } }, /unknown privilege/],
    ['a missing issuer', { keyHash: 'trust#f', policies: { P1: stored({ issuer: '' }) } }, /issuer/],
    ['a lifetime of 0', { keyHash: 'trust#f', policies: { P1: stored({ maxLifetimeSeconds: 0 }) } }, /maxLifetimeSeconds/],
  ])('fails loudly on %s (rather than granting access)', (_what, item, message) => {
    expect(() => policiesOf(item)).toThrow(message);
  });
});
