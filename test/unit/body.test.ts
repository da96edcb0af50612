import { describe, expect, it } from 'vitest';
import { isForbiddenKey } from '../../lib/domain/fields.ts';
import { decodeBody } from '../../lib/http/body.ts';
import { validateDeployment } from '../../lib/domain/deployment.ts';
import { seedFields } from '../support/seed.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** The documented body limit, 64 KiB. */
const MAX_BODY_BYTES = 64 * 1024;
type BodyInput = Parameters<typeof decodeBody>[0];

/** The seed's PowerShell raw string body, literal spaces and all. */
const SEED_RAW =
  'FeedName=DefaultNuGet&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=localhost&PackageName=Newtonsoft.Json&Version=12.0.3';
const SEED_FIELDS = Object.entries(seedFields());

const b64 = (bytes: Buffer | string, encoding: BufferEncoding = 'utf8'): string =>
  (typeof bytes === 'string' ? Buffer.from(bytes, encoding) : bytes).toString('base64');

/** Expects a rejection that is a problem error with this status and a detail matching `detail`. */
const rejectsWith = async (input: BodyInput, statusCode: number, detail: RegExp): Promise<void> => {
  await expect(decodeBody(input)).rejects.toMatchObject({ statusCode, detail: expect.stringMatching(detail) });
};

/** A multipart body as `curl -F name=value ...` builds it. */
const CURL_BOUNDARY = '------------------------d74496d66958873e';
const curlMultipart = (fields: Array<[string, string]>, boundary = CURL_BOUNDARY): string =>
  fields.map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
const MULTIPART = `multipart/form-data; boundary=${CURL_BOUNDARY}`;

describe('the Content-Type header, as decodeBody reads it', () => {
  const latin1Form = (contentType: string) => decodeBody({ body: b64('Target=caf\u00e9', 'latin1'), isBase64Encoded: true, contentType });

  it('matches the type and parameter names in any casing, and keeps parameter values', async () => {
    await expect(decodeBody({ body: '{"Target":"x"}', contentType: 'Application/JSON; Charset=UTF-8' })).resolves.toEqual([['Target', 'x']]);
    await expect(latin1Form('Application/X-WWW-Form-URLEncoded; CHARSET=ISO-8859-1')).resolves.toEqual([['Target', 'caf\u00e9']]);
  });

  it('reads a quoted boundary with escapes', async () => {
    const boundary = 'a b"c';
    const body = curlMultipart([['Target', 'web01']], boundary);
    await expect(decodeBody({ body, contentType: 'multipart/form-data; boundary="a b\\"c"' })).resolves.toEqual([['Target', 'web01']]);
  });

  it('trims white space around the type, names and values', async () => {
    await expect(latin1Form('  application/x-www-form-urlencoded  ;  charset =  iso-8859-1  ')).resolves.toEqual([['Target', 'caf\u00e9']]);
  });

  it('keeps the first of a repeated parameter and skips parameters without =', async () => {
    await expect(latin1Form(`${FORM}; charset=iso-8859-1; charset=utf-8; flag`)).resolves.toEqual([['Target', 'caf\u00e9']]);
  });

  it('refuses a header with parameters only (no type) as an unsupported media type', async () => {
    await rejectsWith({ body: 'Target=x', contentType: '; charset=utf-8' }, 415, /./);
  });
});

describe('isForbiddenKey', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'Constructor', 'PROTOTYPE', '__PROTO__'])('refuses %s', (k) => {
    expect(isForbiddenKey(k)).toBe(true);
  });
  it.each(['FeedName', 'proto', '__proto', 'constructors', ''])('allows %j', (k) => {
    expect(isForbiddenKey(k)).toBe(false);
  });
});

