import type { FieldError } from './result.ts';

/**
 * What can go wrong in the domain, as named error classes: no HTTP status here. lib/http/errors.ts maps each kind to
 * its status (400, 403, 404, 409, 422, 503) and renders RFC 9457 problem+json; lib/store/failures.ts turns storage
 * outages into {@link Unavailable}. `detail` is written for the client: it names the field and the problem, never a
 * secret.
 */
export type DomainErrorKind = 'invalid' | 'forbidden' | 'not-found' | 'in-progress' | 'mismatch' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  readonly detail: string;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.detail = detail;
    this.name = new.target.name;
  }
}

/** Input that breaks the data model: every field error is reported. */
export class InvalidInput extends DomainError {
  readonly kind = 'invalid';
  readonly errors: FieldError[];
  constructor(checked: { detail: string; errors: FieldError[] }, options?: { cause?: unknown }) {
    super(checked.detail, options);
    this.errors = checked.errors;
  }
}

/** A key that is not valid, or a principal without the privilege asked for. */
export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
}

/** A feed (or route) that does not exist. */
export class NotFound extends DomainError {
  readonly kind = 'not-found';
}

/** Another request with the same Idempotency-Key is being applied: retry shortly to get its answer. */
export class InProgress extends DomainError {
  readonly kind = 'in-progress';
  readonly retryAfterSeconds = 1;
}

/** An Idempotency-Key already used for a different record. */
export class IdempotencyMismatch extends DomainError {
  readonly kind = 'mismatch';
}

/** Storage is throttling, failing or out of reach: the client should retry (the detail says how). */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly retryAfterSeconds = 1;
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
