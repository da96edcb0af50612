import { randomBytes } from 'node:crypto';
import { PutCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { ApiKeyRecord } from '../domain/auth.ts';
import { foldName, hashApiKey } from '../domain/keys.ts';
import { isConditionFailed } from './failures.ts';
import { ApiKeyItem } from './items.ts';

export type NewApiKey = {
  user: string;
  /** Feed names; empty means every feed. */
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

/** API key administration. Keys are stored only as their SHA-256; the key itself is returned once, on creation. */
export class ApiKeyRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async add(spec: NewApiKey, now = new Date()): Promise<{ key: string; record: ApiKeySummary }> {
    const key = spec.key ?? generateApiKey();
    const record: ApiKeyRecord = {
      keyHash: hashApiKey(key),
      id: ulid(now.getTime()),
      user: spec.user,
      allFeeds: spec.feeds.length === 0,
      feeds: [...new Set(spec.feeds.map(foldName))],
      privileges: [...new Set(spec.privileges)],
      ...(spec.expiresAt !== undefined ? { expiresAt: spec.expiresAt } : {}),
      revoked: false,
      createdAt: now.toISOString(),
    };
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: record, ConditionExpression: 'attribute_not_exists(keyHash)' }),
      );
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
