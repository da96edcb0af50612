/**
 * The DORA read's counters: closed days from their summaries (lib/domain/day-summaries.ts), the others from the per-day
 * counters, and the summaries this read can store. Apart from counters.ts so that the read function loads it with the
 * DORA route, on its first request.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  dayRegion,
  lastClosedDay,
  nextDay,
  resolveDays,
  splitDayRegion,
  summariesToStore,
  type DayTotals,
  type SummaryItem,
  type SummaryWrite,
} from '../domain/day-summaries.ts';
import type { DayCounts } from '../domain/dora.ts';
import { counterRange, type CounterDimension, counterPartitionKey, parseCounterSortKey, summaryRange, summarySortKey } from '../domain/keys.ts';
import { queryRange } from './counters.ts';
import { mapInParallel } from './parallel.ts';

/** The counters of `fromDay` to `toDay`, summed over each (day, region)'s shards, by dayRegion. */
const readTotals = async (
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
  fromDay: string,
  toDay: string,
  totals = new Map<string, DayTotals>(),
): Promise<Map<string, DayTotals>> => {
  const names = { '#count': 'count', '#failed': 'failed', '#lead': 'leadTimes', '#restore': 'restoreTimes' };
  for await (const item of queryRange(client, table, pk, counterRange(fromDay, toDay), names)) {
    const { day, region } = parseCounterSortKey(String(item.sk));
    const key = dayRegion(day, region);
    const t = totals.get(key) ?? { count: 0, failed: 0, leadTimes: [], restoreTimes: [] };
    t.count += Number(item.count ?? 0);
    t.failed += Number(item.failed ?? 0);
    for (const v of (item.leadTimes as unknown[] | undefined) ?? []) t.leadTimes.push(Number(v));
    for (const v of (item.restoreTimes as unknown[] | undefined) ?? []) t.restoreTimes.push(Number(v));
    totals.set(key, t);
  }
  return totals;
};

const readSummaries = async (client: DynamoDBDocumentClient, table: string, pk: string, fromDay: string, toDay: string): Promise<SummaryItem[]> => {
  const items: SummaryItem[] = [];
  const names = { '#gen': 'gen', '#builtGen': 'builtGen', '#summary': 'summary', '#since': 'since', '#changedAt': 'changedAt' };
  for await (const item of queryRange(client, table, pk, summaryRange(fromDay, toDay), names)) {
    const { day, region } = parseCounterSortKey(String(item.sk));
    const text = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] } : {});
    items.push({
      day,
      region,
      ...text('gen'),
      ...text('builtGen'),
      ...text('summary'),
      ...text('since'),
      ...(typeof item.changedAt === 'number' ? { changedAt: item.changedAt } : {}),
    });
  }
  return items;
};

/** Stores one summary on condition that its item's `gen` is still the one it was built for. */
const storeSummary = async (client: DynamoDBDocumentClient, table: string, pk: string, region: string, w: SummaryWrite): Promise<void> => {
  const set = ['#summary = :summary', ...(w.gen !== undefined ? ['#builtGen = :gen'] : []), ...(w.since !== undefined ? ['#since = :since'] : [])];
  try {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: summarySortKey(w.day, region) },
        UpdateExpression: `SET ${set.join(', ')}${w.gen === undefined ? ' REMOVE #builtGen' : ''}`,
        ConditionExpression: w.gen !== undefined ? '#gen = :gen' : 'attribute_not_exists(#gen)',
        ExpressionAttributeNames: { '#summary': 'summary', '#builtGen': 'builtGen', '#gen': 'gen', ...(w.since !== undefined ? { '#since': 'since' } : {}) },
        ExpressionAttributeValues: {
          ':summary': w.summary,
          ...(w.gen !== undefined ? { ':gen': w.gen } : {}),
          ...(w.since !== undefined ? { ':since': w.since } : {}),
        },
      }),
    );
  } catch (e) {
    // A record counted on that day meanwhile: the summary stays unwritten, and the next read builds it.
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
};

