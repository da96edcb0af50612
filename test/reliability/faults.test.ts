import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type LocalDynamoDB } from '../../infra/local/dynamodb.ts';
import type { LambdaHandler } from '../../infra/local/gateway.ts';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/ports.ts';
import { invoke, seedFields, type Answer } from '../support/invoke.ts';
import { report } from './figures.ts';
import { checkComplete, directClient, loadHandler, seedWorld, unique } from './support.ts';

/**
 * Faults between the function and DynamoDB, injected by a proxy in front of a real dynalite (test/support/fault-proxy.ts)
 * so that the service's own client, timeouts and retry strategy meet them over real sockets. Every answer must be a 200
 * backed by exactly one complete record, or a 503 problem with Retry-After; no other 5xx, no partial record.
 */
const FEED = unique('Faults');
const MAX_ATTEMPTS = 3;
const FAULTS: Fault[] = ['throughput', 'throttling', 'internal', 'unavailable', 'reset', 'hang', 'lost'];
const OPERATIONS = ['BatchGetItem', 'TransactWriteItems'] as const;

let db: LocalDynamoDB;
let proxy: FaultProxy;
let direct: DynamoDBDocumentClient;
let key: string;
const seen = { requests: 0, status: {} as Record<number, number>, sdkRetries: 0, serviceRetries: 0, fiveHundreds: 0, okWithoutRecord: 0 };

beforeAll(async () => {
  db = await startDynalite({ port: 0 });
  ({ key } = await seedWorld(db.endpoint, FEED));
  direct = directClient(db.endpoint);
  proxy = await startFaultProxy(db.endpoint);
});
afterAll(async () => {
  report('3 faults (injected between the function and DynamoDB)', {
    requests: seen.requests,
    'faults injected': Object.values(proxy.injected).reduce((a, b) => a + b, 0),
    'faults by kind': Object.entries(proxy.injected)
      .map(([k, n]) => `${k}:${n}`)
      .join(' '),
    'DynamoDB calls (attempts)': Object.values(proxy.attempts).reduce((a, b) => a + b, 0),
    'SDK retries': seen.sdkRetries,
    'service retries (cancelled transactions)': seen.serviceRetries,
    'answers by status': Object.entries(seen.status)
      .map(([s, n]) => `${s}:${n}`)
      .join(' '),
    '5xx other than 503': seen.fiveHundreds,
    '200 without a durable record': seen.okWithoutRecord,
  });
  await proxy.close();
  direct.destroy();
  await db.stop();
});

const record = async (handler: LambdaHandler, pkg: string, headers: Record<string, string> = {}): Promise<Answer> => {
  const answer = await invoke(handler, {
    headers: { 'Content-Type': 'application/json', 'X-ApiKey': key, ...headers },
    body: JSON.stringify(seedFields({ FeedName: FEED, PackageName: pkg, Target: `t-${pkg}` })),
  });
  seen.requests++;
  seen.status[answer.status] = (seen.status[answer.status] ?? 0) + 1;
  if (answer.status >= 500 && answer.status !== 503) seen.fiveHundreds++;
  return answer;
};

const expectUnavailable = (answer: Answer) => {
  expect(answer.status).toBe(503);
  expect(answer.headers['Retry-After']).toMatch(/^\d+$/);
  expect(answer.headers['Content-Type']).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status: 503, title: 'Service Unavailable' });
  expect(String(answer.json.detail)).not.toBe('');
};

/** A 200 must be backed by exactly one complete record with the answered id. */
const expectDurable = async (answer: Answer, pkg: string) => {
  expect(answer.status).toBe(200);
  const check = await checkComplete(direct, FEED, pkg);
  if (check.history !== 1) seen.okWithoutRecord++;
  expect(check).toEqual({ history: 1, current: 1, partial: [] });
};

const sdkCalls = (operation: string) => proxy.attempts[operation] ?? 0;

