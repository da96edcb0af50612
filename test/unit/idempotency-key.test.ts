import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../../lib/domain/idempotency.ts';

describe('parseIdempotencyKey', () => {
  it('takes a bare key (Stripe) or a structured-field string (IETF draft), unescaping \\" and \\\\', () => {
    expect(parseIdempotencyKey(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseIdempotencyKey(' 8e03978e-40d5-43e8-bc93-6894a57f9324 ')).toMatchObject({ ok: true, value: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(parseIdempotencyKey('"abc"')).toMatchObject({ ok: true, value: 'abc' });
    expect(parseIdempotencyKey('"a\\"b\\\\c"')).toMatchObject({ ok: true, value: 'a"b\\c' });
  });

  it('refuses a header sent twice (HTTP API joins the values with a comma), bare or quoted', () => {
    for (const header of ['aX,bX', '"aX","bX"', 'aX, bX']) {
      expect(parseIdempotencyKey(header)).toMatchObject({ ok: false });
    }
  });

  it('refuses a quoted key with a bare quote or another escape, an empty key, and one over 255 characters', () => {
    for (const header of ['"a"b"', '"a\\nb"', '""', '', 'x'.repeat(256), 'caf\u00e9']) {
      expect(parseIdempotencyKey(header)).toMatchObject({ ok: false });
    }
    expect(parseIdempotencyKey('x'.repeat(255))).toMatchObject({ ok: true });
  });
});
