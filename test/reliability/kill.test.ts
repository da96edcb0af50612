import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHandler } from '../../infra/local/gateway.ts';
import { deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { invoke, seedFields, type Answer } from '../support/invoke.ts';
import { freePort } from '../support/ports.ts';
import { startNode, stop, type Child } from '../support/processes.ts';
import { report } from './figures.ts';
import { checkComplete, directClient, loadHandler, partition, seedWorld, sleep, unique } from './support.ts';

/**
 * The local DynamoDB is killed (SIGKILL) in the middle of a run of concurrent POSTs and started again on its data
 * directory. Every 200 must name a record that survived; every other answer must be a 503; no record may be partial;
 * and a client that retries its 503s with the same Idempotency-Key ends with exactly one record per key.
 */
const REQUESTS = Number(process.env.KILL_REQUESTS ?? 3000);
const CONCURRENCY = 32;
const KILL_AFTER = Math.floor(REQUESTS / 4);
const DOWN_MS = 1500;
const FEED = unique('Kill');
const PKG = 'Kill.Me';

let dataDir: string;
let port: number;
let engine: Child;
let direct: DynamoDBDocumentClient;
let key: string;
let handler: LambdaHandler;

const startEngine = () => startNode(['test/support/dynalite-process.ts', String(port), dataDir], /listening (\S+)/);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kill-dynalite-'));
  port = await freePort();
  engine = await startEngine();
  const endpoint = `http://127.0.0.1:${port}`;
  ({ key } = await seedWorld(endpoint, FEED));
  direct = directClient(endpoint);
  handler = await loadHandler('record-deployment', { AWS_ENDPOINT_URL_DYNAMODB: endpoint });
});
afterAll(async () => {
  direct?.destroy();
  if (engine) await stop(engine, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

type Sent = { i: number; idempotencyKey?: string; answer: Answer };

const send = (i: number, idempotencyKey?: string): Promise<Answer> =>
  invoke(handler, {
    headers: { 'Content-Type': 'application/json', 'X-ApiKey': key, ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
    body: JSON.stringify(seedFields({ FeedName: FEED, PackageName: PKG, Target: `t${i}` })),
  });

describe('killing the local DynamoDB mid-run', () => {
  it(`${REQUESTS} concurrent POSTs, the engine killed after ${KILL_AFTER} answers and back ${DOWN_MS} ms later`, async () => {
    const sent: Sent[] = [];
    let next = 0;
    let killed = false;
    let restarted: Promise<void> | undefined;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        // Every other request carries an Idempotency-Key, as a careful pipeline would.
        const idempotencyKey = i % 2 === 0 ? randomUUID() : undefined;
        const answer = await send(i, idempotencyKey);
        sent.push({ i, ...(idempotencyKey ? { idempotencyKey } : {}), answer });
        // A pipeline told 503 waits as long as Retry-After says before its next request.
        if (answer.status === 503) await sleep(Number(answer.headers['Retry-After'] ?? 1) * 1000);
        if (!killed && sent.length >= KILL_AFTER) {
          killed = true;
          await stop(engine, 'SIGKILL');
          restarted = sleep(DOWN_MS).then(async () => {
            engine = await startEngine();
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await restarted;

    const byStatus: Record<number, number> = {};
    for (const s of sent) byStatus[s.answer.status] = (byStatus[s.answer.status] ?? 0) + 1;
    expect(
      Object.keys(byStatus)
        .map(Number)
        .filter((s) => s !== 200 && s !== 503),
    ).toEqual([]);
    const unavailable = sent.filter((s) => s.answer.status === 503);
    expect(unavailable.length).toBeGreaterThan(0); // the kill was felt
    for (const s of unavailable) expect(s.answer.headers['Retry-After']).toBeDefined();

    // Every 200 names a record that is there after the restart.
    const history = await partition(direct, deploymentPartitionKey(FEED, undefined, PKG));
    const ids = new Set(history.map((h) => h.id));
    const ok = sent.filter((s) => s.answer.status === 200);
    const lost = ok.filter((s) => !ids.has(String(s.answer.json.Id)));
    expect(lost.map((s) => s.answer.json.Id)).toEqual([]);
    expect(new Set(ok.map((s) => s.answer.json.Id)).size).toBe(ok.length);
    expect((await checkComplete(direct, FEED, PKG)).partial).toEqual([]);

    // A 503 may hide a write that was applied before its answer was lost: the retry with the same Idempotency-Key then
    // returns that record, else records it now. Either way, one record per key.
    const retried = unavailable.filter((s) => s.idempotencyKey);
    let replayed = 0;
    for (const s of retried) {
      const again = await send(s.i, s.idempotencyKey);
      expect(again.status).toBe(200);
      if (again.headers['Idempotent-Replayed'] === 'true') replayed++;
    }
    const after = await partition(direct, deploymentPartitionKey(FEED, undefined, PKG));
    const perTarget = new Map<string, number>();
    for (const h of after) perTarget.set(h.target, (perTarget.get(h.target) ?? 0) + 1);
    const idempotent = sent.filter((s) => s.idempotencyKey);
    expect(idempotent.filter((s) => perTarget.get(`t${s.i}`) !== 1).map((s) => s.i)).toEqual([]);
    // Without a key a 503 is at least once: its write is there once, or not at all.
    const plain503 = unavailable.filter((s) => !s.idempotencyKey);
    const appliedAnyway = plain503.filter((s) => perTarget.get(`t${s.i}`) === 1).length;
    expect(plain503.filter((s) => (perTarget.get(`t${s.i}`) ?? 0) > 1)).toEqual([]);
    const final = await checkComplete(direct, FEED, PKG);
    expect(final.partial).toEqual([]);
    expect(final.history).toBe(ok.length + retried.length + appliedAnyway);

    report('3 faults: DynamoDB killed mid-run (SIGKILL, restarted on its data)', {
      'concurrent POSTs': REQUESTS,
      'answers by status': Object.entries(byStatus)
        .map(([s, n]) => `${s}:${n}`)
        .join(' '),
      '5xx other than 503': sent.filter((s) => s.answer.status >= 500 && s.answer.status !== 503).length,
      '200s whose record is missing after the restart': lost.length,
      '503s retried with their Idempotency-Key': retried.length,
      '...of which had been stored (replayed)': replayed,
      '503s without a key that had been stored': appliedAnyway,
      'records with more than one copy': [...perTarget.values()].filter((n) => n > 1).length,
      'partial records': final.partial.length,
    });
  });
});
