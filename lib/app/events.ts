import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { announcedEvent, webhookBody, webhookHeaders, type DeploymentEvent } from '../domain/events.ts';
import { foldName } from '../domain/keys.ts';
import { classify, maskedUrl, retryAfterMs, retryDelayMs, type AddressPolicy, type AttemptOutcome, type Webhook } from '../domain/webhooks.ts';
import type { RetryPolicy } from '../domain/retry-policy.ts';
import { mapInParallel } from '../store/parallel.ts';
import { itemChange, type StreamRecord } from '../store/stream.ts';
import { expireReplacedRecords, type ExpireReplaced } from './retention.ts';
import { postOnce } from './webhook-client.ts';

/**
 * The dispatcher: a batch of the deployments table's stream records in, one event per new record out (on the
 * EventBridge bus, and to the record's feed's webhooks). The same code runs in the dispatch-events Lambda function
 * (fed by the event source mapping) and under `npm start` (fed by infra/local/events.ts).
 *
 * Failures, in stream order (a shard's records are processed in order, and a stream retries from a failed record on):
 * - a record whose webhooks cannot be read, or whose event EventBridge does not take, is the batch's failure: it and
 *   every record after it are left for the event source mapping to retry (bisecting, up to its retry limit, then the
 *   dead-letter queue gets the batch's description); records before it are done;
 * - a webhook that does not take a delivery within the retry policy (5xx, 429, timeouts and network errors are tried
 *   again with backoff, honouring Retry-After, within a time budget; other 4xx, redirects and unsafe addresses are
 *   not) is dead-lettered on its own, with the event, so the record is not retried and the webhooks that took it are
 *   not sent it again; only if dead-lettering fails is the record the batch's failure.
 * Delivery is therefore at least once: a retried batch (a failure above, a timeout, a crash) sends its events again,
 * with the same event id (the record's Id) and a new X-Deployment-Delivery, and consumers deduplicate on the id.
 */
export type DeadLetter = {
  reason: string;
  attempts: number;
  lastOutcome?: string | undefined;
  webhook: { id: string; feedName: string; url: string };
  event: DeploymentEvent;
  at: string;
};

export type DeliveryReport = { eventId: string; webhookId: string; delivered: boolean; attempts: number; outcome: string };

export type DispatchDeps = {
  region: string;
  webhooksFor: (feedName: string) => Promise<Webhook[]>;
  /** Puts the events on the bus; resolves with whether each was accepted. */
  publish: (events: DeploymentEvent[]) => Promise<boolean[]>;
  post: (webhook: Webhook, body: string, headers: Record<string, string>) => Promise<AttemptOutcome>;
  deadLetter: (letter: DeadLetter) => Promise<void>;
  retry: RetryPolicy;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
  /**
   * When this invocation's deliveries must be over (epoch ms; the Lambda function's remaining time less a margin): a
   * delivery that could not finish an attempt before it is dead-lettered, so that receivers that hang cannot run the
   * function into its timeout (which would retry the whole batch and send its events again to the receivers that
   * took them). Undefined: no deadline but the retry policy's.
   */
  deadline?: number | undefined;
  /**
   * The retention step (lib/app/retention.ts): the history item of a record a newer one replaced gets its expiry. A
   * failed write is the batch's failure from that record on, like a bus that refuses an event. Undefined: no step.
   */
  expireReplaced?: ExpireReplaced | undefined;
};

export type DispatchResult = {
  batchItemFailures: Array<{ itemIdentifier: string }>;
  events: DeploymentEvent[];
  deliveries: DeliveryReport[];
};

const describe = (o: AttemptOutcome): string => ('error' in o ? o.error : `HTTP ${o.status}`);

