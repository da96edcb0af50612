import { describe, expect, it } from 'vitest';
import { coversFeed, idempotencyScope, legacyFeedId, type ApiKeyRecord, type FeedRecord } from '../../lib/domain/auth.ts';
import { FUTURE_DATE_SKEW_MS } from '../../lib/domain/dates.ts';
import { validateDeployment } from '../../lib/domain/deployment.ts';
import { isDateInFuture, newDeployment, orderingInstant, toView } from '../../lib/domain/record.ts';
import { historyItem } from '../../lib/store/deployments.ts';
import { FeedItem } from '../../lib/store/items.ts';
import { allowedMethods } from '../../lib/http/middlewares.ts';

const key = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  keyHash: '0'.repeat(64),
  id: 'K',
  user: 'u',
  allFeeds: false,
  feeds: ['web'],
  privileges: ['Feeds_ViewFeed'],
  revoked: false,
  createdAt: '2024-01-01T00:00:00.000Z',
  ...overrides,
});
const feed = (id: string): FeedRecord => ({ name: 'web', id, displayName: 'Web', anonymousPrivileges: [], createdAt: '2024-01-01T00:00:00.000Z' });

describe('feed identity', () => {
  it('a key with feed ids covers those feeds only, whatever their names', () => {
    expect(coversFeed(key({ feedIds: ['01A'] }), feed('01A'))).toBe(true);
    expect(coversFeed(key({ feedIds: ['01A'] }), feed('01B'))).toBe(false);
    expect(coversFeed(key({ feedIds: ['01A'] }), feed(legacyFeedId('web')))).toBe(false);
  });

  it('a key from before feed ids covers the named feeds while they keep their legacy id', () => {
    expect(coversFeed(key(), feed(legacyFeedId('web')))).toBe(true);
    expect(coversFeed(key(), feed('01NEWFEED'))).toBe(false);
    expect(coversFeed(key({ allFeeds: true, feeds: [] }), feed('01NEWFEED'))).toBe(true);
  });

  it('a feed item without an id reads with its legacy id', () => {
    const item = { name: 'web', displayName: 'Web', anonymousPrivileges: [], createdAt: '2024-01-01T00:00:00.000Z' };
    expect(FeedItem.parse(item).id).toBe('legacy:web');
    expect(FeedItem.parse({ ...item, id: '01A' }).id).toBe('01A');
  });

  it('an anonymous Idempotency-Key is scoped to the feed; a keyed one to the key', () => {
    expect(idempotencyScope({ kind: 'anonymous' }, feed('01A'))).toBe('anonymous:01A');
    expect(idempotencyScope({ kind: 'anonymous' }, feed('01A'))).not.toBe(idempotencyScope({ kind: 'anonymous' }, feed('01B')));
    expect(idempotencyScope({ kind: 'key', key: key({ id: 'K9' }) }, feed('01A'))).toBe('K9');
  });
});

describe('future dates', () => {
  const receivedAt = '2030-01-01T00:00:00.000Z';
  const at = (ms: number) => new Date(Date.parse(receivedAt) + ms).toISOString();
  const record = (date: string) => {
    const input = validateDeployment(
      Object.entries({ FeedName: 'F', PackageName: 'P', Version: '1', Target: 'T', Application: 'A', Description: 'D', Date: date }),
    );
    if (!input.ok) throw new Error('invalid');
    return newDeployment(input.value, { principal: { kind: 'anonymous' }, receivedAt, region: 'r', feedId: '01A' });
  };

  it('beyond the skew allowance: marked, ordered by the time received, Date kept', () => {
    expect(isDateInFuture(at(FUTURE_DATE_SKEW_MS), receivedAt)).toBe(false);
    expect(isDateInFuture(at(FUTURE_DATE_SKEW_MS + 1), receivedAt)).toBe(true);
    const future = record(at(86_400_000));
    expect(future).toMatchObject({ dateInFuture: true, date: at(86_400_000), feedId: '01A' });
    expect(orderingInstant(future)).toBe(receivedAt);
    expect(historyItem(future, '01ID').sk).toBe(`${receivedAt}#01ID`);
    expect(toView({ ...future, id: '01ID' })).toMatchObject({ Date: at(86_400_000), DateInFuture: true });
  });

  it('within the allowance, and in the past: ordered by Date, not marked', () => {
    for (const date of [at(FUTURE_DATE_SKEW_MS), '2001-01-01T00:00:00.000Z']) {
      const r = record(date);
      expect(r.dateInFuture).toBeUndefined();
      expect(historyItem(r, '01ID').sk).toBe(`${date}#01ID`);
      expect(toView({ ...r, id: '01ID' })).not.toHaveProperty('DateInFuture');
    }
  });
});

describe('names', () => {
  const base = { FeedName: 'F', PackageName: 'P', Version: '1', Target: 'T', Application: 'A', Description: 'D' };
  it.each(['\u200b', '\u200c', '\u200d', '\u2060', '\u202e', '\u2066', '\ufeff', '\u00ad', '\u{e0001}', '\u034f', '\ufe0f', '\u3164', '\u115f'])(
    'refuses %j inside a name, keeps it in Description',
    (c) => {
      const refused = validateDeployment(Object.entries({ ...base, GroupName: `g${c}g` }));
      expect(refused).toMatchObject({
        ok: false,
        errors: [{ field: 'GroupName', detail: expect.stringMatching(/^GroupName must not contain invisible format characters/) }],
      });
      expect(validateDeployment(Object.entries({ ...base, Description: `d${c}d` })).ok).toBe(true);
    },
  );
});

describe('HEAD', () => {
  it('is allowed wherever GET is, and only there', () => {
    expect(allowedMethods(['GET'])).toEqual(['GET', 'HEAD']);
    expect(allowedMethods(['POST'])).toEqual(['POST']);
  });
});
