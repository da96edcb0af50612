import { describe, expect, it } from 'vitest';
import { validateDeployment } from '../../lib/domain/deployment.ts';
import { doraView, landing, median, p90 } from '../../lib/domain/dora.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';

const base = { FeedName: 'F', PackageName: 'P', Version: '1.0.0', Target: 't', Application: 'a', Description: 'd' };
const fields = (extra: Record<string, string>) => Object.entries({ ...base, ...extra });

describe('Status, CommitSha and CommitTime', () => {
  it('accepts Status in any case, and a commit id and time, normalised', () => {
    const v = validateDeployment(fields({ status: 'fAiLeD', CommitSha: 'ABCDEF1', CommitTime: '2026-11-01T10:00:00+01:00', Date: '2026-11-01T10:00:00Z' }));
    expect(v.ok && v.value).toMatchObject({ Status: 'Failed', CommitSha: 'abcdef1', CommitTime: '2026-11-01T09:00:00.000Z' });
  });

  it('leaves them out when not sent (a ProGet caller sees no change)', () => {
    const v = validateDeployment(fields({}));
    expect(v.ok && [v.value.Status, v.value.CommitSha, v.value.CommitTime]).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    [{ Status: 'Broken' }, 'Status', 'Status must be Succeeded or Failed (case does not matter).'],
    [{ CommitSha: 'abc' }, 'CommitSha', 'CommitSha must be a commit id: 7 to 64 hexadecimal digits.'],
    [{ CommitSha: 'zzzzzzz' }, 'CommitSha', 'CommitSha must be a commit id: 7 to 64 hexadecimal digits.'],
    [{ CommitTime: 'yesterday' }, 'CommitTime', undefined],
    [
      { CommitTime: '2026-11-02T00:00:00Z', Date: '2026-11-01T00:00:00Z' },
      'CommitTime',
      'CommitTime is after Date: the commit must come before its deployment.',
    ],
  ])('refuses %j naming the field', (extra, field, detail) => {
    const v = validateDeployment(fields(extra));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors[0]!.field).toBe(field);
    if (detail !== undefined) expect(v.errors[0]!.detail).toBe(detail);
  });

  it('refuses a CommitTime after the time received when no Date is given (beyond 5 minutes of clock skew)', () => {
    const now = new Date('2026-11-01T10:00:00Z');
    expect(validateDeployment(fields({ CommitTime: '2026-11-01T10:04:00Z' }), now).ok).toBe(true);
    const late = validateDeployment(fields({ CommitTime: '2026-11-01T10:06:00Z' }), now);
    expect(!late.ok && late.errors[0]!.field).toBe('CommitTime');
  });
});

describe('median and p90', () => {
  it('takes the mean of the two middle values for an even count, the nearest rank for p90, null for none', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([])).toBeNull();
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(9);
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toBe(10);
    expect(p90([7])).toBe(7);
    expect(p90([])).toBeNull();
  });
});

describe('doraView', () => {
  const day = (d: string, count: number, failed = 0, leadTimes: number[] = [], restoreTimes: number[] = []) => ({
    day: d,
    region: 'r',
    count,
    failed,
    lead: { values: leadTimes },
    restore: { values: restoreTimes },
  });

  it('answers null, never 0, for what has no data', () => {
    const v = doraView('2026-11-01', '2026-11-30', []);
    expect(v).toEqual({
      From: '2026-11-01T00:00:00.000Z',
      To: '2026-11-30T23:59:59.999Z',
      Deployments: 0,
      DeploymentFrequency: { PerDay: null, DaysWithDeployment: 0, Rating: null },
      LeadTimeForChanges: { MedianSeconds: null, P90Seconds: null, Count: 0, Rating: null },
      ChangeFailureRate: { Rate: null, Failed: 0, Total: 0, Rating: null },
      TimeToRestore: { MedianSeconds: null, Count: 0, Rating: null },
    });
  });

  it('rates each key at the 2023 report thresholds', () => {
    // 7 deployments in 7 days: 1 a day is elite; a median lead time of exactly a day is high (elite is under a day).
    const v = doraView('2026-11-01', '2026-11-07', [day('2026-11-01', 7, 1, [86_400, 86_400], [3_600])]);
    expect(v.DeploymentFrequency).toEqual({ PerDay: 1, DaysWithDeployment: 1, Rating: 'elite' });
    expect(v.LeadTimeForChanges.Rating).toBe('high');
    // 1 of 7 is 14.3%: medium (at most 15%); restored in exactly an hour: high (elite is under an hour).
    expect(v.ChangeFailureRate).toEqual({ Rate: 0.143, Failed: 1, Total: 7, Rating: 'medium' });
    expect(v.TimeToRestore).toEqual({ MedianSeconds: 3600, Count: 1, Rating: 'high' });
    const slow = doraView('2026-11-01', '2026-11-30', [day('2026-11-02', 1, 1, [31 * 86_400], [8 * 86_400])]);
    expect([slow.DeploymentFrequency.Rating, slow.LeadTimeForChanges.Rating, slow.ChangeFailureRate.Rating, slow.TimeToRestore.Rating]).toEqual([
      'medium',
      'low',
      'low',
      'low',
    ]);
  });

  it('leaves out counters of days outside the range', () => {
    expect(doraView('2026-11-02', '2026-11-02', [day('2026-11-01', 5), day('2026-11-02', 2), day('2026-11-03', 9)]).Deployments).toBe(2);
  });
});

