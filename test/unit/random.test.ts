import { isValid, monotonicFactory } from 'ulid';
import { describe, expect, it } from 'vitest';
import { pooledRandom } from '../../lib/store/random.ts';

describe("pooledRandom (the record ids' source of randomness)", () => {
  it('gives bytes / 256 in [0, 1), past a refill of its pool, and not all the same', () => {
    // Act
    const values = Array.from({ length: 1000 }, () => pooledRandom());

    // Assess
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      expect(Number.isInteger(v * 256)).toBe(true);
    }
    expect(new Set(values).size).toBeGreaterThan(100);
    // Refilled, not reused: each window of the pool's 256 bytes differs from the one before.
    for (let at = 256; at + 256 <= values.length; at += 256) expect(values.slice(at, at + 256)).not.toEqual(values.slice(at - 256, at));
  });

  it("makes valid, increasing ULIDs in ulid's monotonic factory", () => {
    // Prepare
    const next = monotonicFactory(pooledRandom);

    // Act
    const ids = [next(1_700_000_000_000), next(1_700_000_000_000), next(1_700_000_000_001), next()];

    // Assess
    for (const id of ids) expect(isValid(id)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map((id) => id.slice(10))).size).toBe(4);
  });
});
