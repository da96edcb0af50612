/**
 * Stands in for `mnemonist/lru-cache` in the Lambda bundles (infra/build.ts): the DynamoDB client always builds an
 * endpoint-discovery cache (`@aws-sdk/endpoint-cache`) although DynamoDB's endpoint discovery is off unless enabled,
 * and mnemonist's LRU brings about 7 KiB of typed-array utilities into every bundle and its cold start. This is the
 * same cache on a Map (insertion order is recency order): the methods the SDK calls (get, set, has, peek, clear),
 * with the same semantics: get refreshes an entry, peek does not, the least recently used goes first when full.
 */
export default class LRUCache<K, V> {
  readonly #capacity: number;
  readonly #entries = new Map<K, V>();

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new Error('LRUCache: the capacity must be a positive number.');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): this {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) this.#entries.delete(this.#entries.keys().next().value as K);
    this.#entries.set(key, value);
    return this;
  }

  clear(): void {
    this.#entries.clear();
  }
}
