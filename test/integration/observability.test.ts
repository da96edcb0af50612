import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { documentClient } from '../../lib/store/client.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import type { LambdaHandler } from '../../infra/local/gateway.ts';
import { formBody, invoke, seedFields } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

const FEED = `Metrics-${randomUUID().slice(0, 8)}`;
type Line = Record<string, unknown> & { _aws?: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };

let lines: string[] = [];
let record: LambdaHandler;
let query: LambdaHandler;

beforeAll(async () => {
  await new FeedRepository(documentClient(), TEST_TABLES.feeds, TEST_TABLES).add(FEED, VIEW_AND_DOWNLOAD);
  // The handlers as Lambda loads them, with metrics and DEBUG logs on (the suite turns both off elsewhere).
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.resetModules();
  record = (await import('../../functions/record-deployment/handler.ts')).handler as LambdaHandler;
  query = (await import('../../functions/query-deployments/handler.ts')).handler as LambdaHandler;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  });
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const captured = async (call: () => Promise<unknown>): Promise<Line[]> => {
  lines = [];
  await call();
  return lines.map((l) => JSON.parse(l) as Line);
};
const emf = (output: Line[]) => output.filter((l) => l._aws !== undefined);
const metricNames = (line: Line) => line._aws!.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort();

describe('EMF metrics, one flush per invocation', () => {
  it('a 200 emits Recorded, with the function and service dimensions', async () => {
    const output = await captured(() =>
      invoke(record, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(seedFields({ FeedName: FEED })) }),
    );
    const flushed = emf(output).filter((l) => 'Recorded' in l);
    expect(flushed).toHaveLength(1);
    const line = flushed[0]!;
    expect(metricNames(line)).toEqual(['Recorded']);
    expect(line).toMatchObject({ Recorded: 1, function: 'record-deployment', service: 'package-deployment-api' });
    expect(line._aws!.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'PackageDeploymentApi', Dimensions: [expect.arrayContaining(['service', 'function'])] });
  });

  it('a 400 emits BadRequest, and no Recorded', async () => {
    const output = await captured(() =>
      invoke(record, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: formBody(seedFields({ FeedName: FEED, Version: '' })) }),
    );
    const [line, ...more] = emf(output).filter((l) => !('ColdStart' in l));
    expect(more).toHaveLength(0);
    expect(metricNames(line!)).toEqual(['BadRequest']);
    expect(line).toMatchObject({ BadRequest: 1, function: 'record-deployment' });
  });

  it('a replay emits Replayed; the read function counts Served and its refusals under its own name', async () => {
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() };
    const body = JSON.stringify(seedFields({ FeedName: FEED, PackageName: 'Replay.Me' }));
    await invoke(record, { headers, body });
    const replay = emf(await captured(() => invoke(record, { headers, body }))).filter((l) => 'Replayed' in l);
    expect(replay).toHaveLength(1);
    const served = emf(await captured(() => invoke(query, { method: 'GET', path: '/api/deployments', query: `FeedName=${FEED}` })));
    expect(served.find((l) => 'Served' in l)).toMatchObject({ Served: 1, function: 'query-deployments' });
    const refused = emf(await captured(() => invoke(query, { method: 'POST', path: '/api/deployments' })));
    expect(refused.find((l) => 'MethodNotAllowed' in l)).toMatchObject({ MethodNotAllowed: 1, function: 'query-deployments' });
  });
});

describe('request logs', () => {
  it('carry the Lambda request id, a redacted request at DEBUG and one INFO line per answer', async () => {
    const key = 'not-a-real-key-but-secret-all-the-same-0123';
    const output = await captured(() =>
      invoke(record, {
        query: `key=${key}`,
        headers: { 'Content-Type': 'application/json', 'X-ApiKey': key },
        body: JSON.stringify(seedFields({ FeedName: FEED })),
      }),
    );
    const logs = output.filter((l) => l._aws === undefined);
    const request = logs.find((l) => l.message === 'request');
    const answered = logs.find((l) => l.message === 'answered');
    expect(request).toMatchObject({ level: 'DEBUG', function_name: 'record-deployment', request: { method: 'POST', headers: { 'x-apikey': '[redacted]' } } });
    expect(answered).toMatchObject({ level: 'INFO', status: 403, outcome: 'Forbidden', path: '/api/package-deployment/' });
    expect(answered!.function_request_id).toEqual(request!.function_request_id);
    expect(typeof answered!.function_request_id).toBe('string');
    expect(JSON.stringify(output)).not.toContain(key);
  });

  it('at DEBUG, rawQueryString is redacted like the parsed query, by decoded or raw parameter name', async () => {
    const key = 'query-secret-that-must-not-be-logged-0123456';
    const qs = `%6Bey=${key}&X-Api-Token=${key}&api%5Fkey=${key}&%FFtoken=${key}&FeedName=${FEED}`;
    const output = await captured(() => invoke(query, { method: 'GET', path: '/api/deployments', query: qs }));
    const request = output.find((l) => l.message === 'request') as { request: { rawQueryString: string; queryStringParameters: Record<string, string> } };
    expect(request.request.rawQueryString).toBe(`%6Bey=[redacted]&X-Api-Token=[redacted]&api%5Fkey=[redacted]&%FFtoken=[redacted]&FeedName=${FEED}`);
    expect(JSON.stringify(output)).not.toContain(key);
  });

  it('never logs the event as received, even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    // Powertools reads the setting when the Logger is created: load the handler afresh with it on.
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    vi.resetModules();
    const fresh = (await import('../../functions/record-deployment/handler.ts')).handler as LambdaHandler;
    const key = 'another-secret-key-that-must-not-be-logged-42';
    const output = await captured(() =>
      invoke(fresh, { headers: { Authorization: `Basic ${Buffer.from(`api:${key}`).toString('base64')}` }, body: `key=${key}` }),
    );
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'false');
    expect(output.some((l) => l.message === 'answered')).toBe(true);
    expect(output.some((l) => l.message === 'Lambda invocation event')).toBe(false);
    const text = JSON.stringify(output);
    expect(text).not.toContain(key);
    expect(text).not.toContain(Buffer.from(`api:${key}`).toString('base64'));
  });
});