describe('decodeBody: JSON', () => {
  it('decodes the seed JSON example (as ConvertTo-JSON prints it)', async () => {
    const body = JSON.stringify(Object.fromEntries(SEED_FIELDS), null, 4);
    await expect(decodeBody({ body, contentType: JSON_TYPE })).resolves.toEqual(SEED_FIELDS);
  });

  it('keeps names as sent and the order sent', async () => {
    const fields = await decodeBody({ body: '{"version":"1","FEEDNAME":"f","a":"b"}', contentType: JSON_TYPE });
    expect(fields).toEqual([
      ['version', '1'],
      ['FEEDNAME', 'f'],
      ['a', 'b'],
    ]);
  });

  it('keeps numbers as their source text', async () => {
    const fields = await decodeBody({
      body: '{"Version": 12.0, "Big": 12345678901234567890, "Neg": -1.50e3, "Zero": 0, "List": [1.0]}',
      contentType: JSON_TYPE,
    });
    expect(fields).toEqual([
      ['Version', '12.0'],
      ['Big', '12345678901234567890'],
      ['Neg', '-1.50e3'],
      ['Zero', '0'],
      ['List', ['1.0']],
    ]);
  });

  it('passes null, booleans, objects and arrays on as JSON values for validation', async () => {
    const fields = await decodeBody({
      body: '{"GroupName": null, "Target": true, "Url": {"a": "b"}, "Tags": ["x"]}',
      contentType: JSON_TYPE,
    });
    expect(fields).toEqual([
      ['GroupName', null],
      ['Target', true],
      ['Url', { a: 'b' }],
      ['Tags', ['x']],
    ]);
  });

  it('accepts structured-syntax +json types and a charset parameter', async () => {
    await expect(decodeBody({ body: '{"a":"b"}', contentType: 'application/vnd.example+json; charset=utf-8' })).resolves.toEqual([['a', 'b']]);
    await expect(decodeBody({ body: '{"a":"b"}', contentType: 'Application/Json; Charset="UTF-8"' })).resolves.toEqual([['a', 'b']]);
  });

  it('decodes non-ASCII text and escapes', async () => {
    const fields = await decodeBody({ body: '{"Description":"Café \\u00e9 \\ud83d\\ude80 🚀"}', contentType: JSON_TYPE });
    expect(fields).toEqual([['Description', 'Café é 🚀 🚀']]);
  });

  it('decodes a base64 JSON body', async () => {
    const fields = await decodeBody({ body: b64('{"Target":"srv-01","Description":"Café"}'), isBase64Encoded: true, contentType: JSON_TYPE });
    expect(fields).toEqual([
      ['Target', 'srv-01'],
      ['Description', 'Café'],
    ]);
  });

  it('reads a base64 JSON body in the declared iso-8859-1 charset', async () => {
    const body = b64('{"Description":"Caf\xe9"}', 'latin1');
    await expect(decodeBody({ body, isBase64Encoded: true, contentType: 'application/json; charset=iso-8859-1' })).resolves.toEqual([['Description', 'Café']]);
  });

  it('skips a UTF-8 byte-order mark, in text and in base64 bodies', async () => {
    await expect(decodeBody({ body: '\uFEFF{"a":"b"}', contentType: JSON_TYPE })).resolves.toEqual([['a', 'b']]);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"b"}')]);
    await expect(decodeBody({ body: b64(bytes), isBase64Encoded: true, contentType: JSON_TYPE })).resolves.toEqual([['a', 'b']]);
  });

  it.each([
    ['__proto__', '{"__proto__": {"admin": true}}'],
    ['constructor', '{"constructor": "x"}'],
    ['prototype', '{"prototype": "x"}'],
    ['__proto__', '{"Description": {"deep": [{"__proto__": 1}]}}'],
    ['constructor', '{"a": [[{"b": {"constructor": {"prototype": 1}}}]]}'],
    ['Constructor', '{"Constructor": "x"}'],
  ])('refuses the property name %s at any depth: %s', async (name, body) => {
    await rejectsWith({ body, contentType: JSON_TYPE }, 400, new RegExp(`"${name}"|"prototype"`));
    await expect(decodeBody({ body, contentType: JSON_TYPE })).rejects.toMatchObject({
      detail: expect.stringContaining('is not allowed'),
    });
  });

  it('does not pollute Object.prototype', async () => {
    await expect(decodeBody({ body: '{"__proto__": {"polluted": "yes"}}', contentType: JSON_TYPE })).rejects.toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['an array', '[{"FeedName":"x"}]'],
    ['a string', '"FeedName=x"'],
    ['a number', '42'],
    ['null', 'null'],
    ['true', 'true'],
  ])('refuses %s at the top level', async (_what, body) => {
    await rejectsWith({ body, contentType: JSON_TYPE }, 400, /must be an object/);
  });

  it.each([
    ['truncated', '{"FeedName": "x"'],
    ['single quotes', "{'FeedName': 'x'}"],
    ['trailing comma', '{"FeedName": "x",}'],
    ['a form body', 'FeedName=x&Version=1'],
    ['two objects', '{}{}'],
    ['NaN', '{"Version": NaN}'],
    ['white space only', '   '],
  ])('refuses malformed JSON (%s)', async (_what, body) => {
    await rejectsWith({ body, contentType: JSON_TYPE }, 400, /not valid JSON/);
  });

  it('keeps a JSON text body as API Gateway passed it: a lone surrogate reaches validation, not a silent U+FFFD', async () => {
    const entries = await decodeBody({ body: '{"Description":"a\ud800b"}', contentType: JSON_TYPE });
    expect(entries).toEqual([['Description', 'a\ud800b']]);
    const checked = validateDeployment([...entries, ...Object.entries(seedFields()).filter(([k]) => k !== 'Description')]);
    expect(checked).toMatchObject({ ok: false, errors: [{ field: 'Description', detail: expect.stringMatching(/valid Unicode/) }] });
  });

  it('answers deeply nested JSON with a 400, not a crash', async () => {
    const depth = MAX_BODY_BYTES / 2 - 8;
    const body = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    // On Node 24 (the Lambda runtime) this depth exhausts JSON.parse's stack: the RangeError must be a 400.
    await expect(decodeBody({ body, contentType: JSON_TYPE })).rejects.toMatchObject({ statusCode: 400, detail: expect.stringMatching(/nested too deeply/) });
  });

  it('refuses invalid UTF-8 in a base64 JSON body', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]); // {"a":"\xE9"}
    await rejectsWith({ body: b64(bytes), isBase64Encoded: true, contentType: JSON_TYPE }, 400, /not valid UTF-8/);
  });

  it('lists a JSON property name given twice twice, so that validation can refuse it', async () => {
    await expect(decodeBody({ body: '{"Version":"1","Version":"2"}', contentType: JSON_TYPE })).resolves.toEqual([
      ['Version', '2'],
      ['Version', '2'],
    ]);
    // Only top-level names count; escapes in names and strings that look like names do not confuse it.
    await expect(
      decodeBody({ body: '{"a":{"Version":1,"Version":2},"V\\u0065rsion":"x","b":"\\"Version\\":","c":["Version"]}', contentType: JSON_TYPE }),
    ).resolves.toEqual([
      ['a', { Version: '2' }],
      ['Version', 'x'],
      ['b', '"Version":'],
      ['c', ['Version']],
    ]);
  });
});

