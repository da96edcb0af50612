import { Forbidden } from '../../lib/domain/errors.ts';
import { problemOf } from '../../lib/http/errors.ts';
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  authenticate,
  authorize,
  extractCredential,
  hasPrivilege,
  principalKeyId,
  principalName,
  RECORD_PRIVILEGE,
  VIEW_AND_DOWNLOAD,
  type ApiKeyRecord,
  legacyFeedId,
  type FeedRecord,
  type Principal,
} from '../../lib/domain/auth.ts';
import { hashApiKey } from '../../lib/domain/keys.ts';

const KEY = 'k3y-0123456789abcdef';
const OTHER = 'another-key-value';
const basic = (userAndPassword: string): string => `Basic ${Buffer.from(userAndPassword, 'utf8').toString('base64')}`;

describe('extractCredential', () => {
  it('reads the same key sent twice (HTTP API joins repeats with a comma) as one key', () => {
    expect(extractCredential({ 'x-apikey': `${KEY},${KEY}` }, { key: `${KEY}, ${KEY}` })).toEqual({ kind: 'key', key: KEY, source: 'X-ApiKey header' });
  });

  it.each([
    ['a form field key', [['key', KEY]]],
    ['a JSON property API_Key', [['API_Key', KEY]]],
    ['in any casing', [['api_KEY', KEY]]],
    ['a number', [['API_Key', 12345678]]],
  ])('reads %s, as older ProGet versions do', (_what, body) => {
    const c = extractCredential({}, undefined, body as Array<[string, unknown]>);
    expect(c).toMatchObject({ kind: 'key', source: 'body' });
  });

  it('takes only an ASCII key parameter: a look-alike name (Kelvin sign) is not a key', () => {
    expect(extractCredential({}, { '\u212Aey': 'k' })).toEqual({ kind: 'none' });
    expect(extractCredential({}, { KeY: 'k' })).toMatchObject({ kind: 'key', key: 'k' });
  });

  it('refuses a body key property given twice, whatever the values (JSON keeps only the last)', () => {
    expect(
      extractCredential({}, {}, [
        ['API_Key', 'a'],
        ['API_Key', 'a'],
      ]),
    ).toMatchObject({ kind: 'invalid', detail: expect.stringMatching(/given more than once/) });
  });

  it('takes a null body key as none, like an empty one', () => {
    expect(extractCredential({}, {}, [['API_Key', null]])).toEqual({ kind: 'none' });
  });

  it('refuses a body key that is not a string', () => {
    expect(extractCredential({}, undefined, [['API_Key', { nested: KEY }]])).toMatchObject({
      kind: 'invalid',
      detail: expect.stringMatching(/API_Key must hold the API key as a string/),
    });
  });

  it('finds no key in an empty request', () => {
    expect(extractCredential({}, undefined)).toEqual({ kind: 'none' });
    expect(extractCredential({}, {})).toEqual({ kind: 'none' });
  });

  it('reads the X-ApiKey header (lower-cased), trimmed', () => {
    expect(extractCredential({ 'x-apikey': KEY }, undefined)).toEqual({ kind: 'key', key: KEY, source: 'X-ApiKey header' });
    expect(extractCredential({ 'x-apikey': `  ${KEY} ` }, undefined)).toMatchObject({ kind: 'key', key: KEY });
  });

  it('reads HTTP Basic with user api and the key as password', () => {
    expect(extractCredential({ authorization: basic(`api:${KEY}`) }, undefined)).toEqual({
      kind: 'key',
      key: KEY,
      source: 'Authorization header',
    });
  });

  it('accepts the user name api in any case and a lower-case scheme', () => {
    expect(extractCredential({ authorization: basic(`API:${KEY}`) }, undefined)).toMatchObject({ kind: 'key', key: KEY });
    const lower = `basic ${Buffer.from(`Api:${KEY}`).toString('base64')}`;
    expect(extractCredential({ authorization: lower }, undefined)).toMatchObject({ kind: 'key', key: KEY });
  });

  it('keeps colons in the password', () => {
    expect(extractCredential({ authorization: basic('api:a:b:c') }, undefined)).toMatchObject({ kind: 'key', key: 'a:b:c' });
  });

  it.each([
    ['another user', basic(`admin:${KEY}`)],
    ['no colon', basic(KEY)],
    ['an empty user', basic(`:${KEY}`)],
    ['no credentials', 'Basic'],
  ])('refuses Basic with %s', (_what, authorization) => {
    const c = extractCredential({ authorization }, undefined);
    expect(c).toMatchObject({ kind: 'invalid', detail: expect.stringContaining('user name "api"') });
  });

  // A raw key as the whole header is the case that matters most: nothing of it may come back in the message.
  it.each(['Digest username="api"', 'Token abc', `ApiKey ${KEY}`, KEY, KEY.slice(0, 12)])('refuses the scheme of %s', (authorization) => {
    const c = extractCredential({ authorization }, undefined);
    expect(c.kind).toBe('invalid');
    if (c.kind === 'invalid') {
      expect(c.detail).toMatch(/The Authorization header takes HTTP Basic authentication .* or a Bearer identity token.*X-ApiKey/);
      expect(c.detail).not.toContain(KEY);
      if (!authorization.includes(' ')) expect(c.detail).not.toContain(authorization);
    }
  });

  it('takes a Bearer token as an identity token, in any casing of the scheme', () => {
    expect(extractCredential({ authorization: 'Bearer abc.def.ghi' }, undefined)).toEqual({ kind: 'bearer', token: 'abc.def.ghi' });
    expect(extractCredential({ authorization: 'bearer  abc.def.ghi ' }, undefined)).toEqual({ kind: 'bearer', token: 'abc.def.ghi' });
  });

  it.each(['Bearer', 'Bearer a.b.c,Bearer d.e.f', 'Bearer a.b.c d.e.f'])('refuses %s (no token, or two), without repeating it', (authorization) => {
    const c = extractCredential({ authorization }, undefined);
    expect(c).toMatchObject({ kind: 'invalid', detail: expect.stringContaining('takes one identity token') });
    if (c.kind === 'invalid') expect(c.detail).not.toContain('a.b.c');
  });

  it.each([
    [{ 'x-apikey': KEY }, undefined],
    [{}, { key: KEY }],
  ])('refuses Bearer together with an API key (%o %o)', (headers, query) => {
    const c = extractCredential({ ...headers, authorization: 'Bearer a.b.c' }, query);
    expect(c).toMatchObject({ kind: 'invalid', detail: expect.stringMatching(/^Both a Bearer identity token and an API key/) });
  });

  it('refuses Bearer even with a good X-ApiKey header', () => {
    expect(extractCredential({ 'x-apikey': KEY, authorization: `Bearer ${KEY}` }, undefined).kind).toBe('invalid');
  });

  it.each([{ key: KEY }, { Key: KEY }, { KEY: KEY }])('reads the key query parameter %j', (query) => {
    expect(extractCredential({}, query)).toEqual({ kind: 'key', key: KEY, source: 'key query parameter' });
  });

  it('ignores other query parameters', () => {
    expect(extractCredential({}, { apikey: KEY, keys: KEY, api_key: KEY })).toEqual({ kind: 'none' });
  });

  it.each([
    ['an empty X-ApiKey header', { 'x-apikey': '' }, undefined],
    ['a blank X-ApiKey header', { 'x-apikey': '   ' }, undefined],
    ['an empty Basic password', { authorization: basic('api:') }, undefined],
    ['a blank Basic password', { authorization: basic('api:  ') }, undefined],
    ['an empty Authorization header', { authorization: '' }, undefined],
    ['an empty key parameter', {}, { key: '' }],
    ['a blank key parameter', {}, { key: ' ' }],
    ['an undefined key parameter', {}, { key: undefined }],
    ['all of them empty', { 'x-apikey': '', authorization: basic('api:') }, { key: '', Key: '' }],
  ])('takes %s as no key', (_what, headers, query) => {
    expect(extractCredential(headers, query)).toEqual({ kind: 'none' });
  });

  it('takes an empty value as no key beside a real key elsewhere', () => {
    expect(extractCredential({ 'x-apikey': '' }, { key: KEY })).toMatchObject({ kind: 'key', key: KEY, source: 'key query parameter' });
  });

  it('accepts the same key in several transports, reporting the first', () => {
    expect(extractCredential({ 'x-apikey': KEY, authorization: basic(`api:${KEY}`) }, { key: KEY, Key: KEY })).toEqual({
      kind: 'key',
      key: KEY,
      source: 'X-ApiKey header',
    });
    expect(extractCredential({ authorization: basic(`api:${KEY}`) }, { key: ` ${KEY}` })).toMatchObject({
      kind: 'key',
      source: 'Authorization header',
    });
  });

  it.each([
    ['header and Basic', { 'x-apikey': KEY, authorization: basic(`api:${OTHER}`) }, undefined, /X-ApiKey header and the Authorization header/],
    ['header and query', { 'x-apikey': KEY }, { key: OTHER }, /X-ApiKey header and the key query parameter/],
    ['Basic and query', { authorization: basic(`api:${KEY}`) }, { key: OTHER }, /Authorization header and the key query parameter/],
    ['key and Key', {}, { key: KEY, Key: OTHER }, /key query parameter \(twice\)/],
    ['two X-ApiKey headers (joined with a comma)', { 'x-apikey': `${KEY},${OTHER}` }, undefined, /X-ApiKey header \(twice\)/],
    ['a repeated key parameter', {}, { key: `${KEY}, ${OTHER}` }, /key query parameter \(twice\)/],
    ['a body field and a header', { 'x-apikey': KEY }, undefined, /X-ApiKey header and the body/, [['API_Key', OTHER] as [string, string]]],
    ['keys differing in case', { 'x-apikey': KEY }, { key: KEY.toUpperCase() }, /Different API keys/],
    ['a key and its prefix', { 'x-apikey': KEY }, { key: KEY.slice(0, 5) }, /Different API keys/],
  ])('refuses different keys (%s) without revealing them', (_what, headers, query, detail, body?: Array<[string, string]>) => {
    const c = extractCredential(headers, query, body);
    expect(c).toMatchObject({ kind: 'invalid', detail: expect.stringMatching(detail) });
    if (c.kind === 'invalid') {
      expect(c.detail).not.toContain(KEY);
      expect(c.detail).not.toContain(OTHER);
    }
  });
});

