import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { counterPartitionKey, feedIndexKey } from '../domain/keys.ts';

/**
 * What is stored under a feed's name, for `feeds add` (are there records a new feed would inherit?) and
 * `feeds remove --purge` (delete them). Records are keyed by the folded feed name (see lib/domain/keys.ts), so every
 * history record of a feed is in the `byFeed` index partition of its name; current items and Idempotency-Key claims
 * are found from there.
 */
export type FeedRecordTables = { deployments: string; idempotency: string };

const feedPartition = (feedName: string) => ({
  IndexName: 'byFeed',
  KeyConditionExpression: 'feedPk = :f',
  ExpressionAttributeValues: { ':f': feedIndexKey(feedName) },
});

/** Whether any history record is stored under the name: one Query of at most one item. */
export const hasRecords = async (client: DynamoDBDocumentClient, table: string, feedName: string): Promise<boolean> => {
  const out = await client.send(new QueryCommand({ TableName: table, ...feedPartition(feedName), Limit: 1, ProjectionExpression: 'pk' }));
  return (out.Items?.length ?? 0) > 0;
};

/** How many history records are stored under the name (Select COUNT, page by page: 1 MB of index per page). */
export const countRecords = async (client: DynamoDBDocumentClient, table: string, feedName: string): Promise<number> => {
  let count = 0;
  for await (const page of paginateQuery({ client }, { TableName: table, ...feedPartition(feedName), Select: 'COUNT' })) {
    count += page.Count ?? 0;
  }
  return count;
};

/**
 * The ids of every history record stored under the name (page by page, only the `id` attribute): what `import` skips,
 * since a record's key is its package and Date, not its id alone.
 */
export const recordIds = async (client: DynamoDBDocumentClient, table: string, feedName: string): Promise<Set<string>> => {
  const ids = new Set<string>();
  const query = { TableName: table, ...feedPartition(feedName), ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': 'id' } };
  for await (const page of paginateQuery({ client }, query)) {
    for (const item of page.Items ?? []) if (typeof item.id === 'string') ids.add(item.id);
  }
  return ids;
};

const BATCH = 25;
const UNPROCESSED_RETRIES = 8;

/** Deletes items by key, 25 per BatchWriteItem (its limit), re-sending unprocessed ones with backoff. */
const deleteAll = async (client: DynamoDBDocumentClient, table: string, keys: Array<Record<string, unknown>>): Promise<number> => {
  for (let i = 0; i < keys.length; i += BATCH) {
    let pending: BatchWriteCommandInput['RequestItems'] = {
      [table]: keys.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } })),
    };
    for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) throw new Error(`DynamoDB kept refusing deletes on ${table}; run the purge again.`);
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const out: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: pending }));
      pending = out.UnprocessedItems;
    }
  }
  return keys.length;
};

export type Purged = { history: number; current: number; claims: number; counters: number };

/** Every key of the given partitions of the deployments table. */
const keysOf = async (client: DynamoDBDocumentClient, table: string, partitions: Iterable<string>): Promise<Array<{ pk: string; sk: string }>> => {
  const keys: Array<{ pk: string; sk: string }> = [];
  for (const pk of partitions) {
    for await (const page of paginateQuery(
      { client },
      { TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, ProjectionExpression: 'pk, sk' },
    )) {
      for (const item of page.Items ?? []) keys.push({ pk: item.pk as string, sk: item.sk as string });
    }
  }
  return keys;
};

/**
 * Deletes everything keyed by the feed's name: its history records, the current items of its packages' targets, its
 * deployment counters (the feed's, and those of its packages and targets, found from the history), and
 * the Idempotency-Key claims that would replay one of its records (a Scan of the claims table, which holds 24 hours
 * of claims). Safe to run again after an interruption: it deletes what is left.
 */
export const purgeRecords = async (client: DynamoDBDocumentClient, tables: FeedRecordTables, feedName: string): Promise<Purged> => {
  const history: Array<{ pk: string; sk: string }> = [];
  const targets = new Set<string>();
  for await (const page of paginateQuery({ client }, { TableName: tables.deployments, ...feedPartition(feedName), ProjectionExpression: 'pk, sk, targetPk' })) {
    for (const item of page.Items ?? []) {
      history.push({ pk: item.pk as string, sk: item.sk as string });
      targets.add(`${item.pk as string}\n${item.targetPk as string}`);
    }
  }
  // The counter partitions (see counterPartitionKey): the feed's, each package's, each target's, each package's target's.
  const counterPartitions = new Set([counterPartitionKey({ feed: feedName })]);
  for (const pair of targets) {
    const [pk, targetPk] = pair.split('\n') as [string, string];
    const target = targetPk.slice(targetPk.lastIndexOf('#T#') + 3);
    counterPartitions.add(`N#${pk}`).add(`N#${targetPk}`).add(`N#${pk}#T#${target}`);
  }
  const counters = await keysOf(client, tables.deployments, counterPartitions);
  const current: Array<{ pk: string; sk: string }> = [];
  for (const pk of new Set(history.map((h) => h.pk))) {
    for await (const page of paginateQuery(
      { client },
      {
        TableName: tables.deployments,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': `C#${pk}` },
        ProjectionExpression: 'pk, sk',
      },
    )) {
      for (const item of page.Items ?? []) current.push({ pk: item.pk as string, sk: item.sk as string });
    }
  }
  const claims: Array<{ id: string }> = [];
  for await (const page of paginateScan(
    { client },
    {
      TableName: tables.idempotency,
      FilterExpression: '#r.feedPk = :f',
      ExpressionAttributeNames: { '#r': 'record' },
      ExpressionAttributeValues: { ':f': feedIndexKey(feedName) },
      ProjectionExpression: 'id',
    },
  )) {
    for (const item of page.Items ?? []) claims.push({ id: item.id as string });
  }
  // Current items first: a purge cut short leaves history records, which the next `feeds add` finds and reports.
  return {
    current: await deleteAll(client, tables.deployments, current),
    counters: await deleteAll(client, tables.deployments, counters),
    claims: await deleteAll(client, tables.idempotency, claims),
    history: await deleteAll(client, tables.deployments, history),
  };
};
