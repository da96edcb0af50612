import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeOf, compareVersions, versionOrderKey } from '../../lib/domain/versions.ts';

/** Versions as pipelines send them: SemVer, NuGet four-part, dotted numbers, a `v` prefix, pre-releases, build metadata. */
const identifier = fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom('alpha', 'beta', 'rc', 'Alpha', 'x-y', '0a', 'a0', '-', '01'));
const version = fc
  .record({
    v: fc.constantFrom('', 'v', 'V'),
    numbers: fc.array(fc.oneof(fc.nat({ max: 12 }), fc.constant(0)), { minLength: 1, maxLength: 5 }),
    pre: fc.array(identifier, { maxLength: 3 }),
    build: fc.array(identifier, { maxLength: 2 }),
  })
  .map(({ v, numbers, pre, build }) => `${v}${numbers.join('.')}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`);
const anyText = fc.oneof(version, fc.string({ maxLength: 12 }));

describe('compareVersions: ordering laws (fast-check)', () => {
  it('is reflexive', () => {
    fc.assert(fc.property(version, (a) => compareVersions(a, a) === 0));
  });

  it('is antisymmetric: compare(a, b) is -compare(b, a), and undefined both ways or neither', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const ab = compareVersions(a, b);
        const ba = compareVersions(b, a);
        return ab === undefined ? ba === undefined : ba !== undefined && ab === -ba;
      }),
    );
  });

  it('is transitive: a <= b and b <= c give a <= c, with equality only if both are equal', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort((p, q) => compareVersions(p, q)!);
        const xy = compareVersions(x!, y!)!;
        const yz = compareVersions(y!, z!)!;
        const xz = compareVersions(x!, z!)!;
        return xy <= 0 && yz <= 0 && xz <= 0 && (xz === 0) === (xy === 0 && yz === 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compareVersions: published examples', () => {
  it("follows semver.org's precedence list (§11)", () => {
    const list = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < list.length; j++) expect(compareVersions(list[i]!, list[j]!), `${list[i]} vs ${list[j]}`).toBe(Math.sign(i - j));
    }
    // And §11's numeric example: 1.0.0 < 2.0.0 < 2.1.0 < 2.1.1.
    expect(['2.1.1', '1.0.0', '2.1.0', '2.0.0'].sort((a, b) => compareVersions(a, b)!)).toEqual(['1.0.0', '2.0.0', '2.1.0', '2.1.1']);
  });

  it.each([
    ['1.10.0', '1.9.0', 1],
    ['10.0.0', '9.99.99', 1],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['v1.2.3', '1.2.3', 0],
    ['V2.0', '1.9.9', 1],
    ['1.0', '1.0.0', 0],
    ['1.0.0.0', '1', 0],
    ['1.2.3.4', '1.2.3', 1],
    ['1.2.3.4-beta', '1.2.3.4', -1],
    ['1.2.3.10', '1.2.3.9', 1],
    ['2024.11.30.1', '2024.11.30', 1],
    ['12345678901234567890.1', '12345678901234567889.9', 1],
    ['1.0.0-rc.1', '1.0.0-rc.1+sha.5114f85', 0],
    ['1.0.0-2', '1.0.0-10', -1],
    ['1.0.0-10', '1.0.0-alpha', -1],
    ['01.2', '1.2', 0],
  ] as const)('%s vs %s: %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  it.each(['latest', 'release-2024', '1.0.0-', '1..0', '.1', '1.0.0+', '1.0.0-beta..1', 'v', '', ' ', '1.0 beta', '1.0.0-β', 'abc123'])(
    '%j cannot be ordered',
    (text) => {
      expect(compareVersions(text, '1.0.0')).toBeUndefined();
      expect(compareVersions('1.0.0', text)).toBeUndefined();
    },
  );
});

describe('changeOf', () => {
  it.each([
    ['1.0.0', undefined, 'deployed'],
    ['1.1.0', '1.0.0', 'upgraded'],
    ['1.0.0', '1.1.0', 'rolledback'],
    ['1.0.0', '1.0.0', 'redeployed'],
    ['1.0', '1.0.0', 'redeployed'],
    ['latest', 'latest', 'redeployed'],
    ['latest', '1.0.0', 'changed'],
    ['1.0.0', 'nightly', 'changed'],
    ['2.0.0-rc.1', '2.0.0', 'rolledback'],
  ] as const)('%s after %s: %s', (version, previous, change) => {
    expect(changeOf(version, previous)).toBe(change);
  });
});

describe('versionOrderKey: the order of compareVersions as a string order (fast-check)', () => {
  const sign = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  it('orders two versions as compareVersions does, and puts one that cannot be ordered below every other', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const c = compareVersions(a, b);
        const keys = sign(versionOrderKey(a), versionOrderKey(b));
        if (c !== undefined) return keys === c;
        // Unorderable: its key is the lowest, so nothing deployed after it can look like a rollback.
        return compareVersions(a, a) === undefined ? versionOrderKey(a) === ' ' : versionOrderKey(b) === ' ';
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on the cases the grammar makes subtle', () => {
    const pairs: Array<[string, string, -1 | 0 | 1]> = [
      ['1', '1.0.1', -1],
      ['1.0', '1.0.0.0', 0],
      ['9', '10', -1],
      ['1.0.0-ab', '1.0.0-ab-', -1],
      ['1.0.0-alpha', '1.0.0-alpha.1', -1],
      ['1.0.0-2', '1.0.0-10', -1],
      ['1.0.0-10', '1.0.0-a', -1],
      ['1.0.0-rc.1', '1.0.0', -1],
      ['v2.0.0+build', '2.0.0', 0],
    ];
    for (const [a, b, c] of pairs) expect([a, b, sign(versionOrderKey(a), versionOrderKey(b))]).toEqual([a, b, c]);
  });
});
