import type { DeploymentRecord } from '../../lib/domain/record.ts';

/** The region the unit tests' stream records come from. */
export const REGION = 'eu-west-1';

/** A stored record (`Releases`/App 1.2.0 on web01, 2026-01-01, eu-west-1), with `over` replacing or adding fields. */
export const sampleRecord = <T extends Record<string, unknown> = Partial<DeploymentRecord>>(over: T = {} as T): DeploymentRecord & T => ({
  id: '01J00000000000000000000001',
  feedName: 'Releases',
  packageName: 'App',
  version: '1.2.0',
  target: 'web01',
  application: 'Shop',
  description: 'release',
  userName: 'alice',
  date: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.000Z',
  keyId: 'anonymous',
  region: REGION,
  ...over,
});
