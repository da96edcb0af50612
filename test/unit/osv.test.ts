import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, parseAdvisory, type Advisory } from '../../lib/domain/osv.ts';
import { matchVersion } from '../../lib/domain/ranges.ts';
import { NEWTONSOFT, TWO_LINES, UNKNOWN_ECOSYSTEM } from '../fixtures/osv/advisories.ts';

const parsed = (advisory: unknown): Advisory => {
  const result = parseAdvisory(JSON.stringify(advisory));
  if (!result.ok) throw new Error(result.detail);
  return result.value;
};
const fields = (text: string) => {
  const result = parseAdvisory(text);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors.map((e) => e.field);
};

describe('OSV advisories', () => {
  it('reads a GitHub advisory: its id, the package and its range, FixedIn from the fixed event', () => {
    const advisory = parsed(NEWTONSOFT);
    expect(advisory.id).toBe('GHSA-5crp-9r3c-p9vr');
    expect(advisory.packages).toHaveLength(1);
    const [p] = advisory.packages;
    expect(p).toMatchObject({ ecosystem: 'NuGet', name: 'Newtonsoft.Json', matching: 'range' });
    expect(matchVersion(p!.matcher, '12.0.3')).toEqual({ kind: 'affected', fixedIn: '13.0.1' });
    expect(matchVersion(p!.matcher, '13.0.1-beta1')).toEqual({ kind: 'affected', fixedIn: '13.0.1' });
    expect(matchVersion(p!.matcher, '13.0.1')).toEqual({ kind: 'unaffected' });
    expect(matchVersion(p!.matcher, '13.0.1.0')).toEqual({ kind: 'unaffected' });
    expect(matchVersion(p!.matcher, 'banana')).toEqual({ kind: 'unknown' });
  });

  it('merges several affected entries of one package, ignores GIT ranges, and keeps versions[]-only packages', () => {
    const advisory = parsed(TWO_LINES);
    expect(advisory.packages.map((p) => [p.name, p.matching])).toEqual([
      ['@acme/widget', 'range'],
      ['left-pad', 'versions-list'],
    ]);
    const widget = advisory.packages[0]!.matcher;
    expect(matchVersion(widget, '0.9.0').kind).toBe('unaffected');
    expect(matchVersion(widget, '1.0.0')).toEqual({ kind: 'affected', fixedIn: '1.4.2' });
    expect(matchVersion(widget, '1.4.2').kind).toBe('unaffected');
    expect(matchVersion(widget, '2.0.0-alpha.0').kind).toBe('unaffected');
    expect(matchVersion(widget, '2.0.0-alpha.1')).toEqual({ kind: 'affected' });
    expect(matchVersion(widget, '2.1.0')).toEqual({ kind: 'affected' });
    expect(matchVersion(widget, '2.1.1').kind).toBe('unaffected');
    const leftPad = advisory.packages[1]!.matcher;
    expect(['1.1.0', '1.1.1', '1.1.2', '1.0.0'].map((v) => matchVersion(leftPad, v).kind)).toEqual(['affected', 'affected', 'unaffected', 'unaffected']);
  });

  it("matches an unknown ecosystem's packages by versions[] only, never by its ECOSYSTEM ranges", () => {
    const [p] = parsed(UNKNOWN_ECOSYSTEM).packages;
    expect(p).toMatchObject({ ecosystem: 'PyPI', matching: 'versions-list' });
    expect(matchVersion(p!.matcher, '2.30.0').kind).toBe('affected');
    expect(matchVersion(p!.matcher, '2.28.0').kind).toBe('unaffected');
  });

  it('reads SEMVER ranges in any ecosystem, and an advisory without an id', () => {
    const advisory = parsed({
      affected: [{ package: { ecosystem: 'crates.io', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }],
    });
    expect(advisory.id).toBeNull();
    expect(advisory.packages[0]).toMatchObject({ matching: 'range' });
    expect(matchVersion(advisory.packages[0]!.matcher, '0.5.0').kind).toBe('affected');
  });

  it("words a missing, wrongly typed or too long value as the other field errors do, never in zod's own text", () => {
    const details = (text: string) => {
      const result = parseAdvisory(text);
      expect(result.ok).toBe(false);
      return result.ok ? [] : result.errors.map((e) => e.detail);
    };
    expect(details('{}')).toEqual(['affected is required.']);
    expect(details('{"affected":{}}')).toEqual(['affected must be an array.']);
    expect(details('{"affected":[{"package":{"ecosystem":"NuGet","name":7}}]}')).toEqual(['affected[0].package.name must be a string.']);
    expect(details('{"affected":[{"package":{"ecosystem":"NuGet"}}]}')).toEqual(['affected[0].package.name is required.']);
    expect(details(`{"id":"${'a'.repeat(201)}","affected":[{"package":{"ecosystem":"NuGet","name":"a"},"versions":["1.0"]}]}`)).toEqual([
      'id must be at most 200 characters.',
    ]);
  });

  it('answers a malformed advisory with every problem, each naming its JSON path', () => {
    expect(fields('{"affected":[{"package":{"ecosystem":"NuGet"}}]}')).toEqual(['affected[0].package.name']);
    expect(
      fields('{"affected":[{"package":{"ecosystem":"NuGet","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixd":"1.0"}]}]}]}'),
    ).toEqual(['affected[0].ranges[0].events[1]']);
    expect(
      fields(
        '{"affected":[{"package":{"ecosystem":"NuGet","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"not.a.version"}]}]}]}',
      ),
    ).toEqual(['affected[0].ranges[0].events[1]']);
    expect(fields('{"affected":[{"package":{"ecosystem":"NuGet","name":"a"},"ranges":[{"type":"RANGE","events":[{"introduced":"0"}]}]}]}')).toEqual([
      'affected[0].ranges[0].type',
    ]);
    expect(fields('{"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}')).toEqual([
      'affected[0].ranges[0].events',
    ]);
    expect(fields('{"affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":"1.0.0"}]}')).toEqual(['affected[0].versions']);
    expect(fields('{"affected":[]}')).toEqual(['affected']);
    expect(fields('{"id":"x"}')).toEqual(['affected']);
    expect(fields('[]')).toEqual(['(the advisory)']);
    expect(fields('{"affected": [')).toEqual(['(the advisory)']);
    expect(fields('')).toEqual(['(the advisory)']);
  });

  describe('hostile advisories: a 400 quickly, before the work they would cause', () => {
    const quickly = (text: string) => {
      const start = performance.now();
      const result = parseAdvisory(text);
      const ms = performance.now() - start;
      expect(result.ok).toBe(false);
      expect(ms).toBeLessThan(1000);
      return result.ok ? '' : result.detail;
    };

    it(`deep nesting (past ${MAX_DEPTH} levels), also inside a string-free 10 MB text`, () => {
      expect(quickly('{"affected":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}')).toMatch(/deeper than 32 levels/);
      expect(quickly('['.repeat(10 * 1024 * 1024))).toMatch(/deeper than 32 levels/);
      // Brackets inside strings are text, not nesting.
      expect(parseAdvisory(JSON.stringify({ ...NEWTONSOFT, details: '['.repeat(1000) + '\\"{' })).ok).toBe(true);
    });

    it('100,000 ranges, too many events or versions, too many packages', () => {
      const ranges = Array.from({ length: 100_000 }, () => ({ type: 'SEMVER', events: [{ introduced: '0' }] }));
      expect(quickly(JSON.stringify({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges }] }))).toMatch(/100000 ranges; at most 1000/);
      const events = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? { fixed: `${i}.0.0` } : { introduced: `${i}.0.0` }));
      expect(quickly(JSON.stringify({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events }] }] }))).toMatch(
        /20000 range events/,
      );
      const versions = Array.from({ length: 60_000 }, (_, i) => `1.0.${i}`);
      expect(quickly(JSON.stringify({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, versions }] }))).toMatch(/60000 versions/);
      const many = Array.from({ length: 60 }, (_, i) => ({ package: { ecosystem: 'npm', name: `p${i}` }, versions: ['1.0.0'] }));
      expect(quickly(JSON.stringify({ affected: many }))).toMatch(/60 packages; at most 50/);
    });

    it('a 1 MiB body of wrongly typed list elements is counted before the schema reads it (hundreds of thousands of issues overflowed the stack)', () => {
      const ones = (n: number) => '[' + Array.from({ length: n }, () => '1').join(',') + ']';
      expect(quickly(`{"affected":[{"package":{"ecosystem":"NuGet","name":"x"},"versions":${ones(520_000)}}]}`)).toMatch(/520000 versions; at most 50000/);
      const entry = {
        package: { ecosystem: 'NuGet', name: 'x' },
        versions: Array(250).fill(1),
        ranges: Array(20).fill({ type: 'SEMVER', events: Array(50).fill(1) }),
      };
      expect(quickly(JSON.stringify({ affected: Array(200).fill(entry) }))).toMatch(/4000 ranges; at most 1000/);
      expect(quickly(`{"affected":${ones(300_000)}}`)).toMatch(/at most 200 entries/);
      // Lists of another type, or inherited, count as none: the schema then names them.
      expect(fields('{"affected":[{"package":{"ecosystem":"NuGet","name":"x"},"versions":{"length":99999999}}]}')).toEqual(['affected[0].versions']);
    });

    it('refuses a key repeated within one object (JSON.parse would keep the last without a word), however it is spelt', () => {
      const repeated = (text: string) => {
        const result = parseAdvisory(text);
        expect(result.ok).toBe(false);
        return result.ok ? '' : result.detail;
      };
      const pkg = '"package":{"ecosystem":"NuGet","name":"Newtonsoft.Json"}';
      expect(repeated(`{"affected":[{${pkg},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"13.0.1","fixed":"1.0.0"}]}]}]}`)).toMatch(
        /repeats the key "fixed"/,
      );
      expect(repeated(`{"affected":[{${pkg},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0", "introduc\\u0065d" :"99"}]}]}]}`)).toMatch(
        /repeats the key "introduced"/,
      );
      expect(repeated(`{"id":"a","affected":[{${pkg},"versions":["12.0.3"]}],"id":"b"}`)).toMatch(/repeats the key "id"/);
      expect(repeated(`{"affected":[{${pkg},"versions":[]}],"__proto__":{},"__proto__":{}}`)).toMatch(/repeats the key "__proto__"/);
      // The same key in sibling or nested objects, and key-like text in strings and arrays, are not repeats.
      const fine = `{"id":"x","affected":[{${pkg},"versions":["id",":","{\\"id\\":1}"]},{${pkg},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"13.0.1"}]}]}]}`;
      expect(parseAdvisory(fine).ok).toBe(true);
    });

    it('an ecosystem or package named like an Object.prototype property is read as text', () => {
      for (const ecosystem of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        const advisory = parsed({ affected: [{ package: { ecosystem, name: 'constructor' }, versions: ['toString'] }] });
        expect(advisory.packages).toEqual([expect.objectContaining({ ecosystem, name: 'constructor', matching: 'versions-list' })]);
      }
    });

    it('an advisory at the limits (50,000 versions, 5,000 clauses) checks 1,000 targets in well under a second', () => {
      const versions = Array.from({ length: 50_000 }, (_, i) => `100000.${i % 1000}.0-rc.${i}`);
      // [0, 1), [2, 3), ... [9998, 9999): 5,000 clauses.
      const events = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? { fixed: `${i}.0.0` } : { introduced: `${i}.0.0` }));
      const { packages } = parsed({
        affected: [{ package: { ecosystem: 'NuGet', name: 'Newtonsoft.Json' }, versions, ranges: [{ type: 'ECOSYSTEM', events }] }],
      });
      const matcher = packages[0]!.matcher;
      const start = performance.now();
      const kinds = Array.from({ length: 1000 }, (_, i) => matchVersion(matcher, `9.${i}.0`).kind);
      expect(performance.now() - start).toBeLessThan(1000);
      expect(kinds.every((k) => k === 'unaffected')).toBe(true);
      expect(matchVersion(matcher, '100000.7.0-RC.0007')).toEqual({ kind: 'affected' });
      expect(matchVersion(matcher, '100000.7.0-rc.8')).toEqual({ kind: 'unaffected' });
      expect(matchVersion(matcher, '9998.5.0')).toEqual({ kind: 'affected', fixedIn: '9999.0.0' });
    });

    it('a 10 MB string field costs one linear scan', () => {
      expect(quickly(JSON.stringify({ id: 'x'.repeat(10 * 1024 * 1024), affected: [] }))).toMatch(/id|affected/);
    });
  });
});
