import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { clausesOfEvents, matchVersion, parseRange, type Matcher, type RangeEvent } from '../../lib/domain/ranges.ts';
import { compareVersions } from '../../lib/domain/versions.ts';
import { INCLUDED_WITH_PRERELEASES, RANGE_EXCLUDE, RANGE_INCLUDE } from '../fixtures/ranges/node-semver.ts';

const matcher = (range: string): Matcher => {
  const parsed = parseRange(range);
  if (!parsed.ok) throw new Error(`${range}: ${parsed.detail}`);
  return parsed.matcher;
};
const kind = (range: string, version: string) => matchVersion(matcher(range), version).kind;

/**
 * What the service refuses before matching: an empty range, a bare version (NuGet reads >=, npm =), and an empty
 * alternative around `||` (node-semver reads it as every version).
 */
const refused = (range: string) => range.trim() === '' || /^[vV]?\d+(\.\d+)*$/.test(range.trim()) || range.split('||').some((a) => a.trim() === '');

describe("npm ranges: node-semver's own test vectors, read with includePrerelease", () => {
  const moved = new Set(INCLUDED_WITH_PRERELEASES.map(([r, v]) => `${r}\n${v}`));

  it.each(RANGE_INCLUDE.filter(([r]) => !refused(r)))('%j holds %j', (range, version) => {
    expect(kind(range, version)).toBe('affected');
    // The same answer as node-semver's with prereleases included: only the version order is the service's own.
    expect(semver.satisfies(version, range, { includePrerelease: true })).toBe(true);
  });

  it.each(RANGE_EXCLUDE.filter(([r, v]) => !refused(r) && semver.valid(v) !== null))(
    '%j does not hold %j (unless only the prerelease rule left it out)',
    (range, version) => {
      const expected = moved.has(`${range}\n${version}`) ? 'affected' : 'unaffected';
      expect(kind(range, version)).toBe(expected);
      expect(semver.satisfies(version, range, { includePrerelease: true })).toBe(expected === 'affected');
    },
  );

  it('lists exactly the exclusions that includePrerelease turns into inclusions', () => {
    const turned = RANGE_EXCLUDE.filter(([r, v]) => !refused(r) && semver.valid(v) !== null && semver.satisfies(v, r, { includePrerelease: true }));
    expect(turned.map(([r, v]) => [r, v])).toEqual([...INCLUDED_WITH_PRERELEASES]);
  });

  it('calls versions that cannot be ordered unknown, never unaffected', () => {
    for (const [range, version] of RANGE_EXCLUDE.filter(([r, v]) => !refused(r) && semver.valid(v) === null && !v.startsWith('v'))) {
      expect(kind(range, version), `${range} / ${version}`).toBe('unknown');
    }
    expect(kind('<13.0.1', 'latest')).toBe('unknown');
    expect(kind('*', '')).toBe('unknown');
  });

  it("refuses the vectors' bare versions and the empty range, asking for an operator or an interval", () => {
    const bare = [...RANGE_INCLUDE, ...RANGE_EXCLUDE].map(([r]) => r).filter((r) => refused(r) && !r.includes('||'));
    expect(bare).toEqual(expect.arrayContaining(['1.0.0', '2', '2.3', '']));
    for (const range of bare) {
      const parsed = parseRange(range);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok && range !== '') expect(parsed.detail).toMatch(/bare version.*operator.*interval/);
    }
  });

  it('holds prereleases below the bound, as the issue asks (13.0.1-beta1 < 13.0.1)', () => {
    expect(kind('<13.0.1', '13.0.1-beta1')).toBe('affected');
    expect(kind('<13.0.1', '13.0.1')).toBe('unaffected');
    expect(kind('>=1.0.0 <1.2.6 || <0.2.4', '0.2.4-rc.1')).toBe('affected');
    expect(kind('=1.2.3 || =1.2.4', '1.2.4')).toBe('affected');
    expect(kind('=1.2.3 || =1.2.4', '1.2.5')).toBe('unaffected');
  });

  it("orders versions node-semver refuses (NuGet's four parts, dotted numbers) instead of giving up on them", () => {
    expect(kind('<13.0.1', '12.0.3.4')).toBe('affected');
    expect(kind('<13.0.1', '13.0.1.0')).toBe('unaffected');
    expect(kind('^1.2.0', '1.5')).toBe('affected');
  });

  it('refuses an empty alternative around ||, which node-semver would read as every version', () => {
    for (const range of ['<13.0.1 ||', '|| <13.0.1', '<12.0.0 || || >14.0.0', '||', '  ||  ']) {
      const parsed = parseRange(range);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok && range.trim() !== '') expect(parsed.detail).toMatch(/alternative around \|\| is empty.*write \*/);
    }
    expect(kind('*', '1.0.0')).toBe('affected');
    expect(kind('<12.0.0 || >14.0.0', '13.0.0')).toBe('unaffected');
  });

  it('refuses what does not parse, naming it', () => {
    for (const range of ['garbage', '>=1.0.0 <', '~~1', '1.2.3 -', '<13.0.1 ||| >2', '>=a.b', '<1.0.0 foo', '=>1.0.0']) {
      expect(parseRange(range)).toEqual({ ok: false, detail: expect.stringContaining(`Range ${JSON.stringify(range)} is not an npm semver range`) });
    }
    expect(parseRange('garbage')).toMatchObject({ ok: false, detail: expect.stringContaining('not an npm semver range') });
  });
});

