import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { seedFields } from '../support/invoke.ts';
import { startLocalService, stop } from '../support/processes.ts';
import { report } from './figures.ts';
import { TABLES, checkComplete, directClient, partition, sleep } from './support.ts';
import { tableEnvironment } from '../support/lambda-env.ts';

/**
 * Load without loss, through `npm start` itself (its entry point on free ports: the built bundle behind the local
 * gateway, dynalite in memory): POSTs at concurrency 64 must leave exactly one record per 200, each readable through
 * the read API; then records each sent twice at once under one Idempotency-Key must be stored once, both answers
 * naming the same record.
 */
const N = Number(process.env.LOAD_REQUESTS ?? 10_000);
const CONCURRENCY = 64;
const FEED = 'DefaultNuGet'; // seeded by npm start, open to anonymous users
const run = randomUUID().slice(0, 8);

let service: Awaited<ReturnType<typeof startLocalService>>;
let baseUrl: string;
let direct: DynamoDBDocumentClient;

beforeAll(async () => {
  service = await startLocalService({
    DYNAMODB_ENGINE: 'dynalite',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // On a shared two-core machine a local write can take longer than the 1.5 s that suits DynamoDB; a plain POST
    // retried after such a timeout may be stored twice (at least once, as documented), which is not what this
    // measures. The faults part tests the timeouts.
    DYNAMODB_REQUEST_TIMEOUT_MS: '10000',
    ...tableEnvironment(TABLES),
  });
  baseUrl = service.baseUrl;
  direct = directClient(service.dynamoEndpoint);
});
afterAll(async () => {
  direct?.destroy();
  if (service) await stop(service);
});

type Posted = { status: number; id?: string; replayed: boolean; retries: number };

/** One POST; a 409 (the same Idempotency-Key in flight) or 503 is retried after Retry-After, as a pipeline would. */
const post = async (pkg: string, target: string, idempotencyKey?: string): Promise<Posted> => {
  for (let retries = 0; ; retries++) {
    const res = await fetch(`${baseUrl}/api/package-deployment/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
      body: JSON.stringify(seedFields({ FeedName: FEED, PackageName: pkg, Target: target })),
    });
    const body = (await res.json()) as { Id?: string };
    if ((res.status === 409 || res.status === 503) && retries < 20) {
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    return { status: res.status, ...(body.Id ? { id: body.Id } : {}), replayed: res.headers.get('idempotent-replayed') === 'true', retries };
  }
};

/** Runs `count` jobs, `concurrency` at a time. */
const pool = async <T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> => {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await job(i);
      }
    }),
  );
  return results;
};

/** Every record of a package through the read API over HTTP, page by page (limit 200, following NextCursor). */
const readAll = async (pkg: string): Promise<string[]> => {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const res = await fetch(`${baseUrl}/api/deployments?FeedName=${FEED}&PackageName=${pkg}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { Items: Array<{ Id: string }>; NextCursor?: string };
    ids.push(...page.Items.map((i) => i.Id));
    cursor = page.NextCursor;
  } while (cursor);
  return ids;
};

describe('load without loss', () => {
  it(`${N} POSTs at concurrency ${CONCURRENCY}: exactly ${N} records, each readable`, async () => {
    const pkg = `Load.${run}`;
    const started = Date.now();
    const answers = await pool(N, CONCURRENCY, (i) => post(pkg, `t${i % 50}`));
    const seconds = (Date.now() - started) / 1000;
    const ok = answers.filter((a) => a.status === 200);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const answered = new Set(ok.map((a) => a.id));
    expect(answered.size).toBe(N);

    const read = await readAll(pkg);
    const stored = await partition(direct, deploymentPartitionKey(FEED, undefined, pkg));
    expect(read.length).toBe(N);
    expect(new Set(read).size).toBe(N);
    expect(stored.length).toBe(N);
    const readable = new Set(read);
    const missing = [...answered].filter((id) => !readable.has(id!));
    expect(missing).toEqual([]);
    expect((await checkComplete(direct, FEED, pkg)).partial).toEqual([]);
    report('2 load: plain POSTs (npm start, concurrency 64)', {
      'POSTs sent': N,
      'answered 200': ok.length,
      '5xx other than 503': answers.filter((a) => a.status >= 500 && a.status !== 503).length,
      'retried after 503': answers.reduce((n, a) => n + a.retries, 0),
      'records expected': N,
      'records stored (DynamoDB Query)': stored.length,
      'records read back (GET /api/deployments, paged)': read.length,
      'answered ids missing from the store': missing.length,
      'requests per second': Math.round(N / seconds),
    });
  });

  it(`${N} records each sent twice at once under one Idempotency-Key: still exactly ${N}, both answers the same record`, async () => {
    const pkg = `Twice.${run}`;
    const started = Date.now();
    const pairs = await pool(N, CONCURRENCY / 2, async (i) => {
      const key = randomUUID();
      return Promise.all([post(pkg, `t${i % 50}`, key), post(pkg, `t${i % 50}`, key)]);
    });
    const seconds = (Date.now() - started) / 1000;
    const all = pairs.flat();
    expect(all.filter((a) => a.status !== 200)).toEqual([]);
    const mismatched = pairs.filter(([a, b]) => a.id !== b.id);
    expect(mismatched).toEqual([]);
    // Exactly one answer of each pair stored the record; the other replayed it.
    expect(pairs.filter(([a, b]) => Number(a.replayed) + Number(b.replayed) !== 1)).toEqual([]);

    const read = await readAll(pkg);
    const stored = await partition(direct, deploymentPartitionKey(FEED, undefined, pkg));
    expect(stored.length).toBe(N);
    expect(new Set(read).size).toBe(N);
    const readable = new Set(read);
    expect(pairs.filter(([a]) => !readable.has(a.id!))).toEqual([]);
    expect((await checkComplete(direct, FEED, pkg)).partial).toEqual([]);
    report('2 load: every record sent twice at once under one Idempotency-Key', {
      'POSTs sent': all.length,
      'distinct Idempotency-Keys': N,
      '5xx other than 503': all.filter((a) => a.status >= 500 && a.status !== 503).length,
      'records expected': N,
      'records stored (DynamoDB Query)': stored.length,
      'records read back (GET /api/deployments, paged)': read.length,
      'duplicates (records beyond one per key)': stored.length - N,
      'replays answered (Idempotent-Replayed)': all.filter((a) => a.replayed).length,
      'pairs whose answers name different records': mismatched.length,
      '409 (in flight) retried': all.reduce((n, a) => n + a.retries, 0),
      'requests per second': Math.round(all.length / seconds),
    });
  });
});