/** One webhook, one event: attempts until delivered, final, out of attempts or out of time. */
export const deliver = async (webhook: Webhook, event: DeploymentEvent, deps: DispatchDeps): Promise<DeliveryReport & { last: AttemptOutcome }> => {
  const now = deps.now ?? Date.now;
  const wait = deps.sleep ?? sleep;
  const { retry } = deps;
  const started = now();
  const body = webhookBody(event, webhook.format);
  const outOfTime = (wait: number) => deps.deadline !== undefined && now() + wait + retry.timeoutMs > deps.deadline;
  if (outOfTime(0)) {
    const last: AttemptOutcome = { error: 'not attempted: no time left in this invocation', retryable: false };
    return { eventId: event.id, webhookId: webhook.id, attempts: 0, outcome: last.error, last, delivered: false };
  }
  for (let attempt = 1; ; attempt++) {
    const last = await deps.post(webhook, body, webhookHeaders(event, body, webhook.secret, randomUUID()));
    const verdict = classify(last);
    const report = { eventId: event.id, webhookId: webhook.id, attempts: attempt, outcome: describe(last), last };
    if (verdict === 'delivered') return { ...report, delivered: true };
    if (verdict === 'failed' || attempt >= retry.maxAttempts) return { ...report, delivered: false };
    const delay = retryDelayMs(attempt + 1, retry, 'status' in last ? retryAfterMs(last.retryAfter, now()) : undefined);
    // The next attempt must be able to end (its wait and its timeout) within the budget and the invocation.
    if (now() - started + delay + retry.timeoutMs > retry.budgetMs || outOfTime(delay)) {
      return { ...report, delivered: false, outcome: `${report.outcome}; no time left to retry` };
    }
    deps.log?.(`delivery of ${event.id} to webhook ${webhook.id}: attempt ${attempt} ${report.outcome}; retrying in ${delay} ms`, {
      id: event.id,
      webhook: webhook.id,
    });
    await wait(delay);
  }
};

/** Items grouped by key (Map.groupBy keeps groups and items in their first order). */
const groups = <T>(items: T[], key: (item: T) => string): T[][] => [...Map.groupBy(items, key).values()];

/** One from each group in turn: [[a1, a2], [b1]] -> [a1, b1, a2]. */
const interleave = <T>(lists: T[][]): T[] => {
  const out: T[] = [];
  const rounds = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < rounds; i++) for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
};

export const dispatch = async (records: StreamRecord[], deps: DispatchDeps): Promise<DispatchResult> => {
  const log = deps.log ?? (() => {});
  // Which records announce an event (in order); a record the dispatcher cannot read is logged and skipped.
  const announced: Array<{ index: number; event: DeploymentEvent }> = [];
  records.forEach((record, index) => {
    try {
      const event = announcedEvent(itemChange(record), deps.region);
      if (event) announced.push({ index, event });
    } catch (e) {
      log('unreadable stream record skipped', { eventID: record.eventID, error: (e as Error).message });
    }
  });
  let failedAt = records.length; // index of the first record left for a retry
  const fail = (index: number, message: string, fields: Record<string, unknown>) => {
    if (index < failedAt) failedAt = index;
    log(message, fields);
  };
  if (deps.expireReplaced) {
    const failed = await expireReplacedRecords(records, deps.expireReplaced, log);
    if (failed !== undefined) failedAt = failed;
  }

  // The feeds' webhooks, one read per feed of the batch.
  const webhooks = new Map<string, Webhook[]>();
  for (const { index, event } of announced) {
    if (index >= failedAt) break;
    const key = foldName(event.detail.FeedName);
    if (webhooks.has(key)) continue;
    try {
      webhooks.set(key, await deps.webhooksFor(event.detail.FeedName));
    } catch (e) {
      fail(index, 'could not read webhooks; the record will be retried', { feed: event.detail.FeedName, error: (e as Error).message });
      break;
    }
  }
  let ready = announced.filter((a) => a.index < failedAt);

  // The bus, in stream order: the first event it refuses stops the batch there.
  if (ready.length > 0) {
    let accepted: boolean[];
    try {
      accepted = await deps.publish(ready.map((a) => a.event));
    } catch (e) {
      accepted = ready.map(() => false);
      log('could not put events on the bus', { error: (e as Error).message });
    }
    const refused = accepted.findIndex((ok) => !ok);
    if (refused >= 0) fail(ready[refused]!.index, 'event not accepted by the bus; the record will be retried', { id: ready[refused]!.event.id });
    ready = ready.filter((a) => a.index < failedAt);
  }
  for (const { event } of ready) {
    const d = event.detail;
    log(`event ${event.id} ${d.Change} ${d.FeedName}/${d.GroupName ? `${d.GroupName}/` : ''}${d.PackageName} ${d.Version} -> ${d.Target} (${d.Region})`, {
      id: event.id,
    });
  }

  // Webhooks: every (event, webhook) pair, a few at a time; what cannot be delivered is dead-lettered on its own.
  // Taken in turns, feed by feed and within a feed webhook by webhook (each webhook's events in stream order), so
  // that receivers that hang, however many, cannot use up the invocation's time before another feed's are tried.
  const pairs = ready.flatMap(({ index, event }) => (webhooks.get(foldName(event.detail.FeedName)) ?? []).map((webhook) => ({ index, event, webhook })));
  const byFeed = groups(pairs, (p) => foldName(p.event.detail.FeedName)).map((feed) => interleave(groups(feed, (p) => p.webhook.id)));
  const tasks = interleave(byFeed).map(({ index, event, webhook }) => async (): Promise<DeliveryReport> => {
    const { last: _last, ...report } = await deliver(webhook, event, deps);
    if (report.delivered) {
      deps.log?.(`delivered ${event.id} to webhook ${webhook.id} (${report.outcome}, attempt ${report.attempts})`, { id: event.id, webhook: webhook.id });
      return report;
    }
    const letter: DeadLetter = {
      reason: `not delivered after ${report.attempts} attempt(s): ${report.outcome}`,
      attempts: report.attempts,
      lastOutcome: report.outcome,
      webhook: { id: webhook.id, feedName: webhook.feedName, url: maskedUrl(webhook.url) },
      event,
      at: new Date((deps.now ?? Date.now)()).toISOString(),
    };
    try {
      await deps.deadLetter(letter);
    } catch (e) {
      fail(index, 'could not dead-letter a failed delivery; the record will be retried', { id: event.id, webhook: webhook.id, error: (e as Error).message });
    }
    return report;
  });
  const deliveries = await mapInParallel(tasks, 25, (task) => task());
  const failed = records[failedAt]?.dynamodb?.SequenceNumber;
  return {
    batchItemFailures: failedAt < records.length ? [{ itemIdentifier: failed ?? records[failedAt]?.eventID ?? '' }] : [],
    events: ready.map((a) => a.event),
    deliveries,
  };
};

