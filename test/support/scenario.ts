/**
 * The reporting issue's scenario: two versions deployed to three targets, the last record backdated (it must not
 * replace 2.0.0 on web02). In recording order.
 */
export const TWO_VERSIONS_THREE_TARGETS = [
  { Version: '1.0.0', Target: 'web01', Date: '2026-01-05T09:00:00Z' },
  { Version: '1.0.0', Target: 'web02', Date: '2026-01-05T09:05:00Z' },
  { Version: '1.0.0', Target: 'web03', Date: '2026-01-05T09:10:00Z' },
  { Version: '2.0.0', Target: 'web01', Date: '2026-02-10T14:00:00Z' },
  { Version: '2.0.0', Target: 'web02', Date: '2026-02-10T14:30:00Z' },
  { Version: '1.0.0', Target: 'web02', Date: '2025-12-01T08:00:00Z' },
] as const;

/** What each target runs afterwards: [Target, Version, Date as stored]. */
export const CURRENT_AFTER_SCENARIO = [
  ['web01', '2.0.0', '2026-02-10T14:00:00.000Z'],
  ['web02', '2.0.0', '2026-02-10T14:30:00.000Z'],
  ['web03', '1.0.0', '2026-01-05T09:10:00.000Z'],
] as const;