describe.each(FAULTS)('%s', (fault) => {
  let handler: LambdaHandler;
  beforeAll(async () => {
    // A new execution environment per kind of fault: the SDK's retry quota is per client, as it is per Lambda
    // environment; short timeouts keep "hang" quick.
    handler = await loadHandler('record-deployment', {
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      LOOKUP_CACHE_TTL_SECONDS: '0',
      DYNAMODB_REQUEST_TIMEOUT_MS: '500',
      DYNAMODB_CONNECT_TIMEOUT_MS: '500',
      DYNAMODB_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
  });

  it.each(OPERATIONS)(`on the first ${MAX_ATTEMPTS - 1} attempts of %s: the SDK retries, 200, one complete record`, async (operation) => {
    const pkg = unique(`${fault}-${operation}-transient`);
    const before = sdkCalls(operation);
    const tokensBefore = proxy.tokens.length;
    proxy.setPlan((call) => (call.operation === operation && call.attempt < MAX_ATTEMPTS ? fault : 'forward'));
    const answer = await record(handler, pkg);
    proxy.setPlan(() => 'forward');
    const attempts = sdkCalls(operation) - before;
    seen.sdkRetries += attempts - 1;
    expect(attempts).toBe(MAX_ATTEMPTS);
    await expectDurable(answer, pkg);
    if (operation === 'TransactWriteItems') {
      // Every retry carried the first attempt's ClientRequestToken: a write whose answer was lost is not applied twice.
      const tokens = new Set(proxy.tokens.slice(tokensBefore));
      expect(tokens.size).toBe(1);
    }
  });

  it.each(OPERATIONS)(`on every attempt of %s: 503 with Retry-After after ${MAX_ATTEMPTS} attempts, and no record but a lost answer's`, async (operation) => {
    const pkg = unique(`${fault}-${operation}-persistent`);
    const idempotencyKey = randomUUID();
    const before = sdkCalls(operation);
    proxy.setPlan((call) => (call.operation === operation ? fault : 'forward'));
    const answer = await record(handler, pkg, { 'Idempotency-Key': idempotencyKey });
    proxy.setPlan(() => 'forward');
    const attempts = sdkCalls(operation) - before;
    seen.sdkRetries += attempts - 1;
    expect(attempts).toBe(MAX_ATTEMPTS);
    expectUnavailable(answer);
    const stored = await checkComplete(direct, FEED, pkg);
    expect(stored.partial).toEqual([]);
    // Only a write whose answer was lost may have been applied, and then once (the same ClientRequestToken).
    expect(stored.history).toBe(fault === 'lost' && operation === 'TransactWriteItems' ? 1 : 0);
    // The client's retry with the same Idempotency-Key gets that record (or records it now): exactly one either way.
    const retry = await record(handler, pkg, { 'Idempotency-Key': idempotencyKey });
    await expectDurable(retry, pkg);
    expect(retry.headers['Idempotent-Replayed']).toBe(stored.history === 1 ? 'true' : undefined);
  });
});

describe('a transaction cancelled because DynamoDB throttled one of its items', () => {
  let handler: LambdaHandler;
  beforeAll(async () => {
    handler = await loadHandler('record-deployment', { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, LOOKUP_CACHE_TTL_SECONDS: '0' });
  });

  it('is tried again by the service, then stored once', async () => {
    const pkg = unique('cancelled-transient');
    let cancelled = 0;
    proxy.setPlan((call) => (call.operation === 'TransactWriteItems' && cancelled++ < 2 ? 'cancelled-throttled' : 'forward'));
    const answer = await record(handler, pkg);
    proxy.setPlan(() => 'forward');
    seen.serviceRetries += 2;
    await expectDurable(answer, pkg);
  });

  it('is a 503 with Retry-After when it keeps happening, and nothing is stored', async () => {
    const pkg = unique('cancelled-persistent');
    const before = sdkCalls('TransactWriteItems');
    proxy.setPlan((call) => (call.operation === 'TransactWriteItems' ? 'cancelled-throttled' : 'forward'));
    const answer = await record(handler, pkg);
    proxy.setPlan(() => 'forward');
    seen.serviceRetries += sdkCalls('TransactWriteItems') - before - 1;
    expectUnavailable(answer);
    expect(await checkComplete(direct, FEED, pkg)).toEqual({ history: 0, current: 0, partial: [] });
  });
});

describe('a DynamoDB out of reach, with the default timeouts and attempts', () => {
  it('refusing connections: 503 within 2 s', async () => {
    const port = await freePort(); // nothing listens there
    const handler = await loadHandler('record-deployment', { AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`, LOOKUP_CACHE_TTL_SECONDS: '0' });
    const started = Date.now();
    const answer = await record(handler, unique('refused'));
    const elapsed = Date.now() - started;
    expectUnavailable(answer);
    expect(elapsed).toBeLessThan(2000);
    report('3 faults: a dead DynamoDB (default timeouts)', { 'connection refused: 503 after (ms)': elapsed });
  });

  it('accepting and never answering: 503 within 7 s (3 attempts of 1.5 s, plus backoff)', async () => {
    const handler = await loadHandler('record-deployment', { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, LOOKUP_CACHE_TTL_SECONDS: '0' });
    proxy.setPlan(() => 'hang');
    const before = sdkCalls('BatchGetItem');
    const started = Date.now();
    const answer = await record(handler, unique('silent'));
    const elapsed = Date.now() - started;
    proxy.setPlan(() => 'forward');
    expectUnavailable(answer);
    expect(sdkCalls('BatchGetItem') - before).toBe(3);
    seen.sdkRetries += 2;
    expect(elapsed).toBeLessThan(7000);
    report('3 faults: a dead DynamoDB (default timeouts)', { 'no answer at all: 503 after (ms)': elapsed });
  });
});
