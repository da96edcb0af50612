/**
 * Summaries of closed days, which keep the DORA read's cost O(days) however many deployments a day holds.
 *
 * A (dimension, day, region)'s counters are COUNTER_SHARDS items (lib/domain/keys.ts) holding every lead and restore
 * time. Once a day is closed, the DORA read stores what they add up to as one summary item (`Y#<day>#R#<region>`, in
 * the counters' partition): the counts, and the times as a Sample (every value up to EXACT_LIMIT, a histogram beyond;
 * lib/domain/samples.ts). Later reads of that day read the summary instead of the shards.
 *
 * When a summary may be trusted:
 * - A read summarizes only days up to lastClosedDay (three days before today by its clock), and only its own region's
 *   counters: those are written in its region only, each record's counters and the summary's invalidation in one
 *   transaction, so no replication lag can pair a new invalidation with old counters.
 * - A record that counts on a day before yesterday (by the writer's clock: a backdated record, a rollback failing an
 *   older deployment, an import) sets that day's summary item's `gen` to its own id in the same transaction. A summary
 *   is valid while its `builtGen` equals `gen`; a read stores one on condition that `gen` is still what it read, so a
 *   record written meanwhile leaves it invalid, never wrong. The one-day margin between the writer's "two days
 *   before" and the reader's "three days before" covers clocks that disagree by less than a day; and records of
 *   yesterday (a pipeline that set its Date before midnight and records just after) mark nothing, so a burst of them
 *   never contends for one day's summary items.
 * - A day whose summary item was changed less than SETTLE_MS ago (an hour, by the writer's clock against the
 *   reader's) is read from its shards but not summarized yet: an import or a backfill run in another region writes
 *   this region's counters there, and replication may bring the item and the counters separately.
 * - Only a region's own reads summarize its counters (another region's write to that item could be lost to global
 *   tables' last-writer-wins): a day with counters of a region that serves no DORA read (or of a Region no stage has,
 *   from an import) is read from its counters by every read.
 * - Days with no deployments get no summary of their own: the summary of the next day that has one says `since`, the
 *   first day of the empty days before it that the same read found empty. A record on such a day later creates that
 *   day's own summary item (its `gen`), which then answers for it.
 */
import { dayOf } from './frequency.ts';
import { isCount, loadSample, storeSample, summarize, type Sample } from './samples.ts';

/** A summary item changed more recently than this is not rebuilt yet (see above). */
export const SETTLE_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

/** The last day a read may summarize: three days before today (UTC) by its clock. */
export const lastClosedDay = (now: Date): string => dayOf(new Date(now.getTime() - 3 * DAY_MS).toISOString());
/** Whether a record counting on `day` invalidates that day's summary: a day before yesterday (UTC) by the writer's clock. */
export const isPastDay = (day: string, now: Date): boolean => day < dayOf(new Date(now.getTime() - DAY_MS).toISOString());

/** The day after `day`. */
export const nextDay = (day: string): string => {
  const iso = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString();
  return iso.startsWith('+') ? '~' : dayOf(iso); // '~' sorts after every day: past 9999-12-31, a loop over days ends
};

/** What a (day, region)'s counters add up to; `others`: the other regions that had counters that day when it was built. */
export type DaySummary = { count: number; failed: number; lead: Sample; restore: Sample; others: string[] };
/** What a (day, region)'s counter items hold, summed over its shards. */
export type DayTotals = { count: number; failed: number; leadTimes: number[]; restoreTimes: number[] };

/** The stored text of a summary: `[count, failed, lead, restore, others]` (StoredSample for the times). */
export const encodeSummary = (t: DayTotals, others: readonly string[] = []): string =>
  JSON.stringify([t.count, t.failed, storeSample(summarize(t.leadTimes)), storeSample(summarize(t.restoreTimes)), others]);

/** A stored summary read back; undefined for a text it did not write (the counters answer then). */
export const decodeSummary = (text: string): DaySummary | undefined => {
  try {
    const [count, failed, lead, restore, others] = JSON.parse(text) as unknown[];
    if (!isCount(count) || !isCount(failed) || !Array.isArray(others) || !others.every((r) => typeof r === 'string')) return undefined;
    return { count, failed, lead: loadSample(lead), restore: loadSample(restore), others: others as string[] };
  } catch {
    return undefined;
  }
};

/** A summary item as read (attributes absent when not set). `changedAt`: ms, when a record last invalidated it. */
export type SummaryItem = { day: string; region: string; gen?: string; builtGen?: string; summary?: string; since?: string; changedAt?: number };

/** A stored `since` as a day (YYYY-MM-DD); undefined for anything else, which claims no day. */
const sinceOf = (item: SummaryItem | undefined): string | undefined =>
  item?.since !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(item.since) ? item.since : undefined;

