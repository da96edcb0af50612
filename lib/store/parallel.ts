/**
 * Bounded concurrency for the store's batch work (the DORA read's Queries and summary writes, the backfill's Updates)
 * and the dispatcher's deliveries: `work` on every item, at most `limit` at once, in the items' order.
 *
 * Hand-written rather than taken from p-limit or p-map: those are not dependencies of the bundles, and this is a dozen
 * lines with no queue of its own (each worker takes the next item when its last one settles).
 */
export const mapInParallel = async <T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};
