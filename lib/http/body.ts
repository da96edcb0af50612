import { isForbiddenKey, type Fields } from '../domain/fields.ts';
import { badRequest, problem } from './errors.ts';

/** The largest body accepted, in bytes after base64 decoding. */
const MAX_BODY_BYTES = 64 * 1024;

/** A decoded body: its fields in the order sent, names as sent, values as decoded (strings, or JSON values). */
export type BodyEntries = Fields;

export type BodyInput = {
  body?: string | undefined;
  isBase64Encoded?: boolean | undefined;
  /** The request's Content-Type header, if any. */
  contentType?: string | undefined;
};

type Kind = 'json' | 'form' | 'multipart';
type MediaType = { type: string; params: Map<string, string> };

const SUPPORTED = 'application/json, application/x-www-form-urlencoded or multipart/form-data (charset utf-8, iso-8859-1 or windows-1252)';

/** Parses `type/subtype; name=value; name="quoted value"` (RFC 9110 section 8.3.1), lower-casing type and names. */
const parseMediaType = (header: string): MediaType => {
  const [type = '', ...rest] = header.split(';');
  const params = new Map<string, string>();
  for (const raw of rest) {
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const name = raw.slice(0, eq).trim().toLowerCase();
    let value = raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (name && !params.has(name)) params.set(name, value);
  }
  return { type: type.trim().toLowerCase(), params };
};

const kindOf = (type: string): Kind | undefined => {
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'multipart/form-data') return 'multipart';
  return undefined;
};

type Charset = 'utf-8' | 'latin1' | 'windows-1252';
const CHARSETS = new Map<string, Charset>([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['us-ascii', 'utf-8'],
  ['ascii', 'utf-8'],
  ['iso-8859-1', 'latin1'],
  ['iso_8859-1', 'latin1'],
  ['iso8859-1', 'latin1'],
  ['latin1', 'latin1'],
  ['l1', 'latin1'],
  ['windows-1252', 'windows-1252'],
  ['cp1252', 'windows-1252'],
]);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * U+FFFD is what undecodable bytes become on the way here (a text body that API Gateway read as UTF-8, a part busboy
 * decoded): refusing it keeps mojibake out of the records. Windows PowerShell 5.1 sends string bodies in ISO-8859-1.
 */
const checkedText = (text: string, what: string): string => {
  if (!text.includes('\uFFFD')) return text;
  throw badRequest(
    `${what} contains U+FFFD, the replacement character: it was not sent as UTF-8. Send UTF-8 (in Windows PowerShell 5.1: -ContentType 'application/json; charset=utf-8' -Body ([Text.Encoding]::UTF8.GetBytes($json))), or a form body with its charset.`,
  );
};

/** Decodes bytes in a charset; invalid UTF-8 is a 400 rather than silently replaced characters. */
const decodeText = (bytes: Uint8Array, charset: Charset, what: string): string => {
  if (charset === 'latin1') return Buffer.from(bytes).toString('latin1');
  if (charset === 'windows-1252') return new TextDecoder('windows-1252').decode(bytes);
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw badRequest(`${what} is not valid UTF-8; send UTF-8 or declare the charset (e.g. charset=iso-8859-1).`, cause);
  }
};

/**
 * JSON: the body must be one object. Numbers keep their source text (`"Version": 12.0` is "12.0", not "12"),
 * null is absent, other values are passed on for validation to reject with a message naming the field.
 * `__proto__`, `constructor` and `prototype` are refused at any depth.
 */
const decodeJson = (text: string): BodyEntries => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, function (this: unknown, key: string, value: unknown, context?: { source?: string }) {
      if (isForbiddenKey(key)) throw badRequest(`The JSON property name "${key}" is not allowed.`);
      if (typeof value === 'number' && context?.source !== undefined) return context.source;
      return value;
    } as (key: string, value: unknown) => unknown);
  } catch (e) {
    if (e instanceof Error && 'detail' in e) throw e;
    if (e instanceof RangeError) throw badRequest('The JSON body is nested too deeply.', e);
    throw badRequest('The body is not valid JSON.', e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('The JSON body must be an object with the deployment fields, e.g. {"FeedName": "..."}.');
  }
  // JSON.parse keeps the last of two equal names; listing every name lets validation refuse a field given twice.
  const object = parsed as Record<string, unknown>;
  return topLevelNames(text).map((name) => [name, object[name]]);
};

/** The member names of the top-level object of valid JSON text, in order, repeats included. */
const topLevelNames = (text: string): string[] => {
  const names: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* backslash */ ? 2 : 1;
      if (depth === 1) {
        let next = end + 1;
        while (/\s/.test(text[next] ?? '')) next++;
        if (text[next] === ':') names.push(JSON.parse(text.slice(i, end + 1)) as string);
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return names;
};

const PLUS = 0x2b;
const PERCENT = 0x25;
const AMP = 0x26;
const EQUALS = 0x3d;
const hexValue = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
};

