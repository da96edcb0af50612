import { describe, expect, it } from 'vitest';
import { invalid as invalidChecked } from '../../lib/domain/result.ts';
import {
  FIELD_LIMITS,
  MAX_PARTITION_KEY_BYTES,
  validateDeployment,
  type DeploymentInput,
  type FieldName,
  type Validation,
} from '../../lib/domain/deployment.ts';
import { decodeBody, type BodyEntries } from '../../lib/http/body.ts';
import { deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { seedFields } from '../support/seed.ts';

const REQUIRED = ['Application', 'Description', 'Target', 'FeedName', 'PackageName', 'Version'] as const;
const OPTIONAL = ['GroupName', 'UserName', 'Url', 'Date', 'Status', 'CommitSha', 'CommitTime'] as const;

const SEED = seedFields();

/** The seed's fields with some replaced (undefined removes one) and others added. */
const entries = (overrides: Record<string, unknown> = {}): BodyEntries => {
  const all: Record<string, unknown> = { ...SEED, ...overrides };
  return Object.entries(all).filter(([, v]) => v !== undefined);
};

const valid = (e: BodyEntries): DeploymentInput => {
  const result = validateDeployment(e);
  if (!result.ok) throw new Error(`expected valid, got: ${result.detail}`);
  return result.value;
};

const invalid = (e: BodyEntries): Extract<Validation, { ok: false }> => {
  const result = validateDeployment(e);
  if (result.ok) throw new Error(`expected invalid, got ${JSON.stringify(result.value)}`);
  expect(result.detail).toBe(result.errors.map((x) => x.detail).join(' '));
  return result;
};

/** Expects exactly one error, on `field`, whose detail names the field and matches `detail`. */
const invalidField = (e: BodyEntries, field: string, detail: RegExp): void => {
  const result = invalid(e);
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0]!.field).toBe(field);
  expect(result.detail).toMatch(new RegExp(`^${field} `));
  expect(result.detail).toMatch(detail);
};

