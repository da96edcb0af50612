import { createHash } from 'node:crypto';
import type { DeploymentInput } from './deployment.ts';
import { invalid, valid, type Checked } from './result.ts';

/** How long an Idempotency-Key is remembered (as Stripe and the IETF draft suggest: at least 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_KEY_MAX = 255;

/**
 * The `Idempotency-Key` header: Stripe sends the key bare, the IETF httpapi draft as a structured-field string in
 * double quotes; both are accepted. At most 255 visible ASCII characters.
 */
export const parseIdempotencyKey = (header: string | undefined): Checked<string | undefined> => {
  if (header === undefined) return valid(undefined);
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    // An RFC 8941 string: \" and \\ are the only escapes, and a bare " cannot occur inside.
    const inner = key.slice(1, -1);
    if (!/^(?:[^"\\]|\\["\\])*$/.test(inner)) {
      return invalid([
        { field: 'Idempotency-Key', detail: 'The quoted Idempotency-Key is not a valid structured-field string (escape only " and \\ with a backslash).' },
      ]);
    }
    key = inner.replace(/\\(["\\])/g, '$1');
  } else if (key.includes(',')) {
    // HTTP API joins a repeated header with commas: two Idempotency-Key headers cannot both be honoured.
    return invalid([{ field: 'Idempotency-Key', detail: 'The Idempotency-Key header was sent more than once (or holds a comma); send one key per request.' }]);
  }
  if (key === '') {
    return invalid([{ field: 'Idempotency-Key', detail: 'The Idempotency-Key header is empty; send a unique value per deployment record, e.g. a UUID.' }]);
  }
  if (key.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    return invalid([
      { field: 'Idempotency-Key', detail: `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters, e.g. a UUID.` },
    ]);
  }
  return valid(key);
};

/** What makes two requests "the same": the validated fields, whatever their order, casing or encoding on the wire. */
export const requestHash = (input: DeploymentInput): string =>
  createHash('sha256')
    .update(
      JSON.stringify(
        Object.entries(input)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    )
    .digest('hex');

/** What an Idempotency-Key claim remembers: the key's id (scoped, hashed), the request's hash, when it expires. */
export type IdempotencyClaim = { id: string; requestHash: string; expiresAt: number };
