import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import { MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../domain/deployment.ts';
import { INDEXES, type IndexName } from '../domain/keys.ts';
import type { DeploymentItem } from './items.ts';

/** Which partition to read: the table's own (`pk`), or one of its indexes. */
export type Partition = { index?: IndexName | undefined; value: string };

export type PageRequest = {
  partition: Partition;
  /** Inclusive bounds on the sort key (see sortKeyRange). */
  range?: { low?: string | undefined; high?: string | undefined };
  /** Newest first unless true (current items read in target order). */
  ascending?: boolean;
  limit: number;
  cursor?: string | undefined;
};

export type Page = { items: DeploymentItem[]; cursor?: string };

/**
 * Cursors are the position after the last item returned: its sort key and, for index reads, its table key (both parts
 * of an index's ExclusiveStartKey), with a tag of the partition read (index and key). The partition comes from the
 * request itself, so a cursor cannot move a read to another partition, and a cursor from another query (whose
 * position would skip records silently) is a 400, as is one that does not decode to that shape.
 */
type Position = { sk: string; pk: string };
const MAX_CURSOR = 4096;

const partitionTag = (partition: Partition): string =>
  createHash('sha256')
    .update(`${partition.index ?? 'table'}\n${partition.value}`)
    .digest('base64url')
    .slice(0, 16);

const encodeCursor = (position: Position, partition: Partition): string =>
  Buffer.from(JSON.stringify([position.sk, position.pk, partitionTag(partition)])).toString('base64url');

const decodeCursor = (cursor: string, partition: Partition, range?: PageRequest['range']): Position => {
  const bad = () =>
    new InvalidInput({
      detail: 'cursor is not a cursor this API returned for this query; start again without it.',
      errors: [{ field: 'cursor', detail: 'cursor is not valid.' }],
    });
  if (cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw Object.assign(bad(), { cause });
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) throw bad();
  const [sk, pk, tag] = decoded as unknown[];
  if (typeof sk !== 'string' || typeof pk !== 'string' || sk === '' || !/^(C#)?F#/.test(pk)) throw bad();
  if (tag !== partitionTag(partition)) throw bad();
  // Within DynamoDB's key limits, and inside the query's own range: DynamoDB refuses any other start key
  // (a ValidationException, which must not become a 500).
  if (Buffer.byteLength(sk) > MAX_SORT_KEY_BYTES || Buffer.byteLength(pk) > MAX_PARTITION_KEY_BYTES) throw bad();
  if ((range?.low !== undefined && sk < range.low) || (range?.high !== undefined && sk > range.high)) throw bad();
  return { sk, pk };
};

const keyCondition = (attribute: string, range: PageRequest['range']) => {
  const low = range?.low;
  const high = range?.high;
  const sk =
    low !== undefined && high !== undefined
      ? ' AND sk BETWEEN :low AND :high'
      : low !== undefined
        ? ' AND sk >= :low'
        : high !== undefined
          ? ' AND sk <= :high'
          : '';
  return {
    KeyConditionExpression: `#p = :p${sk}`,
    ExpressionAttributeNames: { '#p': attribute },
    ExpressionAttributeValues: {
      ...(low !== undefined ? { ':low': low } : {}),
      ...(high !== undefined ? { ':high': high } : {}),
    },
  };
};

/**
 * One page of one partition, in one Query: `limit + 1` items are read so that a cursor is returned only when there is
 * more to read. A page may hold fewer than `limit` items when they are large (DynamoDB reads at most 1 MB a request);
 * it then ends with a cursor all the same. Table reads are strongly consistent (a pipeline sees its own record); index reads are eventually
 * consistent, as DynamoDB's indexes are.
 */
export const queryPage = async (client: DynamoDBDocumentClient, table: string, request: PageRequest): Promise<Page> => {
  const { partition, limit } = request;
  const attribute = partition.index ? INDEXES[partition.index] : 'pk';
  const condition = keyCondition(attribute, request.range);
  const start = request.cursor === undefined ? undefined : decodeCursor(request.cursor, partition, request.range);
  const out = await client.send(
    new QueryCommand({
      TableName: table,
      ...(partition.index ? { IndexName: partition.index } : { ConsistentRead: true }),
      ...condition,
      ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':p': partition.value },
      ScanIndexForward: request.ascending === true,
      Limit: limit + 1,
      ...(start
        ? {
            ExclusiveStartKey: { pk: partition.index ? start.pk : partition.value, sk: start.sk, ...(partition.index ? { [attribute]: partition.value } : {}) },
          }
        : {}),
    }),
  );
  const items = (out.Items ?? []) as DeploymentItem[];
  // More to read: the extra item came back, or DynamoDB stopped at its 1 MB per request before `limit + 1` items (large
  // records), in which case the page is shorter than `limit` and still ends with a cursor.
  const more = items.length > limit || (out.LastEvaluatedKey !== undefined && items.length > 0);
  if (!more) return { items };
  const page = items.slice(0, limit);
  const last = page.at(-1)!;
  return { items: page, cursor: encodeCursor({ sk: last.sk, pk: last.pk }, partition) };
};