describe("NuGet intervals: the table of learn.microsoft.com's Package versioning (version ranges)", () => {
  // [notation, lower than the range, in it, above it] (1.0 stands for 1.0.0 and 1.0.0.0, as NuGet normalises).
  const table: Array<[string, string[], string[], string[]]> = [
    ['[1.0,)', ['0.9', '1.0.0-beta'], ['1.0', '1.0.0.0', '1.0.1', '99.0'], []],
    ['(1.0,)', ['0.9', '1.0', '1.0.0.0'], ['1.0.0.1', '1.1', '2.0'], []],
    ['[1.0]', ['0.9', '1.0.0-rc'], ['1.0', '1.0.0', '1.0.0.0', '1.0.0+build'], ['1.0.0.1']],
    ['(,1.0]', [], ['0.1', '1.0', '1.0.0-alpha'], ['1.0.0.1', '1.1']],
    ['(,1.0)', [], ['0.1', '0.9.9.9', '1.0.0-alpha'], ['1.0', '1.0.0.1']],
    ['[1.0,2.0]', ['0.9'], ['1.0', '1.5', '2.0', '2.0.0.0'], ['2.0.0.1', '2.1']],
    ['(1.0,2.0)', ['1.0'], ['1.0.0.1', '1.5', '2.0.0-beta'], ['2.0']],
    ['[1.0,2.0)', ['0.9', '1.0.0-beta'], ['1.0', '1.9.9.9', '2.0.0-rc.1'], ['2.0']],
  ];
  it.each(table)('%s', (notation, below, inside, above) => {
    for (const v of below) expect(kind(notation, v), `${v} below ${notation}`).toBe('unaffected');
    for (const v of inside) expect(kind(notation, v), `${v} in ${notation}`).toBe('affected');
    for (const v of above) expect(kind(notation, v), `${v} above ${notation}`).toBe('unaffected');
  });

  it("refuses the table's invalid notation (1.0), a bare version (NuGet reads 1.0 as >= 1.0), empty and floating intervals", () => {
    for (const notation of ['(1.0)', '1.0', '[2.0,1.0]', '(1.0,1.0)', '[1.0,1.0)', '(,)', '[1.*,2.0)', '[1.0,2.0', '[1.0,2.0,3.0]', '[]']) {
      expect(parseRange(notation).ok, notation).toBe(false);
    }
  });

  it('compares prerelease labels case-insensitively and ignores build metadata, as NuGet does', () => {
    expect(kind('[1.0.0-beta]', '1.0.0-BETA')).toBe('affected');
    expect(kind('(,1.0.0-beta)', '1.0.0-Alpha')).toBe('affected');
    expect(kind('[1.0.0+abc]', '1.0.0+def')).toBe('affected');
    // SemVer's own order is case-sensitive (ASCII: upper case first): the npm spelling keeps it.
    expect(kind('<1.0.0-alpha', '1.0.0-Beta')).toBe('affected');
  });

  it("reads the issue's examples", () => {
    expect(kind('(,13.0.1)', '12.0.3')).toBe('affected');
    expect(kind('(,13.0.1)', '13.0.1')).toBe('unaffected');
    expect(kind('[1.0,13.0.1)', '13.0.1-beta1')).toBe('affected');
    expect(kind('[1.2.3]', '1.2.3')).toBe('affected');
  });
});

