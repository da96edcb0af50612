import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type BatchGetCommandInput, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, FeedRecord } from '../domain/auth.ts';
import { TtlCache } from './cache.ts';
import type { Config } from './config.ts';
import { Unavailable } from '../domain/errors.ts';
import { feedKey, trustItemKey } from '../domain/keys.ts';
import type { TrustPolicy } from '../domain/trust.ts';
import { ApiKeyItem, FeedItem } from './items.ts';
import type { TokenVerifier, TokenVerifierOptions } from './oidc.ts';

export type DirectoryOptions = {
  client: DynamoDBDocumentClient;
  feedsTable: string;
  apiKeysTable: string;
  /** How long found and not-found answers are reused; 0 disables the cache. */
  cacheTtlMs: number;
  now?: () => number;
  /** How identity tokens are verified (see lib/store/oidc.ts); default: https issuers only. */
  tokens?: TokenVerifierOptions | undefined;
};

/** `undefined`: not asked; `null`: looked up and not found. */
export type Resolved = { key: ApiKeyRecord | null | undefined; feed: FeedRecord | null | undefined; policies?: TrustPolicy[] | undefined };

const UNPROCESSED_RETRIES = 4;

/**
 * Reads API keys and feeds: both in one BatchGetItem round trip across the two tables, with found and not-found
 * answers cached for a short TTL, so a warm request usually costs no read at all. Revocation therefore takes effect
 * within the TTL.
 */
export class Directory {
  readonly #o: DirectoryOptions;
  readonly #keys: TtlCache<ApiKeyRecord | null>;
  readonly #feeds: TtlCache<FeedRecord | null>;
  readonly #policies: TtlCache<TrustPolicy[]>;
  #verifier: Promise<TokenVerifier> | undefined;

  constructor(options: DirectoryOptions) {
    this.#o = options;
    this.#keys = new TtlCache(options.cacheTtlMs, 1000, options.now);
    this.#feeds = new TtlCache(options.cacheTtlMs, 1000, options.now);
    this.#policies = new TtlCache(options.cacheTtlMs, 1000, options.now);
  }

  /**
   * The identity-token verifier, created on first use: its module and library are loaded with `import()` (a chunk of
   * their own in the bundle), so requests with a key or none never load them.
   */
  tokenVerifier(): Promise<TokenVerifier> {
    return (this.#verifier ??= import('./oidc.ts').then(({ TokenVerifier }) => new TokenVerifier(this.#o.tokens ?? { allowLoopbackIssuers: false })));
  }

  /** With `trust`, the feed's trust policies too (stored beside the keys), in the same round trip. */
  async resolve(request: { keyHash?: string | undefined; feedName?: string | undefined; trust?: boolean }): Promise<Resolved> {
    const result: Resolved = { key: undefined, feed: undefined };
    const feedName = request.feedName === undefined ? undefined : feedKey(request.feedName).name;
    const requestItems: NonNullable<BatchGetCommandInput['RequestItems']> = {};

    if (request.keyHash !== undefined) {
      const cached = this.#keys.get(request.keyHash);
      if (cached.hit) result.key = cached.value;
      else requestItems[this.#o.apiKeysTable] = { Keys: [{ keyHash: request.keyHash }] };
    }
    if (feedName !== undefined) {
      const cached = this.#feeds.get(feedName);
      if (cached.hit) result.feed = cached.value;
      else requestItems[this.#o.feedsTable] = { Keys: [{ name: feedName }] };
    }
    const trustKey = request.trust && feedName !== undefined ? trustItemKey(feedName) : undefined;
    if (trustKey !== undefined) {
      const cached = this.#policies.get(feedName!);
      if (cached.hit) result.policies = cached.value;
      else (requestItems[this.#o.apiKeysTable] ??= { Keys: [] }).Keys!.push(trustKey);
    }
    if (Object.keys(requestItems).length === 0) return result;

    const items = await this.#batchGet(requestItems);
    const keyItems = items[this.#o.apiKeysTable] ?? [];
    if (trustKey !== undefined && result.policies === undefined) {
      // Loaded (with its schema) only for a bearer token: requests with a key or none never load it.
      const { policiesOf } = await import('./trust-items.ts');
      result.policies = policiesOf(keyItems.find((i) => i.keyHash === trustKey.keyHash));
      this.#policies.set(feedName!, result.policies);
    }
    if (request.keyHash !== undefined && result.key === undefined) {
      const item = keyItems.find((i) => i.keyHash === request.keyHash);
      result.key = item === undefined ? null : ApiKeyItem.parse(item);
      this.#keys.set(request.keyHash, result.key);
    }
    if (feedName !== undefined && result.feed === undefined) {
      const item = items[this.#o.feedsTable]?.[0];
      result.feed = item === undefined ? null : FeedItem.parse(item);
      this.#feeds.set(feedName, result.feed);
    }
    return result;
  }

  /** BatchGetItem, re-asking for unprocessed keys (the SDK retries errors, not partial answers) with backoff. */
  async #batchGet(requestItems: NonNullable<BatchGetCommandInput['RequestItems']>) {
    const found: Record<string, Record<string, unknown>[]> = {};
    let pending: BatchGetCommandInput['RequestItems'] = requestItems;
    for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        // Before any write: nothing was changed, whatever the request was (a read or a record).
        throw new Unavailable('The key and feed directory is busy right now; nothing was changed. Retry the request shortly.');
      }
      if (attempt > 0) await sleep(25 * 2 ** attempt);
      const out: BatchGetCommandOutput = await this.#o.client.send(new BatchGetCommand({ RequestItems: pending }));
      for (const [table, items] of Object.entries(out.Responses ?? {})) (found[table] ??= []).push(...items);
      pending = out.UnprocessedKeys;
    }
    return found;
  }
}

/** The functions' directory, from the validated configuration (lib/store/config.ts) and the shared client. */
export const configuredDirectory = (client: DynamoDBDocumentClient, c: Config): Directory =>
  new Directory({
    client,
    feedsTable: c.feedsTable,
    apiKeysTable: c.apiKeysTable,
    cacheTtlMs: c.lookupCacheTtlMs,
    tokens: { allowLoopbackIssuers: c.trustLoopbackIssuers },
  });