describe('validateDeployment: the seed example', () => {
  it('accepts the seed fields and leaves the optional ones absent', () => {
    expect(valid(entries())).toEqual({
      ...SEED,
      GroupName: undefined,
      UserName: undefined,
      Url: undefined,
      Date: undefined,
    });
  });

  it('accepts all fields', () => {
    const v = valid(
      entries({
        GroupName: '@scope',
        UserName: 'jdoe',
        Url: 'https://ci.example.com/build/1?x=y#frag',
        Date: '2024-05-01T14:00:00.1234567+02:00',
      }),
    );
    expect(v).toMatchObject({
      GroupName: '@scope',
      UserName: 'jdoe',
      Url: 'https://ci.example.com/build/1?x=y#frag',
      Date: '2024-05-01T12:00:00.123Z',
    });
  });

  it('validates what decodeBody makes of the seed PowerShell raw body', async () => {
    const fields = await decodeBody({
      body: 'FeedName=DefaultNuGet&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=localhost&PackageName=Newtonsoft.Json&Version=12.0.3',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(valid(fields)).toMatchObject(SEED);
  });
});

describe('validateDeployment: required fields', () => {
  it.each(REQUIRED)('refuses a missing %s, naming it', (field) => {
    invalidField(entries({ [field]: undefined }), field, /is required\.$/);
  });

  it.each(REQUIRED)('refuses a null %s as missing', (field) => {
    invalidField(entries({ [field]: null }), field, /is required/);
  });

  it.each(REQUIRED)('refuses a blank %s', (field) => {
    invalidField(entries({ [field]: ' \t\n ' }), field, /must not be blank/);
    invalidField(entries({ [field]: '' }), field, /must not be blank/);
  });

  it('names every missing field of an empty body, one error each', () => {
    const result = invalid([]);
    expect(result.errors.map((e) => e.field).sort()).toEqual([...REQUIRED].sort());
    for (const field of REQUIRED) expect(result.detail).toContain(`${field} is required.`);
  });
});

describe('validateDeployment: names and values', () => {
  it('matches names case-insensitively and returns canonical names', () => {
    const v = valid([
      ['feedname', 'F'],
      ['APPLICATION', 'A'],
      ['dEsCrIpTiOn', 'D'],
      ['target', 'T'],
      ['PACKAGENAME', 'P'],
      ['version', 'V'],
      ['groupname', 'G'],
      ['USERNAME', 'U'],
      ['url', 'http://x.example'],
      ['DATE', '2024-05-01'],
    ]);
    expect(v).toEqual({
      FeedName: 'F',
      Application: 'A',
      Description: 'D',
      Target: 'T',
      PackageName: 'P',
      Version: 'V',
      GroupName: 'G',
      UserName: 'U',
      Url: 'http://x.example',
      Date: '2024-05-01T00:00:00.000Z',
    });
  });

  it('trims names', () => {
    expect(valid(entries({ FeedName: undefined, ' FeedName ': 'x' })).FeedName).toBe('x');
  });

  it('trims values', () => {
    const v = valid(entries({ FeedName: '  DefaultNuGet\t', Version: '\n12.0.3 ', GroupName: '  g  ', Url: ' https://x.example/ ' }));
    expect(v.FeedName).toBe('DefaultNuGet');
    expect(v.Version).toBe('12.0.3');
    expect(v.GroupName).toBe('g');
    expect(v.Url).toBe('https://x.example/');
  });

  it('keeps the caller casing of values', () => {
    expect(valid(entries()).PackageName).toBe('Newtonsoft.Json');
  });

  it('takes a JSON number as its text', async () => {
    const fields = await decodeBody({ body: JSON.stringify({ ...SEED, Version: 0 }).replace('0', '12.0'), contentType: 'application/json' });
    expect(fields).toContainEqual(['Version', '12.0']);
    expect(valid(fields).Version).toBe('12.0');
  });

  it('takes a number value as a string', () => {
    expect(valid(entries({ Version: 3 })).Version).toBe('3');
    expect(valid(entries({ Version: 1.5, Target: 42 }))).toMatchObject({ Version: '1.5', Target: '42' });
  });

  it.each([
    ['an object', { a: 1 }],
    ['an array', ['1']],
    ['a boolean', true],
    ['a boolean', false],
  ])('refuses %s, naming the field and the type', (what, value) => {
    invalidField(entries({ Version: value }), 'Version', new RegExp(`must be a string or a number, not ${what}`));
  });

  it.each(OPTIONAL)('refuses an object for the optional %s', (field) => {
    invalidField(entries({ [field]: { a: 1 } }), field, /not an object/);
  });

  it.each(OPTIONAL)('treats a null %s as absent', (field) => {
    expect(valid(entries({ [field]: null }))[field]).toBeUndefined();
  });

  it.each(OPTIONAL)('treats a blank %s as absent', (field) => {
    expect(valid(entries({ [field]: '   ' }))[field]).toBeUndefined();
    expect(valid(entries({ [field]: '' }))[field]).toBeUndefined();
  });

  it('ignores unknown fields', () => {
    const v = valid(entries({ Environment: 'prod', key: 'secret', API_Key: 'x', Nested: { a: 1 }, Flag: true }));
    expect(v).not.toHaveProperty('Environment');
    expect(v).not.toHaveProperty('key');
    expect(Object.keys(v).sort()).toEqual([...REQUIRED].sort());
    for (const key of Object.keys(v)) expect(Object.keys(FIELD_LIMITS)).toContain(key);
  });

  it('refuses a field given twice in different cases, naming it', () => {
    const e = [...entries(), ['version', '2']] as BodyEntries;
    invalidField(e, 'Version', /more than once/);
  });

  it('refuses a field given twice with the same name', () => {
    invalidField([...entries(), ['Target', 'other']], 'Target', /Target was given more than once/);
  });

  it('refuses a repeated field even when the first value was null', () => {
    invalidField([...entries({ GroupName: null }), ['groupname', 'g']], 'GroupName', /more than once/);
  });

  it('reports each repeated field once per repeat', () => {
    const result = invalid([...entries(), ['Version', '2'], ['FEEDNAME', 'x']]);
    expect(result.errors.map((e) => e.field)).toEqual(['Version', 'FeedName']);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'Constructor'])('refuses the field name %s', (name) => {
    const result = invalid([[name, 'x'], ...entries()]);
    expect(result.errors).toEqual([{ field: name, detail: `The field name "${name}" is not allowed.` }]);
  });
});

describe('validateDeployment: length limits', () => {
  it('has a limit for every field', () => {
    expect(Object.keys(FIELD_LIMITS).sort()).toEqual([...REQUIRED, ...OPTIONAL].sort());
  });

  // Status, CommitSha and CommitTime have grammars of their own (test/unit/dora.test.ts), shorter than their limits.
  const textFields = (Object.keys(FIELD_LIMITS) as FieldName[]).filter((f) => !['Url', 'Date', 'Status', 'CommitSha', 'CommitTime'].includes(f));

  it.each(textFields)('accepts %s at its limit and refuses it one over', (field) => {
    const max = FIELD_LIMITS[field];
    expect(valid(entries({ [field]: 'a'.repeat(max) }))[field]).toHaveLength(max);
    invalidField(entries({ [field]: 'a'.repeat(max + 1) }), field, new RegExp(`must be at most ${max} characters`));
  });

  it('measures the limit after trimming', () => {
    const max = FIELD_LIMITS.Target;
    expect(valid(entries({ Target: `  ${'a'.repeat(max)}  ` })).Target).toHaveLength(max);
  });

  it('accepts a Url at its limit and refuses it one over', () => {
    const max = FIELD_LIMITS.Url;
    const prefix = 'https://x.example/';
    const at = prefix + 'a'.repeat(max - prefix.length);
    expect(valid(entries({ Url: at })).Url).toBe(at);
    invalidField(entries({ Url: at + 'a' }), 'Url', /must be at most 2048 characters/);
  });

  it('refuses a Date over its limit', () => {
    invalidField(entries({ Date: `2024-05-01T12:00:00.${'1'.repeat(60)}Z` }), 'Date', /must be at most 64 characters/);
  });

  it('keeps every partition key within DynamoDB limits for ASCII names at the limits', () => {
    const v = valid(
      entries({
        FeedName: '%'.repeat(FIELD_LIMITS.FeedName),
        GroupName: '#'.repeat(FIELD_LIMITS.GroupName),
        PackageName: '%'.repeat(FIELD_LIMITS.PackageName),
      }),
    );
    expect(Buffer.byteLength(deploymentPartitionKey(v.FeedName, v.GroupName, v.PackageName))).toBeLessThanOrEqual(MAX_PARTITION_KEY_BYTES);
  });

  it('refuses names that grow past the partition key limit once normalised, naming the longest', () => {
    // U+FB2C is one UTF-16 unit (3 bytes) but three code points (6 bytes) in NFC. The version index key is the
    // longest: F#<feed>#G#<group>#P#<package>#V#<version> = 8 + 600 + 1500 + 1500 + 3 + 6 bytes.
    const e = entries({ FeedName: '\uFB2C'.repeat(100), GroupName: '\uFB2C'.repeat(250), PackageName: '\uFB2C'.repeat(250) });
    invalidField(e, 'PackageName', /FeedName, GroupName, PackageName and Version together make a storage key of 3617 bytes.*at most 2048/);
  });

  it('names GroupName when it is the longest contributor to an oversized key', () => {
    // 8 + 100 + 250 * 6 + 50 * 6 + 3 + 6 = 1917 bytes: fine; with 100 * 6 for the package, 2217 bytes: too long.
    const fits = entries({ FeedName: 'f'.repeat(100), GroupName: '\uFB2C'.repeat(250), PackageName: '\uFB2C'.repeat(50) });
    const big = entries({ FeedName: 'f'.repeat(100), GroupName: '\uFB2C'.repeat(250), PackageName: '\uFB2C'.repeat(100) });
    expect(valid(fits).GroupName).toHaveLength(250);
    invalidField(big, 'GroupName', /GroupName is too long: .* 2217 bytes/);
  });

  it('counts the Version in the version index key', () => {
    const e = entries({ FeedName: 'f'.repeat(100), GroupName: '\uFB2C'.repeat(200), PackageName: '\uFB2C'.repeat(50), Version: '\uFB2C'.repeat(100) });
    invalidField(e, 'GroupName', /storage key of 2211 bytes/);
    expect(valid(entries({ ...Object.fromEntries(e), GroupName: '\uFB2C'.repeat(150) })).Version).toHaveLength(100);
  });

  it('keeps the Target within the sort-key limit of the current-state item (1024 bytes)', () => {
    // T# + 250 * 6 bytes = 1502 bytes; '#' is escaped as %23, so 250 of them make 752 bytes: fine.
    invalidField(entries({ Target: '\uFB2C'.repeat(250) }), 'Target', /Target makes a storage key of 1502 bytes.*at most 1024/);
    expect(valid(entries({ Target: '#'.repeat(250) })).Target).toHaveLength(250);
  });
});

describe('validateDeployment: text content', () => {
  it.each(['\u0000', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f'])('refuses control character %j inside a one-line field', (c) => {
    invalidField(entries({ Target: `srv${c}01` }), 'Target', /must not contain control characters/);
  });

  it.each(['\t', '\n', '\r\n'])('accepts %j inside Description', (c) => {
    expect(valid(entries({ Description: `line 1${c}line 2` })).Description).toBe(`line 1${c}line 2`);
  });

  it.each(['\u0000', '\u0008', '\u000b', '\u000c', '\u001f', '\u007f'])('refuses %j inside Description', (c) => {
    invalidField(entries({ Description: `a${c}b` }), 'Description', /control characters/);
  });

  it('refuses control characters in optional fields', () => {
    invalidField(entries({ UserName: 'j\u0000doe' }), 'UserName', /control characters/);
  });

  it('trims away leading and trailing line breaks rather than refusing them', () => {
    expect(valid(entries({ Target: '\nsrv\r\n' })).Target).toBe('srv');
  });

  it.each([
    ['a lone high surrogate', 'pkg\uD83D'],
    ['a lone low surrogate', '\uDE80pkg'],
    ['reversed surrogates', '\uDE80\uD83D'],
  ])('refuses %s', (_what, value) => {
    invalidField(entries({ PackageName: value }), 'PackageName', /unpaired surrogate/);
  });

  it('accepts non-ASCII text and paired surrogates', () => {
    expect(valid(entries({ Description: 'Déployé 🚀 中文' })).Description).toBe('Déployé 🚀 中文');
  });

  it('collects errors for several fields at once', () => {
    const result = invalid(entries({ Target: 'a\u0000', Version: true, Url: 'ftp://x' }));
    expect(result.errors.map((e) => e.field).sort()).toEqual(['Target', 'Url', 'Version']);
  });
});

describe('validateDeployment: Url', () => {
  it.each([
    'http://example.com',
    'https://example.com/path?q=1#f',
    'HTTPS://EXAMPLE.COM/',
    'http://127.0.0.1:8080/x',
    'https://[::1]/',
    'https://user:pw@example.com/',
  ])('accepts %s as given', (url) => {
    expect(valid(entries({ Url: url })).Url).toBe(url);
  });

  it.each([
    'example.com',
    '/relative/path',
    'ftp://example.com/file',
    'javascript:alert(1)',
    'mailto:a@example.com',
    'file:///etc/passwd',
    'http://',
    'https://',
    'http://exa mple.com/',
    'http:example.com',
    'https:/example.com',
    'not a url',
  ])('refuses %s', (url) => {
    invalidField(entries({ Url: url }), 'Url', /must be an absolute http:\/\/ or https:\/\/ URL/);
  });
});

describe('validateDeployment: Date', () => {
  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T14:00:00.1234567+02:00', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    [' 2024-05-01 12:00 ', '2024-05-01T12:00:00.000Z'],
  ])('normalises %j to %s', (input, iso) => {
    expect(valid(entries({ Date: input })).Date).toBe(iso);
  });

  it.each(['yesterday', '2024-13-01', '2023-02-29', '01/05/2024', '2024-05-01T25:00:00Z'])('refuses %j, naming Date', (input) => {
    invalidField(entries({ Date: input }), 'Date', /^Date (is|has) /);
  });

  it('takes a JSON number as a Date: epoch seconds are refused as not ISO 8601, 20240501 is the basic format', () => {
    invalidField(entries({ Date: 1714564800 }), 'Date', /not an ISO 8601 date/);
    expect(valid(entries({ Date: 20240501 })).Date).toBe('2024-05-01T00:00:00.000Z');
  });

  it.each(['\u0085', '\u009b[31m', 'a\u0080b'])('refuses C1 control character %j', (v) => {
    invalidField(entries({ Application: v }), 'Application', /must not contain control characters/);
  });

  it.each(['\u200b', '\u200b\u200c\ufeff', '\u00a0\u2003'])('counts invisible-only %j as blank', (v) => {
    invalidField(entries({ Target: v }), 'Target', /must not be blank/);
  });

  it.each(['http:///path', 'http://exa mple.com/', 'https://example.com/a b', 'http:\\\\example.com'])('refuses the Url %j', (url) => {
    invalidField(entries({ Url: url }), 'Url', /must be an absolute http/);
  });

  it('reports each problem once, and at most 20 of them', () => {
    const repeated = validateDeployment(Array.from({ length: 500 }, () => ['Url', 'x'] as [string, string]));
    expect(repeated.ok).toBe(false);
    if (repeated.ok) return;
    expect(repeated.errors).toEqual([{ field: 'Url', detail: 'Url was given more than once; send each field once.' }]);
    const many = invalidChecked(Array.from({ length: 30 }, (_, i) => ({ field: `f${i}`, detail: `f${i} is wrong.` })));
    expect(many.ok).toBe(false);
    if (many.ok) return;
    expect(many.errors).toHaveLength(20);
    expect(many.detail).toMatch(/^f0 is wrong\. .* f19 is wrong\. \(and 10 more problems\)$/);
  });
});
