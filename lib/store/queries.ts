import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import { MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../domain/deployment.ts';
import { INDEXES, type IndexName } from '../domain/keys.ts';
import { EXPIRES_AT } from '../domain/retention.ts';
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
  /** The time reads compare `expiresAt` with (epoch seconds; default now). */
  nowSeconds?: number | undefined;
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

/** A Query's key condition: the partition attribute (its value is `:p`, the caller's), within the sort key range. */
export const keyCondition = (attribute: string, range: PageRequest['range']) => {
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

/** Queries one page may make: expired records not yet deleted are read and left out, at most this many times over. */
const MAX_ROUNDS = 4;

/**
 * One page of one partition: `limit + 1` items are read so that a cursor is returned only when there is more to read.
 * Records whose `expiresAt` has passed (retention, lib/domain/retention.ts; DynamoDB's TTL deletes them up to days
 * later) are left out by a filter, which DynamoDB applies after reading: while expired records make a read come back
 * short, the page reads on from where it stopped, up to MAX_ROUNDS Queries, so a read costs O(page) whatever lies
 * expired. A page may therefore hold fewer than `limit` items (also when they are large: DynamoDB reads at most 1 MB a
 * request, and a read stopped there ends the page); it then ends with a cursor all the same, at the last item read. Table reads are strongly consistent (a
 * pipeline sees its own record); index reads are eventually consistent, as DynamoDB's indexes are.
 */
export const queryPage = async (client: DynamoDBDocumentClient, table: string, request: PageRequest): Promise<Page> => {
  const { partition, limit } = request;
  const attribute = partition.index ? INDEXES[partition.index] : 'pk';
  const condition = keyCondition(attribute, request.range);
  const start = request.cursor === undefined ? undefined : decodeCursor(request.cursor, partition, request.range);
  let startKey: Record<string, unknown> | undefined = start
    ? { pk: partition.index ? start.pk : partition.value, sk: start.sk, ...(partition.index ? { [attribute]: partition.value } : {}) }
    : undefined;
  const items: DeploymentItem[] = [];
  for (let round = 1; ; round++) {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        ...(partition.index ? { IndexName: partition.index } : { ConsistentRead: true }),
        ...condition,
        FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
        ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#expiresAt': EXPIRES_AT },
        ExpressionAttributeValues: {
          ...condition.ExpressionAttributeValues,
          ':p': partition.value,
          ':now': request.nowSeconds ?? Math.floor(Date.now() / 1000),
        },
        ScanIndexForward: request.ascending === true,
        Limit: limit + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as DeploymentItem[]));
    startKey = out.LastEvaluatedKey;
    // Read on only when expired records made this read short: DynamoDB read `limit + 1` and the filter left fewer. A
    // read that stopped at 1 MB (fewer read) ends the page, so that a page stays within what one read returns.
    const filteredShort = (out.ScannedCount ?? 0) >= limit + 1;
    if (items.length > limit || startKey === undefined || round >= MAX_ROUNDS || !filteredShort) break;
  }
  if (items.length > limit) {
    const page = items.slice(0, limit);
    const last = page.at(-1)!;
    return { items: page, cursor: encodeCursor({ sk: last.sk, pk: last.pk }, partition) };
  }
  // More to read (DynamoDB stopped at 1 MB, or the rounds ran out among expired records): on from the last item read.
  if (startKey === undefined) return { items };
  return { items, cursor: encodeCursor({ sk: String(startKey.sk), pk: String(startKey.pk) }, partition) };
};
