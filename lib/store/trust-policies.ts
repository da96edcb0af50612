import { DeleteCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import type { FeedRecord } from '../domain/auth.ts';
import { TRUST_KEY_PREFIX, trustItemKey } from '../domain/keys.ts';
import type { TrustPolicy } from '../domain/trust.ts';
import { isConditionFailed } from './failures.ts';
import { policiesOf } from './trust-items.ts';

/**
 * Trust policies, stored beside the API keys: in the API keys table, one item per feed under the partition key
 * `trust#<folded feed name>` (an API key's `keyHash` is 64 hex digits, so the two never meet), its policies in a map
 * `policies` by id. Why there and not a table of its own: the functions that check keys already read that table (one
 * BatchGetItem fetches the feed, the key and, for a bearer token, the feed's policies: no new table, no new IAM
 * grant, no new round trip); and not in the feeds table, which the `feeds` route reads whole. Each policy carries the feed's
 * id, so a policy left under a name never applies to a feed created later under it (and `feeds remove` deletes them).
 */
export type NewTrustPolicy = Omit<TrustPolicy, 'id' | 'feedId' | 'feedName' | 'createdAt'>;

/** Trust policy administration (the admin CLI); the API functions read policies through the Directory. */
export class TrustPolicyRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, apiKeysTable: string) {
    this.#client = client;
    this.#table = apiKeysTable;
  }

  /** Adds a policy to an existing feed, bound to its id. */
  async add(feed: FeedRecord, spec: NewTrustPolicy, now = new Date()): Promise<TrustPolicy> {
    const policy: TrustPolicy = {
      id: ulid(now.getTime()),
      feedId: feed.id,
      feedName: feed.name,
      issuer: spec.issuer,
      audience: spec.audience,
      claims: spec.claims,
      privileges: [...new Set(spec.privileges)],
      ...(spec.name !== undefined ? { name: spec.name } : {}),
      maxLifetimeSeconds: spec.maxLifetimeSeconds,
      createdAt: now.toISOString(),
    };
    const key = trustItemKey(feed.name);
    // The map must exist before one of its entries can be set; creating it is idempotent (a lost race is fine).
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'SET policies = :empty',
          ConditionExpression: 'attribute_not_exists(policies)',
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'SET policies.#id = :p',
        ExpressionAttributeNames: { '#id': policy.id },
        ExpressionAttributeValues: { ':p': policy },
      }),
    );
    return policy;
  }

  /** Every policy (or those stored under one feed name), oldest first: one Scan of the trust items. */
  async list(feedName?: string): Promise<TrustPolicy[]> {
    const found: TrustPolicy[] = [];
    for await (const page of paginateScan(
      { client: this.#client },
      {
        TableName: this.#table,
        FilterExpression: feedName === undefined ? 'begins_with(keyHash, :p)' : 'keyHash = :k',
        ExpressionAttributeValues: feedName === undefined ? { ':p': TRUST_KEY_PREFIX } : { ':k': trustItemKey(feedName).keyHash },
      },
    )) {
      for (const item of page.Items ?? []) found.push(...policiesOf(item));
    }
    return found.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Removes a policy by its id; false if none has it. Takes effect within the lookup cache's TTL. */
  async remove(id: string): Promise<boolean> {
    const policy = (await this.list()).find((p) => p.id === id);
    if (!policy) return false;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: trustItemKey(policy.feedName),
          UpdateExpression: 'REMOVE policies.#id',
          ConditionExpression: 'attribute_exists(policies.#id)',
          ExpressionAttributeNames: { '#id': id },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** Removes every policy stored under a feed name (with the feed); how many there were. */
  async removeForFeed(feedName: string): Promise<number> {
    const out = await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: trustItemKey(feedName), ReturnValues: 'ALL_OLD' }));
    return out.Attributes === undefined ? 0 : policiesOf(out.Attributes).length;
  }
}
