import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../domain/deployment.ts';
import { InvalidInput } from '../domain/errors.ts';
import { feedIndexKey, OVERVIEW_INDEX } from '../domain/keys.ts';
import type { CurrentItem } from './items.ts';

/**
 * A feed's current items, a page of packages at a time, from the overview index (see OVERVIEW_INDEX): its sort key
 * keeps each package's targets together, so a page is read in as many Queries as its items need (usually one) and
 * never splits a package. Costs O(current items of the page), whatever the history's length.
 */
export type OverviewRequest = {
  feedName: string;
  /** An overview sort key prefix (a group's), narrowing the Query itself. */
  prefix?: string | undefined;
  /** Packages per page. */
  limit: number;
  cursor?: string | undefined;
  /** Which targets to show; a package with none left is left out (but still read). */
  keep: (item: CurrentItem) => boolean;
};
export type OverviewPage = { packages: CurrentItem[][]; cursor?: string };

/**
 * Items read per request at most, beyond which the page ends at the next package boundary (with a cursor): filters
 * that leave few targets must not turn one request into a read of the whole feed.
 */
export const READ_BUDGET = 2000;
/** Targets a page's Queries assume per package when sizing their Limit (more are read in further Queries). */
const TARGETS_GUESS = 10;

type Position = { overviewSk: string; pk: string; sk: string };

const tag = (feedName: string, prefix: string | undefined): string =>
  createHash('sha256')
    .update(`${OVERVIEW_INDEX.name}\n${feedIndexKey(feedName)}\n${prefix ?? ''}`)
    .digest('base64url')
    .slice(0, 16);

const encodeCursor = (p: Position, request: OverviewRequest): string =>
  Buffer.from(JSON.stringify([p.overviewSk, p.pk, p.sk, tag(request.feedName, request.prefix)])).toString('base64url');

const decodeCursor = (cursor: string, request: OverviewRequest): Position => {
  const bad = () =>
    new InvalidInput({
      detail: 'cursor is not a cursor this API returned for this query; start again without it.',
      errors: [{ field: 'cursor', detail: 'cursor is not valid.' }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw Object.assign(bad(), { cause });
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || !decoded.every((part) => typeof part === 'string')) throw bad();
  const [overviewSk, pk, sk, t] = decoded as string[];
  if (t !== tag(request.feedName, request.prefix)) throw bad();
  // Shaped as the keys are, within DynamoDB's limits and the Query's own range: DynamoDB refuses any other start key.
  if (!overviewSk!.startsWith(request.prefix ?? 'G#') || !pk!.startsWith('C#F#') || !sk!.startsWith('T#')) throw bad();
  if (Buffer.byteLength(overviewSk!) > MAX_SORT_KEY_BYTES || Buffer.byteLength(sk!) > MAX_SORT_KEY_BYTES || Buffer.byteLength(pk!) > MAX_PARTITION_KEY_BYTES) {
    throw bad();
  }
  return { overviewSk: overviewSk!, pk: pk!, sk: sk! };
};

export const queryOverview = async (client: DynamoDBDocumentClient, table: string, request: OverviewRequest): Promise<OverviewPage> => {
  const partition = feedIndexKey(request.feedName);
  const position = request.cursor === undefined ? undefined : decodeCursor(request.cursor, request);
  let start: Record<string, unknown> | undefined = position && {
    [OVERVIEW_INDEX.partitionKey]: partition,
    [OVERVIEW_INDEX.sortKey]: position.overviewSk,
    pk: position.pk,
    sk: position.sk,
  };
  const packages: CurrentItem[][] = [];
  let targets: CurrentItem[] = [];
  let last: CurrentItem | undefined; // the last item of the last complete package
  let read = 0;
  const finish = () => {
    const kept = targets.filter(request.keep);
    if (kept.length > 0) packages.push(kept);
    last = targets.at(-1);
    targets = [];
  };
  for (;;) {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: OVERVIEW_INDEX.name,
        KeyConditionExpression: request.prefix !== undefined ? '#p = :p AND begins_with(#s, :prefix)' : '#p = :p',
        ExpressionAttributeNames: { '#p': OVERVIEW_INDEX.partitionKey, ...(request.prefix !== undefined ? { '#s': OVERVIEW_INDEX.sortKey } : {}) },
        ExpressionAttributeValues: { ':p': partition, ...(request.prefix !== undefined ? { ':prefix': request.prefix } : {}) },
        Limit: Math.min(1000, Math.max(1, request.limit - packages.length) * TARGETS_GUESS + 1),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of (out.Items ?? []) as CurrentItem[]) {
      if (targets.length > 0 && item.pk !== targets[0]!.pk) {
        finish();
        // The first item of the next package: stop here if the page is full or its budget spent.
        if (packages.length >= request.limit || read >= READ_BUDGET) {
          return { packages, cursor: encodeCursor({ overviewSk: last!.overviewSk!, pk: last!.pk, sk: last!.sk }, request) };
        }
      }
      targets.push(item);
      read++;
    }
    if (out.LastEvaluatedKey === undefined) {
      if (targets.length > 0) finish();
      return { packages };
    }
    start = out.LastEvaluatedKey;
  }
};
