import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import { currentKey, feedIndexKey } from '../domain/keys.ts';
import { EXPIRES_AT, isExpired, wantedExpiry, type ReplacedRecord } from '../domain/retention.ts';
import { isConditionFailed } from './failures.ts';
import type { DeploymentItem } from './items.ts';
import { keyCondition } from './queries.ts';

/**
 * Retention's writes on the deployments table (the rule is lib/domain/retention.ts's):
 * - expireReplaced: the dispatcher's step for a record that stopped being its target's current one;
 * - applyRetentionPage: `retention apply`, one page of a feed's history at a time, from a resume token.
 */

/**
 * Gives the history item of a replaced record its expiry: only if the item still exists, has no expiry yet, and is
 * not its target's current record (a ConditionCheck on the current item, in the same transaction). Resolves false when
 * a condition says there is nothing to do.
 */
export const expireReplaced = async (client: DynamoDBDocumentClient, table: string, replaced: ReplacedRecord): Promise<boolean> => {
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: table,
              Key: replaced.current,
              ConditionExpression: 'attribute_not_exists(latest) OR latest <> :sk',
              ExpressionAttributeValues: { ':sk': replaced.history.sk },
            },
          },
          {
            Update: {
              TableName: table,
              Key: replaced.history,
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#e)',
              UpdateExpression: 'SET #e = :t',
              ExpressionAttributeNames: { '#e': EXPIRES_AT },
              ExpressionAttributeValues: { ':t': replaced.expiresAt },
            },
          },
        ],
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof TransactionCanceledException && (e.CancellationReasons ?? []).some((r) => isConditionFailed(r))) return false;
    throw e;
  }
};

/** Where `retention apply` (and `export`) resume: a history item's table and byFeed keys, as an opaque token. */
type ResumeKey = { pk: string; sk: string; feedPk: string };

export const encodeResume = (item: ResumeKey): string => Buffer.from(JSON.stringify([item.pk, item.sk, item.feedPk])).toString('base64url');

const decodeResume = (token: string, feedPk: string): ResumeKey => {
  const bad = () =>
    new InvalidInput({
      detail: 'the resume token is not one this command printed for this feed.',
      errors: [{ field: 'from-cursor', detail: 'is not valid.' }],
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || !decoded.every((v) => typeof v === 'string')) throw bad();
  const [pk, sk, fpk] = decoded as [string, string, string];
  if (fpk !== feedPk || !pk.startsWith('F#')) throw bad();
  return { pk, sk, feedPk };
};

/** One page of a feed's history in Date order (the byFeed index), from a resume token, with the token after it. */
export const feedHistoryPage = async (
  client: DynamoDBDocumentClient,
  table: string,
  request: { feedName: string; after?: string | undefined; limit: number; range?: { low?: string | undefined; high?: string | undefined } },
): Promise<{ items: DeploymentItem[]; next?: string }> => {
  const feedPk = feedIndexKey(request.feedName);
  const start = request.after === undefined ? undefined : decodeResume(request.after, feedPk);
  const condition = keyCondition('feedPk', request.range);
  const out = await client.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'byFeed',
      ...condition,
      ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':p': feedPk },
      ScanIndexForward: true,
      Limit: request.limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  const items = (out.Items ?? []) as DeploymentItem[];
  const last = out.LastEvaluatedKey as ResumeKey | undefined;
  return { items, ...(last ? { next: encodeResume(last) } : {}) };
};

export type CurrentOf = { latest: string; previousVersion?: string | null | undefined };

/**
 * The current items of the targets of these history items, by the history item's `sk` when it is its target's current
 * record (BatchGetItem, 100 keys a request, unprocessed keys asked again).
 */
export const currentRecords = async (client: DynamoDBDocumentClient, table: string, items: DeploymentItem[]): Promise<Map<string, CurrentOf>> => {
  const targetOf = (item: DeploymentItem) => currentKey(item.feedName, item.groupName, item.packageName, item.target);
  const keys = [
    ...new Map(
      items.map((item) => {
        const k = targetOf(item);
        return [`${k.pk}\n${k.sk}`, k] as const;
      }),
    ).values(),
  ];
  const latest = await latestOf(client, table, keys);
  return new Map([...latest.values()].map((c) => [c.latest, c]));
};

/** The `latest` of each current item named, by `pk\nsk` (BatchGetItem, 100 keys a request, unprocessed keys asked again). */
const latestOf = async (client: DynamoDBDocumentClient, table: string, keys: Array<{ pk: string; sk: string }>): Promise<Map<string, CurrentOf>> => {
  const latest = new Map<string, CurrentOf>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, { Keys: Array<Record<string, unknown>>; ProjectionExpression: string; ConsistentRead: boolean }> | undefined = {
      [table]: { Keys: keys.slice(i, i + 100), ProjectionExpression: 'pk, sk, latest, previousVersion', ConsistentRead: true },
    };
    while (pending && Object.keys(pending).length > 0) {
      const out = await client.send(new BatchGetCommand({ RequestItems: pending }));
      for (const item of out.Responses?.[table] ?? []) {
        latest.set(`${String(item.pk)}\n${String(item.sk)}`, {
          latest: String(item.latest),
          previousVersion: item.previousVersion as string | null | undefined,
        });
      }
      pending = out.UnprocessedKeys as typeof pending;
    }
  }
  return latest;
};

export type RetentionPage = { read: number; changed: number; next?: string };

/**
 * `retention apply`, one page: each history item of the page gets the expiry the feed's retention wants (none while it
 * is its target's current record, or forever), set or removed where it differs. An item already expired stays so (it
 * is out of the reads, and DynamoDB may delete it any moment). With `dryRun`, only counts.
 */
export const applyRetentionPage = async (
  client: DynamoDBDocumentClient,
  table: string,
  request: { feedName: string; retainDays: number | undefined; after?: string | undefined; limit: number; nowSeconds: number; dryRun?: boolean },
): Promise<RetentionPage> => {
  const page = await feedHistoryPage(client, table, { feedName: request.feedName, after: request.after, limit: request.limit });
  const current = await currentRecords(client, table, page.items);
  let changed = 0;
  for (const item of page.items) {
    const stored = (item as DeploymentItem & { expiresAt?: unknown }).expiresAt;
    if (isExpired(stored, request.nowSeconds)) continue;
    const wanted = wantedExpiry(item, { retainDays: request.retainDays, current: current.has(item.sk) });
    if (wanted === stored || (wanted === undefined && stored === undefined)) continue;
    changed++;
    if (request.dryRun) continue;
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: wanted === undefined ? 'REMOVE #e' : 'SET #e = :t',
          ExpressionAttributeNames: { '#e': EXPIRES_AT },
          ...(wanted === undefined ? {} : { ExpressionAttributeValues: { ':t': wanted } }),
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e; // deleted meanwhile (a purge): nothing to expire
    }
  }
  return { read: page.items.length, changed, ...(page.next !== undefined ? { next: page.next } : {}) };
};