describe('decodeBody: x-www-form-urlencoded', () => {
  it("decodes the seed's PowerShell raw string body with literal spaces", async () => {
    await expect(decodeBody({ body: SEED_RAW, contentType: FORM })).resolves.toEqual(SEED_FIELDS);
  });

  it('decodes the same body base64-encoded, as HTTP API passes form bodies', async () => {
    await expect(decodeBody({ body: b64(SEED_RAW), isBase64Encoded: true, contentType: FORM })).resolves.toEqual(SEED_FIELDS);
  });

  it("decodes PowerShell's hashtable body (+ as space, percent-escapes)", async () => {
    const body = 'FeedName=DefaultNuGet&Description=Deployed+by+Custom+Release+Server&Url=https%3A%2F%2Fci.example%2Fb%3Fid%3D1%26x%3D2';
    await expect(decodeBody({ body, contentType: FORM })).resolves.toEqual([
      ['FeedName', 'DefaultNuGet'],
      ['Description', 'Deployed by Custom Release Server'],
      ['Url', 'https://ci.example/b?id=1&x=2'],
    ]);
  });

  it('reads %2B as a plus sign and + as a space', async () => {
    await expect(decodeBody({ body: 'Version=1.0.0%2Bbuild.5&Target=a+b', contentType: FORM })).resolves.toEqual([
      ['Version', '1.0.0+build.5'],
      ['Target', 'a b'],
    ]);
  });

  it('decodes UTF-8 percent-escapes and literal UTF-8 (the default charset)', async () => {
    await expect(decodeBody({ body: 'Description=Caf%C3%A9+%F0%9F%9A%80&Target=Zürich', contentType: FORM })).resolves.toEqual([
      ['Description', 'Café 🚀'],
      ['Target', 'Zürich'],
    ]);
  });

  it('decodes lower-case hex escapes', async () => {
    await expect(decodeBody({ body: 'a=%c3%a9%2f', contentType: FORM })).resolves.toEqual([['a', 'é/']]);
  });

  it('reads percent-escapes in iso-8859-1 when declared (%E9 is é), in a text body', async () => {
    const contentType = `${FORM}; charset=iso-8859-1`;
    await expect(decodeBody({ body: 'Description=Caf%E9+%FC&Target=Z%FCrich', contentType })).resolves.toEqual([
      ['Description', 'Café ü'],
      ['Target', 'Zürich'],
    ]);
  });

  it('keeps literal characters of a text body while reading escapes in iso-8859-1', async () => {
    const contentType = `${FORM}; charset=ISO-8859-1`;
    await expect(decodeBody({ body: 'Description=Zürich%E9 🚀%20x', contentType })).resolves.toEqual([['Description', 'Züriché 🚀 x']]);
  });

  it('reads raw latin1 bytes and escapes of a base64 body in iso-8859-1', async () => {
    const body = b64('Description=Caf\xe9&Target=Z%FCrich', 'latin1');
    await expect(decodeBody({ body, isBase64Encoded: true, contentType: `${FORM}; charset=iso-8859-1` })).resolves.toEqual([
      ['Description', 'Café'],
      ['Target', 'Zürich'],
    ]);
  });

  it('accepts the charset aliases latin1 and windows-1252', async () => {
    await expect(decodeBody({ body: 'a=%E9', contentType: `${FORM}; charset=latin1` })).resolves.toEqual([['a', 'é']]);
    await expect(
      decodeBody({ body: b64(Buffer.from([0x61, 0x3d, 0x80])), isBase64Encoded: true, contentType: `${FORM}; charset=windows-1252` }),
    ).resolves.toEqual([['a', '€']]);
  });

  it('refuses a percent-escape that is not UTF-8 when no charset is declared', async () => {
    await rejectsWith({ body: 'Description=Caf%E9', contentType: FORM }, 400, /Description is not valid UTF-8.*charset=iso-8859-1/);
  });

  it('refuses raw invalid UTF-8 in a base64 body', async () => {
    const body = b64('Description=Caf\xe9', 'latin1');
    await rejectsWith({ body, isBase64Encoded: true, contentType: FORM }, 400, /not valid UTF-8/);
  });

  it('refuses an invalid UTF-8 field name', async () => {
    await rejectsWith({ body: 'Feed%FFName=x', contentType: FORM }, 400, /field name is not valid UTF-8/);
  });

  it('keeps a malformed percent sequence literally', async () => {
    await expect(decodeBody({ body: 'a=100%&b=%zz&c=%4&d=%41', contentType: FORM })).resolves.toEqual([
      ['a', '100%'],
      ['b', '%zz'],
      ['c', '%4'],
      ['d', 'A'],
    ]);
  });

  it('splits on the first = only and on escaped & not at all', async () => {
    await expect(decodeBody({ body: 'Url=http://x/?a=1%26b=2&Target=a=b', contentType: FORM })).resolves.toEqual([
      ['Url', 'http://x/?a=1&b=2'],
      ['Target', 'a=b'],
    ]);
  });

  it('skips empty pairs and empty names, gives a name without = an empty value', async () => {
    await expect(decodeBody({ body: '&&a=1&&=x&b&c=&', contentType: FORM })).resolves.toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', ''],
    ]);
  });

  it('trims names but leaves values for validation to trim', async () => {
    await expect(decodeBody({ body: ' FeedName =  x ', contentType: FORM })).resolves.toEqual([['FeedName', '  x ']]);
  });

  it('keeps repeated fields, for validation to refuse', async () => {
    await expect(decodeBody({ body: 'Version=1&version=2&Version=3', contentType: FORM })).resolves.toEqual([
      ['Version', '1'],
      ['version', '2'],
      ['Version', '3'],
    ]);
  });

  it('skips a UTF-8 byte-order mark', async () => {
    await expect(decodeBody({ body: '\uFEFFFeedName=x', contentType: FORM })).resolves.toEqual([['FeedName', 'x']]);
  });
});

