import { DeleteCommand, PutCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedRecord } from '../domain/auth.ts';
import { feedKey } from '../domain/keys.ts';
import { isConditionFailed } from './failures.ts';
import { FeedItem } from './items.ts';

/** Feed administration (the admin CLI and local seeding). */
export class FeedRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  /** Adds a feed; false if a feed of that name (case-insensitively) already exists. */
  async add(displayName: string, anonymousPrivileges: string[], now = new Date()): Promise<boolean> {
    const item: FeedRecord = {
      ...feedKey(displayName),
      displayName,
      anonymousPrivileges,
      createdAt: now.toISOString(),
    };
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(#n)', ExpressionAttributeNames: { '#n': 'name' } }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async list(): Promise<FeedRecord[]> {
    const feeds: FeedRecord[] = [];
    for await (const page of paginateScan({ client: this.#client }, { TableName: this.#table })) {
      for (const item of page.Items ?? []) feeds.push(FeedItem.parse(item));
    }
    return feeds.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Removes a feed; false if there was none. Recorded deployments are kept. */
  async remove(name: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({ TableName: this.#table, Key: feedKey(name), ConditionExpression: 'attribute_exists(#n)', ExpressionAttributeNames: { '#n': 'name' } }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }
}