/** Versions of a small space, so that properties meet bounds often: 0-3 in three parts, sometimes a prerelease. */
const version = fc
  .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.option(fc.constantFrom('alpha', 'beta', 'rc.1'), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
const cmp = (a: string, b: string) => compareVersions(a, b)!;

describe('properties (fast-check)', () => {
  it('a version is in an npm range iff some of its intervals holds it (lower inclusive or not, upper inclusive or not)', () => {
    const interval = fc.record({ lo: version, hi: version, loIn: fc.boolean(), hiIn: fc.boolean() });
    fc.assert(
      fc.property(fc.array(interval, { minLength: 1, maxLength: 4 }), version, (intervals, v) => {
        const text = intervals.map((i) => `${i.loIn ? '>=' : '>'}${i.lo} ${i.hiIn ? '<=' : '<'}${i.hi}`).join(' || ');
        const inside = intervals.some((i) => (i.loIn ? cmp(v, i.lo) >= 0 : cmp(v, i.lo) > 0) && (i.hiIn ? cmp(v, i.hi) <= 0 : cmp(v, i.hi) < 0));
        return kind(text, v) === (inside ? 'affected' : 'unaffected');
      }),
    );
  });

  it('a version is in a NuGet interval iff it lies between its bounds', () => {
    fc.assert(
      fc.property(version, version, fc.boolean(), fc.boolean(), version, (a, b, loIn, hiIn, v) => {
        const [lo, hi] = cmp(a, b) <= 0 ? [a, b] : [b, a];
        const text = `${loIn ? '[' : '('}${lo},${hi}${hiIn ? ']' : ')'}`;
        const parsed = parseRange(text);
        const empty = cmp(lo, hi) === 0 && !(loIn && hiIn);
        if (empty) return !parsed.ok;
        const inside = (loIn ? cmp(v, lo) >= 0 : cmp(v, lo) > 0) && (hiIn ? cmp(v, hi) <= 0 : cmp(v, hi) < 0);
        return parsed.ok && matchVersion(parsed.matcher, v).kind === (inside ? 'affected' : 'unaffected');
      }),
    );
  });

  /** OSV's evaluation as the schema states it: events in version order; introduced opens, fixed/last_affected close. */
  const reference = (events: RangeEvent[], v: string): boolean => {
    const key = (e: RangeEvent) => Object.values(e)[0] as string;
    const sorted = events
      .filter((e) => !('limit' in e))
      .map((e, i) => ({ e, i }))
      .sort((x, y) => {
        const a = key(x.e) === '0' && 'introduced' in x.e ? undefined : key(x.e);
        const b = key(y.e) === '0' && 'introduced' in y.e ? undefined : key(y.e);
        if (a === undefined || b === undefined) return a === b ? x.i - y.i : a === undefined ? -1 : 1;
        return cmp(a, b) || x.i - y.i;
      });
    let affected = false;
    for (const { e } of sorted) {
      if ('introduced' in e) {
        if (e.introduced === '0' || cmp(v, e.introduced) >= 0) affected = true;
      } else if ('fixed' in e) {
        if (cmp(v, e.fixed) >= 0) affected = false;
      } else if ('last_affected' in e) {
        if (cmp(v, e.last_affected) > 0) affected = false;
      }
    }
    const limits = events.filter((e): e is { limit: string } => 'limit' in e);
    return affected && (limits.length === 0 || limits.some((l) => cmp(v, l.limit) < 0));
  };

  it("an OSV range's clauses hold exactly the versions the schema's evaluation calls affected", () => {
    const event: fc.Arbitrary<RangeEvent> = fc.oneof(
      version.map((introduced) => ({ introduced })),
      fc.constant({ introduced: '0' }),
      version.map((fixed) => ({ fixed })),
      version.map((last_affected) => ({ last_affected })),
      version.map((limit) => ({ limit })),
    );
    // Well-formed ranges, as advisories write them: introduced and a closing event alternate in version order.
    const wellFormed = fc
      .array(fc.tuple(version, fc.option(fc.tuple(version, fc.boolean()), { nil: undefined })), { minLength: 1, maxLength: 3 })
      .map((pairs) => {
        const points = pairs.flatMap(([a, close]) => [a, ...(close ? [close[0]] : [])]).sort(cmp);
        const events: RangeEvent[] = [];
        for (let i = 0; i < points.length; i += 2) {
          events.push(i === 0 && points[i] === '0.0.0' ? { introduced: '0' } : { introduced: points[i]! });
          if (points[i + 1] !== undefined) events.push(i % 4 === 0 ? { fixed: points[i + 1]! } : { last_affected: points[i + 1]! });
        }
        return events;
      });
    fc.assert(
      fc.property(fc.oneof(wellFormed, fc.array(event, { minLength: 1, maxLength: 6 })), version, (events, v) => {
        const clauses = clausesOfEvents('semver', events)!;
        const got = matchVersion({ order: 'semver', clauses }, v).kind === 'affected';
        return got === reference(events, v);
      }),
      { numRuns: 2000 },
    );
  });

  it('fixed is exclusive, last_affected inclusive, introduced "0" is from the first version', () => {
    const m = (events: RangeEvent[]): Matcher => ({ order: 'semver', clauses: clausesOfEvents('semver', events)! });
    fc.assert(
      fc.property(version, (x) => {
        const fixed = matchVersion(m([{ introduced: '0' }, { fixed: x }]), x).kind;
        const last = matchVersion(m([{ introduced: '0' }, { last_affected: x }]), x).kind;
        const first = matchVersion(m([{ introduced: '0' }]), x).kind;
        const fromX = matchVersion(m([{ introduced: x }]), x).kind;
        return fixed === 'unaffected' && last === 'affected' && first === 'affected' && fromX === 'affected';
      }),
    );
    expect(matchVersion(m([{ introduced: '0' }, { fixed: '13.0.1' }]), '0.0.0-alpha')).toEqual({ kind: 'affected', fixedIn: '13.0.1' });
  });
});
