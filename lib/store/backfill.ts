import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateScan, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countingDay } from '../domain/frequency.ts';
import { counterPartitionKeys, counterSortKey, currentKey, feedIndexKey, foldName, overviewKeys } from '../domain/keys.ts';
import type { CurrentItem, DeploymentItem } from './items.ts';

/**
 * `counters backfill`: brings data written before the overview and the counters existed up to date, in one Scan of the
 * deployments table (optionally of one feed's items):
 * - the deployment counters are rebuilt from the history: each (dimension, day, region) counter is SET to its count
 *   (not ADDed), and counters that no record backs are deleted, so running it again changes nothing;
 * - each current item gets the overview index's keys, and the version its target ran before (from the history: the
 *   record before the current one) where it has none yet; on condition that it still holds the same record, so a
 *   deployment recorded meanwhile (which sets both itself) is left as it is.
 * A record written while it runs may be counted by the transaction and then overwritten by a count taken just before
 * it: run it again once traffic is quiet, and the counts are exact.
 */
export type BackfillResult = { records: number; counters: number; countersRemoved: number; currentUpdated: number; currentSkipped: number };

const CONCURRENCY = 16;

const inParallel = async <T>(items: T[], work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
};

export const backfill = async (client: DynamoDBDocumentClient, table: string, options: { feed?: string | undefined } = {}): Promise<BackfillResult> => {
  const feedKey = options.feed !== undefined ? feedIndexKey(options.feed) : undefined;
  const inFeed = (feedName: string) => options.feed === undefined || foldName(feedName) === foldName(options.feed);
  const counts = new Map<string, number>(); // `${pk}\n${sk}` -> count
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
        // Rebuilt counts go to shard 0; the other shards' items are then stale, and deleted below.
        const sk = counterSortKey(countingDay(record), record.region, 0);
        for (const counter of counterPartitionKeys(record.feedName, record.groupName, record.packageName, record.target)) {
          const key = `${counter}\n${sk}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const target = currentKey(record.feedName, record.groupName, record.packageName, record.target);
        const id = `${target.pk}\n${target.sk}`;
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

  await inParallel([...counts], async ([key, count]) => {
    const [pk, sk] = key.split('\n') as [string, string];
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk },
        UpdateExpression: 'SET #count = :n',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':n': count },
      }),
    );
  });
  const stale = existingCounters.filter((c) => !counts.has(`${c.pk}\n${c.sk}`));
  await inParallel(stale, async (key) => {
    await client.send(new DeleteCommand({ TableName: table, Key: key }));
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
  return { records, counters: counts.size, countersRemoved: stale.length, currentUpdated, currentSkipped };
};
