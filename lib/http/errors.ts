import { createError, type HttpError } from '@middy/util';
import type { DomainError, DomainErrorKind } from '../domain/errors.ts';

/**
 * Every error a client can cause is an HttpError with `expose: true` and a `detail` that names the field and the
 * problem; the error handler renders it as RFC 9457 problem+json. Anything else becomes a 500 whose details are hidden.
 */
export type ProblemError = HttpError & {
  detail: string;
  headers?: Record<string, string>;
  /** RFC 9457 extension members, e.g. `errors` with one entry per field. */
  extensions?: Record<string, unknown>;
};

const titles: Record<number, string> = {
  400: 'Invalid or missing data',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleFor = (status: number): string => titles[status] ?? 'Error';

export const problem = (
  status: number,
  detail: string,
  options: { cause?: unknown; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
): ProblemError => {
  const err = createError(status, titleFor(status), { cause: options.cause, expose: status < 500 }) as ProblemError;
  err.detail = detail;
  if (options.headers) err.headers = options.headers;
  if (options.extensions) err.extensions = options.extensions;
  return err;
};

export const badRequest = (detail: string, cause?: unknown) => problem(400, detail, { cause });

export const isProblem = (e: unknown): e is ProblemError =>
  e instanceof Error && typeof (e as Partial<ProblemError>).statusCode === 'number' && typeof (e as Partial<ProblemError>).detail === 'string';

/** The status of each kind of domain error. */
const STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  'in-progress': 409,
  mismatch: 422,
  unavailable: 503,
};

/** A domain error as the problem to answer: its status, its detail, `errors` per field, `Retry-After` when it has one. */
export const problemOf = (error: DomainError): ProblemError => {
  const errors = 'errors' in error ? (error as { errors: unknown }).errors : undefined;
  const retryAfter = 'retryAfterSeconds' in error ? (error as { retryAfterSeconds: number }).retryAfterSeconds : undefined;
  return problem(STATUS[error.kind], error.detail, {
    cause: error,
    ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
    ...(errors !== undefined ? { extensions: { errors } } : {}),
  });
};
