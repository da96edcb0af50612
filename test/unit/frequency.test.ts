import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketCount, bucketEnd, bucketStarts, countingDay, defaultFromDay, sumIntoBuckets, weekStart } from '../../lib/domain/frequency.ts';
import {
  COUNTER_SHARDS,
  counterPartitionKey,
  counterPartitionKeys,
  counterRange,
  counterSortKey,
  isSummarySortKey,
  overviewKeys,
  overviewPackagePrefix,
  parseCounterSortKey,
  summaryRange,
  summarySortKey,
} from '../../lib/domain/keys.ts';

const day = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }).map((t) => new Date(t).toISOString().slice(0, 10));

describe('buckets', () => {
  it('weeks start on Monday (UTC), and a day belongs to the week of the Monday on or before it', () => {
    expect(weekStart('2026-11-23')).toBe('2026-11-23'); // a Monday
    expect(weekStart('2026-11-29')).toBe('2026-11-23'); // Sunday
    expect(weekStart('2026-11-30')).toBe('2026-11-30');
    expect(weekStart('2027-01-01')).toBe('2026-12-28'); // across a year
    fc.assert(
      fc.property(day, (d) => {
        const start = weekStart(d);
        const gap = (Date.parse(d) - Date.parse(start)) / 86_400_000;
        return new Date(start).getUTCDay() === 1 && gap >= 0 && gap < 7;
      }),
    );
  });

  it('lists every bucket of a range, zero ones included, whole weeks', () => {
    expect(bucketStarts('week', '2026-11-04', '2026-11-24')).toEqual(['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23']);
    expect(bucketEnd('week', '2026-11-24')).toBe('2026-11-29');
    // A week widened past the last day a Date can name stays within it (the counters' key range never inverts)
    expect(bucketEnd('week', '9999-12-31')).toBe('9999-12-31');
    expect(weekStart('0001-01-01')).toBe('0001-01-01');
    expect(bucketStarts('day', '2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    fc.assert(
      fc.property(day, day, fc.constantFrom('day' as const, 'week' as const), (a, b, interval) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        return bucketStarts(interval, from, to).length === bucketCount(interval, from, to);
      }),
    );
    expect(bucketStarts('week', defaultFromDay('week', '2026-11-30'), '2026-11-30')).toHaveLength(12);
    expect(bucketStarts('day', defaultFromDay('day', '2026-11-30'), '2026-11-30')).toHaveLength(30);
  });

  it('sums per-day, per-region counts into their buckets and leaves out days outside them', () => {
    const counts = [
      { day: '2026-11-23', count: 2 },
      { day: '2026-11-29', count: 1 },
      { day: '2026-11-29', count: 4, failed: 1 }, // another region, or another shard
      { day: '2026-11-10', count: 9 }, // outside
    ];
    expect(sumIntoBuckets('week', '2026-11-16', '2026-11-29', counts)).toEqual([
      { Start: '2026-11-16', Count: 0, Failed: 0 },
      { Start: '2026-11-23', Count: 7, Failed: 1 },
    ]);
  });

  it('counts a record on the UTC day of its Date, backdated or not', () => {
    expect(countingDay({ date: '2026-11-29T23:59:59.999Z', receivedAt: '2026-11-30T08:00:00.000Z' })).toBe('2026-11-29');
    expect(countingDay({ date: '2020-01-01T00:00:00.000Z', receivedAt: '2026-11-30T08:00:00.000Z' })).toBe('2020-01-01');
  });
});

describe('counter and overview keys', () => {
  it('give each dimension its own partition', () => {
    const keys = [
      counterPartitionKey({ feed: 'F' }),
      counterPartitionKey({ feed: 'F', pkg: 'T' }),
      counterPartitionKey({ feed: 'F', target: 'T' }),
      counterPartitionKey({ feed: 'F', group: 'G', pkg: 'P' }),
      counterPartitionKey({ feed: 'F', pkg: 'P', target: 'T' }),
      counterPartitionKey({ feed: 'F#T#x' }),
      counterPartitionKey({ feed: 'F', target: '#' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(counterPartitionKeys('F', undefined, 'P', 'web01')).toEqual(['N#F#f', 'N#F#f#G##P#p', 'N#F#f#T#web01', 'N#F#f#G##P#p#T#web01']);
    expect(counterPartitionKey({ feed: 'Feed', pkg: 'PKG', target: 'WEB01' })).toBe(counterPartitionKey({ feed: 'feed', pkg: 'pkg', target: 'web01' }));
  });

  it('a day range covers every region and shard of its days, and no other day', () => {
    const { low, high } = counterRange('2026-11-02', '2026-11-08');
    for (let shard = 0; shard < COUNTER_SHARDS; shard++) {
      for (const region of ['eu-west-1', 'us-east-1', 'local', 'ap-southeast-2']) {
        for (const d of ['2026-11-02', '2026-11-08']) {
          const sk = counterSortKey(d, region, shard);
          expect(sk >= low && sk <= high).toBe(true);
          expect(parseCounterSortKey(sk)).toEqual({ day: d, region });
        }
        for (const d of ['2026-11-01', '2026-11-09']) {
          const sk = counterSortKey(d, region, shard);
          expect(sk >= low && sk <= high).toBe(false);
        }
      }
    }
  });

  it('tells a day summary from a counter: summaries lie outside every counter range, and counters outside every summary range', () => {
    const counters = counterRange('0001-01-01', '9999-12-31');
    const summaries = summaryRange('0001-01-01', '9999-12-31');
    for (const region of ['eu-west-1', 'local', 'a#b']) {
      const summary = summarySortKey('2026-11-02', region);
      const counter = counterSortKey('2026-11-02', region, COUNTER_SHARDS - 1);
      expect(isSummarySortKey(summary)).toBe(true);
      expect(isSummarySortKey(counter)).toBe(false);
      expect(summary >= counters.low && summary <= counters.high).toBe(false);
      expect(counter >= summaries.low && counter <= summaries.high).toBe(false);
      expect(parseCounterSortKey(summary)).toEqual({ day: '2026-11-02', region });
    }
  });

  it("keeps a package's targets together in the overview order", () => {
    const a = overviewKeys('F', 'g', 'a', 'web01').overviewSk;
    const ab = overviewKeys('F', 'g', 'a#b', 'web01').overviewSk; // escaped: cannot fall between a's targets
    const a2 = overviewKeys('F', 'g', 'a', 'zz').overviewSk;
    expect(a.startsWith(overviewPackagePrefix('g', 'a'))).toBe(true);
    expect(ab.startsWith(overviewPackagePrefix('g', 'a'))).toBe(false);
    expect(ab < a || ab > a2).toBe(true);
  });
});