/** True if a well-formed `%XX` escape starts at `i` (and ends before `end`). */
const isEscape = (bytes: Uint8Array, i: number, end: number): boolean =>
  bytes[i] === PERCENT && i + 2 < end && hexValue(bytes[i + 1]) >= 0 && hexValue(bytes[i + 2]) >= 0;

/** Percent-decodes bytes (`+` is a space); a malformed `%` sequence is kept literally, as .NET's HttpUtility does. */
const unescapeBytes = (bytes: Uint8Array, start: number, end: number): Uint8Array => {
  const out = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === PLUS) out[n++] = 0x20;
    else if (isEscape(bytes, i, end)) {
      out[n++] = hexValue(bytes[i + 1]) * 16 + hexValue(bytes[i + 2]);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
};

/**
 * Decodes one form name or value: percent-escaped bytes are read in the declared `charset`, literal bytes in
 * `literal` (the same charset for base64 bodies; UTF-8 for a body that API Gateway already passed as text).
 */
const decodeComponent = (bytes: Uint8Array, start: number, end: number, charset: Charset, literal: Charset, what: string): string => {
  if (charset === literal) return decodeText(unescapeBytes(bytes, start, end), charset, what);
  let out = '';
  for (let i = start; i < end;) {
    let j = i;
    if (isEscape(bytes, i, end)) {
      while (isEscape(bytes, j, end)) j += 3;
      out += decodeText(unescapeBytes(bytes, i, j), charset, what);
    } else {
      while (j < end && !isEscape(bytes, j, end)) j++;
      out += decodeText(unescapeBytes(bytes, i, j), literal, what);
    }
    i = j;
  }
  return out;
};

/**
 * application/x-www-form-urlencoded, decoded at the byte level so that percent-escapes are read in the declared
 * charset. Literal spaces (PowerShell's raw string bodies) are kept as spaces.
 */
const decodeForm = (bytes: Uint8Array, charset: Charset, literal: Charset): BodyEntries => {
  const entries: BodyEntries = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(AMP, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      let eq = bytes.indexOf(EQUALS, start);
      if (eq < 0 || eq > end) eq = end;
      const name = decodeComponent(bytes, start, eq, charset, literal, 'A form field name').trim();
      const value = eq < end ? decodeComponent(bytes, eq + 1, end, charset, literal, `The form field ${name}`) : '';
      if (name !== '') entries.push([name, value]);
    }
    start = end + 1;
  }
  return entries;
};

/**
 * A multipart value as busboy hands it over. busboy is told that parts without a charset of their own are latin1,
 * which keeps their bytes one character each; they are decoded here, strictly, in the request's charset. A part that
 * declares its charset (`Content-Type: text/plain; charset=utf-8`, as .NET's MultipartFormDataContent and PowerShell's
 * -Form send every field) was decoded by busboy in that charset and is taken as it is.
 */
const partText = (value: string, declaresCharset: boolean, charset: Charset, what: string): string =>
  declaresCharset ? checkedText(value, what) : decodeText(Buffer.from(value, 'latin1'), charset, what);

/**
 * Which parts declare a charset in their own Content-Type, in order, by their name as busboy reports it (busboy
 * decodes such parts itself but does not say so). A light scan of the part headers; busboy does the real parsing.
 */
const partsDeclaringCharset = (bytes: Buffer, contentType: string): Array<{ name: string; declared: boolean }> => {
  const boundary = parseMediaType(contentType).params.get('boundary');
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Array<{ name: string; declared: boolean }> = [];
  for (let at = bytes.indexOf(delimiter); at >= 0; at = bytes.indexOf(delimiter, at + delimiter.length)) {
    const start = at + delimiter.length;
    const end = bytes.indexOf('\r\n\r\n', start, 'latin1');
    if (end < 0) break;
    const headers = bytes.toString('latin1', start, end).split('\r\n');
    const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h));
    const type = headers.find((h) => /^content-type\s*:/i.test(h));
    const name = disposition === undefined ? undefined : parseMediaType(disposition.slice(disposition.indexOf(':') + 1)).params.get('name');
    if (name !== undefined) parts.push({ name, declared: type !== undefined && parseMediaType(type.slice(type.indexOf(':') + 1)).params.has('charset') });
  }
  return parts;
};

/**
 * A multipart field name. Only ASCII names mean anything here (the data model's fields, key, API_Key); a name that
 * does not decode in the request's charset (e.g. one busboy already decoded from RFC 5987 `name*=UTF-8''...`) is kept
 * as it came, an unknown field that is ignored like any other.
 */
const partName = (name: string, charset: Charset): string => {
  try {
    return decodeText(Buffer.from(name, 'latin1'), charset, 'A multipart field name');
  } catch {
    return name;
  }
};

/** busboy is loaded on the first multipart body, not at every cold start: most pipelines send JSON or a form. */
let busboyModule: ReturnType<typeof loadBusboy> | undefined;
const loadBusboy = () => import('@fastify/busboy');

