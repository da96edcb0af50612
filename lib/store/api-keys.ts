import { randomBytes } from 'node:crypto';
import { BatchGetCommand, PutCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { ApiKeyRecord } from '../domain/auth.ts';
import { feedKey, foldName, hashApiKey } from '../domain/keys.ts';
import { isConditionFailed } from './failures.ts';
import { ApiKeyItem, FeedItem } from './items.ts';
import { isTrustItemKey } from './trust-items.ts';

export type NewApiKey = {
  user: string;
  /** Feed names; empty means every feed. Each must exist: the key binds to the feed's id. */
  feeds: string[];
  privileges: string[];
  expiresAt?: string | undefined;
  /** An existing key to import (e.g. from ProGet); otherwise one is generated. */
  key?: string | undefined;
};

/** A new key: 256 bits from the OS's CSPRNG, base64url (43 characters). */
const generateApiKey = (): string => randomBytes(32).toString('base64url');

/** The key as listed: everything but the hash, which is not shown either. */
export type ApiKeySummary = Omit<ApiKeyRecord, 'keyHash'>;

/**
 * API key administration. Keys are stored only as their SHA-256; the key itself is returned once, on creation. A key
 * scoped to feeds binds to their ids (see coversFeed), so it does not work on a feed created later under one of the
 * names.
 */
export class ApiKeyRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #feedsTable: string;

  constructor(client: DynamoDBDocumentClient, table: string, feedsTable: string) {
    this.#client = client;
    this.#table = table;
    this.#feedsTable = feedsTable;
  }

  /** The ids of the named feeds, in one BatchGetItem; an Error naming the feeds that do not exist. */
  async #feedIds(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const out = await this.#client.send(new BatchGetCommand({ RequestItems: { [this.#feedsTable]: { Keys: names.map(feedKey), ConsistentRead: true } } }));
    if (out.UnprocessedKeys && Object.keys(out.UnprocessedKeys).length > 0) throw new Error('DynamoDB is busy; try again.');
    const found = new Map((out.Responses?.[this.#feedsTable] ?? []).map((item) => FeedItem.parse(item)).map((f) => [f.name, f.id]));
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) {
      throw new Error(`No feed named ${missing.join(', ')}; add the feed first (a key is bound to the feed itself, not to its name).`);
    }
    return names.map((n) => found.get(n)!);
  }

  async add(spec: NewApiKey, now = new Date()): Promise<{ key: string; record: ApiKeySummary }> {
    const key = spec.key ?? generateApiKey();
    const feeds = [...new Set(spec.feeds.map(foldName))];
    const record: ApiKeyRecord = {
      keyHash: hashApiKey(key),
      id: ulid(now.getTime()),
      user: spec.user,
      allFeeds: feeds.length === 0,
      feeds,
      feedIds: await this.#feedIds(feeds),
      privileges: [...new Set(spec.privileges)],
      ...(spec.expiresAt !== undefined ? { expiresAt: spec.expiresAt } : {}),
      revoked: false,
      createdAt: now.toISOString(),
    };
    try {
      await this.#client.send(new PutCommand({ TableName: this.#table, Item: record, ConditionExpression: 'attribute_not_exists(keyHash)' }));
    } catch (e) {
      if (isConditionFailed(e)) throw new Error('That key is already registered.', { cause: e });
      throw e;
    }
    const { keyHash: _hash, ...summary } = record;
    return { key, record: summary };
  }

  async list(): Promise<ApiKeySummary[]> {
    const keys: ApiKeySummary[] = [];
    for await (const page of paginateScan({ client: this.#client }, { TableName: this.#table })) {
      for (const item of page.Items ?? []) {
        // The feeds' trust policies share the table (see trust-policies.ts); they are no keys.
        if (isTrustItemKey(item.keyHash)) continue;
        const { keyHash: _hash, ...summary } = ApiKeyItem.parse(item);
        keys.push(summary);
      }
    }
    return keys.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Revokes a key by its id; false if no key has that id. Takes effect within the lookup cache's TTL. */
  async revoke(id: string): Promise<boolean> {
    for await (const page of paginateScan(
      { client: this.#client },
      { TableName: this.#table, FilterExpression: 'id = :id', ExpressionAttributeValues: { ':id': id }, ProjectionExpression: 'keyHash' },
    )) {
      for (const item of page.Items ?? []) {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { keyHash: item.keyHash },
            UpdateExpression: 'SET revoked = :t, revokedAt = :now',
            ConditionExpression: 'attribute_exists(keyHash)',
            ExpressionAttributeValues: { ':t': true, ':now': new Date().toISOString() },
          }),
        );
        return true;
      }
    }
    return false;
  }
}
