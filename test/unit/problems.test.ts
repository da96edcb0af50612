import { describe, expect, it } from 'vitest';
import { Forbidden, IdempotencyMismatch, InProgress, InvalidInput, NotFound, Unavailable, type DomainError } from '../../lib/domain/errors.ts';
import { problemOf } from '../../lib/http/errors.ts';
import { withStore } from '../../lib/store/failures.ts';

describe('domain errors as HTTP problems (lib/http/errors.ts problemOf)', () => {
  it.each<[DomainError, number, Record<string, string> | undefined]>([
    [new InvalidInput({ detail: 'Version is required.', errors: [{ field: 'Version', detail: 'Version is required.' }] }), 400, undefined],
    [new Forbidden('The API key is not valid.'), 403, undefined],
    [new NotFound('Feed X was not found.'), 404, undefined],
    [new InProgress('in flight'), 409, { 'Retry-After': '1' }],
    [new IdempotencyMismatch('used for another record'), 422, undefined],
    [new Unavailable('retry'), 503, { 'Retry-After': '1' }],
  ])('%s answers %i', (error, status, headers) => {
    // Act
    const answer = problemOf(error);
    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.detail).toBe(error.detail);
    expect(answer.headers).toEqual(headers);
    expect(answer.expose).toBe(status < 500);
  });

  it('keeps the field errors of invalid input as the `errors` member', () => {
    const errors = [{ field: 'Target', detail: 'Target is required.' }];
    expect(problemOf(new InvalidInput({ detail: 'Target is required.', errors })).extensions).toEqual({ errors });
  });
});

describe('storage failures (lib/store/failures.ts)', () => {
  const sdkError = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });

  it.each([
    sdkError('ThrottlingException'),
    sdkError('ProvisionedThroughputExceededException'),
    sdkError('TimeoutError'),
    sdkError('Error', { code: 'ECONNREFUSED' }),
    sdkError('UnknownError', { $metadata: { httpStatusCode: 502 } }),
  ])('%s is transient and becomes Unavailable with the detail given', async (error) => {
    await expect(withStore(() => Promise.reject(error), 'retry the read')).rejects.toMatchObject({
      kind: 'unavailable',
      detail: 'retry the read',
      cause: error,
    });
  });

  it.each([sdkError('ResourceNotFoundException'), sdkError('ValidationException', { $metadata: { httpStatusCode: 400 } }), new Forbidden('no')])(
    '%s passes through unchanged',
    async (error) => {
      await expect(withStore(() => Promise.reject(error), 'x')).rejects.toBe(error);
    },
  );
});
