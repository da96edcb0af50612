/**
 * `npm run bench`: the performance goals (set by "One clean house": cold start against the AWS SDK alone, throughput against raw TransactWriteItems, round trips, bundles), each measured in one run and, where it is a
 * time, as a ratio of two things measured side by side, interleaved, median of several rounds (absolute times drift on
 * a shared machine). Prints one table: figure, measured, goal, pass/fail; exits 1 if a row fails.
 *
 * Processes: this one (load generator, in-process measurements), the local DynamoDB (test/bench/dynamodb.ts: dynalite,
 * or DynamoDB Local with DYNAMODB_ENGINE=dynamodb-local), the local gateway serving the built bundle
 * (test/bench/gateway.ts), and short-lived cold starts (test/bench/cold.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as esbuild from 'esbuild';
import { build, bundlePath, compileCachePath, lambdaBundleOptions, makeCompileCache } from '../../infra/build.ts';
import { root as ROOT } from '../../infra/paths.ts';
import { ensureTables, localClientConfig } from '../../infra/local/dynamodb.ts';
import { LAMBDA_RUNTIME_ENVIRONMENT } from '../../infra/local/gateway.ts';
import { httpApiRequest } from '../../lib/http/doors/http-api.ts';
import type { TableNames } from '../../infra/tables.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import { ApiKeyRepository } from '../../lib/store/api-keys.ts';
import { counterUpdates, currentItem, currentUpdate, historyItem } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { COUNTER_SHARDS } from '../../lib/domain/keys.ts';
import { formBody, invoke } from '../support/invoke.ts';
import { median } from './stats.ts';
import { lambdaEnvironment } from '../support/lambda-env.ts';

const started = performance.now();
const FEED = 'BenchFeed';
const TABLES: TableNames = {
  deployments: 'bench-deployments',
  feeds: 'bench-feeds',
  apiKeys: 'bench-api-keys',
  idempotency: 'bench-idempotency',
};
const fields = (target: string) => ({
  FeedName: FEED,
  Application: 'ProfitCalc',
  Description: 'Deployed by Custom Release Server',
  Target: target,
  PackageName: 'Newtonsoft.Json',
  Version: '12.0.3',
});

type Row = { figure: string; measured: string; goal: string; pass: boolean | 'info' };
const rows: Row[] = [];

/**
 * Starts a benchmark helper process and reads the one JSON line it writes to file descriptor 3 when ready. Its stdout
 * (the function's log and metric lines, as Lambda's runtime takes them) goes to /dev/null, so that reading it costs
 * the load generator in this process nothing.
 */
