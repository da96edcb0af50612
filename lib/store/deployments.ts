import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import { IdempotencyMismatch, InProgress, Unavailable } from '../domain/errors.ts';
import type { IdempotencyClaim } from '../domain/idempotency.ts';
import { isPastDay } from '../domain/day-summaries.ts';
import { historyOnly, landing, type CounterDelta } from '../domain/dora.ts';
import { isFailed, orderingInstant, type LastAttempt, type NewDeployment } from '../domain/record.ts';
import { expiryOf } from '../domain/retention.ts';
import { versionOrderKey } from '../domain/versions.ts';
import {
  COUNTER_SHARDS,
  counterPartitionKeys,
  summarySortKey,
  counterSortKey,
  currentKey,
  deploymentPartitionKey,
  deploymentSortKey,
  feedIndexKey,
  overviewKeys,
  targetIndexKey,
  versionIndexKey,
} from '../domain/keys.ts';
import { isConditionFailed } from './failures.ts';
import { pooledRandom } from './random.ts';
import type { CurrentItem, DeploymentItem, IdempotencyItem } from './items.ts';

export type DeploymentTables = { deployments: string; idempotency: string };

export type Recorded = { item: DeploymentItem; replayed: boolean };

const nextId = monotonicFactory(pooledRandom);
/** Attempts in all, for collisions a retry resolves (a clashing id, a concurrent transaction on the same item). */
const ATTEMPTS = 4;
/** Cancellation reasons that mean "not now": another transaction on the same item, or throttling. */
/**
 * DynamoDB's refusal of an update that would make an item larger than 400 KB: a ValidationException, or within a
 * transaction a cancellation reason ValidationError (dynalite, DynamoDB Local and DynamoDB word it alike).
 */
const isItemTooLarge = (e: unknown): boolean => {
  const sized = (message: unknown) => typeof message === 'string' && /item size/i.test(message);
  if (e instanceof TransactionCanceledException) return (e.CancellationReasons ?? []).some((r) => r?.Code === 'ValidationError' && sized(r.Message));
  return (e as { name?: unknown }).name === 'ValidationException' && sized((e as Error).message);
};

const BUSY = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * The history record, with its sort key and the keys of the indexes it appears in. The sort key orders by Date, or by
 * the time received for a Date in the future (see orderingInstant): the current item's `latest` is the same value.
 */
export const historyItem = (record: NewDeployment, id: string): DeploymentItem => ({
  pk: deploymentPartitionKey(record.feedName, record.groupName, record.packageName),
  sk: deploymentSortKey(orderingInstant(record), id),
  id,
  feedPk: feedIndexKey(record.feedName),
  targetPk: targetIndexKey(record.feedName, record.target),
  versionPk: versionIndexKey(record.feedName, record.groupName, record.packageName, record.version),
  ...record,
});

/**
 * The target's current item: the same record under the current-state key, without the history indexes' keys but
 * with the overview index's (see OVERVIEW_INDEX).
 */
export const currentItem = (item: DeploymentItem, marks: RecordMarks = {}) => {
  const { pk: _pk, sk, feedPk: _f, targetPk: _t, versionPk: _v, ...record } = item;
  return {
    ...currentKey(item.feedName, item.groupName, item.packageName, item.target),
    latest: sk,
    ...overviewKeys(item.feedName, item.groupName, item.packageName, item.target),
    ...record,
    ...marks,
  };
};

/**
 * What the current item carries besides the record: `imported` (the record came from `import`: no event, see
 * lib/domain/events.ts) and the feed's `retainDays` (for the stream step that gives the record it replaces its expiry,
 * lib/domain/retention.ts).
 */
export type RecordMarks = { imported?: true | undefined; retainDays?: number | undefined };

/** The record's optional attributes: a newer record without one must remove the older one's from the current item. */
const OPTIONAL_ATTRIBUTES = [
  'groupName',
  'url',
  'dateInFuture',
  'feedId',
  'status',
  'commitSha',
  'commitTime',
  'imported',
  'retainDays',
] as const satisfies ReadonlyArray<keyof ReturnType<typeof currentItem>>;
/** The failed attempts since the current record: removed when a deployment lands after them (see landing). */
const ATTEMPT_ATTRIBUTES = ['lastAttempt', 'lastAttemptSk', 'openSince'] as const satisfies ReadonlyArray<keyof CurrentItem>;

