import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import type { DeploymentItem } from '../../lib/store/items.ts';
import { counterPartitionKey, currentPartitionKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { ensureTables, localClientConfig } from '../../infra/local/dynamodb.ts';
import type { LambdaHandler } from '../../infra/local/gateway.ts';
import type { TableNames } from '../../infra/tables.ts';
import { lambdaEnvironment } from '../support/lambda-env.ts';

export const TABLES: TableNames = { deployments: 'rel-deployments', feeds: 'rel-feeds', apiKeys: 'rel-api-keys', idempotency: 'rel-idempotency' };

/** A direct client to a local engine (not through any proxy), for setting up and for checking what was stored. */
export const directClient = (endpoint: string): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 10 }), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** Tables, a feed closed to anonymous users and a key allowed to record to it. */
export const seedWorld = async (endpoint: string, feed: string): Promise<{ key: string; revokedKey: string }> => {
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  await ensureTables(raw, TABLES);
  raw.destroy();
  const client = directClient(endpoint);
  await new FeedRepository(client, TABLES.feeds, TABLES).add(feed, []);
  const keys = new ApiKeyRepository(client, TABLES.apiKeys, TABLES.feeds);
  const { key } = await keys.add({ user: 'reliability', feeds: [feed], privileges: VIEW_AND_DOWNLOAD });
  const revoked = await keys.add({ user: 'revoked', feeds: [feed], privileges: VIEW_AND_DOWNLOAD });
  await keys.revoke(revoked.record.id);
  client.destroy();
  return { key, revokedKey: revoked.key };
};

/**
 * The deployed handler, loaded afresh (its own client, configuration and caches) with this environment, exactly as a
 * new Lambda execution environment would load it.
 */
export const loadHandler = async (fn: 'record-deployment' | 'query-deployments', env: Record<string, string>): Promise<LambdaHandler> => {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries({ ...lambdaEnvironment(TABLES), ...env })) {
    vi.stubEnv(name, value);
  }
  vi.resetModules();
  const module = (await import(`../../functions/${fn}/handler.ts`)) as { handler: LambdaHandler };
  return module.handler;
};

/** Every item of a partition, with a consistent read. */
export const partition = async (client: DynamoDBDocumentClient, pk: string): Promise<DeploymentItem[]> => {
  const items: DeploymentItem[] = [];
  for await (const page of paginateQuery(
    { client, pageSize: 1000 },
    { TableName: TABLES.deployments, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true },
  )) {
    items.push(...((page.Items ?? []) as DeploymentItem[]));
  }
  return items;
};

export type Completeness = { history: number; current: number; partial: string[] };

/**
 * The history records of a package and its current-per-target items must match: each target with history has a
 * current item pointing at its newest history record, and each current item points at a history record that exists.
 * Its deployment counters must count exactly its history records. Anything else is a partial write.
 */
export const checkComplete = async (client: DynamoDBDocumentClient, feed: string, pkg: string): Promise<Completeness> => {
  const history = await partition(client, deploymentPartitionKey(feed, undefined, pkg));
  const current = await partition(client, currentPartitionKey(feed, undefined, pkg));
  const partial: string[] = [];
  const newest = new Map<string, string>();
  for (const h of history) {
    const t = h.target.toLowerCase();
    if ((newest.get(t) ?? '') < h.sk) newest.set(t, h.sk);
  }
  const sks = new Set(history.map((h) => h.sk));
  const currentTargets = new Set<string>();
  for (const c of current as Array<DeploymentItem & { latest: string }>) {
    currentTargets.add(c.target.toLowerCase());
    if (!sks.has(c.latest)) partial.push(`current item of ${c.target} points at ${c.latest}, which is not in the history`);
    else if (newest.get(c.target.toLowerCase()) !== c.latest) partial.push(`current item of ${c.target} is not the newest record`);
  }
  for (const t of newest.keys()) if (!currentTargets.has(t)) partial.push(`target ${t} has history but no current item`);
  // The package's deployment counters, written in the same transactions, count exactly its history records.
  const counted = (await partition(client, counterPartitionKey({ feed, pkg }))).reduce((n, c) => n + Number((c as unknown as { count: number }).count), 0);
  if (counted !== history.length) partial.push(`the package's counters count ${counted} deployments; its history holds ${history.length}`);
  return { history: history.length, current: current.length, partial };
};

/** Every item of the deployments table (history and current items), for whole-table checks. */
export const scanDeployments = async (client: DynamoDBDocumentClient): Promise<DeploymentItem[]> => {
  const items: DeploymentItem[] = [];
  for await (const page of paginateScan({ client, pageSize: 1000 }, { TableName: TABLES.deployments, ConsistentRead: true })) {
    items.push(...((page.Items ?? []) as DeploymentItem[]));
  }
  return items;
};

export const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
