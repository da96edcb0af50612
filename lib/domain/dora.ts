/**
 * The four DORA keys (deployment frequency, lead time for changes, change failure rate, time to restore) from the
 * per-day counters: what one record adds to them, and the answer of GET /api/deployments/dora. Pure functions; the
 * record transaction (lib/store/deployments.ts) keeps the counters, `counters backfill` rebuilds them.
 *
 * Definitions (docs/api.md explains each with a worked example):
 * - a deployment is failed when its Status is Failed, or when the next deployment of the package on the target is a
 *   rollback (counted on the day of the deployment it fails);
 * - time to restore runs from the first failure since the target's current record (a Failed attempt's Date, or the
 *   Date of the deployment a rollback fails) to the next succeeded deployment that lands (a rollback that lands is the
 *   restore); counted on the day of that deployment;
 * - lead time is Date - CommitTime of a succeeded deployment that carries CommitTime, counted on its day.
 * Each instant is the one a record is ordered by (orderingInstant: its Date, or the time received for a Date in the
 * future), so that a client's clock far ahead neither lengthens a lead time nor shortens a restore to nothing.
 * The counters keep every lead and restore time (in seconds); a closed day's summary (lib/domain/day-summaries.ts) keeps
 * them all up to EXACT_LIMIT per day and region, a histogram beyond: medians and the 90th percentile are exact unless a
 * day of the range had more, and then within ALPHA (2%) of the exact values (lib/domain/samples.ts).
 */
import { countingDay } from './frequency.ts';
import { isFailed, orderingInstant, type DeploymentRecord, type NewDeployment } from './record.ts';
import { quantiles, type Sample } from './samples.ts';
import { changeOf } from './versions.ts';
import type { DoraView } from './views.ts';

/** What a record adds to its day's counters (and, for a rollback, what it adds to the day of the record it fails). */
export type CounterDelta = {
  day: string;
  failed: boolean;
  leadSeconds?: number | undefined;
  restoreSeconds?: number | undefined;
  /** A rollback: the day of the deployment it fails, which counts one more failure. */
  failsDay?: string | undefined;
  /**
   * The day's counter items are too full for its lead or restore time (DynamoDB's 400 KB item limit): counted as
   * `unsampled` instead, so the record is still stored and counted.
   */
  unsampled?: true | undefined;
};

/** Seconds from `from` to `to` (ISO instants), never negative (clocks disagree by a little). */
const secondsBetween = (from: string, to: string): number => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** Lead time of a succeeded record that carries CommitTime, in seconds (to the instant the record is ordered by). */
export const leadSeconds = (record: Pick<NewDeployment, 'status' | 'commitTime' | 'date' | 'receivedAt' | 'dateInFuture'>): number | undefined =>
  !isFailed(record) && record.commitTime !== undefined ? secondsBetween(record.commitTime, orderingInstant(record)) : undefined;

/** The target's state a succeeded record lands on: its current record and the failures since (see CurrentItem). */
export type TargetState = Pick<DeploymentRecord, 'version' | 'date' | 'receivedAt' | 'dateInFuture'> & {
  latest: string;
  openSince?: string | undefined;
  lastAttemptSk?: string | undefined;
};

/**
 * What a succeeded record that becomes its target's current one does to the keys, given what the target held before
 * (undefined for a first deployment): a rollback fails the record it replaces (on that record's day) and restores it;
 * otherwise a landing after failed attempts restores from the first of them. `closes`: the failures since are over
 * (not when a failed attempt is newer than this record, which is then still open).
 */
export const landing = (record: NewDeployment, sk: string, before: TargetState | undefined): { delta: CounterDelta; closes: boolean } => {
  const delta: CounterDelta = { day: countingDay(record), failed: false, leadSeconds: leadSeconds(record) };
  if (before === undefined) return { delta, closes: false };
  const open = before.openSince !== undefined && (before.lastAttemptSk === undefined || before.lastAttemptSk < sk);
  if (changeOf(record.version, before.version) === 'rolledback') {
    return {
      delta: { ...delta, failsDay: countingDay(before), restoreSeconds: secondsBetween(orderingInstant(before), orderingInstant(record)) },
      closes: open,
    };
  }
  if (open) return { delta: { ...delta, restoreSeconds: secondsBetween(before.openSince!, orderingInstant(record)) }, closes: true };
  return { delta, closes: false };
};

/** What a record adds when it does not become current: a failed attempt, or a backdated record. */
export const historyOnly = (record: NewDeployment): CounterDelta => ({ day: countingDay(record), failed: isFailed(record), leadSeconds: leadSeconds(record) });