const startChild = async <T>(script: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; info: T }> => {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, script)], { cwd: ROOT, env, stdio: ['pipe', 'ignore', 'inherit', 'pipe'] });
  const ready = child.stdio[3] as NodeJS.ReadableStream;
  const line = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: ready });
    lines.once('line', done);
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code} before it was ready`)));
  });
  ready.resume();
  return { child, info: JSON.parse(line) as T };
};

// ---- the local DynamoDB, tables, a feed open to anonymous users and an API key ----
const dynamodb = await startChild<{ endpoint: string; engine: string }>('dynamodb.ts', process.env);
const { endpoint } = dynamodb.info;
Object.assign(process.env, {
  ...lambdaEnvironment(TABLES, endpoint),
  LOOKUP_CACHE_TTL_SECONDS: '300',
  POWERTOOLS_LOG_LEVEL: 'WARN',
});
const admin = new DynamoDBClient(localClientConfig(endpoint));
await ensureTables(admin, TABLES);
const adminDocuments = DynamoDBDocumentClient.from(admin);
await new FeedRepository(adminDocuments, TABLES.feeds, TABLES).add(FEED, VIEW_AND_DOWNLOAD);
const { key } = await new ApiKeyRepository(adminDocuments, TABLES.apiKeys, TABLES.feeds).add({ user: 'bench', feeds: [FEED], privileges: VIEW_AND_DOWNLOAD });

const sizes = await build({ quiet: true });

// ---- DynamoDB round trips, counted by a middleware on the handler's own client ----
{
  // The in-process handler's metric lines would only clutter the table (this part counts calls, it times nothing);
  // it is read once, when the handler module loads, and removed again so that no process started later sees it.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { documentClient } = await import('../../lib/store/client.ts');
  const sent: string[] = [];
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName ?? '?'); // the deserialize step runs once per HTTP request, retries included
      return next(args);
    },
    { step: 'deserialize', name: 'benchRoundTrips' },
  );
  // Loaded only now, so the handler's dependencies take the instrumented shared client.
  const { handler } = await import('../../functions/record-deployment/handler.ts');
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  const count = async (headers: Record<string, string>, status: number, target = 'rt'): Promise<string[]> => {
    const before = sent.length;
    const answer = await invoke(handler, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: formBody(fields(target)),
    });
    if (answer.status !== status) throw new Error(`round trips: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.json)}`);
    return sent.slice(before);
  };
  const show = (calls: string[]) => `${calls.length}${calls.length ? ` (${calls.map((c) => c.replace(/Command$/, '')).join(', ')})` : ''}`;
  const cold = await count({}, 200);
  const warm: string[][] = [];
  for (let i = 0; i < 10; i++) warm.push(await count({}, 200, `rt-${i}`));
  const worstWarm = warm.reduce((a, b) => (b.length > a.length ? b : a));
  await count({ 'X-ApiKey': key }, 200); // the key's first use: one read for it
  const warmKey = await count({ 'X-ApiKey': key }, 200);
  await count({ 'X-ApiKey': 'not-a-key' }, 403); // first seen: looked up, not found
  const knownInvalid = await count({ 'X-ApiKey': 'not-a-key' }, 403);
  rows.push(
    { figure: 'DynamoDB round trips: cold request', measured: show(cold), goal: '<= 2', pass: cold.length <= 2 },
    { figure: 'DynamoDB round trips: warm request (worst of 10)', measured: show(worstWarm), goal: '1', pass: warm.every((w) => w.length === 1) },
    { figure: 'DynamoDB round trips: warm request with an API key', measured: show(warmKey), goal: '1', pass: warmKey.length === 1 },
    { figure: 'DynamoDB round trips: key already known invalid', measured: show(knownInvalid), goal: '0', pass: knownInvalid.length === 0 },
  );
}

// ---- cold start: a fresh node importing the bundle and handling one request ----
// Measured against what no bundle of this service can go below on this machine, in the same interleaved rounds: the
// AWS SDK alone making the same two calls (BatchGetItem, TransactWriteItems; the goal's reference), Node loading
// node:https, and `node -e 0`. The service runs as packaged: with the compile cache that the build made (shipped when
// packaged on the functions' architecture, see infra/package.ts), and, for reference, without it.
{
  const sdkOnly = join(ROOT, 'dist', 'bench', 'sdk-only.mjs');
  await esbuild.build(lambdaBundleOptions(join(import.meta.dirname, 'sdk-only.ts'), sdkOnly));
  makeCompileCache(sdkOnly, join(ROOT, 'dist', 'bench', 'compile-cache'));
  const event = httpApiRequest({
    method: 'POST',
    url: '/api/package-deployment/',
    rawHeaders: ['Content-Type', 'application/x-www-form-urlencoded'],
    body: Buffer.from(formBody(fields('cold'))),
  });
  // With what Lambda's runtime sets (AWS_LAMBDA_INITIALIZATION_TYPE=on-demand), Powertools treats the request as the
  // cold start it is and writes its ColdStart metric, as on Lambda; without it that work went unmeasured.
  const env = { ...process.env, ...LAMBDA_RUNTIME_ENVIRONMENT, BENCH_EVENT: JSON.stringify(event), BENCH_FEED: FEED };
  const withCache = (dir: string) => ({ ...env, NODE_COMPILE_CACHE: dir, NODE_COMPILE_CACHE_PORTABLE: '1' });
  const driver = resolve(import.meta.dirname, 'cold.mjs');
  const timeSpawn = ([args, childEnv]: [string[], NodeJS.ProcessEnv]) =>
    new Promise<number>((done, fail) => {
      const t = performance.now();
      const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d));
      child.once('exit', (code) => (code === 0 ? done(performance.now() - t) : fail(new Error(`node ${args.join(' ')}: exit ${code}\n${stderr}`))));
    });
  const service = [driver, pathToFileURL(bundlePath('record-deployment')).href];
  const variants: Record<'bare' | 'cold' | 'noCache' | 'https' | 'sdk' | 'sdkCache', [string[], NodeJS.ProcessEnv]> = {
    bare: [['-e', '0'], env],
    cold: [service, withCache(compileCachePath('record-deployment'))],
    noCache: [service, env],
    https: [['-e', "require('node:https')"], env],
    sdk: [[driver, pathToFileURL(sdkOnly).href], env],
    sdkCache: [[driver, pathToFileURL(sdkOnly).href], withCache(join(ROOT, 'dist', 'bench', 'compile-cache'))],
  };
  type Variant = keyof typeof variants;
  const times = Object.fromEntries(Object.keys(variants).map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const order = Object.keys(variants) as Variant[];
  for (const v of order) await timeSpawn(variants[v]); // file system caches warm for all
  for (let i = 0; i < 15; i++) {
    for (const v of i % 2 === 0 ? order : [...order].reverse()) times[v].push(await timeSpawn(variants[v]));
  }
  const ratio = (v: Variant, to: Variant) => median(times[v]) / median(times[to]);
  const ms = (v: Variant, to: Variant) => `${median(times[v]).toFixed(1)} vs ${median(times[to]).toFixed(1)} ms`;
  const row = (figure: string, v: Variant, to: Variant, goal?: number): Row => ({
    figure,
    measured: `${ratio(v, to).toFixed(2)}x (${ms(v, to)})`,
    goal: goal === undefined ? '-' : `<= ${goal.toFixed(1)}x`,
    pass: goal === undefined ? 'info' : ratio(v, to) <= goal,
  });
  rows.push(
    row('Cold start: import + 1 request vs the AWS SDK alone, same 2 calls', 'cold', 'sdk', 1.0),
    row('Cold start: import + 1 request vs node -e 0', 'cold', 'bare', 3.5),
    row('  without the compile cache vs the SDK alone', 'noCache', 'sdk'),
    row('  reference: the SDK alone with its own compile cache vs without', 'sdkCache', 'sdk'),
    row('  reference: the AWS SDK alone vs node -e 0', 'sdk', 'bare'),
    row('  reference: node loading node:https vs node -e 0', 'https', 'bare'),
  );
}

// ---- bundles: each function carries only what it uses ----
{
  const contents = (name: string) => {
    const meta = JSON.parse(readFileSync(join(ROOT, 'dist', name, 'meta.json'), 'utf8')) as esbuild.Metafile;
    return new Set(
      Object.values(meta.outputs)
        .flatMap((o) => Object.keys(o.inputs))
        .flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? []),
    );
  };
  const kib = (name: string) => (sizes[name] ?? 0) / 1024;
  const sdkIn = (name: string) => [...contents(name)].some((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'));
  const busboyIn = (name: string) => contents(name).has('@fastify/busboy');
  rows.push(
    {
      figure: 'Bundle: record-deployment, loaded at a cold start (before the layers: 325.5 KiB)',
      measured: `${kib('record-deployment').toFixed(1)} KiB`,
      goal: '<= 325.5 KiB',
      pass: kib('record-deployment') <= 325.5,
    },
    {
      figure: 'Bundle: site, without the AWS SDK',
      measured: `${kib('site').toFixed(1)} KiB, SDK ${sdkIn('site') ? 'in' : 'absent'}`,
      goal: '<= 100 KiB, no SDK',
      pass: kib('site') <= 100 && !sdkIn('site'),
    },
    {
      figure: 'Bundle: query-deployments, without busboy',
      measured: `${kib('query-deployments').toFixed(1)} KiB, busboy ${busboyIn('query-deployments') ? 'in' : 'absent'}`,
      goal: 'no busboy',
      pass: !busboyIn('query-deployments'),
    },
  );
}

// ---- handler overhead: the middy chain in-process vs a hand-written handler, same work, same store stub ----
{
  // In a process of its own (the handler module reads its configuration at load), whose stdout, where the handler
  // writes a metric line per request as on Lambda, goes to /dev/null; the figures come back on fd 3.
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'overhead.ts'), JSON.stringify([TABLES, FEED])], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
  });
  let out = '';
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  if (code !== 0) throw new Error(`handler overhead: the measuring process exited with ${code}`);
  const { full, minimal, ratio } = JSON.parse(out) as { full: number; minimal: number; ratio: number };
  rows.push({
    figure: 'Handler overhead: middy chain vs hand-written (per request)',
    measured: `${ratio.toFixed(2)}x (${full.toFixed(1)} vs ${minimal.toFixed(1)} us)`,
    goal: '-',
    pass: 'info',
  });
}

// ---- throughput: POSTs through the local gateway and the bundle vs raw PutItem, same DynamoDB, same concurrency ----
// The service stores each record with one TransactWriteItems (the record and its target's current item); raw
// TransactWriteItems of the same two items, from the same plain client, is shown as a reference beside raw PutItem.
{
  const CONCURRENCY = 8;
  const ROUNDS = 5;
  const ROUND_MS = 2000;
  const gateway = await startChild<{ url: string }>('gateway.ts', process.env);
  const url = new URL('/api/package-deployment/', gateway.info.url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body: string) =>
    new Promise<void>((done, fail) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.once('end', () => (res.statusCode === 200 ? done() : fail(new Error(`gateway answered ${res.statusCode}`))));
        },
      );
      req.once('error', fail);
      req.end(body);
    });
  const raw = new DynamoDBClient(localClientConfig(endpoint));
  // The raw writes: the history record the service stores (and, for the reference, its target's current item and
  // deployment counters), with the service's conditions.
  let seq = 0;
  const rawItems = (target: string) => {
    const f = fields(target);
    const now = new Date().toISOString();
    const history = historyItem(
      {
        feedName: f.FeedName,
        packageName: f.PackageName,
        version: f.Version,
        target: f.Target,
        application: f.Application,
        description: f.Description,
        userName: 'Anonymous',
        date: now,
        receivedAt: now,
        keyId: 'anonymous',
        region: 'eu-west-1',
      },
      `RAW${String(seq++).padStart(23, '0')}`,
    );
    // The service's own items: the current item's Update and the four counters' ADDs, as putDeployment sends them.
    const { pk: _pk, sk: _sk, id: _id, feedPk: _f, targetPk: _t, versionPk: _v, ...record } = history;
    const asRaw = <U extends { TableName: string; UpdateExpression: string; Key: Record<string, unknown>; ExpressionAttributeValues: Record<string, unknown> }>(
      update: U,
    ) => ({
      ...update,
      Key: marshall(update.Key),
      ExpressionAttributeValues: marshall(update.ExpressionAttributeValues, { removeUndefinedValues: true }),
    });
    const updates = [
      asRaw(currentUpdate(TABLES.deployments, currentItem(history))),
      ...counterUpdates(TABLES.deployments, record, randomInt(COUNTER_SHARDS)).map((c) => asRaw(c.Update)),
    ];
    return { history: marshall(history, { removeUndefinedValues: true }), updates };
  };
  const putRaw = (worker: number) =>
    raw.send(
      new PutItemCommand({
        TableName: TABLES.deployments,
        Item: rawItems(`raw-${worker}`).history,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  const transactRaw = (worker: number) => {
    const { history, updates } = rawItems(`raw-tx-${worker}`);
    return raw.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: TABLES.deployments, Item: history, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...updates.map((Update) => ({ Update })),
        ],
      }),
    );
  };
  const bodies = Array.from({ length: CONCURRENCY }, (_, w) => formBody(fields(`e2e-${w}`)));
  const e2eOp = (w: number) => post(bodies[w]!);
  const rate = async (op: (worker: number) => Promise<unknown>, ms: number): Promise<number> => {
    let done = 0;
    const t = performance.now();
    const deadline = t + ms;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        while (performance.now() < deadline) {
          await op(w);
          done++;
        }
      }),
    );
    return (done * 1000) / (performance.now() - t);
  };
  const modes = { raw: putRaw, e2e: e2eOp, transact: transactRaw };
  const order = Object.keys(modes) as Array<keyof typeof modes>;
  for (const m of order) await rate(modes[m], 500); // warm-up: connections, JIT
  const rates: Record<keyof typeof modes, number[]> = { raw: [], e2e: [], transact: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const m of i % 2 === 0 ? order : [...order].reverse()) rates[m].push(await rate(modes[m], ROUND_MS));
  }
  // Each round's modes ran back to back: the ratio is taken per round, then the median.
  const ratio = (m: keyof typeof modes, to: keyof typeof modes) => median(rates[m].map((r, i) => r / rates[to][i]!));
  const perSecond = (m: keyof typeof modes, to: keyof typeof modes) => `${median(rates[m]).toFixed(0)} vs ${median(rates[to]).toFixed(0)} req/s`;
  rows.push(
    {
      figure: `Throughput: gateway+bundle POST vs raw TransactWriteItems of the same items (x${CONCURRENCY})`,
      measured: `${ratio('e2e', 'transact').toFixed(2)}x (${perSecond('e2e', 'transact')})`,
      goal: '>= 0.9x',
      pass: ratio('e2e', 'transact') >= 0.9,
    },
    {
      figure: '  reference: raw TransactWriteItems (record, current, 4 counters) vs raw PutItem of the record alone',
      measured: `${ratio('transact', 'raw').toFixed(2)}x (${perSecond('transact', 'raw')})`,
      goal: '-',
      pass: 'info',
    },
  );
  agent.destroy();
  raw.destroy();
  gateway.child.stdin!.end();
}

admin.destroy();
dynamodb.child.stdin!.end();

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => [r.figure, r.measured, r.goal][i]!.length), ['figure', 'measured', 'goal'][i]!.length));
const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ');
console.log(line(['figure', 'measured', 'goal', 'result']));
console.log(line(widths.map((w) => '-'.repeat(w)).concat('------')));
const goals = rows.filter((r) => r.pass !== 'info');
for (const r of rows) console.log(line([r.figure, r.measured, r.goal, r.pass === 'info' ? 'info' : r.pass ? 'pass' : 'FAIL']));
console.log(
  `(${goals.filter((r) => r.pass).length} of ${goals.length} goals pass; DynamoDB: ${dynamodb.info.engine}; bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(goals.every((r) => r.pass) ? 0 : 1);
