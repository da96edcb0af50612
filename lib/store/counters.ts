import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterRange, type CounterDimension, counterPartitionKey, parseCounterSortKey } from '../domain/keys.ts';

/**
 * The per-day deployment counters of one dimension (a feed, a package, a target, a package on a target) from `fromDay`
 * to `toDay` (inclusive), one entry per day, region and shard that has any: O(days x regions x shards), whatever the
 * history's length. The record transaction keeps them (counterUpdates in deployments.ts); `counters backfill` rebuilds them.
 */
export const readDailyCounts = async (
  client: DynamoDBDocumentClient,
  table: string,
  dimension: CounterDimension,
  fromDay: string,
  toDay: string,
): Promise<Array<{ day: string; region: string; count: number }>> => {
  const { low, high } = counterRange(fromDay, toDay);
  const counts: Array<{ day: string; region: string; count: number }> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :low AND :high',
        ExpressionAttributeValues: { ':p': counterPartitionKey(dimension), ':low': low, ':high': high },
        ExpressionAttributeNames: { '#count': 'count' },
        ProjectionExpression: 'sk, #count',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const { day, region } = parseCounterSortKey(String(item.sk));
      counts.push({ day, region, count: Number(item.count ?? 0) });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return counts;
};