const NOW = new Date('2024-05-01T12:00:00.000Z');

const keyRecord = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  keyHash: hashApiKey(KEY),
  id: '01HWZ3Y6Q8X2N4K7J9M1P5R3T6',
  user: 'deployer',
  allFeeds: false,
  feeds: ['defaultnuget'],
  privileges: [...VIEW_AND_DOWNLOAD],
  revoked: false,
  createdAt: '2024-01-01T00:00:00.000Z',
  ...overrides,
});

// A feed stored before feeds had ids (its legacy id), unless the test gives it one.
const feed = (overrides: Partial<FeedRecord> = {}): FeedRecord => ({
  name: 'defaultnuget',
  id: legacyFeedId(overrides.name ?? 'defaultnuget'),
  displayName: 'DefaultNuGet',
  anonymousPrivileges: [],
  createdAt: '2024-01-01T00:00:00.000Z',
  ...overrides,
});

const ANON: Principal = { kind: 'anonymous' };
const withKey = (overrides: Partial<ApiKeyRecord> = {}): Principal => ({ kind: 'key', key: keyRecord(overrides) });

describe('authenticate', () => {
  it('accepts a known, active key without expiry', () => {
    const key = keyRecord();
    expect(authenticate(key, NOW)).toEqual({ kind: 'key', key });
  });

  it('accepts a key that expires in the future', () => {
    const key = keyRecord({ expiresAt: '2024-05-01T12:00:00.001Z' });
    expect(authenticate(key, NOW)).toEqual({ kind: 'key', key });
  });

  it('refuses an unknown key with 403', () => {
    expect(() => authenticate(undefined, NOW)).toThrow(expect.objectContaining({ kind: 'forbidden', detail: 'The API key is not valid.' }));
  });

  it('refuses a revoked key with 403', () => {
    expect(() => authenticate(keyRecord({ revoked: true }), NOW)).toThrow(
      expect.objectContaining({ kind: 'forbidden', detail: expect.stringContaining('revoked') }),
    );
  });

  it('refuses a revoked key even if it has not expired', () => {
    expect(() => authenticate(keyRecord({ revoked: true, expiresAt: '2999-01-01T00:00:00.000Z' }), NOW)).toThrow(
      expect.objectContaining({ kind: 'forbidden', detail: expect.stringContaining('revoked') }),
    );
  });

  it.each(['2024-05-01T11:59:59.999Z', '2024-05-01T12:00:00.000Z', '2020-01-01T00:00:00.000Z'])('refuses a key that expired at %s with 403', (expiresAt) => {
    expect(() => authenticate(keyRecord({ expiresAt }), NOW)).toThrow(
      expect.objectContaining({ kind: 'forbidden', detail: `The API key expired at ${expiresAt}.` }),
    );
  });

  it('refuses a key whose expiry cannot be read (fails closed)', () => {
    expect(() => authenticate(keyRecord({ expiresAt: 'not a date' }), NOW)).toThrow(
      expect.objectContaining({ kind: 'forbidden', detail: expect.stringContaining('expired') }),
    );
  });

  it("throws the domain's Forbidden, which HTTP answers as 403 with its detail", () => {
    expect.assertions(3);
    try {
      authenticate(undefined, NOW);
    } catch (e) {
      expect(e).toBeInstanceOf(Forbidden);
      const answer = problemOf(e as Forbidden);
      expect(answer.statusCode).toBe(403);
      expect(answer.detail).toBe('The API key is not valid.');
    }
  });
});

