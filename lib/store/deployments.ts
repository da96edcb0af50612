import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import { IdempotencyMismatch, InProgress, Unavailable } from '../domain/errors.ts';
import type { IdempotencyClaim } from '../domain/idempotency.ts';
import type { NewDeployment } from '../domain/record.ts';
import {
  currentKey,
  deploymentPartitionKey,
  deploymentSortKey,
  feedIndexKey,
  targetIndexKey,
  versionIndexKey,
} from '../domain/keys.ts';
import type { DeploymentItem, IdempotencyItem } from './items.ts';

export type DeploymentTables = { deployments: string; idempotency: string };

export type Recorded = { item: DeploymentItem; replayed: boolean };

const nextId = monotonicFactory();
/** Attempts in all, for collisions a retry resolves (a clashing id, a concurrent transaction on the same item). */
const ATTEMPTS = 4;
/** Cancellation reasons that mean "not now": another transaction on the same item, or throttling. */
const BUSY = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** The history record, with its sort key and the keys of the indexes it appears in. */
export const historyItem = (record: NewDeployment, id: string): DeploymentItem => ({
  pk: deploymentPartitionKey(record.feedName, record.groupName, record.packageName),
  sk: deploymentSortKey(record.date, id),
  id,
  feedPk: feedIndexKey(record.feedName),
  targetPk: targetIndexKey(record.feedName, record.target),
  versionPk: versionIndexKey(record.feedName, record.groupName, record.packageName, record.version),
  ...record,
});

/** The target's current item: the same record under the current-state key, without index keys. */
const currentItem = (item: DeploymentItem) => {
  const { pk: _pk, sk, feedPk: _f, targetPk: _t, versionPk: _v, ...record } = item;
  return { ...currentKey(item.feedName, item.groupName, item.packageName, item.target), latest: sk, ...record };
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
 * 2. the target's current item, on condition that it holds an older record (by date, then id), so a backdated record
 *    never replaces a newer one; if it does hold a newer one, the record is stored without it (a second round trip,
 *    only for backdated records);
 * 3. with an Idempotency-Key, the claim, on condition that the key is unused (or expired): the record and the claim
 *    commit together, so a retry gets the first answer and nothing is stored twice, even if this function dies mid-way.
 */
export const putDeployment = async (
  client: DynamoDBDocumentClient,
  tables: DeploymentTables,
  record: NewDeployment,
  options: { idempotency?: IdempotencyClaim | undefined; newId?: (seedTime?: number) => string } = {},
): Promise<Recorded> => {
  const { idempotency } = options;
  const newId = options.newId ?? nextId;
  let withCurrent = true;
  const receivedMs = Date.parse(record.receivedAt);
  for (let attempt = 1; ; attempt++) {
    const item = historyItem(record, newId(receivedMs));
    const current = currentItem(item);
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            // A backdated record (stored without the current item) is marked, for the event dispatcher: its history
            // item's stream record is the one that announces it (lib/domain/events.ts). Nothing reads it otherwise.
            {
              Put: {
                TableName: tables.deployments,
                Item: withCurrent ? item : { ...item, backdated: true },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...(withCurrent
              ? [
                  {
                    Put: {
                      TableName: tables.deployments,
                      Item: current,
                      ConditionExpression: 'attribute_not_exists(pk) OR latest < :latest',
                      ExpressionAttributeValues: { ':latest': current.latest },
                    },
                  },
                ]
              : []),
            ...(idempotency
              ? [
                  {
                    Put: {
                      TableName: tables.idempotency,
                      Item: { ...idempotency, record: item } satisfies IdempotencyItem,
                      ConditionExpression: 'attribute_not_exists(id) OR expiresAt < :now',
                      ExpressionAttributeValues: { ':now': Math.floor(receivedMs / 1000) },
                      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return { item, replayed: false };
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const reasons: Array<CancellationReason | undefined> = e.CancellationReasons ?? [];
      const [history, currentReason] = reasons;
      const claim = idempotency ? reasons.at(-1) : undefined;
      if (idempotency && claim?.Code === 'ConditionalCheckFailed') {
        // ALL_OLD always returns the item that failed the condition.
        if (!claim.Item) throw new Error('DynamoDB returned no item for a failed Idempotency-Key condition', { cause: e });
        return replayOrRefuse(unmarshall(claim.Item) as IdempotencyItem, idempotency);
      }
      if (idempotency && claim?.Code === 'TransactionConflict') throw inFlight();
      if (withCurrent && currentReason?.Code === 'ConditionalCheckFailed') {
        withCurrent = false; // backdated: the target's current record is newer
        continue;
      }
      const busy = reasons.some((r) => r?.Code !== undefined && BUSY.has(r.Code));
      if (attempt < ATTEMPTS && (busy || history?.Code === 'ConditionalCheckFailed')) {
        await sleep(10 * attempt + Math.random() * 20);
        continue;
      }
      if (busy) {
        throw new Unavailable('The deployment store is busy right now; nothing was recorded. Retry shortly.', { cause: e });
      }
      throw e;
    }
  }
};
