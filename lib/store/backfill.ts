import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { historyOnly, landing, type CounterDelta, type TargetState } from '../domain/dora.ts';
import { isFailed, orderingInstant } from '../domain/record.ts';
import { counterPartitionKeys, counterSortKey, currentKey, feedIndexKey, foldName, isSummarySortKey, overviewKeys } from '../domain/keys.ts';
import type { CurrentItem, DeploymentItem } from './items.ts';
import { mapInParallel } from './parallel.ts';

/**
 * `counters backfill`: brings data written before the overview and the counters existed up to date, in one Scan of the
 * deployments table (optionally of one feed's items):
 * - the counters are rebuilt from the history: each target's records are replayed in the order of their sort keys
 *   (Date, then id), as the record transaction would have seen them arrive in that order (lib/domain/dora.ts: a
 *   failed attempt opens what the next landing restores, a rollback fails the record it replaces), and each
 *   (dimension, day, region) counter is SET to its count, failures, lead and restore times (not ADDed); counters that
 *   no record backs are deleted, so running it again changes nothing. A record recorded backdated among newer ones
 *   counts here as if it had arrived in Date order (it may then be a rollback, or restore a failure) where the
 *   transaction counted it as history only;
 * - each current item gets the overview index's keys, and the version its target ran before (from the history: the
 *   record before the current one) where it has none yet; on condition that it still holds the same record, so a
 *   deployment recorded meanwhile (which sets both itself) is left as it is.
 * A record written while it runs may be counted by the transaction and then overwritten by a count taken just before
 * it: run it again once traffic is quiet, and the counts are exact.
 */
export type BackfillResult = {
  records: number;
  counters: number;
  countersRemoved: number;
  summariesInvalidated: number;
  currentUpdated: number;
  currentSkipped: number;
};

const CONCURRENCY = 16;

/** What one counter item holds. */
type Counted = { count: number; failed: number; leadTimes: number[]; restoreTimes: number[] };

/** Adds a record's delta to the counters of its four dimensions, in its region (shard 0: the other shards are stale). */
const addDelta = (counts: Map<string, Counted>, record: DeploymentItem, delta: CounterDelta): void => {
  const pks = counterPartitionKeys(record.feedName, record.groupName, record.packageName, record.target);
  const add = (day: string, change: (c: Counted) => void) => {
    const sk = counterSortKey(day, record.region, 0);
    for (const pk of pks) {
      const key = `${pk}\n${sk}`;
      const counted = counts.get(key) ?? { count: 0, failed: 0, leadTimes: [], restoreTimes: [] };
      change(counted);
      counts.set(key, counted);
    }
  };
  add(delta.day, (c) => {
    c.count += 1;
    if (delta.failed) c.failed += 1;
    if (delta.leadSeconds !== undefined) c.leadTimes.push(delta.leadSeconds);
    if (delta.restoreSeconds !== undefined) c.restoreTimes.push(delta.restoreSeconds);
  });
  if (delta.failsDay !== undefined) add(delta.failsDay, (c) => (c.failed += 1));
};

/**
 * One target's records in sort-key order, through the same rules as the record transaction (putDeployment): a failed
 * record notes an attempt on a target that has a current record (history only on one that has none), a succeeded one
 * lands (see landing).
 */
const replay = (records: DeploymentItem[], counts: Map<string, Counted>): void => {
  records.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  let state: TargetState | undefined;
  for (const record of records) {
    if (isFailed(record)) {
      if (state) state = { ...state, openSince: state.openSince ?? orderingInstant(record), lastAttemptSk: record.sk };
      addDelta(counts, record, historyOnly(record));
      continue;
    }
    const { delta, closes } = landing(record, record.sk, state);
    addDelta(counts, record, delta);
    const { openSince, lastAttemptSk } = closes || !state ? { openSince: undefined, lastAttemptSk: undefined } : state;
    state = {
      version: record.version,
      date: record.date,
      receivedAt: record.receivedAt,
      dateInFuture: record.dateInFuture,
      latest: record.sk,
      openSince,
      lastAttemptSk,
    };
  }
};

const inParallel = <T>(items: T[], work: (item: T) => Promise<void>): Promise<unknown> => mapInParallel(items, CONCURRENCY, work);