/**
 * How the current item's Update is conditioned:
 * - `fast` (the first attempt): the item is absent, or holds an older record, a version this one does not roll back
 *   (versionOrder, see versionOrderKey) and no failed attempt since. Then nothing about the old item changes the
 *   counters, and the record needs no read: one round trip. Otherwise DynamoDB answers with the old item
 *   (ReturnValuesOnConditionCheckFailure), and the next attempt is
 * - `{ before }`: on condition that the item still holds that record (`latest`, and `openSince`), with the counters the landing on it
 *   adds (a rollback's failure, a restore) and, when it ends the failures since, their attributes removed. Two round
 *   trips, only for a rollback, the first landing after a failure, and items written before versionOrder existed.
 */
export type CurrentCondition = 'fast' | { before: CurrentItem };

/**
 * The current item as an Update rather than a Put, so that the same write keeps what the target ran before:
 * `previousVersion` takes the old item's `version` (every right-hand side of a SET reads the item as it was before the
 * update), or `firstPrevious` when there was no item (null for a first deployment; an import's record may carry the
 * version it had replaced). Every other attribute is set from the new record, and
 * an optional one it lacks is removed, so the item ends up exactly as the Put would have written it, plus
 * previousVersion and versionOrder (and, when `closes`, without the failed attempts' attributes). The Change
 * (upgraded, rolled back...) is derived from the two versions when read.
 */
