import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterRange, type CounterDimension, counterPartitionKey, parseCounterSortKey } from '../domain/keys.ts';

/** The items of a Query of one counter partition between two sort keys (inclusive), with a projection, every page. */
export async function* queryRange(
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
  range: { low: string; high: string },
  names: Record<string, string>,
): AsyncGenerator<Record<string, unknown>> {
  const pages = paginateQuery(
    { client },
    {
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: { ':p': pk, ':low': range.low, ':high': range.high },
      ExpressionAttributeNames: names,
      ProjectionExpression: ['sk', ...Object.keys(names)].join(', '),
    },
  );
  for await (const page of pages) yield* page.Items ?? [];
}

/**
 * The per-day counts and failures of one dimension (a feed, a package, a target, a package on a target) from `fromDay`
 * to `toDay` (inclusive), one entry per day, region and shard that has any: O(days x regions x shards), whatever the
 * history's length. The record transaction keeps them (counterUpdates in deployments.ts); `counters backfill` rebuilds them.
 */
export const readDailyCounts = async (
  client: DynamoDBDocumentClient,
  table: string,
  dimension: CounterDimension,
  fromDay: string,
  toDay: string,
): Promise<Array<{ day: string; region: string; count: number; failed: number }>> => {
  const counts = [];
  const names = { '#count': 'count', '#failed': 'failed' };
  for await (const item of queryRange(client, table, counterPartitionKey(dimension), counterRange(fromDay, toDay), names)) {
    const { day, region } = parseCounterSortKey(String(item.sk));
    counts.push({ day, region, count: Number(item.count ?? 0), failed: Number(item.failed ?? 0) });
  }
  return counts;
};