describe('decodeBody: multipart/form-data', () => {
  it('decodes the fields of a curl -F body', async () => {
    const fields = await decodeBody({ body: curlMultipart(SEED_FIELDS), contentType: MULTIPART });
    expect(fields).toEqual(SEED_FIELDS);
  });

  it('decodes a base64 curl -F body with non-ASCII text', async () => {
    const body = b64(curlMultipart([['Description', 'Café 🚀 line1\nline2']]));
    await expect(decodeBody({ body, isBase64Encoded: true, contentType: MULTIPART })).resolves.toEqual([['Description', 'Café 🚀 line1\nline2']]);
  });

  it('accepts a quoted boundary', async () => {
    const body = curlMultipart([['a', 'b']], 'xyz abc');
    await expect(decodeBody({ body, contentType: 'multipart/form-data; boundary="xyz abc"' })).resolves.toEqual([['a', 'b']]);
  });

  it('reads base64 multipart values in the declared iso-8859-1 charset', async () => {
    const body = b64(curlMultipart([['Description', 'Caf\xe9']]), 'latin1');
    await expect(decodeBody({ body, isBase64Encoded: true, contentType: `${MULTIPART}; charset=iso-8859-1` })).resolves.toEqual([['Description', 'Café']]);
  });

  it('refuses a file part (curl -F name=@file), naming it', async () => {
    const body =
      `--${CURL_BOUNDARY}\r\nContent-Disposition: form-data; name="FeedName"\r\n\r\nx\r\n` +
      `--${CURL_BOUNDARY}\r\nContent-Disposition: form-data; name="Description"; filename="notes.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\nhello\r\n--${CURL_BOUNDARY}--\r\n`;
    await rejectsWith({ body, contentType: MULTIPART }, 400, /"Description" was sent as a file/);
  });

  it('refuses a missing boundary', async () => {
    await rejectsWith({ body: curlMultipart([['a', 'b']]), contentType: 'multipart/form-data' }, 400, /boundary/);
  });

  it.each([
    ['a body without the boundary', 'hello'],
    ['a truncated part', `--${CURL_BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue`],
    ['no closing delimiter', `--${CURL_BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n`],
  ])('refuses %s', async (_what, body) => {
    await rejectsWith({ body, contentType: MULTIPART }, 400, /not valid multipart/);
  });

  it('refuses a field name over 200 characters, and accepts one of 200', async () => {
    await rejectsWith({ body: curlMultipart([['n'.repeat(201), 'v']]), contentType: MULTIPART }, 400, /longer than 200/);
    await expect(decodeBody({ body: curlMultipart([['n'.repeat(200), 'v']]), contentType: MULTIPART })).resolves.toEqual([['n'.repeat(200), 'v']]);
  });

  it('refuses more than 200 parts instead of dropping the rest', async () => {
    const many = Array.from({ length: 201 }, (_, i): [string, string] => [`f${i}`, 'v']);
    await rejectsWith({ body: curlMultipart(many), contentType: MULTIPART }, 400, /more than 200 parts/);
  });

  it('keeps repeated fields, for validation to refuse', async () => {
    const body = curlMultipart([
      ['Version', '1'],
      ['version', '2'],
    ]);
    await expect(decodeBody({ body, contentType: MULTIPART })).resolves.toEqual([
      ['Version', '1'],
      ['version', '2'],
    ]);
  });

  it('gives no fields for a body with only the closing delimiter', async () => {
    await expect(decodeBody({ body: `--${CURL_BOUNDARY}--\r\n`, contentType: MULTIPART })).resolves.toEqual([]);
  });
});

