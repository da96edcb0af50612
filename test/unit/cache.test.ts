import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../lib/store/cache.ts';

/** A clock the test moves by hand. */
const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

describe('TtlCache', () => {
  it('misses a key never set', () => {
    const cache = new TtlCache<string>(30_000);
    expect(cache.get('a')).toEqual({ hit: false });
  });

  it('hits a key set within the TTL', () => {
    const c = clock();
    const cache = new TtlCache<string>(30_000, 10, c.now);
    cache.set('a', 'A');
    expect(cache.get('a')).toEqual({ hit: true, value: 'A' });
    c.advance(29_999);
    expect(cache.get('a')).toEqual({ hit: true, value: 'A' });
  });

  it('expires an entry once its TTL has passed, and forgets it', () => {
    const c = clock();
    const cache = new TtlCache<string>(30_000, 10, c.now);
    cache.set('a', 'A');
    c.advance(30_000);
    expect(cache.get('a')).toEqual({ hit: false });
    c.advance(-10_000); // the clock going back does not resurrect it
    expect(cache.get('a')).toEqual({ hit: false });
  });

  it('restarts the TTL when a key is set again, with the new value', () => {
    const c = clock();
    const cache = new TtlCache<string>(1_000, 10, c.now);
    cache.set('a', 'old');
    c.advance(900);
    cache.set('a', 'new');
    c.advance(900);
    expect(cache.get('a')).toEqual({ hit: true, value: 'new' });
  });

  it('caches negative lookups (null) as hits', () => {
    const c = clock();
    const cache = new TtlCache<{ name: string } | null>(30_000, 10, c.now);
    cache.set('unknown', null);
    expect(cache.get('unknown')).toEqual({ hit: true, value: null });
    c.advance(30_000);
    expect(cache.get('unknown')).toEqual({ hit: false });
  });

  it('caches undefined values as hits too', () => {
    const cache = new TtlCache<string | undefined>(30_000);
    cache.set('a', undefined);
    expect(cache.get('a')).toEqual({ hit: true, value: undefined });
  });

  it.each([0, -1])('caches nothing with a TTL of %i', (ttl) => {
    const cache = new TtlCache<string | null>(ttl);
    cache.set('a', 'A');
    cache.set('b', null);
    expect(cache.get('a')).toEqual({ hit: false });
    expect(cache.get('b')).toEqual({ hit: false });
  });

  it('bounds its size, evicting the oldest entry first', () => {
    const c = clock();
    const cache = new TtlCache<number>(30_000, 3, c.now);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toEqual({ hit: true, value: 1 });
    cache.set('d', 4);
    expect(cache.get('a')).toEqual({ hit: false });
    expect(cache.get('b')).toEqual({ hit: true, value: 2 });
    expect(cache.get('d')).toEqual({ hit: true, value: 4 });
    cache.set('e', 5);
    expect(cache.get('b')).toEqual({ hit: false });
    expect(cache.get('c')).toEqual({ hit: true, value: 3 });
  });

  it('counts a re-set key as the newest', () => {
    const cache = new TtlCache<number>(30_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10); // a is now newer than b
    cache.set('c', 3);
    expect(cache.get('b')).toEqual({ hit: false });
    expect(cache.get('a')).toEqual({ hit: true, value: 10 });
    expect(cache.get('c')).toEqual({ hit: true, value: 3 });
  });

  it('does not evict when re-setting a key of a full cache', () => {
    const cache = new TtlCache<number>(30_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 20);
    expect(cache.get('a')).toEqual({ hit: true, value: 1 });
    expect(cache.get('b')).toEqual({ hit: true, value: 20 });
  });

  it('stays bounded under a flood of keys: only the last 100 remain', () => {
    const cache = new TtlCache<null>(30_000, 100);
    for (let i = 0; i < 10_000; i++) cache.set(`key-${i}`, null);
    const held = Array.from({ length: 10_000 }, (_, i) => cache.get(`key-${i}`).hit);
    expect(held.filter(Boolean)).toHaveLength(100);
    expect(held.slice(-100).every(Boolean)).toBe(true);
  });

  it('defaults to 1000 entries and the real clock', () => {
    const cache = new TtlCache<number>(60_000);
    for (let i = 0; i < 1500; i++) cache.set(String(i), i);
    expect(cache.get('500')).toEqual({ hit: true, value: 500 });
    expect(cache.get('499')).toEqual({ hit: false });
    expect(cache.get('1499')).toEqual({ hit: true, value: 1499 });
    expect(cache.get('0')).toEqual({ hit: false });
  });

  it('keeps keys apart', () => {
    const cache = new TtlCache<string>(30_000);
    cache.set('feed:a', 'A');
    cache.set('feed:A', 'B');
    expect(cache.get('feed:a')).toEqual({ hit: true, value: 'A' });
    expect(cache.get('feed:A')).toEqual({ hit: true, value: 'B' });
  });
});
