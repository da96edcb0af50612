import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DayCounts } from '../domain/dora.ts';
import { counterRange, type CounterDimension, counterPartitionKey, parseCounterSortKey } from '../domain/keys.ts';

/**
 * The per-day counters of one dimension (a feed, a package, a target, a package on a target) from `fromDay`
 * to `toDay` (inclusive), one entry per day, region and shard that has any: O(days x regions x shards), whatever the
 * history's length. The record transaction keeps them (counterUpdates in deployments.ts); `counters backfill` rebuilds them.
 */
export const readDailyCounts = async (
  client: DynamoDBDocumentClient,
  table: string,
  dimension: CounterDimension,
  fromDay: string,
  toDay: string,
  options: { dora?: boolean } = {},
): Promise<DayCounts[]> => {
  const { low, high } = counterRange(fromDay, toDay);
  const counts: DayCounts[] = [];
  // The frequency read needs the counts and failures only; the DORA read the lead and restore times too.
  const names: Record<string, string> = options.dora
    ? { '#count': 'count', '#failed': 'failed', '#lead': 'leadTimes', '#restore': 'restoreTimes' }
    : { '#count': 'count', '#failed': 'failed' };
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :low AND :high',
        ExpressionAttributeValues: { ':p': counterPartitionKey(dimension), ':low': low, ':high': high },
        ExpressionAttributeNames: names,
        ProjectionExpression: ['sk', ...Object.keys(names)].join(', '),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const { day, region } = parseCounterSortKey(String(item.sk));
      counts.push({
        day,
        region,
        count: Number(item.count ?? 0),
        failed: Number(item.failed ?? 0),
        leadTimes: ((item.leadTimes as unknown[] | undefined) ?? []).map(Number),
        restoreTimes: ((item.restoreTimes as unknown[] | undefined) ?? []).map(Number),
      });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return counts;
};
