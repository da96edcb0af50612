import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { FeedRecord } from '../domain/auth.ts';
import { feedKey } from '../domain/keys.ts';
import { countRecords, hasRecords, purgeRecords, type FeedRecordTables, type Purged } from './feed-records.ts';
import { isConditionFailed } from './failures.ts';
import { FeedItem } from './items.ts';

/**
 * `feeds add` found records stored under the name (by a removed feed of that name, in any casing): a new feed would
 * show them with its own privileges, so it is created only if told to take them over (or after a purge).
 */
export class FeedNameHasRecords extends Error {
  readonly feedName: string;
  readonly records: number;
  constructor(feedName: string, records: number) {
    super(
      `${records} deployment record(s) are stored under the name ${feedName} (from a feed removed earlier). ` +
        `Add the feed with --take-over to adopt them, or delete them first with: feeds remove ${feedName} --purge`,
    );
    this.feedName = feedName;
    this.records = records;
  }
}

/**
 * Feed administration (the admin CLI and local seeding). Adding and purging need the deployments and Idempotency-Key
 * tables (`records`); listing does not.
 */
export class FeedRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #records: FeedRecordTables | undefined;

  constructor(client: DynamoDBDocumentClient, table: string, records?: FeedRecordTables) {
    this.#client = client;
    this.#table = table;
    this.#records = records;
  }

  #recordTables(): FeedRecordTables {
    if (!this.#records) throw new Error('FeedRepository needs the deployments and Idempotency-Key tables to add or purge feeds');
    return this.#records;
  }

  /**
   * Adds a feed with a new identity (a ULID); undefined if a feed of that name (case-insensitively) already exists.
   * Records stored under the name by an earlier feed are refused ({@link FeedNameHasRecords}) unless `takeOver`.
   */
  async add(displayName: string, anonymousPrivileges: string[], options: { takeOver?: boolean; now?: Date } = {}): Promise<FeedRecord | undefined> {
    const now = options.now ?? new Date();
    const tables = this.#recordTables();
    // An existing feed is "already exists", whatever is stored under its name (its own records).
    const existing = await this.#client.send(new GetCommand({ TableName: this.#table, Key: feedKey(displayName), ConsistentRead: true }));
    if (existing.Item) return undefined;
    if (!options.takeOver && (await hasRecords(this.#client, tables.deployments, displayName))) {
      throw new FeedNameHasRecords(displayName, await countRecords(this.#client, tables.deployments, displayName));
    }
    const item: FeedRecord = {
      ...feedKey(displayName),
      id: ulid(now.getTime()),
      displayName,
      anonymousPrivileges,
      createdAt: now.toISOString(),
    };
    try {
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(#n)', ExpressionAttributeNames: { '#n': 'name' } }),
      );
      return item;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /** How many history records are stored under the name (whether or not a feed of that name exists). */
  async countRecords(name: string): Promise<number> {
    return countRecords(this.#client, this.#recordTables().deployments, name);
  }

  async list(): Promise<FeedRecord[]> {
    const feeds: FeedRecord[] = [];
    for await (const page of paginateScan({ client: this.#client }, { TableName: this.#table })) {
      for (const item of page.Items ?? []) feeds.push(FeedItem.parse(item));
    }
    return feeds.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The feed of that name (case-insensitively), or undefined. */
  async get(name: string): Promise<FeedRecord | undefined> {
    const out = await this.#client.send(new GetCommand({ TableName: this.#table, Key: feedKey(name), ConsistentRead: true }));
    return out.Item ? FeedItem.parse(out.Item) : undefined;
  }

  /** Sets how many days the feed keeps history (undefined: forever); false if there is no such feed. */
  async setRetention(name: string, retainDays: number | undefined): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: feedKey(name),
          ConditionExpression: 'attribute_exists(#n)',
          UpdateExpression: retainDays === undefined ? 'REMOVE #r' : 'SET #r = :r',
          ExpressionAttributeNames: { '#n': 'name', '#r': 'retainDays' },
          ...(retainDays === undefined ? {} : { ExpressionAttributeValues: { ':r': retainDays } }),
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** Removes a feed; false if there was none. Recorded deployments are kept. */
  async remove(name: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: feedKey(name),
          ConditionExpression: 'attribute_exists(#n)',
          ExpressionAttributeNames: { '#n': 'name' },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** Deletes every record stored under the name (see purgeRecords); the feed itself must be removed first. */
  async purge(name: string): Promise<Purged> {
    return purgeRecords(this.#client, this.#recordTables(), name);
  }
}
