import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, stop } from '../support/processes.ts';

/**
 * Under `npm start`, each function's first request is a cold start as Lambda reports it: the local gateway sets
 * AWS_LAMBDA_INITIALIZATION_TYPE=on-demand as the runtime does, so Powertools logs `cold_start: true` on the first
 * request of each function, `false` after, and emits the ColdStart metric once per function.
 */
let service: Awaited<ReturnType<typeof startLocalService>>;
beforeAll(async () => {
  service = await startLocalService({ DYNAMODB_ENGINE: 'dynalite', POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' });
}, 90_000);
afterAll(async () => {
  if (service) await stop(service);
});

type Line = Record<string, unknown>;
const lines = (): Line[] =>
  service
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

describe('cold starts under npm start', () => {
  it('the first request of each function is a cold start, the next ones are not', async () => {
    for (const path of ['/api/feeds', '/api/feeds', '/', '/', '/api/deployments?FeedName=DefaultNuGet', '/api/package-deployment/']) {
      const response = await fetch(`${service.baseUrl}${path}`);
      await response.arrayBuffer();
    }
    // The log lines are written before the answers are sent; give the pipe a moment.
    await new Promise((r) => setTimeout(r, 300));
    const answered = lines().filter((l) => l.message === 'answered');
    const coldStarts = (fn: string) => answered.filter((l) => String(l.function_name).endsWith(fn)).map((l) => l.cold_start);
    expect(coldStarts('query-deployments')).toEqual([true, false, false]);
    expect(coldStarts('site')).toEqual([true, false]);
    expect(coldStarts('record-deployment')).toEqual([true]);
    const coldStartMetrics = lines()
      .filter((l) => typeof l.ColdStart === 'number')
      .map((l) => [l.function_name, l.ColdStart]);
    expect(coldStartMetrics.map(([fn]) => fn).sort()).toEqual(['query-deployments', 'record-deployment', 'site']);
  });
});
