/**
 * How a webhook delivery is retried (lib/domain/webhooks.ts computes the waits), and the policy used unless the
 * configuration says otherwise. A module of its own, free of side effects, so that the configuration
 * (lib/store/config.ts, in every function's bundle) takes these defaults without the address checks' ipaddr.js.
 */
export type RetryPolicy = {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Time allowed for all attempts and waits of one delivery; a wait that would end after it is not taken. */
  budgetMs: number;
  /** Each attempt's time limit (connecting, sending, the answer's status). */
  timeoutMs: number;
  /** The first wait; each next one doubles, with jitter (between half and all of it). */
  baseDelayMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, budgetMs: 30_000, timeoutMs: 5_000, baseDelayMs: 1_000 };