/* ---------------------------------------------------------------- the answer */

/** A day and region's deployments, failures, lead and restore times (seconds): one counter item, or a day's summary. */
export type DayCounts = { day: string; region: string; count: number; failed: number; lead: Sample; restore: Sample };

export const RATINGS = ['elite', 'high', 'medium', 'low'] as const;
export type Rating = (typeof RATINGS)[number];

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * The 2023 Accelerate State of DevOps report's software delivery performance clusters (DORA, Google Cloud), as
 * thresholds (docs/api.md cites them): deployment frequency on demand (daily or more) / between daily and weekly /
 * between weekly and monthly / less; lead time under a day / a week / a month / more; change failure rate at most
 * 5% / 10% / 15% / more; failed deployment recovery time under an hour / a day / a week / more.
 */
export const THRESHOLDS = {
  perDay: [1, 1 / 7, 1 / 30],
  leadSeconds: [DAY, 7 * DAY, 30 * DAY],
  failureRate: [0.05, 0.1, 0.15],
  restoreSeconds: [HOUR, DAY, 7 * DAY],
} as const;

/** The first rating whose bound the value meets (`higherIsBetter`: at least the bound; otherwise below it, or at most it for rates). */
const rate = (value: number | null, bounds: readonly number[], meets: (v: number, bound: number) => boolean): Rating | null => {
  if (value === null) return null;
  const i = bounds.findIndex((bound) => meets(value, bound));
  return RATINGS[i === -1 ? 3 : i]!;
};

/** The median of a list (the mean of the two middle values for an even count); null when empty. */
export const median = (values: readonly number[]): number | null => quantiles([{ values: [...values] }]).median;

/** The 90th percentile by nearest rank: the smallest value that at least 90% of the values do not exceed; null when empty. */
export const p90 = (values: readonly number[]): number | null => quantiles([{ values: [...values] }]).p90;

/** Rounded to `digits` decimals (PerDay, Rate, seconds), so that an answer reads as a reader computes it by hand. */
const round = (value: number | null, digits: number): number | null => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** The most days one query may cover (a longer range is a 400), and the days it covers without `from`. */
export const DORA_MAX_DAYS = 366;
export const DORA_DEFAULT_DAYS = 30;

/** The days from `fromDay` to `toDay`, inclusive. */
export const daysIn = (fromDay: string, toDay: string): number =>
  Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / (DAY * 1000)) + 1;

/** The answer of GET /api/deployments/dora for the counters of whole UTC days `fromDay` to `toDay` (already filtered). */
export const doraView = (fromDay: string, toDay: string, counts: Iterable<DayCounts>): DoraView => {
  let deployments = 0;
  let failed = 0;
  const days = new Set<string>();
  const leads: Sample[] = [];
  const restores: Sample[] = [];
  for (const c of counts) {
    if (c.day < fromDay || c.day > toDay) continue;
    deployments += c.count;
    failed += c.failed;
    if (c.count > 0) days.add(c.day);
    leads.push(c.lead);
    restores.push(c.restore);
  }
  const perDay = deployments > 0 ? deployments / daysIn(fromDay, toDay) : null;
  const failureRate = deployments > 0 ? failed / deployments : null;
  const lead = quantiles(leads);
  const restore = quantiles(restores);
  const leadMedian = lead.median;
  const restoreMedian = restore.median;
  return {
    From: `${fromDay}T00:00:00.000Z`,
    To: `${toDay}T23:59:59.999Z`,
    Deployments: deployments,
    DeploymentFrequency: {
      PerDay: round(perDay, 3),
      DaysWithDeployment: days.size,
      Rating: rate(perDay, THRESHOLDS.perDay, (v, b) => v >= b),
    },
    LeadTimeForChanges: {
      MedianSeconds: round(leadMedian, 3),
      P90Seconds: round(lead.p90, 3),
      Count: lead.count,
      Rating: rate(leadMedian, THRESHOLDS.leadSeconds, (v, b) => v < b),
    },
    ChangeFailureRate: {
      Rate: round(failureRate, 3),
      Failed: failed,
      Total: deployments,
      Rating: rate(failureRate, THRESHOLDS.failureRate, (v, b) => v <= b),
    },
    TimeToRestore: {
      MedianSeconds: round(restoreMedian, 3),
      Count: restore.count,
      Rating: rate(restoreMedian, THRESHOLDS.restoreSeconds, (v, b) => v < b),
    },
  };
};
