import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../../infra/paths.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { historyItem } from '../../lib/store/deployments.ts';
import { freePort } from '../support/ports.ts';
import { startNode, stop, type Child } from '../support/processes.ts';
import { lambdaEnvironment } from '../support/lambda-env.ts';
import { report } from './figures.ts';
import { directClient, seedWorld, TABLES, unique } from './support.ts';

/**
 * `export` keeps its memory flat: 100,000 history records (EXPORT_RECORDS to change it) exported by the admin CLI in a
 * process of its own, its peak resident set size (the kernel's maxRSS) under 150 MB, every record written in Date order.
 * The local DynamoDB runs in another process, so its memory is not counted.
 */
const RECORDS = Number(process.env.EXPORT_RECORDS ?? 100_000);
const RSS_LIMIT_MB = 150;
const FEED = unique('Export');
const BATCH = 25;
const CONCURRENCY = 4;

let engine: Child & { match: RegExpExecArray };
let endpoint: string;
let client: DynamoDBDocumentClient;
let dir: string;

const seed = async () => {
  const nextId = monotonicFactory();
  const start = Date.UTC(2025, 0, 1);
  let written = 0;
  const batch = (from: number) =>
    Array.from({ length: Math.min(BATCH, RECORDS - from) }, (_, k) => {
      const i = from + k;
      const date = new Date(start + i * 60_000).toISOString();
      const record: NewDeployment = {
        feedName: FEED,
        groupName: `group-${i % 7}`,
        packageName: `Package.${i % 50}`,
        version: `1.${i % 40}.${i % 3}`,
        target: `web${String(i % 30).padStart(2, '0')}`,
        application: 'Shop',
        description: `Release ${i} of the shop, deployed by the pipeline with the usual checks`,
        userName: 'ci',
        url: `https://ci.example.com/runs/${i}`,
        date,
        receivedAt: date,
        keyId: 'anonymous',
        region: i % 2 === 0 ? 'eu-west-1' : 'us-east-1',
      };
      return { PutRequest: { Item: historyItem(record, nextId(Date.parse(date))) } };
    });
  let next = 0;
  const worker = async () => {
    while (next < RECORDS) {
      const from = next;
      next += BATCH;
      let pending: Record<string, unknown[]> | undefined = { [TABLES.deployments]: batch(from) };
      while (pending && Object.keys(pending).length > 0) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: pending as never }));
        pending = out.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
      written += Math.min(BATCH, RECORDS - from);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return written;
};

beforeAll(async () => {
  engine = await startNode(['test/support/dynalite-process.ts', String(await freePort())], /listening (\S+)/);
  endpoint = engine.match[1]!;
  await seedWorld(endpoint, FEED);
  client = directClient(endpoint);
  dir = mkdtempSync(join(tmpdir(), 'export-memory-'));
  expect(await seed()).toBe(RECORDS);
}, 1_200_000);
afterAll(async () => {
  client?.destroy();
  if (engine) await stop(engine);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the admin CLI in a process of its own; resolves with its exit code, stderr and peak RSS (kB, from the kernel). */
const adminProcess = (args: string[]): Promise<{ code: number | null; stderr: string; maxRssKb: number }> =>
  new Promise((resolve) => {
    const peak = "process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))";
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(peak)}`, 'infra/admin.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...lambdaEnvironment(TABLES, endpoint) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, stderr, maxRssKb: Number(/maxrss (\d+)/.exec(stderr)?.[1] ?? NaN) }));
  });

describe('export memory', () => {
  it(`exports ${RECORDS.toLocaleString('en-US')} records with a peak RSS under ${RSS_LIMIT_MB} MB, in Date order`, async () => {
    const file = join(dir, 'export.jsonl');
    const started = Date.now();
    const run = await adminProcess(['export', '--feed', FEED, '--out', file]);
    const seconds = (Date.now() - started) / 1000;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`export: ${RECORDS} record(s) of feed ${FEED} written to ${file} (jsonl).`);
    let lines = 0;
    let previous = '';
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      const { Date: date } = JSON.parse(line) as { Date: string };
      expect(date >= previous).toBe(true);
      previous = date;
      lines++;
    }
    expect(lines).toBe(RECORDS);
    const rssMb = run.maxRssKb / 1024;
    report('export', {
      'records exported': RECORDS,
      'export peak RSS (MB)': Math.round(rssMb * 10) / 10,
      'export file (MB)': Math.round((statSync(file).size / 1024 / 1024) * 10) / 10,
      'export time (s)': Math.round(seconds * 10) / 10,
    });
    expect(rssMb).toBeLessThan(RSS_LIMIT_MB);
  });
});
