/**
 * The worked example of docs/api.md ("The four DORA keys"): a feed's deployments from 2026-11-01 to 2026-11-10 over
 * two packages, three targets and two regions, with failed deployments, two rollbacks, a restore across midnight,
 * records with and without CommitTime, and backdated records inside and outside the range. Recorded in this order;
 * `region` us-east-1 is recorded as a second region's function would (putDeployment), the others through the handler.
 * DORA_EXAMPLE (lib/app/openapi.ts) is the answer for the whole feed; the integration and e2e suites check both.
 */
export type DoraRecord = {
  n: number;
  pkg: string;
  version: string;
  target: string;
  date: string;
  commitTime?: string;
  status?: 'Failed';
  region?: 'us-east-1';
};

/** A record of the fixture as a pipeline POSTs it to the recording route (JSON), into `feed`. */
export const doraBody = (feed: string, r: DoraRecord, application = 'Pipeline'): string =>
  JSON.stringify({
    FeedName: feed,
    PackageName: r.pkg,
    Version: r.version,
    Target: r.target,
    Application: application,
    Description: `Deploy ${r.version}`,
    Date: r.date,
    ...(r.commitTime ? { CommitTime: r.commitTime, CommitSha: 'abcdef1234567' } : {}),
    // Sent in lower case: Status matches case-insensitively.
    ...(r.status ? { Status: r.status.toLowerCase() } : {}),
  });

export const DORA_RECORDS: DoraRecord[] = [
  { n: 1, pkg: 'App', version: '1.0.0', target: 'web01', date: '2026-11-01T10:00:00Z', commitTime: '2026-11-01T08:00:00Z' },
  { n: 2, pkg: 'App', version: '1.1.0', target: 'web01', date: '2026-11-02T10:00:00Z', commitTime: '2026-11-01T10:00:00Z' },
  { n: 3, pkg: 'App', version: '1.2.0', target: 'web01', date: '2026-11-03T10:00:00Z', commitTime: '2026-11-03T09:00:00Z', status: 'Failed' },
  { n: 4, pkg: 'App', version: '1.2.1', target: 'web01', date: '2026-11-04T02:00:00Z', commitTime: '2026-11-03T20:00:00Z' },
  { n: 5, pkg: 'App', version: '1.3.0', target: 'web01', date: '2026-11-05T10:00:00Z', commitTime: '2026-11-05T09:30:00Z' },
  { n: 6, pkg: 'App', version: '1.2.1', target: 'web01', date: '2026-11-05T10:30:00Z' },
  { n: 7, pkg: 'App', version: '1.0.0', target: 'web02', date: '2026-11-02T12:00:00Z', commitTime: '2026-11-02T11:00:00Z', region: 'us-east-1' },
  { n: 8, pkg: 'App', version: '2.0.0', target: 'web02', date: '2026-11-06T23:00:00Z', commitTime: '2026-11-06T21:00:00Z', region: 'us-east-1' },
  { n: 9, pkg: 'App', version: '1.0.0', target: 'web02', date: '2026-11-07T01:00:00Z', region: 'us-east-1' },
  { n: 10, pkg: 'Lib', version: '5.0.0', target: 'web01', date: '2026-11-08T10:00:00Z', status: 'Failed' },
  { n: 11, pkg: 'Lib', version: '5.0.0', target: 'web01', date: '2026-11-08T12:00:00Z', commitTime: '2026-11-08T11:00:00Z' },
  { n: 12, pkg: 'App', version: '0.9.0', target: 'web03', date: '2026-10-25T10:00:00Z', commitTime: '2026-10-24T10:00:00Z' },
  { n: 13, pkg: 'App', version: '1.0.5', target: 'web01', date: '2026-11-01T12:00:00Z', commitTime: '2026-11-01T11:00:00Z' },
  { n: 14, pkg: 'App', version: '1.3.0', target: 'web03', date: '2026-11-11T10:00:00Z', commitTime: '2026-11-11T09:00:00Z' },
  { n: 15, pkg: 'App', version: '3.0.0', target: 'web02', date: '2026-11-09T10:00:00Z', status: 'Failed', region: 'us-east-1' },
];

export const DORA_RANGE = { from: '2026-11-01', to: '2026-11-10' } as const;

/** The answers for some filters, computed by hand from the table above (docs/api.md shows how). */
export const DORA_FILTERED = {
  // web02 (in us-east-1): records 7, 8, 9 and 15. 8 fails (9 rolls it back, restored in 2 h), 15 failed.
  web02: {
    Deployments: 4,
    DeploymentFrequency: { PerDay: 0.4, DaysWithDeployment: 4, Rating: 'high' },
    LeadTimeForChanges: { MedianSeconds: 5400, P90Seconds: 7200, Count: 2, Rating: 'elite' },
    ChangeFailureRate: { Rate: 0.5, Failed: 2, Total: 4, Rating: 'low' },
    TimeToRestore: { MedianSeconds: 7200, Count: 1, Rating: 'high' },
  },
  // Lib: a failed first deployment, then one that lands (nothing ran before it: nothing to restore).
  lib: {
    Deployments: 2,
    DeploymentFrequency: { PerDay: 0.2, DaysWithDeployment: 1, Rating: 'high' },
    LeadTimeForChanges: { MedianSeconds: 3600, P90Seconds: 3600, Count: 1, Rating: 'elite' },
    ChangeFailureRate: { Rate: 0.5, Failed: 1, Total: 2, Rating: 'low' },
    TimeToRestore: { MedianSeconds: null, Count: 0, Rating: null },
  },
} as const;
