import { describe, expect, it } from 'vitest';
import {
  dayRegion,
  decodeSummary,
  encodeSummary,
  isPastDay,
  lastClosedDay,
  nextDay,
  resolveDays,
  SETTLE_MS,
  summariesToStore,
  type DayTotals,
  type SummaryItem,
} from '../../lib/domain/day-summaries.ts';

const totals = (count: number, leadTimes: number[] = []): DayTotals => ({ count, failed: 0, leadTimes, restoreTimes: [] });
/** A valid summary item of `region` on `day`. */
const valid = (day: string, region: string, t: DayTotals, others: string[] = [], extra: Partial<SummaryItem> = {}): SummaryItem => ({
  day,
  region,
  summary: encodeSummary(t, others),
  ...extra,
});

describe('the days a read may summarize, and those a record marks stale', () => {
  it('summarizes up to three days before today; a record marks any day before yesterday', () => {
    const now = new Date('2026-12-06T00:30:00Z');
    expect(lastClosedDay(now)).toBe('2026-12-03');
    expect(lastClosedDay(new Date('2026-12-06T23:59:59Z'))).toBe('2026-12-03');
    expect(isPastDay('2026-12-04', now)).toBe(true);
    // Yesterday's records (a burst just after midnight, dated before it) mark nothing.
    expect(isPastDay('2026-12-05', now)).toBe(false);
    expect(isPastDay('2026-12-06', now)).toBe(false);
    // A writer whose clock is up to a day behind the reader's still marks every day the reader may have summarized.
    const writer = new Date(now.getTime() - 86_399_000);
    expect(isPastDay(lastClosedDay(now), writer)).toBe(true);
  });

  it('steps days across months, years and the end of the calendar', () => {
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('9999-12-31') > '9999-12-31').toBe(true);
  });
});

describe('resolveDays', () => {
  const closedTo = '2026-11-10';

  it('answers a day from its valid summaries, and needs the counters of a day without one', () => {
    const { answered, needed } = resolveDays({
      fromDay: '2026-11-01',
      closedTo: '2026-11-03',
      items: [valid('2026-11-01', 'eu', totals(3, [60])), valid('2026-11-03', 'eu', totals(1))],
    });
    expect([...answered.keys()]).toEqual([dayRegion('2026-11-03', 'eu'), dayRegion('2026-11-01', 'eu')]);
    expect(answered.get(dayRegion('2026-11-01', 'eu'))).toMatchObject({ count: 3, lead: { values: [60] } });
    expect(needed).toEqual(['2026-11-02']);
  });

  it('needs the counters of a day whose summary a record marked stale, or whose text it cannot read', () => {
    const { answered, needed } = resolveDays({
      fromDay: '2026-11-01',
      closedTo: '2026-11-02',
      items: [
        valid('2026-11-01', 'eu', totals(3), [], { gen: 'record-2', builtGen: 'record-1' }),
        { day: '2026-11-02', region: 'eu', summary: '[1,0,{"z":0,"o":0,"c":"#"},[],[]]' },
      ],
    });
    expect(answered.size).toBe(0);
    expect(needed).toEqual(['2026-11-01', '2026-11-02']);
  });

  it('takes the empty days a later summary covers (`since`) as known, until a record there makes an item of its own', () => {
    const items = [valid('2026-11-05', 'eu', totals(2), [], { since: '2026-11-02' })];
    expect(resolveDays({ fromDay: '2026-11-01', closedTo: '2026-11-05', items }).needed).toEqual(['2026-11-01']);
    // A record on 11-03, once past: its item (a `gen`, no summary) makes that day needed, and the days before it are
    // no longer covered by the summary after it.
    const marked = [...items, { day: '2026-11-03', region: 'eu', gen: 'record-9', changedAt: 1 }];
    expect(resolveDays({ fromDay: '2026-11-01', closedTo: '2026-11-05', items: marked }).needed).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
  });

  it("needs a day when a region with counters there has no valid summary: another region's item, or a summary's `others`", () => {
    const items = [valid('2026-11-01', 'eu', totals(1), ['us']), valid('2026-11-02', 'eu', totals(1)), { day: '2026-11-02', region: 'us', gen: 'g' }];
    const { answered, needed } = resolveDays({ fromDay: '2026-11-01', closedTo: '2026-11-02', items });
    expect(needed).toEqual(['2026-11-01', '2026-11-02']);
    // The summaries that are valid still answer for their region: the counters answer for the others only.
    expect([...answered.keys()].sort()).toEqual([dayRegion('2026-11-01', 'eu'), dayRegion('2026-11-02', 'eu')]);
    // With us's summary of 11-01 too, that day is answered whole.
    const both = resolveDays({ fromDay: '2026-11-01', closedTo: '2026-11-01', items: [...items, valid('2026-11-01', 'us', totals(4), ['eu'])] });
    expect(both.needed).toEqual([]);
    expect(both.answered.get(dayRegion('2026-11-01', 'us'))?.count).toBe(4);
  });

  it('knows a day from any region: a day that only us summarized, with no counters of eu, is answered whole', () => {
    const { answered, needed } = resolveDays({ fromDay: '2026-11-01', closedTo, items: [valid('2026-11-10', 'us', totals(2), [], { since: '2026-11-01' })] });
    expect(needed).toEqual([]);
    expect([...answered.keys()]).toEqual([dayRegion('2026-11-10', 'us')]);
  });

  it('has nothing to resolve when the range holds no closed day', () => {
    expect(resolveDays({ fromDay: '2026-11-11', closedTo, items: [] })).toEqual({ answered: new Map(), needed: [] });
  });
});

describe('summariesToStore', () => {
  const nowMs = Date.parse('2026-12-01T00:00:00Z');
  const noItems = new Map<string, SummaryItem>();

  it('writes a summary for each day with counters anywhere, and one for the last day of a run, covering the empty days before it', () => {
    const days = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-08', '2026-11-09'];
    const writes = summariesToStore({
      days,
      totals: new Map([['2026-11-03', totals(2, [60, 120])]]),
      others: new Map([['2026-11-08', ['us']]]),
      items: noItems,
      nowMs,
    });
    expect(writes.map((w) => [w.day, w.since, decodeSummary(w.summary)?.count, decodeSummary(w.summary)?.others])).toEqual([
      ['2026-11-03', '2026-11-01', 2, []],
      ['2026-11-05', '2026-11-04', 0, []],
      ['2026-11-08', undefined, 0, ['us']],
      ['2026-11-09', undefined, 0, []],
    ]);
    expect(writes.every((w) => w.gen === undefined)).toBe(true);
  });

  it('rebuilds an item for the gen it read, keeps the earlier of two `since`, and waits SETTLE_MS after a mark', () => {
    const items = new Map<string, SummaryItem>([
      ['2026-11-02', { day: '2026-11-02', region: 'eu', gen: 'g2', changedAt: nowMs - SETTLE_MS - 1, since: '2026-10-20' }],
      ['2026-11-04', { day: '2026-11-04', region: 'eu', gen: 'g4', changedAt: nowMs - 1000 }],
    ]);
    const writes = summariesToStore({
      days: ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'],
      totals: new Map([['2026-11-02', totals(1)]]),
      others: new Map(),
      items,
      nowMs,
    });
    // 11-04 changed a second ago: not yet; and the empty 11-03 before it is left for a later read.
    expect(writes.map((w) => [w.day, w.gen, w.since])).toEqual([
      ['2026-11-02', 'g2', '2026-10-20'],
      ['2026-11-05', undefined, undefined],
    ]);
  });
});
