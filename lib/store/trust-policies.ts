import { DeleteCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { PRIVILEGES, type FeedRecord } from '../domain/auth.ts';
import { foldName } from '../domain/keys.ts';
import type { TrustPolicy } from '../domain/trust.ts';
import * as z from '../domain/zod.ts';
import { isConditionFailed } from './failures.ts';

/**
 * Trust policies, stored beside the API keys: in the API keys table, one item per feed under the partition key
 * `trust#<folded feed name>` (an API key's `keyHash` is 64 hex digits, so the two never meet), its policies in a map
 * `policies` by id. Why there and not a table of its own: the functions that check keys already read that table (one
 * BatchGetItem fetches the feed, the key and, for a bearer token, the feed's policies: no new table, no new IAM
 * grant, no new round trip); and not in the feeds table, which /api/feeds reads whole. Each policy carries the feed's
 * id, so a policy left under a name never applies to a feed created later under it (and `feeds remove` deletes them).
 */
export const TRUST_KEY_PREFIX = 'trust#';
export const trustItemKey = (feedName: string): { keyHash: string } => ({ keyHash: `${TRUST_KEY_PREFIX}${foldName(feedName)}` });
export const isTrustItemKey = (keyHash: unknown): boolean => typeof keyHash === 'string' && keyHash.startsWith(TRUST_KEY_PREFIX);

const nonEmpty = () => z.string().check(z.minLength(1));

/** Built on first use: the record function's cold start (keys, anonymous) never needs it. */
const trustPolicySchema = () =>
  z.object({
    id: nonEmpty(),
    feedId: nonEmpty(),
    feedName: nonEmpty(),
    issuer: nonEmpty(),
    audience: nonEmpty(),
    claims: z.record(z.string(), z.string()),
    privileges: z.array(z.enum(PRIVILEGES)),
    name: z.optional(z.string()),
    maxLifetimeSeconds: z.number().check(z.int(), z.gt(0)),
    createdAt: z.string(),
  }) satisfies z.ZodMiniType<TrustPolicy, unknown>;

/** A feed's trust item read back (checked: a hand-edited item fails loudly instead of granting access). */
const trustItemSchema = () =>
  z.object({
    keyHash: z.string().check(z.startsWith(TRUST_KEY_PREFIX)),
    policies: z._default(z.record(z.string(), trustPolicySchema()), {}),
  });
let trustItem: ReturnType<typeof trustItemSchema> | undefined;

/** The policies of a trust item (or none for a missing item), oldest first. */
export const policiesOf = (item: unknown): TrustPolicy[] =>
  item === undefined ? [] : Object.values((trustItem ??= trustItemSchema()).parse(item).policies).sort((a, b) => a.id.localeCompare(b.id));

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
