import { orderingInstant, type DeploymentRecord } from './record.ts';
import type { ItemChange } from './events.ts';

/**
 * Per-feed retention: a feed keeps its history records `retainDays` days after their Date (the instant they are
 * ordered by, see orderingInstant), or forever when it has none. A record that is some target's current one never
 * expires; the per-day counters never do. Expiry is DynamoDB's TTL on the history item's `expiresAt` (epoch seconds);
 * since TTL deletes up to days late, reads leave out an item whose `expiresAt` has passed (see isExpired).
 */
export const MAX_RETAIN_DAYS = 36_500;
const DAY_SECONDS = 86_400;

/** The attribute DynamoDB's TTL reads on the deployments table (lib/store/tables.ts declares it). */
export const EXPIRES_AT = 'expiresAt';

/** `--retain-days`: a whole number of days from 1 to MAX_RETAIN_DAYS, or `forever` (undefined). */
export const parseRetainDays = (raw: string): { ok: true; days: number | undefined } | { ok: false; reason: string } => {
  const value = raw.trim().toLowerCase();
  if (value === 'forever') return { ok: true, days: undefined };
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > MAX_RETAIN_DAYS) {
    return { ok: false, reason: `must be a whole number of days from 1 to ${MAX_RETAIN_DAYS}, or forever` };
  }
  return { ok: true, days: Number(value) };
};

/** When a record kept `retainDays` days expires: its ordering instant plus the days, in epoch seconds. */
export const expiryOf = (record: Pick<DeploymentRecord, 'date' | 'receivedAt' | 'dateInFuture'>, retainDays: number): number =>
  Math.floor(Date.parse(orderingInstant(record)) / 1000) + retainDays * DAY_SECONDS;

/** Whether an item with this `expiresAt` is expired at `nowSeconds` (reads leave it out; TTL deletes it later). */
export const isExpired = (expiresAt: unknown, nowSeconds: number): boolean => typeof expiresAt === 'number' && expiresAt <= nowSeconds;

/** What the retention wants of one history item: no expiry, or this one. */
export const wantedExpiry = (
  record: Pick<DeploymentRecord, 'date' | 'receivedAt' | 'dateInFuture'>,
  options: { retainDays: number | undefined; current: boolean },
): number | undefined => (options.current || options.retainDays === undefined ? undefined : expiryOf(record, options.retainDays));

/** A record a newer one replaced as its target's current record: its history item's key, and when it expires. */
export type ReplacedRecord = { history: { pk: string; sk: string }; current: { pk: string; sk: string }; expiresAt: number };

/**
 * The record a change of a current item replaced, when its feed keeps history for a while: a MODIFY of a `C#` item
 * whose `latest` moved on, whose new image carries the feed's `retainDays` (the record transaction writes it there).
 * Its history item, written with the current item, had no expiry; it now gets one (lib/app/retention.ts).
 */
export const replacedRecord = (change: ItemChange): ReplacedRecord | undefined => {
  const { newImage: now, oldImage: old } = change;
  if (change.eventName !== 'MODIFY' || !now || !old || typeof now.pk !== 'string' || !now.pk.startsWith('C#')) return undefined;
  if (typeof old.latest !== 'string' || old.latest === now.latest || typeof now.retainDays !== 'number') return undefined;
  if (typeof old.date !== 'string' || typeof old.receivedAt !== 'string') return undefined;
  const record = { date: old.date, receivedAt: old.receivedAt, dateInFuture: old.dateInFuture === true ? true : undefined };
  return {
    history: { pk: now.pk.slice(2), sk: old.latest },
    current: { pk: now.pk, sk: String(now.sk) },
    expiresAt: expiryOf(record, now.retainDays),
  };
};