describe('hasPrivilege and authorize', () => {
  it('grants a key its privileges on a named feed', () => {
    expect(hasPrivilege(withKey(), feed(), RECORD_PRIVILEGE)).toBe(true);
    expect(() => authorize(withKey(), feed(), RECORD_PRIVILEGE)).not.toThrow();
  });

  it('grants a key for all feeds its privileges on any feed', () => {
    const principal = withKey({ allFeeds: true, feeds: [] });
    expect(hasPrivilege(principal, feed({ name: 'other', displayName: 'Other' }), RECORD_PRIVILEGE)).toBe(true);
    expect(() => authorize(principal, feed({ name: 'other', displayName: 'Other' }), RECORD_PRIVILEGE)).not.toThrow();
  });

  it('refuses a key on a feed it does not name, with 403 naming the user and feed', () => {
    const other = feed({ name: 'internal', displayName: 'Internal' });
    expect(hasPrivilege(withKey(), other, RECORD_PRIVILEGE)).toBe(false);
    expect(() => authorize(withKey(), other, RECORD_PRIVILEGE)).toThrow(
      expect.objectContaining({
        kind: 'forbidden',
        detail: 'The API key (user deployer) is not granted Feeds_DownloadPackage on feed Internal.',
      }),
    );
  });

  it('refuses a key without the privilege, even on its feed or on all feeds', () => {
    for (const principal of [withKey({ privileges: ['Feeds_ViewFeed'] }), withKey({ allFeeds: true, privileges: ['Feeds_AddPackage'] })]) {
      expect(hasPrivilege(principal, feed(), RECORD_PRIVILEGE)).toBe(false);
      expect(() => authorize(principal, feed(), RECORD_PRIVILEGE)).toThrow(
        expect.objectContaining({ kind: 'forbidden', detail: expect.stringContaining('not granted Feeds_DownloadPackage') }),
      );
    }
  });

  it('refuses a key with no privileges at all', () => {
    expect(hasPrivilege(withKey({ allFeeds: true, privileges: [] }), feed(), 'Feeds_ViewFeed')).toBe(false);
  });

  it('checks the privilege asked for', () => {
    expect(hasPrivilege(withKey(), feed(), 'Feeds_ViewFeed')).toBe(true);
    expect(hasPrivilege(withKey(), feed(), 'Feeds_AddPackage')).toBe(false);
    expect(hasPrivilege(withKey({ privileges: ['Feeds_AddPackage'] }), feed(), 'Feeds_AddPackage')).toBe(true);
  });

  it('compares a named feed with the folded feed name', () => {
    expect(hasPrivilege(withKey({ feeds: ['a', 'defaultnuget'] }), feed(), RECORD_PRIVILEGE)).toBe(true);
    expect(hasPrivilege(withKey({ feeds: ['defaultnuget2'] }), feed(), RECORD_PRIVILEGE)).toBe(false);
  });

  it('grants anonymous users what the feed grants them', () => {
    const open = feed({ anonymousPrivileges: [...VIEW_AND_DOWNLOAD] });
    expect(hasPrivilege(ANON, open, RECORD_PRIVILEGE)).toBe(true);
    expect(() => authorize(ANON, open, RECORD_PRIVILEGE)).not.toThrow();
  });

  it('refuses anonymous users on a feed that grants them nothing, suggesting a key', () => {
    expect(hasPrivilege(ANON, feed(), RECORD_PRIVILEGE)).toBe(false);
    expect(() => authorize(ANON, feed(), RECORD_PRIVILEGE)).toThrow(
      expect.objectContaining({
        kind: 'forbidden',
        detail: expect.stringMatching(/^Anonymous users are not granted Feeds_DownloadPackage on feed DefaultNuGet; .*X-ApiKey/),
      }),
    );
  });

  it('refuses anonymous users a privilege the feed does not grant them', () => {
    const viewOnly = feed({ anonymousPrivileges: ['Feeds_ViewFeed'] });
    expect(hasPrivilege(ANON, viewOnly, 'Feeds_ViewFeed')).toBe(true);
    expect(hasPrivilege(ANON, viewOnly, RECORD_PRIVILEGE)).toBe(false);
    expect(() => authorize(ANON, viewOnly, RECORD_PRIVILEGE)).toThrow(expect.objectContaining({ kind: 'forbidden' }));
  });

  it('gives a key at least what the feed grants anonymous users, and no more', () => {
    const open = feed({ anonymousPrivileges: [...VIEW_AND_DOWNLOAD] });
    expect(hasPrivilege(withKey({ feeds: ['other'], privileges: [] }), open, RECORD_PRIVILEGE)).toBe(true);
    expect(hasPrivilege(withKey({ feeds: ['other'], privileges: [] }), open, 'Feeds_AddPackage')).toBe(false);
  });
});

describe('principalName and principalKeyId', () => {
  it('names anonymous users Anonymous', () => {
    expect(principalName(ANON)).toBe(ANONYMOUS);
    expect(ANONYMOUS).toBe('Anonymous');
    expect(principalKeyId(ANON)).toBe('anonymous');
  });

  it('names a key by its user and id', () => {
    expect(principalName(withKey({ user: 'jdoe' }))).toBe('jdoe');
    expect(principalKeyId(withKey({ id: 'ID1' }))).toBe('ID1');
  });
});