describe('landing: what a succeeded record does to the keys, from what the target held', () => {
  const record = (version: string, date: string, extra: Partial<NewDeployment> = {}): NewDeployment => ({
    feedName: 'F',
    packageName: 'P',
    version,
    target: 't',
    application: 'a',
    description: 'd',
    userName: 'u',
    date,
    receivedAt: date,
    keyId: 'anonymous',
    region: 'r',
    ...extra,
  });
  const held = (version: string, date: string, extra: { openSince?: string; lastAttemptSk?: string } = {}) => ({
    version,
    date,
    receivedAt: date,
    latest: `${date}#X`,
    ...extra,
  });

  it('a rollback fails the record it replaces on that record’s day and restores it', () => {
    const { delta, closes } = landing(record('1.0.0', '2026-11-02T01:00:00.000Z'), '2026-11-02T01:00:00.000Z#B', held('2.0.0', '2026-11-01T23:00:00.000Z'));
    expect(delta).toEqual({ day: '2026-11-02', failed: false, leadSeconds: undefined, failsDay: '2026-11-01', restoreSeconds: 7200 });
    expect(closes).toBe(false);
  });

  it('the first landing after failed attempts restores from the first of them, and closes them', () => {
    const before = held('1.0.0', '2026-11-01T00:00:00.000Z', { openSince: '2026-11-01T10:00:00.000Z', lastAttemptSk: '2026-11-01T12:00:00.000Z#A' });
    const { delta, closes } = landing(
      record('1.1.0', '2026-11-02T02:00:00.000Z', { commitTime: '2026-11-02T01:00:00.000Z' }),
      '2026-11-02T02:00:00.000Z#B',
      before,
    );
    expect(delta).toEqual({ day: '2026-11-02', failed: false, leadSeconds: 3600, restoreSeconds: 57_600 });
    expect(closes).toBe(true);
  });

  it('an upgrade with no failure since adds only itself', () => {
    expect(landing(record('1.1.0', '2026-11-02T02:00:00.000Z'), 'x', held('1.0.0', '2026-11-01T00:00:00.000Z')).delta).toEqual({
      day: '2026-11-02',
      failed: false,
      leadSeconds: undefined,
    });
  });
});

describe('a Date in the future (a client clock far ahead)', () => {
  const received = '2026-11-02T02:00:00.000Z';
  const record = (version: string, extra: Partial<NewDeployment> = {}): NewDeployment => ({
    feedName: 'F',
    packageName: 'P',
    version,
    target: 't',
    application: 'a',
    description: 'd',
    userName: 'u',
    date: '2099-01-01T00:00:00.000Z',
    receivedAt: received,
    dateInFuture: true,
    keyId: 'anonymous',
    region: 'r',
    ...extra,
  });

  it('measures lead time to the time received, not to the Date', () => {
    expect(landing(record('1.0.0', { commitTime: '2026-11-02T01:00:00.000Z' }), 'x', undefined).delta.leadSeconds).toBe(3600);
  });

  it('measures time to restore from and to the instants the records are ordered by', () => {
    // A rollback of a record dated in the future: from the time it was received, not from its Date (which would be 0 s).
    const before = { version: '2.0.0', date: '2099-01-01T00:00:00.000Z', receivedAt: '2026-11-02T00:00:00.000Z', dateInFuture: true, latest: 'a' };
    const rollback = landing(record('1.0.0', { date: received, dateInFuture: undefined }), 'b', before).delta;
    expect(rollback.restoreSeconds).toBe(7200);
    // A landing dated in the future after a failed attempt: to the time it was received, not to its Date.
    const failedBefore = {
      version: '1.0.0',
      date: '2026-11-01T00:00:00.000Z',
      receivedAt: '2026-11-01T00:00:00.000Z',
      latest: 'a',
      openSince: '2026-11-02T01:00:00.000Z',
    };
    expect(landing(record('1.1.0'), 'b', failedBefore).delta.restoreSeconds).toBe(3600);
  });

  it('refuses a CommitTime after the time received even with a Date in the future', () => {
    const now = new Date('2026-11-01T10:00:00Z');
    const v = validateDeployment(fields({ Date: '2099-01-01T00:00:00Z', CommitTime: '2098-01-01T00:00:00Z' }), now);
    expect(!v.ok && v.errors[0]).toEqual({
      field: 'CommitTime',
      detail: 'CommitTime is in the future (after the time received): the commit must come before its deployment.',
    });
    expect(validateDeployment(fields({ Date: '2099-01-01T00:00:00Z', CommitTime: '2026-11-01T09:00:00Z' }), now).ok).toBe(true);
  });
});