/** `${day}\n${region}` */
export const dayRegion = (day: string, region: string): string => `${day}\n${region}`;
/** The day and region of a dayRegion key: split at the first line feed, as a region (an import's) may hold one. */
export const splitDayRegion = (key: string): { day: string; region: string } => {
  const at = key.indexOf('\n');
  return { day: key.slice(0, at), region: key.slice(at + 1) };
};

/**
 * What the summary items of `fromDay` to `closedTo` say of each day. Per region, a day has a valid summary, an item
 * that is not one (a record marked it stale, or it is being rebuilt), or none; a day without an item may be covered by
 * the `since` of that region's next item (no counters in any region then). A day is known when some region has a valid
 * summary of it or covers it: the regions with counters on it are then the regions of its valid summaries with any,
 * their `others`, and every region with an item of that day (an item appears with any record counted there once the
 * day is past). `answered`: the valid summaries of such regions (dayRegion). `needed`: the days whose counters must be
 * read, as the day is not known or a region with counters on it has no valid summary.
 */
export const resolveDays = (input: {
  fromDay: string;
  closedTo: string;
  items: readonly SummaryItem[];
}): { answered: Map<string, DaySummary>; needed: string[] } => {
  const { fromDay, closedTo } = input;
  const answered = new Map<string, DaySummary>();
  const needed: string[] = [];
  if (fromDay > closedTo) return { answered, needed };
  const byDay = new Map<string, SummaryItem[]>();
  for (const item of input.items) byDay.set(item.day, [...(byDay.get(item.day) ?? []), item]);
  // The days, last first: `claims` holds each region's `since` of its nearest item after the day looked at.
  const days: string[] = [];
  for (let day = fromDay; day <= closedTo; day = nextDay(day)) days.push(day);
  const claims = new Map<string, string | undefined>();
  for (const day of days.reverse()) {
    const items = byDay.get(day) ?? [];
    const valid = new Map<string, DaySummary>();
    for (const item of items) {
      const summary = item.summary !== undefined && item.builtGen === item.gen ? decodeSummary(item.summary) : undefined;
      if (summary) valid.set(item.region, summary);
    }
    const covered = [...claims].some(([region, since]) => since !== undefined && since <= day && !items.some((i) => i.region === region));
    if (valid.size === 0 && !covered) {
      needed.push(day);
    } else {
      const withCounters = new Set(items.map((i) => i.region));
      for (const [region, summary] of valid) {
        if (summary.count > 0 || summary.failed > 0) withCounters.add(region);
        for (const other of summary.others) withCounters.add(other);
      }
      for (const region of withCounters) {
        const summary = valid.get(region);
        if (summary) answered.set(dayRegion(day, region), summary);
      }
      if ([...withCounters].some((region) => !valid.has(region))) needed.push(day);
    }
    for (const item of items) claims.set(item.region, sinceOf(item));
  }
  return { answered, needed: needed.reverse() };
};

/** A summary to store: its day, text, the `gen` it was built for (undefined: none yet), and its `since`. */
export type SummaryWrite = { day: string; summary: string; gen: string | undefined; since?: string | undefined };

/**
 * The summaries a read stores for its own region, from the counters it read of `days` (closed days without a valid
 * summary of this region, ascending): one for each day with counters in any region or with an item of this region
 * already, and one for the last day of each run of consecutive days; each says `since` for the days of its run just
 * before it that have neither (no counters anywhere, no item). A day whose item changed less than SETTLE_MS before
 * `nowMs` is skipped (and ends the empty days it would have covered).
 */
export const summariesToStore = (input: {
  days: readonly string[];
  /** This region's counters, by day. */
  totals: ReadonlyMap<string, DayTotals>;
  /** The other regions with counters, by day (days without: none). */
  others: ReadonlyMap<string, readonly string[]>;
  /** This region's summary items, by day. */
  items: ReadonlyMap<string, SummaryItem>;
  nowMs: number;
}): SummaryWrite[] => {
  const writes: SummaryWrite[] = [];
  let emptySince: string | undefined;
  input.days.forEach((day, k) => {
    const totals = input.totals.get(day);
    const others = input.others.get(day) ?? [];
    const item = input.items.get(day);
    const lastOfRun = input.days[k + 1] !== nextDay(day);
    if (totals === undefined && others.length === 0 && item === undefined && !lastOfRun) {
      emptySince ??= day;
      return;
    }
    if (item?.changedAt !== undefined && input.nowMs - item.changedAt < SETTLE_MS) {
      emptySince = undefined;
      return;
    }
    const since = [emptySince, sinceOf(item)].filter((d): d is string => d !== undefined).sort()[0];
    writes.push({
      day,
      summary: encodeSummary(totals ?? { count: 0, failed: 0, leadTimes: [], restoreTimes: [] }, others),
      gen: item?.gen,
      ...(since !== undefined ? { since } : {}),
    });
    emptySince = undefined;
  });
  return writes;
};
