import { describe, expect, it } from 'vitest';
import { ALPHA, EXACT_LIMIT, histogramOf, loadSample, quantiles, sampleSize, storeSample, summarize, type Sample } from '../../lib/domain/samples.ts';

/** The exact median (mean of the two middle values for an even count) and nearest-rank 90th percentile. */
const exact = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return { median: n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2, p90: s[Math.ceil(0.9 * n) - 1]! };
};

/** A deterministic pseudo-random stream (mulberry32), so that a failure can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const roundTrip = (s: Sample): Sample => loadSample(JSON.parse(JSON.stringify(storeSample(s))));

describe('samples', () => {
  it('keeps up to EXACT_LIMIT values exactly, and the quantiles of exact values are exact', () => {
    const values = [3600, 7200, 1800, 86_400, 3600, 0.5, 21_600];
    const kept = summarize(values);
    expect(kept).toEqual({ values });
    expect(quantiles([roundTrip(kept)])).toEqual({ count: 7, ...exact(values) });
    // An even count: the mean of the two middle values.
    expect(quantiles([{ values: [1800, 3600] }, { values: [7200, 86_400] }])).toEqual({ count: 4, median: 5400, p90: 86_400 });
    expect(quantiles([])).toEqual({ count: 0, median: null, p90: null });
    expect(summarize(Array.from({ length: EXACT_LIMIT }, (_, i) => i))).toEqual({ values: Array.from({ length: EXACT_LIMIT }, (_, i) => i) });
  });

  it('summarizes more than EXACT_LIMIT values as a histogram whose quantiles are within ALPHA of the exact ones', () => {
    const next = random(42);
    const shapes: Record<string, () => number> = {
      'uniform, 10 min to 2 days': () => 600 + next() * 172_800,
      'log-uniform, 1 s to 1 year': () => Math.exp(next() * Math.log(31_536_000)),
      'a few minutes, tightly': () => 240 + next() * 30,
    };
    for (const [shape, draw] of Object.entries(shapes)) {
      for (const n of [EXACT_LIMIT + 1, 101, 1000, 20_000]) {
        const values = Array.from({ length: n }, draw);
        const summary = roundTrip(summarize(values));
        expect(summary.histogram, shape).toBeDefined();
        expect(sampleSize(summary)).toBe(n);
        const got = quantiles([summary]);
        const want = exact(values);
        expect(got.count).toBe(n);
        // A median of an even count averages two buckets' values, each within ALPHA: so is their mean.
        expect(Math.abs(got.median! - want.median) / want.median, `${shape}, ${n}: median`).toBeLessThanOrEqual(ALPHA + 1e-9);
        expect(Math.abs(got.p90! - want.p90) / want.p90, `${shape}, ${n}: p90`).toBeLessThanOrEqual(ALPHA + 1e-9);
      }
    }
  });

  it('merges days kept exactly with days kept as histograms, within ALPHA', () => {
    const next = random(7);
    const days = Array.from({ length: 30 }, (_, d) => Array.from({ length: d % 3 === 0 ? 200 : 5 }, () => 60 + next() * 86_400));
    const got = quantiles(days.map((values) => roundTrip(summarize(values))));
    const want = exact(days.flat());
    expect(got.count).toBe(days.flat().length);
    expect(Math.abs(got.median! - want.median) / want.median).toBeLessThanOrEqual(ALPHA + 1e-9);
    expect(Math.abs(got.p90! - want.p90) / want.p90).toBeLessThanOrEqual(ALPHA + 1e-9);
  });

  it('counts zeros (a commit deployed within the millisecond) as 0, and stores counts of any size', () => {
    const values = [...Array<number>(40).fill(0), ...Array<number>(100).fill(7200), ...Array<number>(61).fill(3600), ...Array<number>(62).fill(60)];
    const stored = storeSample(summarize(values));
    expect(stored).toMatchObject({ z: 40 });
    expect((stored as { c: string }).c).toContain('{100}'); // more than 61 in one bucket: written out
    const back = loadSample(JSON.parse(JSON.stringify(stored)));
    expect(back.histogram).toEqual(histogramOf(values));
    const q = quantiles([back]);
    expect(q.count).toBe(values.length);
    expect(Math.abs(q.median! - 3600) / 3600).toBeLessThanOrEqual(ALPHA);
    expect(quantiles([summarize(Array<number>(40).fill(0))])).toEqual({ count: 40, median: 0, p90: 0 });
  });

  it('refuses a stored sample it did not write', () => {
    for (const bad of [
      null,
      'text',
      [1, 'two'],
      [Number.NaN],
      { z: -1, o: 0, c: '' },
      { z: 0, o: 1.5, c: '1' },
      { z: 0, o: 0, c: '1#2' },
      { z: 0, o: 0, c: '{}' },
      { z: 0, o: 0, c: '{12' },
      { z: 0, o: 0, c: '{-3}' },
      { z: 0, o: 0 },
      // Buckets no value of a double falls in (past Number.MAX_VALUE's, below Number.MIN_VALUE's).
      { z: 0, o: 100_000, c: '1' },
      { z: 0, o: -100_000, c: '1' },
    ]) {
      expect(() => loadSample(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });
});