export const currentUpdate = (
  table: string,
  current: ReturnType<typeof currentItem>,
  condition: CurrentCondition = 'fast',
  closes = false,
  firstPrevious: string | null = null,
) => {
  const { pk, sk, ...attributes } = current;
  const names: Record<string, string> = { '#previousVersion': 'previousVersion', '#version': 'version', '#latest': 'latest' };
  const values: Record<string, unknown> = { ':none': firstPrevious };
  const sets = ['#previousVersion = if_not_exists(#version, :none)'];
  Object.entries({ ...attributes, versionOrder: versionOrderKey(current.version) }).forEach(([name, value], i) => {
    if (value === undefined) return;
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
  });
  const removes = [...OPTIONAL_ATTRIBUTES.filter((name) => current[name] === undefined), ...(closes ? ATTEMPT_ATTRIBUTES : [])].map((name) => {
    names[`#r_${name}`] = name;
    return `#r_${name}`;
  });
  let conditionExpression: string;
  if (condition === 'fast') {
    const order = versionOrderKey(current.version);
    names['#order'] = 'versionOrder';
    names['#open'] = 'openSince';
    // An unorderable version (' ') is never a rollback, whatever the target ran: no condition on the order then.
    values[':latest'] = current.latest;
    if (order !== ' ') values[':order'] = order;
    conditionExpression = `attribute_not_exists(pk) OR (#latest < :latest AND attribute_not_exists(#open) AND attribute_exists(#order)${order !== ' ' ? ' AND #order <= :order' : ''})`;
  } else {
    // The item as it was read: the same record, and the same failures since (a failed attempt noted meanwhile would
    // change the restore this landing counts).
    names['#open'] = 'openSince';
    values[':before'] = condition.before.latest;
    if (condition.before.openSince !== undefined) values[':open'] = condition.before.openSince;
    conditionExpression = `#latest = :before AND ${condition.before.openSince !== undefined ? '#open = :open' : 'attribute_not_exists(#open)'}`;
  }
  return {
    TableName: table,
    Key: { pk, sk },
    ConditionExpression: conditionExpression,
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/**
 * A failed attempt on a target: the current item keeps its record (and version) and only notes the attempt
 * (lastAttempt, shown by the overview) and when the failures since began (openSince); on condition that the target
 * has a current record older than the attempt, and no newer attempt noted. Otherwise (a first deployment that failed,
 * or an older attempt) the record is history only.
 */
export const failedAttemptUpdate = (table: string, item: DeploymentItem) => {
  const { pk, sk } = currentKey(item.feedName, item.groupName, item.packageName, item.target);
  const lastAttempt: LastAttempt = { Version: item.version, Status: 'Failed', Date: item.date, Id: item.id };
  return {
    TableName: table,
    Key: { pk, sk },
    ConditionExpression: 'attribute_exists(#latest) AND #latest < :sk AND (attribute_not_exists(#attemptSk) OR #attemptSk < :sk)',
    UpdateExpression: 'SET #attempt = :attempt, #attemptSk = :sk, #open = if_not_exists(#open, :date)',
    ExpressionAttributeNames: { '#latest': 'latest', '#attempt': 'lastAttempt', '#attemptSk': 'lastAttemptSk', '#open': 'openSince' },
    ExpressionAttributeValues: { ':sk': item.sk, ':attempt': lastAttempt, ':date': orderingInstant(item) },
  };
};

/**
 * The per-day counters a record adds to (see counterPartitionKey): four Updates (feed, package, target, package on
 * target) for its day and region, in the record's own transaction, so nothing is ever lost or doubled; an idempotent
 * replay writes nothing, so counts once. `count` and `failed` are ADDed; lead and restore times (seconds) are appended
 * to lists, which keep medians exact (a record whose lists' items are full, at DynamoDB's 400 KB item limit, is
 * counted in an overflow shard with `unsampled` instead of its times; see putDeployment). A rollback adds a failure to the day of the record it fails too (four more
 * Updates, or the same four when that is the same day), still in this region's counters.
 */
export const counterUpdates = (table: string, record: NewDeployment, shard: number, delta: CounterDelta = historyOnly(record)) => {
  const byDay = new Map<string, { count: number; failed: number; lead?: number | undefined; restore?: number | undefined; unsampled?: true | undefined }>();
  byDay.set(delta.day, { count: 1, failed: delta.failed ? 1 : 0, lead: delta.leadSeconds, restore: delta.restoreSeconds, unsampled: delta.unsampled });
  if (delta.failsDay !== undefined) {
    const same = byDay.get(delta.failsDay);
    if (same) same.failed += 1;
    else byDay.set(delta.failsDay, { count: 0, failed: 1 });
  }
  const pks = counterPartitionKeys(record.feedName, record.groupName, record.packageName, record.target);
  return [...byDay].flatMap(([day, add]) => {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const adds: string[] = [];
    const sets: string[] = [];
    if (add.count > 0) {
      names['#count'] = 'count';
      values[':count'] = add.count;
      adds.push('#count :count');
    }
    if (add.failed > 0) {
      names['#failed'] = 'failed';
      values[':failed'] = add.failed;
      adds.push('#failed :failed');
    }
    if (add.unsampled) {
      names['#unsampled'] = 'unsampled';
      values[':unsampled'] = 1;
      adds.push('#unsampled :unsampled');
    }
    for (const [attribute, value] of [
      ['leadTimes', add.lead],
      ['restoreTimes', add.restore],
    ] as const) {
      if (value === undefined) continue;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = [value];
      values[':empty'] = [];
      sets.push(`#${attribute} = list_append(if_not_exists(#${attribute}, :empty), :${attribute})`);
    }
    const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', adds.length > 0 ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' ');
    const sk = counterSortKey(day, record.region, shard);
    return pks.map((pk) => ({
      Update: { TableName: table, Key: { pk, sk }, UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values },
    }));
  });
};

/**
 * A record that counts on a day before yesterday (a backdated record, a rollback failing an older deployment, an
 * import) marks that day's summaries stale (lib/domain/day-summaries.ts): four Updates per such day that set `gen` to
 * the record's sort key (unique) and `changedAt`, in the record's own transaction. A record of today or yesterday adds none.
 */
export const summaryInvalidations = (table: string, record: DeploymentItem, delta: CounterDelta, now: Date) => {
  const days = [...new Set([delta.day, ...(delta.failsDay !== undefined ? [delta.failsDay] : [])])].filter((day) => isPastDay(day, now));
  const pks = counterPartitionKeys(record.feedName, record.groupName, record.packageName, record.target);
  return days.flatMap((day) =>
    pks.map((pk) => ({
      Update: {
        TableName: table,
        Key: { pk, sk: summarySortKey(day, record.region) },
        UpdateExpression: 'SET #gen = :gen, #changedAt = :now',
        ExpressionAttributeNames: { '#gen': 'gen', '#changedAt': 'changedAt' },
        ExpressionAttributeValues: { ':gen': record.sk, ':now': now.getTime() },
      },
    })),
  );
};

const replayOrRefuse = (stored: IdempotencyItem, claim: IdempotencyClaim): Recorded => {
  if (stored.requestHash !== claim.requestHash) {
    throw new IdempotencyMismatch(
      'This Idempotency-Key was already used for a different deployment record in the last 24 hours; send a new key for a new record.',
    );
  }
  return { item: stored.record, replayed: true };
};

const inFlight = () => new InProgress('A request with this Idempotency-Key is being processed; retry shortly to get its answer.');

/** What the current item's part of the transaction is: none (history only), a failed attempt, or the record landing. */
type CurrentPart = 'none' | 'attempt' | CurrentCondition;

/**
 * Records one deployment in a single TransactWriteItems (one round trip):
 * 1. the history record, on condition that its key is new, so nothing is ever overwritten;
 * 2. the target's current item, on condition that it holds an older record (by date, or by the time received for a
 *    date in the future; then id), so a backdated record never replaces a newer one; if it does hold a newer one, the
 *    record is stored without it (a second round trip, only for backdated records); an Update, which keeps the
 *    version it replaces as previousVersion. A Failed record only notes itself as the target's last attempt
 *    (failedAttemptUpdate). A rollback, or the first landing after a failed attempt, takes a second round trip (see
 *    CurrentCondition), as the counters then need what the target held;
 * 3. the record's counters (see counterUpdates);
 * 4. with an Idempotency-Key, the claim, on condition that the key is unused (or expired): the record and the claim
 *    commit together, so a retry gets the first answer and nothing is stored twice, even if this function dies mid-way.
 */
export const putDeployment = async (
  client: DynamoDBDocumentClient,
  tables: DeploymentTables,
  record: NewDeployment,
  options: {
    idempotency?: IdempotencyClaim | undefined;
    newId?: (seedTime?: number) => string;
    /** The record's own id (an import): if its history item exists already, nothing is written (`replayed`). */
    id?: string | undefined;
    /** The feed's retention (see lib/domain/retention.ts); undefined: forever. */
    retainDays?: number | undefined;
    /** The record comes from `import`: marked so that it announces no event. */
    imported?: boolean | undefined;
    /**
     * An import's record that was its target's current one: the version it had replaced, for a target without a
     * current item yet (the record it replaced may have expired and not been exported). Otherwise null there.
     */
    previousVersion?: string | undefined;
  } = {},
): Promise<Recorded> => {
  const { idempotency, id } = options;
  const newId = id !== undefined ? () => id : (options.newId ?? nextId);
  const marks: RecordMarks = {
    ...(options.imported === true ? { imported: true } : {}),
    ...(options.retainDays !== undefined ? { retainDays: options.retainDays } : {}),
  };
  const firstPrevious = options.previousVersion ?? null;
  let current: CurrentPart = isFailed(record) ? 'attempt' : 'fast';
  // Whether the record's lead and restore times go into the day's lists (see counterUpdates); not once a list's item
  // has reached DynamoDB's item size limit.
  let samples = true;
  const receivedMs = Date.parse(record.receivedAt);
  for (let attempt = 1; ; attempt++) {
    const item = historyItem(record, newId(receivedMs));
    try {
      await client.send(recordTransaction(tables, item, { current, idempotency, nowSeconds: Math.floor(receivedMs / 1000), marks, firstPrevious, samples }));
      return { item, replayed: false };
    } catch (e) {
      if (samples && isItemTooLarge(e)) {
        samples = false;
        continue;
      }
      if (!(e instanceof TransactionCanceledException)) throw e;
      if (id !== undefined && isConditionFailed(e.CancellationReasons?.[0])) return { item, replayed: true }; // imported before
      const next = afterCancellation(e, { idempotency, current, attempt, sk: item.sk });
      if (next === 'retry') await sleep(10 * attempt + Math.random() * 20);
      else if (typeof next === 'object' && 'item' in next) return next;
      else current = next.current;
    }
  }
};

/**
 * The one transaction: the history item, the target's current item (as CurrentPart says), the record's counters (a
 * shard picked anew for each attempt), the claim.
 */
const recordTransaction = (
  tables: DeploymentTables,
  item: DeploymentItem,
  options: {
    current: CurrentPart;
    idempotency: IdempotencyClaim | undefined;
    nowSeconds: number;
    marks: RecordMarks;
    firstPrevious: string | null;
    samples: boolean;
  },
) => {
  const { current } = options;
  const lands = current !== 'none' && current !== 'attempt';
  const landed = lands ? landing(item, item.sk, current === 'fast' ? undefined : current.before) : undefined;
  const delta = landed?.delta ?? historyOnly(item);
  // The history item written with the current item never expires while it is current (lib/domain/retention.ts); one
  // stored without becoming current (backdated, or a failed attempt) expires by the feed's retention from the start.
  const { imported, retainDays } = options.marks;
  const history = {
    ...item,
    ...(imported ? { imported } : {}),
    ...(lands
      ? {}
      : { ...(isFailed(item) ? { failed: true } : { backdated: true }), ...(retainDays !== undefined ? { expiresAt: expiryOf(item, retainDays) } : {}) }),
  };
  return new TransactWriteCommand({
    TransactItems: [
      // A record stored without becoming current is marked, for the event dispatcher: its history item's stream record
      // is the one that announces it (lib/domain/events.ts): `backdated`, or `failed` for a failed attempt.
      {
        Put: {
          TableName: tables.deployments,
          Item: history,
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...(lands ? [{ Update: currentUpdate(tables.deployments, currentItem(item, options.marks), current, landed!.closes, options.firstPrevious) }] : []),
      ...(current === 'attempt' ? [{ Update: failedAttemptUpdate(tables.deployments, item) }] : []),
      // Without samples, the counts go to one of the overflow shards (COUNTER_SHARDS to 2 x COUNTER_SHARDS - 1), which
      // hold counts only: a shard whose lists fill its item can take no more of anything.
      ...(options.samples
        ? counterUpdates(tables.deployments, item, randomInt(COUNTER_SHARDS), delta)
        : counterUpdates(tables.deployments, item, COUNTER_SHARDS + randomInt(COUNTER_SHARDS), {
            ...delta,
            leadSeconds: undefined,
            restoreSeconds: undefined,
            unsampled: true,
          })),
      ...summaryInvalidations(tables.deployments, item, delta, new Date()),
      ...(options.idempotency
        ? [
            {
              Put: {
                TableName: tables.idempotency,
                Item: { ...options.idempotency, record: item } satisfies IdempotencyItem,
                ConditionExpression: 'attribute_not_exists(id) OR expiresAt < :now',
                ExpressionAttributeValues: { ':now': options.nowSeconds },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
              },
            },
          ]
        : []),
    ],
  });
};

/**
 * What a cancelled transaction means, from its reasons (history, current, counters, claim): the first answer again for a used
 * Idempotency-Key (or 422 for another record, 409 while it is being written); the current item's part for the next
 * attempt when its condition failed (history only for a backdated record or a failed attempt that is not the latest;
 * the landing on what the item holds otherwise); `retry` for a collision another attempt resolves; otherwise it
 * throws (503 when DynamoDB is busy).
 */
const afterCancellation = (
  e: TransactionCanceledException,
  state: { idempotency: IdempotencyClaim | undefined; current: CurrentPart; attempt: number; sk: string },
): Recorded | { current: CurrentPart } | 'retry' => {
  const reasons: Array<CancellationReason | undefined> = e.CancellationReasons ?? [];
  const [history, currentReason] = reasons;
  const claim = state.idempotency ? reasons.at(-1) : undefined;
  if (state.idempotency && claim && isConditionFailed(claim)) {
    // ALL_OLD always returns the item that failed the condition.
    if (!claim.Item) throw new Error('DynamoDB returned no item for a failed Idempotency-Key condition', { cause: e });
    return replayOrRefuse(unmarshall(claim.Item) as IdempotencyItem, state.idempotency);
  }
  if (state.idempotency && claim?.Code === 'TransactionConflict') throw inFlight();
  const busy = reasons.some((r) => r?.Code !== undefined && BUSY.has(r.Code));
  if (state.current !== 'none' && isConditionFailed(currentReason)) {
    if (state.current === 'attempt') return { current: 'none' };
    const before = currentReason?.Item ? (unmarshall(currentReason.Item) as CurrentItem) : undefined;
    // DynamoDB returns the item that failed the condition; without one, keep the record as history only.
    if (!before) return { current: 'none' };
    if (!(before.latest < state.sk)) return { current: 'none' }; // backdated: the target's current record is newer
    if (state.attempt >= ATTEMPTS * 2) throw new Unavailable('The deployment store is busy right now; nothing was recorded. Retry shortly.', { cause: e });
    return { current: { before } };
  }
  if (state.attempt < ATTEMPTS && (busy || isConditionFailed(history))) return 'retry';
  if (busy) throw new Unavailable('The deployment store is busy right now; nothing was recorded. Retry shortly.', { cause: e });
  throw e;
};