const decodeMultipart = async (bytes: Buffer, contentType: string, charset: Charset): Promise<BodyEntries> => {
  // A CommonJS module: Node's ESM loader names its exports, a bundle's lazy chunk offers module.exports as default.
  const loaded = await (busboyModule ??= loadBusboy());
  const { Busboy } = 'Busboy' in loaded ? loaded : (loaded as { default: typeof loaded }).default;
  return new Promise((resolve, reject) => {
    const entries: BodyEntries = [];
    let busboy;
    try {
      busboy = Busboy({
        headers: { 'content-type': contentType },
        defCharset: 'latin1',
        limits: { fieldNameSize: 200, fieldSize: MAX_BODY_BYTES, fields: 200, parts: 200, files: 20 },
      });
    } catch (cause) {
      reject(badRequest('The body is not valid multipart/form-data (is the boundary missing?).', cause));
      return;
    }
    /** busboy calls listeners from stream callbacks: anything they throw must reject, never escape. */
    const guarded =
      <A extends unknown[]>(listener: (...args: A) => void) =>
      (...args: A): void => {
        try {
          listener(...args);
        } catch (e) {
          reject(e instanceof Error && 'detail' in e ? e : badRequest('The body is not valid multipart/form-data.', e));
        }
      };
    const declaring = partsDeclaringCharset(bytes, contentType);
    let next = 0;
    /** Whether the next part of this name declared its charset (parts come in order; the scan skips none busboy reads). */
    const declared = (name: string): boolean => {
      const i = declaring.findIndex((p, j) => j >= next && p.name === name);
      if (i < 0) return false;
      next = i + 1;
      return declaring[i]!.declared;
    };
    // busboy enforces no field-name limit for multipart and drops parts past its limits silently: check both here.
    busboy.on(
      'field',
      guarded((name: string | undefined, value: string) => {
        if (typeof name !== 'string' || name === '') throw badRequest('A multipart part has no name; send each field as name=value (curl -F).');
        if (name.length > 200) throw badRequest('A multipart field name is longer than 200 characters.');
        const field = partName(name, charset);
        entries.push([field, partText(value, declared(name), charset, `The multipart field ${field}`)]);
      }),
    );
    const tooMany = () => reject(badRequest('The multipart body has more than 200 parts.'));
    busboy.on('partsLimit', tooMany);
    busboy.on('fieldsLimit', tooMany);
    busboy.on(
      'file',
      guarded((name: string | undefined, stream: NodeJS.ReadableStream) => {
        stream.resume();
        const shown = typeof name === 'string' ? `"${name.slice(0, 200)}" ` : '';
        throw badRequest(`The multipart part ${shown}was sent as a file; send it as a plain field (curl -F 'name=value').`);
      }),
    );
    busboy.on('error', (cause) => reject(badRequest('The body is not valid multipart/form-data.', cause)));
    busboy.on('finish', () => resolve(entries));
    busboy.end(bytes);
  });
};

const hasUtf8Bom = (bytes: Uint8Array): boolean => bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;

/** No Content-Type: JSON if the first character (after a byte-order mark and white space) is `{`, else a form. */
const sniff = (bytes: Uint8Array): Kind => {
  for (let i = hasUtf8Bom(bytes) ? 3 : 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b ? 'json' : 'form';
  }
  return 'form';
};

/**
 * Decodes a request body of any of the accepted forms into its fields. Throws problem errors: 413 over
 * {@link MAX_BODY_BYTES}, 415 for other media types or charsets, 400 for a body that cannot be read.
 */
export const decodeBody = async (input: BodyInput): Promise<BodyEntries> => {
  const raw = input.body ?? '';
  const bytes = input.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw problem(413, `The body is ${bytes.length} bytes; at most ${MAX_BODY_BYTES} bytes are accepted.`);
  }
  const header = input.contentType?.trim() ?? '';
  const media = header === '' ? undefined : parseMediaType(header);
  const kind = media ? kindOf(media.type) : sniff(bytes);
  if (kind === undefined) {
    throw problem(415, `Content-Type ${media?.type || '(empty)'} is not supported; send ${SUPPORTED}.`);
  }
  const charsetName = media?.params.get('charset')?.toLowerCase() ?? 'utf-8';
  const declared = CHARSETS.get(charsetName);
  if (declared === undefined) {
    throw problem(415, `charset=${charsetName} is not supported; send ${SUPPORTED}.`);
  }
  // A body that API Gateway passed as text is already a string; only base64 bytes are read in the declared charset.
  const charset: Charset = input.isBase64Encoded ? declared : 'utf-8';
  if (bytes.length === 0) return [];
  if (!input.isBase64Encoded) checkedText(raw, 'The body');
  switch (kind) {
    case 'json': {
      // Text API Gateway passed as a string is used as it is (not turned into bytes and back).
      const text = input.isBase64Encoded ? decodeText(bytes, charset, 'The body') : raw;
      return decodeJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    }
    case 'form': {
      // Percent-escapes are bytes in the declared charset even in a text body.
      return decodeForm(hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes, declared, charset);
    }
    case 'multipart':
      return decodeMultipart(bytes, header, charset);
  }
};