export const backfill = async (client: DynamoDBDocumentClient, table: string, options: { feed?: string | undefined } = {}): Promise<BackfillResult> => {
  const feedKey = options.feed !== undefined ? feedIndexKey(options.feed) : undefined;
  const inFeed = (feedName: string) => options.feed === undefined || foldName(feedName) === foldName(options.feed);
  const counts = new Map<string, Counted>(); // `${pk}\n${sk}` -> what the counter holds
  const byTarget = new Map<string, DeploymentItem[]>(); // each target's records, for the replay
  const existingCounters: Array<{ pk: string; sk: string }> = [];
  const currents: CurrentItem[] = [];
  // The two latest records of each target (by sort key), for the version it ran before the current one.
  const latestTwo = new Map<string, [DeploymentItem, DeploymentItem?]>();
  let records = 0;

  for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('F#')) {
        const record = item as DeploymentItem;
        if (!inFeed(record.feedName)) continue;
        records++;
        const target = currentKey(record.feedName, record.groupName, record.packageName, record.target);
        const id = `${target.pk}\n${target.sk}`;
        const list = byTarget.get(id);
        if (list) list.push(record);
        else byTarget.set(id, [record]);
        const [first, second] = latestTwo.get(id) ?? [];
        if (!first || record.sk > first.sk) latestTwo.set(id, [record, first]);
        else if (!second || record.sk > second.sk) latestTwo.set(id, [first, record]);
      } else if (pk.startsWith('C#')) {
        const current = item as CurrentItem;
        if (inFeed(current.feedName)) currents.push(current);
      } else if (pk.startsWith('N#')) {
        // N#F#<feed> or N#F#<feed>#...: the feed's part ends at the next '#'.
        if (feedKey === undefined || pk === `N#${feedKey}` || pk.startsWith(`N#${feedKey}#`)) existingCounters.push({ pk, sk: String(item.sk) });
      }
    }
  }

  for (const list of byTarget.values()) replay(list, counts);

  await inParallel([...counts], async ([key, counted]) => {
    const [pk, sk] = key.split('\n') as [string, string];
    const values: Array<[string, unknown]> = [
      ['count', counted.count],
      ['failed', counted.failed],
      ['leadTimes', counted.leadTimes],
      ['restoreTimes', counted.restoreTimes],
    ];
    const set = values.filter(([name, v]) => name === 'count' || (Array.isArray(v) ? v.length > 0 : v !== 0));
    const remove = values.filter(([name]) => !set.some(([n]) => n === name)).map(([name]) => `#${name}`);
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk },
        UpdateExpression: `SET ${set.map(([name]) => `#${name} = :${name}`).join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ExpressionAttributeNames: Object.fromEntries(values.map(([name]) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(set.map(([name, v]) => [`:${name}`, v])),
      }),
    );
  });
  const stale = existingCounters.filter((c) => !isSummarySortKey(c.sk) && !counts.has(`${c.pk}\n${c.sk}`));
  await inParallel(stale, async (key) => {
    await client.send(new DeleteCommand({ TableName: table, Key: key }));
  });
  // The days' summaries (lib/domain/day-summaries.ts) were built from the counters as they were: each is marked stale
  // as a record on its day would mark it, and its `since` (the empty days before it) is dropped.
  const summaries = existingCounters.filter((c) => isSummarySortKey(c.sk));
  const now = Date.now();
  await inParallel(summaries, async (key) => {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #gen = :gen, #changedAt = :now REMOVE #summary, #builtGen, #since',
        ExpressionAttributeNames: { '#gen': 'gen', '#changedAt': 'changedAt', '#summary': 'summary', '#builtGen': 'builtGen', '#since': 'since' },
        ExpressionAttributeValues: { ':gen': `backfill#${randomUUID()}`, ':now': now },
      }),
    );
  });

  let currentUpdated = 0;
  let currentSkipped = 0;
  await inParallel(currents, async (current) => {
    const keys = overviewKeys(current.feedName, current.groupName, current.packageName, current.target);
    const [first, second] = latestTwo.get(`${current.pk}\n${current.sk}`) ?? [];
    // The record before the current one, if the history's latest is the current one (it is, unless records were lost).
    const previous = first?.sk === current.latest ? (second?.version ?? null) : undefined;
    const needsKeys = current.overviewPk !== keys.overviewPk || current.overviewSk !== keys.overviewSk;
    const needsPrevious = current.previousVersion === undefined && previous !== undefined;
    if (!needsKeys && !needsPrevious) return;
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: current.pk, sk: current.sk },
          ConditionExpression: 'latest = :latest',
          UpdateExpression: `SET #opk = :opk, #osk = :osk${needsPrevious ? ', #prev = :prev' : ''}`,
          ExpressionAttributeNames: { '#opk': 'overviewPk', '#osk': 'overviewSk', ...(needsPrevious ? { '#prev': 'previousVersion' } : {}) },
          ExpressionAttributeValues: {
            ':latest': current.latest,
            ':opk': keys.overviewPk,
            ':osk': keys.overviewSk,
            ...(needsPrevious ? { ':prev': previous } : {}),
          },
        }),
      );
      currentUpdated++;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      currentSkipped++; // a newer record replaced it meanwhile, and set both itself
    }
  });
  return { records, counters: counts.size, countersRemoved: stale.length, summariesInvalidated: summaries.length, currentUpdated, currentSkipped };
};