describe('decodeBody: no Content-Type', () => {
  it('sniffs JSON when the body starts with {', async () => {
    await expect(decodeBody({ body: '{"FeedName":"x"}' })).resolves.toEqual([['FeedName', 'x']]);
  });

  it('sniffs JSON after white space and a byte-order mark', async () => {
    await expect(decodeBody({ body: ' \r\n\t{"a":"b"}' })).resolves.toEqual([['a', 'b']]);
    await expect(decodeBody({ body: '\uFEFF {"a":"b"}', contentType: '' })).resolves.toEqual([['a', 'b']]);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"b"}')]);
    await expect(decodeBody({ body: b64(bytes), isBase64Encoded: true })).resolves.toEqual([['a', 'b']]);
  });

  it('reads anything else as a form, the seed raw body included', async () => {
    await expect(decodeBody({ body: SEED_RAW })).resolves.toEqual(SEED_FIELDS);
    await expect(decodeBody({ body: SEED_RAW, contentType: '   ' })).resolves.toEqual(SEED_FIELDS);
    await expect(decodeBody({ body: '\uFEFFa=b' })).resolves.toEqual([['a', 'b']]);
  });

  it('refuses a sniffed JSON body that is not valid JSON', async () => {
    await rejectsWith({ body: '{FeedName=x' }, 400, /not valid JSON/);
  });

  it('reads a JSON array as a form (it does not start with {)', async () => {
    await expect(decodeBody({ body: '["a"]' })).resolves.toEqual([['["a"]', '']]);
  });
});

