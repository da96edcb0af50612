import { describe, expect, it } from 'vitest';
import { toPackageOverview } from '../../lib/domain/record.ts';

/** Drift is "not all the same version", by the one version order of the service (lib/domain/versions.ts). */
const targets = (...versions: string[]) =>
  versions.map((version, i) => ({
    id: `01J${i}`,
    feedName: 'F',
    packageName: 'P',
    version,
    target: `t${i}`,
    application: 'A',
    description: 'D',
    userName: 'U',
    date: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:00.000Z',
    region: 'eu-west-1',
    keyId: 'anonymous',
  }));

describe('overview drift', () => {
  it('spellings of one version are listed but are not drift', () => {
    for (const same of [
      ['1.0', '1.0.0'],
      ['v2', '2.0.0', '2.0.0.0'],
      ['1.0.0+build.1', '1.0.0+build.2'],
      ['12.0.3', '12.0.3'],
    ]) {
      const overview = toPackageOverview(targets(...same));
      expect(overview.Drift, same.join(' ')).toBe(false);
    }
    expect(toPackageOverview(targets('1.0', '1.0.0')).Versions).toHaveLength(2);
  });

  it('different versions, or versions that cannot be ordered and differ, are drift', () => {
    for (const differ of [
      ['1.0.0', '1.0.1'],
      ['1.0.0-beta', '1.0.0'],
      ['latest', 'nightly'],
      ['latest', '1.0.0'],
      ['1.0.0-Beta', '1.0.0-beta'],
    ]) {
      expect(toPackageOverview(targets(...differ)).Drift, differ.join(' ')).toBe(true);
    }
  });
});
