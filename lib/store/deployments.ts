import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import { IdempotencyMismatch, InProgress, Unavailable } from '../domain/errors.ts';
import type { IdempotencyClaim } from '../domain/idempotency.ts';
import { orderingInstant, type NewDeployment } from '../domain/record.ts';
import { expiryOf } from '../domain/retention.ts';
import { countingDay } from '../domain/frequency.ts';
import {
  COUNTER_SHARDS,
  counterPartitionKeys,
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
import type { DeploymentItem, IdempotencyItem } from './items.ts';

export type DeploymentTables = { deployments: string; idempotency: string };

export type Recorded = { item: DeploymentItem; replayed: boolean };

const nextId = monotonicFactory(pooledRandom);
/** Attempts in all, for collisions a retry resolves (a clashing id, a concurrent transaction on the same item). */
const ATTEMPTS = 4;
/** Cancellation reasons that mean "not now": another transaction on the same item, or throttling. */
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
const OPTIONAL_ATTRIBUTES = ['groupName', 'url', 'dateInFuture', 'feedId', 'imported', 'retainDays'] as const satisfies ReadonlyArray<
  keyof ReturnType<typeof currentItem>
>;

/**
 * The current item as an Update rather than a Put, so that the same write keeps what the target ran before:
 * `previousVersion` takes the old item's `version` (every right-hand side of a SET reads the item as it was before the
 * update), or null when there was no item (a first deployment). Every other attribute is set from the new record, and
 * an optional one it lacks is removed, so the item ends up exactly as the Put would have written it, plus
 * previousVersion. The Change (upgraded, rolled back...) is derived from the two versions when read.
 */
export const currentUpdate = (table: string, current: ReturnType<typeof currentItem>, firstPrevious: string | null = null) => {
  const { pk, sk, ...attributes } = current;
  const names: Record<string, string> = { '#previousVersion': 'previousVersion', '#version': 'version' };
  const values: Record<string, unknown> = { ':none': firstPrevious, ':latest': current.latest };
  const sets = ['#previousVersion = if_not_exists(#version, :none)'];
  Object.entries(attributes).forEach(([name, value], i) => {
    if (value === undefined) return;
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
  });
  const removes = OPTIONAL_ATTRIBUTES.filter((name) => current[name] === undefined).map((name) => {
    names[`#r_${name}`] = name;
    return `#r_${name}`;
  });
  return {
    TableName: table,
    Key: { pk, sk },
    ConditionExpression: 'attribute_not_exists(pk) OR latest < :latest',
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

/**
 * The per-day deployment counters a record adds one to (see counterPartitionKey): four Updates with ADD, in the
 * record's own transaction, so a count is never lost or doubled; an idempotent replay writes nothing, so counts once.
 */
export const counterUpdates = (table: string, record: NewDeployment, shard: number) => {
  const sk = counterSortKey(countingDay(record), record.region, shard);
  return counterPartitionKeys(record.feedName, record.groupName, record.packageName, record.target).map((pk) => ({
    Update: {
      TableName: table,
      Key: { pk, sk },
      UpdateExpression: 'ADD #count :one',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1 },
    },
  }));
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

/**
 * Records one deployment in a single TransactWriteItems (one round trip):
 * 1. the history record, on condition that its key is new, so nothing is ever overwritten;
 * 2. the target's current item, on condition that it holds an older record (by date, or by the time received for a
 *    date in the future; then id), so a backdated record
 *    never replaces a newer one; if it does hold a newer one, the record is stored without it (a second round trip,
 *    only for backdated records); an Update, which keeps the version it replaces as previousVersion;
 * 3. the record's deployment counters (four ADDs: feed, package, target, package on target, for its day and region);
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
  let withCurrent = true;
  const receivedMs = Date.parse(record.receivedAt);
  for (let attempt = 1; ; attempt++) {
    const item = historyItem(record, newId(receivedMs));
    try {
      await client.send(recordTransaction(tables, item, { withCurrent, idempotency, nowSeconds: Math.floor(receivedMs / 1000), marks, firstPrevious }));
      return { item, replayed: false };
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      if (id !== undefined && isConditionFailed(e.CancellationReasons?.[0])) return { item, replayed: true }; // imported before
      const next = afterCancellation(e, { idempotency, withCurrent, attempt });
      if (next === 'without-current')
        withCurrent = false; // backdated: the target's current record is newer
      else if (next === 'retry') await sleep(10 * attempt + Math.random() * 20);
      else return next;
    }
  }
};

/**
 * The one transaction: the history item, the target's current item (unless the record is backdated), the record's
 * four counters (a shard picked anew for each attempt), the claim.
 */
const recordTransaction = (
  tables: DeploymentTables,
  item: DeploymentItem,
  options: { withCurrent: boolean; idempotency: IdempotencyClaim | undefined; nowSeconds: number; marks: RecordMarks; firstPrevious: string | null },
) => {
  const current = currentItem(item, options.marks);
  // The history item written with the current item never expires while it is current (lib/domain/retention.ts); a
  // backdated one expires at once by the feed's retention.
  const { imported, retainDays } = options.marks;
  const history = {
    ...item,
    ...(imported ? { imported } : {}),
    ...(options.withCurrent ? {} : { backdated: true, ...(retainDays !== undefined ? { expiresAt: expiryOf(item, retainDays) } : {}) }),
  };
  return new TransactWriteCommand({
    TransactItems: [
      // A backdated record (stored without the current item) is marked, for the event dispatcher: its history item's
      // stream record is the one that announces it (lib/domain/events.ts). Nothing reads it otherwise.
      {
        Put: {
          TableName: tables.deployments,
          Item: history,
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...(options.withCurrent ? [{ Update: currentUpdate(tables.deployments, current, options.firstPrevious) }] : []),
      ...counterUpdates(tables.deployments, item, randomInt(COUNTER_SHARDS)),
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
 * Idempotency-Key (or 422 for another record, 409 while it is being written); `without-current` for a backdated
 * record; `retry` for a collision another attempt resolves; otherwise it throws (503 when DynamoDB is busy).
 */
const afterCancellation = (
  e: TransactionCanceledException,
  state: { idempotency: IdempotencyClaim | undefined; withCurrent: boolean; attempt: number },
): Recorded | 'without-current' | 'retry' => {
  const reasons: Array<CancellationReason | undefined> = e.CancellationReasons ?? [];
  const [history, currentReason] = reasons;
  const claim = state.idempotency ? reasons.at(-1) : undefined;
  if (state.idempotency && claim && isConditionFailed(claim)) {
    // ALL_OLD always returns the item that failed the condition.
    if (!claim.Item) throw new Error('DynamoDB returned no item for a failed Idempotency-Key condition', { cause: e });
    return replayOrRefuse(unmarshall(claim.Item) as IdempotencyItem, state.idempotency);
  }
  if (state.idempotency && claim?.Code === 'TransactionConflict') throw inFlight();
  if (state.withCurrent && isConditionFailed(currentReason)) return 'without-current';
  const busy = reasons.some((r) => r?.Code !== undefined && BUSY.has(r.Code));
  if (state.attempt < ATTEMPTS && (busy || isConditionFailed(history))) return 'retry';
  if (busy) throw new Unavailable('The deployment store is busy right now; nothing was recorded. Retry shortly.', { cause: e });
  throw e;
};