describe('decodeBody: media types and charsets', () => {
  it.each(['text/xml', 'application/xml', 'text/plain', 'application/octet-stream', 'application/jsonx', 'multipart/mixed'])(
    'refuses %s with 415',
    async (type) => {
      await rejectsWith({ body: '<a/>', contentType: type }, 415, new RegExp(`${type.replace('+', '\\+')} is not supported.*application/json`));
    },
  );

  it('refuses a Content-Type with no type with 415', async () => {
    await rejectsWith({ body: 'a=b', contentType: '; charset=utf-8' }, 415, /\(empty\) is not supported/);
  });

  it.each(['utf-16', 'shift_jis', 'koi8-r', 'bogus'])('refuses charset=%s with 415', async (charset) => {
    await rejectsWith({ body: 'a=b', contentType: `${FORM}; charset=${charset}` }, 415, new RegExp(`charset=${charset} is not supported`));
  });

  it('names every charset it reads in the 415 (windows-1252 included)', async () => {
    await rejectsWith({ body: 'a=b', contentType: `${FORM}; charset=koi8-r` }, 415, /charset utf-8, iso-8859-1 or windows-1252\)/);
  });

  it('refuses an unsupported type even with an empty body', async () => {
    await rejectsWith({ body: '', contentType: 'text/xml' }, 415, /not supported/);
  });

  it.each(['utf-8', 'UTF-8', 'utf8', 'us-ascii', '"utf-8"'])('accepts charset=%s', async (charset) => {
    await expect(decodeBody({ body: 'a=b', contentType: `${FORM}; charset=${charset}` })).resolves.toEqual([['a', 'b']]);
  });
});

describe('decodeBody: size and empty bodies', () => {
  const formOf = (bytes: number): string => `Description=${'x'.repeat(bytes - 'Description='.length)}`;

  it('accepts exactly 64 KiB', async () => {
    const body = formOf(MAX_BODY_BYTES);
    expect(MAX_BODY_BYTES).toBe(65536);
    const fields = await decodeBody({ body, contentType: FORM });
    expect(fields[0]?.[1]).toHaveLength(MAX_BODY_BYTES - 'Description='.length);
  });

  it('refuses one byte over 64 KiB with 413', async () => {
    await rejectsWith({ body: formOf(MAX_BODY_BYTES + 1), contentType: FORM }, 413, /65537 bytes; at most 65536/);
  });

  it('counts bytes, not characters', async () => {
    const body = `Description=${'é'.repeat(MAX_BODY_BYTES / 2)}`; // 2 bytes each
    await rejectsWith({ body, contentType: FORM }, 413, /at most 65536 bytes/);
  });

  it('measures a base64 body after decoding', async () => {
    const exact = b64(formOf(MAX_BODY_BYTES));
    expect(exact.length).toBeGreaterThan(MAX_BODY_BYTES);
    await expect(decodeBody({ body: exact, isBase64Encoded: true, contentType: FORM })).resolves.toHaveLength(1);
    await rejectsWith({ body: b64(formOf(MAX_BODY_BYTES + 1)), isBase64Encoded: true, contentType: FORM }, 413, /65537 bytes/);
  });

  it('checks the size before the media type', async () => {
    await rejectsWith({ body: 'x'.repeat(MAX_BODY_BYTES + 1), contentType: 'text/xml' }, 413, /at most/);
  });

  it.each([
    ['no body', {}],
    ['an empty body', { body: '' }],
    ['an empty JSON body', { body: '', contentType: JSON_TYPE }],
    ['an empty form body', { body: '', contentType: FORM }],
    ['an empty multipart body', { body: '', contentType: MULTIPART }],
    ['an empty base64 body', { body: '', isBase64Encoded: true, contentType: FORM }],
  ] as Array<[string, BodyInput]>)('gives no fields for %s', async (_what, input) => {
    await expect(decodeBody(input)).resolves.toEqual([]);
  });
});

