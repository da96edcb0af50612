import { setTimeout as sleep } from 'node:timers/promises';

/**
 * HTTP with retries: network errors, per-attempt timeouts, 408, 429 and 5xx (and whatever else the caller adds, e.g.
 * 409) are retried with exponential backoff and full jitter, or after the answer's Retry-After, until an overall
 * deadline. The request is sent identically each time (the same Idempotency-Key), so retrying a POST is safe.
 */
export type Answer = { status: number; headers: Headers; text: string };

export type Outcome =
  /** A final answer (retried statuses only once the deadline leaves no room for another attempt). */
  | { kind: 'answer'; answer: Answer; attempts: number; retriesExhausted: boolean }
  /** No answer at all: every attempt failed on the network or timed out. */
  | { kind: 'failed'; error: string; attempts: number };

export type RetryPolicy = {
  /** Overall budget in ms, from the first attempt. */
  totalMs: number;
  /** One attempt's budget in ms (capped by what is left of the total). */
  attemptMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Statuses to retry besides 408, 429 and 5xx. */
  alsoRetry?: number[];
};

export const DEFAULT_POLICY: RetryPolicy = { totalMs: 60_000, attemptMs: 20_000, baseDelayMs: 250, maxDelayMs: 10_000 };

/** Anything shorter than this is not worth another attempt. */
const MIN_ATTEMPT_MS = 100;

export type Clock = { now: () => number; random: () => number; sleep: (ms: number) => Promise<unknown> };
export const realClock: Clock = { now: Date.now, random: Math.random, sleep: (ms) => sleep(ms) };

/**
 * `Retry-After` (RFC 9110 10.2.3): a number of seconds, or an HTTP date. Milliseconds to wait from `now`, or undefined
 * when absent or unreadable. A date in the past means now (0).
 */
export const parseRetryAfter = (value: string | null | undefined, now: number): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // IMF-fixdate, or the obsolete RFC 850 and asctime forms, all of which Date.parse reads; require a weekday and
  // a time so that arbitrary text is not taken for a date.
  if (!/^[A-Za-z]{3,9},? .*\d{1,2}:\d{2}:\d{2}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
};

/**
 * Exponential backoff with full jitter (as AWS's architecture blog "Exponential Backoff And Jitter" describes): a
 * uniformly random wait between 0 and min(max, base * 2^retry), `retry` counting from 0.
 */
export const backoffDelay = (retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number =>
  Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30)));

export const isRetryableStatus = (status: number, alsoRetry: number[] = []): boolean =>
  status === 408 || status === 429 || status >= 500 || alsoRetry.includes(status);

/** Why an attempt got no answer, in a few words (never the request: it holds the API key). */
export const describeError = (e: unknown): string => {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${e.message} (${cause.code})`;
    if (cause?.message) return `${e.message} (${cause.message})`;
    return e.message;
  }
  return String(e);
};

export type Request = { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string };

/** `log` receives one line per attempt and wait (for --verbose); it never sees the headers. */
export const sendWithRetries = async (request: Request, policy: RetryPolicy, log: (line: string) => void, clock: Clock = realClock): Promise<Outcome> => {
  const start = clock.now();
  const deadline = start + policy.totalMs;
  let attempts = 0;
  let lastError = '';
  let lastAttempt = false;
  for (let retry = 0; ; retry++) {
    attempts++;
    const budget = Math.min(policy.attemptMs, deadline - clock.now());
    let answer: Answer | undefined;
    try {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(Math.max(1, budget)),
        // A redirect is answered as it is (a POST must not turn into a GET): the caller says which --url to use.
        redirect: 'manual',
      });
      answer = { status: res.status, headers: res.headers, text: await res.text() };
    } catch (e) {
      lastError = describeError(e);
    }
    const retryable = answer ? isRetryableStatus(answer.status, policy.alsoRetry) : true;
    log(`attempt ${attempts}: ${answer ? `${answer.status}` : lastError}${retryable ? '' : ' (final)'}`);
    if (answer && !retryable) return { kind: 'answer', answer, attempts, retriesExhausted: false };

    const retryAfter = answer ? parseRetryAfter(answer.headers.get('retry-after'), clock.now()) : undefined;
    const left = deadline - clock.now();
    // A backoff longer than the time left is cut short for one last attempt; a Retry-After is not.
    const backoff = retryAfter === undefined ? backoffDelay(retry, policy, clock.random) : 0;
    const wait = retryAfter ?? Math.min(backoff, Math.max(0, left - MIN_ATTEMPT_MS));
    if (lastAttempt || wait + MIN_ATTEMPT_MS > left) {
      log(
        `giving up: ${retryAfter !== undefined ? `the service asks to wait ${Math.ceil(wait / 1000)} s, ` : ''}${Math.max(0, Math.round(left / 100) / 10)} s of --timeout left`,
      );
      return answer ? { kind: 'answer', answer, attempts, retriesExhausted: true } : { kind: 'failed', error: lastError, attempts };
    }
    lastAttempt = retryAfter === undefined && wait < backoff;
    log(`retrying in ${wait} ms${retryAfter !== undefined ? ' (Retry-After)' : lastAttempt ? ' (the last attempt --timeout leaves room for)' : ''}`);
    await clock.sleep(wait);
  }
};
