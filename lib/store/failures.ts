import { Unavailable } from '../domain/errors.ts';

/**
 * Storage errors, classified into domain errors: a DynamoDB that is throttling, failing or out of reach after the
 * SDK's own retries becomes {@link Unavailable} (the caller should retry); anything else (a bug, a missing table) is
 * left as it is, to be logged and answered as a 500 without its details.
 */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'TransactionConflictException',
  // A retried TransactWriteItems whose first attempt (same ClientRequestToken) is still being applied.
  'TransactionInProgressException',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an error from the SDK means "not now" rather than "never". */
const isTransientStorageError = (e: unknown): boolean => {
  if (!(e instanceof Error)) return false;
  const meta = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const code = (e as { code?: string }).code;
  return TRANSIENT_NAMES.has(e.name) || (code !== undefined && TRANSIENT_CODES.has(code)) || (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500);
};

/**
 * DynamoDB refused a write whose condition did not hold (e.g. a name that is taken): a single write's
 * ConditionalCheckFailedException, or one of a cancelled transaction's CancellationReasons.
 */
export const isConditionFailed = (e: unknown): boolean =>
  e instanceof Error
    ? e.name === 'ConditionalCheckFailedException'
    : typeof e === 'object' && e !== null && (e as { Code?: unknown }).Code === 'ConditionalCheckFailed';

/** What a client should do when a write may or may not have been applied. */
export const WRITE_UNAVAILABLE =
  'The deployment store is unavailable right now; retry shortly. If the request carried an Idempotency-Key, retry with the same key: a record stored before this failure is then returned, never stored twice.';
/** What a client should do when a read failed (nothing was changed). */
export const READ_UNAVAILABLE = 'The deployment store is unavailable right now; nothing was changed. Retry the request shortly.';

/** Runs storage work, turning a transient failure into {@link Unavailable} with `detail`; other errors pass through. */
export const withStore = async <T>(work: () => Promise<T>, detail: string): Promise<T> => {
  try {
    return await work();
  } catch (e) {
    if (isTransientStorageError(e)) throw new Unavailable(detail, { cause: e });
    throw e;
  }
};