describe('decodeBody: bytes that are not text', () => {
  const part = (disposition: string, value: Buffer | string) =>
    Buffer.concat([Buffer.from(`--XX\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(value as string), Buffer.from('\r\n')]);
  const multipart = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from('--XX--\r\n')]).toString('base64');
  const MP = 'multipart/form-data; boundary=XX';

  it('refuses a multipart part without a name with 400, whatever follows it', async () => {
    await rejectsWith({ body: multipart(part('form-data', 'v')), isBase64Encoded: true, contentType: MP }, 400, /has no name/);
    await rejectsWith(
      { body: multipart(part('form-data', 'v'), part('form-data; name="Version"', '1')), isBase64Encoded: true, contentType: MP },
      400,
      /has no name/,
    );
    await rejectsWith({ body: multipart(part('form-data; filename="a.txt"', 'v')), isBase64Encoded: true, contentType: MP }, 400, /sent as a file/);
  });

  it('reads multipart values strictly in the request charset: invalid UTF-8 is 400, iso-8859-1 is honoured', async () => {
    const latin1 = part('form-data; name="Description"', Buffer.from('café', 'latin1'));
    await rejectsWith({ body: multipart(latin1), isBase64Encoded: true, contentType: MP }, 400, /Description is not valid UTF-8/);
    expect(await decodeBody({ body: multipart(latin1), isBase64Encoded: true, contentType: `${MP}; charset=iso-8859-1` })).toEqual([['Description', 'café']]);
    const utf8 = part('form-data; name="Description"', Buffer.from('café 🚀', 'utf8'));
    expect(await decodeBody({ body: multipart(utf8), isBase64Encoded: true, contentType: MP })).toEqual([['Description', 'café 🚀']]);
  });

  it("reads a part in the charset it declares itself, as .NET's MultipartFormDataContent and PowerShell's -Form send it", async () => {
    const typed = (name: string, type: string, value: Buffer) =>
      Buffer.concat([Buffer.from(`--XX\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: ${type}\r\n\r\n`), value, Buffer.from('\r\n')]);
    const utf8 = typed('Description', 'text/plain; charset=utf-8', Buffer.from('Déploiement café ß', 'utf8'));
    expect(await decodeBody({ body: multipart(utf8), isBase64Encoded: true, contentType: MP })).toEqual([['Description', 'Déploiement café ß']]);
    // Declared iso-8859-1: the bytes C3 A9 are two characters, whatever the request's own charset.
    const latin1 = typed('Description', 'text/plain; charset=iso-8859-1', Buffer.from('caf\u00c3\u00a9', 'latin1'));
    expect(await decodeBody({ body: multipart(latin1), isBase64Encoded: true, contentType: MP })).toEqual([['Description', 'caf\u00c3\u00a9']]);
    // Declared UTF-8 but not UTF-8: still a 400.
    const broken = typed('Description', 'text/plain; charset=utf-8', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await rejectsWith({ body: multipart(broken), isBase64Encoded: true, contentType: MP }, 400, /U\+FFFD/);
    // A name written as RFC 5987 (name*=UTF-8''...) is an unknown field, ignored, not a 400.
    const starred = part("form-data; name*=UTF-8''Versi%C3%B3n", '1');
    await expect(
      decodeBody({ body: multipart(starred, part('form-data; name="Version"', '2')), isBase64Encoded: true, contentType: MP }),
    ).resolves.toContainEqual(['Version', '2']);
  });

  it('refuses a text body holding U+FFFD (bytes API Gateway could not read as UTF-8), and says how to send UTF-8', async () => {
    await rejectsWith({ body: '{"Description": "caf\uFFFD"}', contentType: JSON_TYPE }, 400, /U\+FFFD.*not sent as UTF-8.*charset=utf-8/);
    await rejectsWith({ body: '{"Description": "caf\uFFFD"}', contentType: `${JSON_TYPE}; charset=iso-8859-1` }, 400, /U\+FFFD/);
  });

  it('reads a base64 JSON body in its declared charset', async () => {
    const body = b64('{"Description": "café"}', 'latin1');
    expect(await decodeBody({ body, isBase64Encoded: true, contentType: `${JSON_TYPE}; charset=iso-8859-1` })).toEqual([['Description', 'café']]);
    await rejectsWith({ body, isBase64Encoded: true, contentType: JSON_TYPE }, 400, /not valid UTF-8/);
  });
});