const STORE_CONCURRENCY = 16;
const QUERY_CONCURRENCY = 8;

/**
 * The counts, failures, lead and restore times of one dimension from `fromDay` to `toDay`, per day and region, for the
 * DORA read: closed days from their summaries (lib/domain/day-summaries.ts), the other days (and closed days the
 * summaries do not answer yet) from the counters, in one Query from the first such day. The summaries this read can
 * build for its own region's closed days are stored before it answers, so the next read of them reads one item per
 * day and region, however many deployments each holds. A summary that cannot be stored (throttled, not allowed) only
 * costs the next read the counters again: `onStoreError` hears of it.
 */
export const readDoraCounts = async (
  client: DynamoDBDocumentClient,
  table: string,
  dimension: CounterDimension,
  fromDay: string,
  toDay: string,
  options: { now: Date; region: string; onStoreError?: ((error: unknown) => void) | undefined },
): Promise<DayCounts[]> => {
  const pk = counterPartitionKey(dimension);
  const closedTo = lastClosedDay(options.now);
  const lastClosed = toDay < closedTo ? toDay : closedTo;
  const items = fromDay <= lastClosed ? await readSummaries(client, table, pk, fromDay, lastClosed) : [];
  const { answered, needed } = resolveDays({ fromDay, closedTo: lastClosed, items });
  // The counters of the needed days and of the open ones, one Query per run of consecutive days: a day no summary
  // answers does not make the read take the counters of every day after it.
  const runs: Array<[string, string]> = [];
  for (const day of needed) {
    const last = runs.at(-1);
    if (last !== undefined && nextDay(last[1]) === day) last[1] = day;
    else runs.push([day, day]);
  }
  if (toDay > closedTo) {
    const firstOpen = fromDay > closedTo ? fromDay : nextDay(closedTo);
    const last = runs.at(-1);
    if (last !== undefined && nextDay(last[1]) === firstOpen) last[1] = toDay;
    else runs.push([firstOpen, toDay]);
  }
  const totals = new Map<string, DayTotals>();
  await mapInParallel(runs, QUERY_CONCURRENCY, ([first, last]) => readTotals(client, table, pk, first, last, totals));

  const counts: DayCounts[] = [];
  for (const [key, summary] of answered) {
    const { day, region } = splitDayRegion(key);
    counts.push({ day, region, count: summary.count, failed: summary.failed, lead: summary.lead, restore: summary.restore });
  }
  for (const [key, t] of totals) {
    if (answered.has(key)) continue;
    const { day, region } = splitDayRegion(key);
    counts.push({ day, region, count: t.count, failed: t.failed, lead: { values: t.leadTimes }, restore: { values: t.restoreTimes } });
  }

  // This region's summaries of the closed days just read. None when the range holds neither counters nor summary
  // items: the dimension has nothing there (a Target or PackageName never deployed, perhaps), a Query of its counters
  // costs nothing, and a read must not create items in a partition no record has (purge finds those from the history).
  const own = options.region;
  const days = needed.filter((day) => !answered.has(dayRegion(day, own)));
  if (days.length === 0 || (totals.size === 0 && items.length === 0)) return counts;
  const ownTotals = new Map<string, DayTotals>();
  const others = new Map<string, string[]>();
  for (const [key, t] of totals) {
    const { day, region } = splitDayRegion(key);
    if (region === own) ownTotals.set(day, t);
    else others.set(day, [...(others.get(day) ?? []), region]);
  }
  const ownItems = new Map(items.filter((i) => i.region === own).map((i) => [i.day, i]));
  const writes = summariesToStore({ days, totals: ownTotals, others, items: ownItems, nowMs: options.now.getTime() });
  await mapInParallel(writes, STORE_CONCURRENCY, (w) => storeSummary(client, table, pk, own, w).catch((e: unknown) => options.onStoreError?.(e)));
  return counts;
};