/* ---------------------------------------------------------------- what the dispatcher is composed of */

/** Where a feed's webhooks are read (lib/store/webhooks.ts's WebhookRepository). */
export type WebhookSource = { forFeed: (feedName: string) => Promise<Webhook[]> };
/** The bus events are put on (lib/store/event-bus.ts on AWS; under `npm start`, the terminal). */
export type EventBus = { publish: (events: DeploymentEvent[]) => Promise<boolean[]> };
/** Where a delivery that failed for good goes (lib/store/dead-letters.ts on AWS; under `npm start`, a file). */
export type DeadLetterQueue = { send: (letter: DeadLetter) => Promise<void> };
/** How webhooks are posted: which addresses are allowed, how often and how long to try (lib/store/config.ts). */
export type DeliverySettings = { policy: AddressPolicy; retry: RetryPolicy };

/** The webhook side of the dependencies: the feed's webhooks from `webhooks`, posts under the address policy. */
export const webhookDeps = (webhooks: WebhookSource, settings: DeliverySettings): Pick<DispatchDeps, 'webhooksFor' | 'post'> => ({
  webhooksFor: (feedName) => webhooks.forFeed(feedName),
  post: (webhook, body, headers) => postOnce(webhook.url, body, headers, { timeoutMs: settings.retry.timeoutMs, policy: settings.policy }),
});

/** The deployed dispatcher's dependencies: the bus and the dead-letter queue it is given, each dead letter logged. */
export const dispatchDeps = (parts: {
  region: string;
  webhooks: WebhookSource;
  bus: EventBus;
  deadLetters: DeadLetterQueue;
  settings: DeliverySettings;
  log: DispatchDeps['log'];
  expireReplaced?: ExpireReplaced | undefined;
}): DispatchDeps => {
  const { bus, deadLetters, log } = parts;
  return {
    region: parts.region,
    expireReplaced: parts.expireReplaced,
    ...webhookDeps(parts.webhooks, parts.settings),
    publish: (events) => bus.publish(events),
    deadLetter: async (letter) => {
      await deadLetters.send(letter);
      log?.('delivery dead-lettered', { id: letter.event.id, webhook: letter.webhook.id, reason: letter.reason });
    },
    retry: parts.settings.retry,
    log,
  };
};
