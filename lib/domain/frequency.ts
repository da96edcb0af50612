/**
 * Deployment frequency: which day a record counts on, and the buckets (days, or weeks starting Monday UTC) a query
 * answers with. Pure functions; the counters themselves are items kept by the record transaction (lib/store).
 */
import { orderingInstant, type NewDeployment } from './record.ts';
import type { Bucket } from './views.ts';

export const INTERVALS = ['day', 'week'] as const;
export type Interval = (typeof INTERVALS)[number];

/** The most buckets one query may ask for (a longer range is a 400): a year of days, five years of weeks. */
export const MAX_BUCKETS: Record<Interval, number> = { day: 366, week: 260 };
/** Without `from`, a query covers this many buckets up to `to` (itself today by default). */
export const DEFAULT_BUCKETS: Record<Interval, number> = { day: 30, week: 12 };

const DAY_MS = 86_400_000;

/**
 * YYYY-MM-DD (UTC) of the day a record counts on: the day of the instant it is ordered by (orderingInstant: its Date,
 * so a backdated record counts on the day it says, or the time it was received for a Date in the future). The
 * counters and the backfill both use it.
 */
export const countingDay = (record: Pick<NewDeployment, 'date' | 'receivedAt' | 'dateInFuture'>): string => orderingInstant(record).slice(0, 10);

/** YYYY-MM-DD of an ISO instant, in UTC. */
export const dayOf = (iso: string): string => iso.slice(0, 10);

const toMs = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);
/** A day, kept within the years a Date parameter can name (0001-9999): a week widened past them is clamped. */
const toDay = (ms: number): string => {
  const iso = new Date(ms).toISOString();
  if (iso.startsWith('+')) return '9999-12-31';
  if (iso.startsWith('-') || iso.startsWith('0000')) return '0001-01-01';
  return iso.slice(0, 10);
};

/** The Monday (UTC) of the ISO week holding `day`. */
export const weekStart = (day: string): string => {
  const ms = toMs(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  return toDay(ms - weekday * DAY_MS);
};

/** The start of the bucket holding `day`. */
export const bucketOf = (interval: Interval, day: string): string => (interval === 'week' ? weekStart(day) : day);

/** The buckets' starts from the bucket of `fromDay` to that of `toDay`, inclusive; step one day or one week. */
export const bucketStarts = (interval: Interval, fromDay: string, toDay_: string): string[] => {
  const step = interval === 'week' ? 7 * DAY_MS : DAY_MS;
  const starts: string[] = [];
  for (let t = toMs(bucketOf(interval, fromDay)); t <= toMs(bucketOf(interval, toDay_)); t += step) starts.push(toDay(t));
  return starts;
};

/** The number of buckets from `fromDay` to `toDay`, without listing them (to refuse a range before reading). */
export const bucketCount = (interval: Interval, fromDay: string, toDay_: string): number => {
  const step = interval === 'week' ? 7 * DAY_MS : DAY_MS;
  return Math.floor((toMs(bucketOf(interval, toDay_)) - toMs(bucketOf(interval, fromDay))) / step) + 1;
};

/** The default first day: DEFAULT_BUCKETS buckets ending with the bucket of `toDay`. */
export const defaultFromDay = (interval: Interval, toDay_: string): string => {
  const step = interval === 'week' ? 7 * DAY_MS : DAY_MS;
  return toDay(toMs(bucketOf(interval, toDay_)) - (DEFAULT_BUCKETS[interval] - 1) * step);
};

/** The last day of the bucket holding `day` (weeks are whole: a range is widened to the weeks it touches). */
export const bucketEnd = (interval: Interval, day: string): string => (interval === 'week' ? toDay(toMs(weekStart(day)) + 6 * DAY_MS) : day);

/**
 * Per-day counts and failures (any days, any order, a day repeated once per region) summed into every bucket of the
 * range, zero buckets included; days outside the range's buckets are left out.
 */
export const sumIntoBuckets = (
  interval: Interval,
  fromDay: string,
  toDay_: string,
  counts: Iterable<{ day: string; count: number; failed?: number }>,
): Bucket[] => {
  const buckets = new Map(bucketStarts(interval, fromDay, toDay_).map((start) => [start, { Start: start, Count: 0, Failed: 0 }]));
  for (const { day, count, failed } of counts) {
    const bucket = buckets.get(bucketOf(interval, day));
    if (bucket === undefined) continue;
    bucket.Count += count;
    bucket.Failed += failed ?? 0;
  }
  return [...buckets.values()];
};
