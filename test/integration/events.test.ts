import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalStreamRecord } from '../../infra/local/dynalite-transactions.ts';
import { ensureTables, localClientConfig, startDynalite, type LocalDynamoDB } from '../../infra/local/dynamodb.ts';
import { startLocalEvents, type LocalEvents } from '../../infra/local/events.ts';
import type { TableNames } from '../../infra/tables.ts';
import type { DeadLetter, DispatchDeps } from '../../lib/app/events.ts';
import { postOnce } from '../../lib/app/webhook-client.ts';
import type { DeploymentEvent } from '../../lib/domain/events.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { WebhookRepository } from '../../lib/store/webhooks.ts';

/**
 * The dispatcher fed by a real table's changes: DynamoDB Local's own Streams API (when the suite runs on it,
 * DYNAMODB_ENGINE=dynamodb-local), and the stream records our dynalite transactions publish (always, in process).
 * Records are written by the service's own record path (putDeployment); deliveries go to a local receiver that checks
 * every signature. Two dispatchers, one per region, read the same changes, as two regions' functions read their
 * replicas' streams.
 */
const SECRET = 'integration-secret-0123456789';
const HOME = 'eu-west-1';
const OTHER = 'us-east-1';

type Delivery = { feed: string; headers: IncomingHttpHeaders; body: string; signed: boolean; at: number; status: number };

/** A webhook receiver: answers each path's script of statuses in turn (then 200), checks the signature of every call. */
const receiver = async () => {
  const deliveries: Delivery[] = [];
  const scripts = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-deployment-signature-256'] ?? ''));
      const feed = req.url!.slice(1);
      const step = scripts.get(feed)?.shift() ?? { status: 200 };
      deliveries.push({
        feed,
        headers: req.headers,
        body: raw.toString('utf8'),
        signed: got.length === expected.length && timingSafeEqual(got, expected),
        at: Date.now(),
        status: step.status,
      });
      res.writeHead(step.status, step.headers ?? {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { deliveries, scripts, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
};

const waitFor = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

const engines = ['dynalite', ...(inject('dynamoEngine') === 'dynamodb-local' ? ['dynamodb-local' as const] : [])] as const;

describe.each(engines)("events from the table's changes (%s)", (engine) => {
  const run = Date.now().toString(36);
  const names: TableNames = {
    deployments: `ev-${run}-deployments`,
    feeds: `ev-${run}-feeds`,
    apiKeys: `ev-${run}-keys`,
    idempotency: `ev-${run}-idem`,
    webhooks: `ev-${run}-webhooks`,
  };
  let own: LocalDynamoDB | undefined;
  let document: DynamoDBDocumentClient;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const dispatchers: LocalEvents[] = [];
  const published: Record<string, DeploymentEvent[]> = { [HOME]: [], [OTHER]: [] };
  const letters: DeadLetter[] = [];
  const listeners: Array<(r: LocalStreamRecord) => void> = [];

  beforeAll(async () => {
    let endpoint: string;
    if (engine === 'dynalite') {
      own = await startDynalite({ port: 0, onStreamRecord: (r) => listeners.forEach((l) => l(r)) });
      endpoint = own.endpoint;
    } else {
      endpoint = inject('dynamoEndpoint');
    }
    const client = new DynamoDBClient(localClientConfig(endpoint));
    await ensureTables(client, names);
    document = DynamoDBDocumentClient.from(client);
    rx = await receiver();
    const webhooks = new WebhookRepository(document, names.webhooks!);
    for (const region of [HOME, OTHER]) {
      const deps: DispatchDeps = {
        region,
        webhooksFor: (feed) => webhooks.forFeed(feed),
        publish: async (events) => {
          published[region]!.push(...events);
          return events.map(() => true);
        },
        post: (_w, body, headers) => postOnce(_w.url, body, headers, { timeoutMs: 1000, policy: { allowLoopback: true } }),
        deadLetter: async (l) => {
          letters.push(l);
        },
        retry: { maxAttempts: 4, budgetMs: 6000, timeoutMs: 1000, baseDelayMs: 100 },
      };
      const events = startLocalEvents({
        engine,
        endpoint,
        deploymentsTable: names.deployments,
        deps,
        out: (l) => process.env.EVENTS_DEBUG && console.log(region, l),
      });
      listeners.push(events.push);
      await events.start();
      dispatchers.push(events);
    }
  }, 60_000);

  afterAll(async () => {
    for (const d of dispatchers) await d.stop();
    await rx?.close();
    await own?.stop();
  });

  const addWebhook = (feed: string) =>
    new WebhookRepository(document, names.webhooks!).add({ feedName: feed, url: `${rx.url}/${feed}`, secret: SECRET, format: 'json' });
  const record = (feed: string, version: string, over: Partial<NewDeployment> = {}): NewDeployment => {
    const now = new Date().toISOString();
    return {
      feedName: feed,
      packageName: 'App',
      version,
      target: 'web01',
      application: 'Shop',
      description: 'd',
      userName: 'ci',
      date: now,
      receivedAt: now,
      keyId: 'anonymous',
      region: HOME,
      ...over,
    };
  };
  const put = (r: NewDeployment, idempotency?: { id: string; requestHash: string; expiresAt: number }) =>
    putDeployment(document, { deployments: names.deployments, idempotency: names.idempotency }, r, { idempotency });
  const of = (feed: string) => rx.deliveries.filter((d) => d.feed === feed);

  it('one signed delivery per new record, with its change kind; none for idempotent replays', async () => {
    await addWebhook('kinds');
    const claim = { id: `claim-${run}`, requestHash: 'h', expiresAt: Math.floor(Date.now() / 1000) + 3600 };
    const ids: string[] = [];
    for (const v of ['1.0.0', '1.1.0', '1.0.5', '1.0.5']) ids.push((await put(record('kinds', v))).item.id);
    ids.push((await put(record('kinds', '3.0.0', { status: 'Failed' }))).item.id);
    ids.push((await put(record('kinds', '0.9.0', { date: '2020-01-01T00:00:00.000Z' }))).item.id);
    const first = await put(record('kinds', '2.0.0'), claim);
    const replay = await put(record('kinds', '2.0.0'), claim);
    expect(replay.replayed).toBe(true);
    ids.push(first.item.id);

    await waitFor(() => of('kinds').length >= 7).catch((e) => {
      throw new Error(
        `${e.message}: got ${of('kinds')
          .map((d) => d.headers['x-deployment-event'])
          .join(',')}`,
      );
    });
    await new Promise((r) => setTimeout(r, 1500)); // anything extra (a replay, a duplicate) would arrive by now
    const got = of('kinds');
    // The failed 3.0.0 is announced as failed, and the target stays on 1.0.5: 2.0.0 upgrades it.
    expect(got.map((d) => d.headers['x-deployment-event'])).toEqual(['deployed', 'upgraded', 'rolledback', 'redeployed', 'failed', 'backdated', 'upgraded']);
    expect((JSON.parse(got[6]!.body) as DeploymentEvent).detail.PreviousVersion).toBe('1.0.5');
    expect(got.every((d) => d.signed)).toBe(true);
    expect(got.map((d) => (JSON.parse(d.body) as DeploymentEvent).id)).toEqual(ids);
    expect(got.map((d) => d.headers['x-deployment-id'])).toEqual(ids);
    expect(new Set(got.map((d) => d.headers['x-deployment-delivery'])).size).toBe(7);
    const upgraded = JSON.parse(got[1]!.body) as DeploymentEvent;
    expect(upgraded.detail).toMatchObject({ Version: '1.1.0', PreviousVersion: '1.0.0', Change: 'upgraded', Region: HOME, Target: 'web01', FeedName: 'kinds' });
    expect(upgraded['detail-type']).toBe('dev.cdevents.service.upgraded');
    expect(published[HOME]!.filter((e) => e.detail.FeedName === 'kinds')).toHaveLength(7);
  });

  it('exactly once across regions: a record is announced by the region that received it, not by its replica', async () => {
    await addWebhook('replicas');
    const here = await put(record('replicas', '1.0.0'));
    const there = await put(record('replicas', '1.1.0', { region: OTHER, target: 'web02' }));
    await waitFor(() => of('replicas').length >= 2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      of('replicas')
        .map((d) => (JSON.parse(d.body) as DeploymentEvent).id)
        .sort(),
    ).toEqual([here.item.id, there.item.id].sort());
    expect(published[HOME]!.filter((e) => e.detail.FeedName === 'replicas').map((e) => e.id)).toEqual([here.item.id]);
    expect(published[OTHER]!.filter((e) => e.detail.FeedName === 'replicas').map((e) => e.id)).toEqual([there.item.id]);
  });

  it('retries 5xx and 429 (honouring Retry-After) until the receiver takes the delivery', async () => {
    await addWebhook('retries');
    rx.scripts.set('retries', [{ status: 503 }, { status: 429, headers: { 'Retry-After': '1' } }]);
    const stored = await put(record('retries', '1.0.0'));
    await waitFor(() => of('retries').some((d) => d.status === 200));
    const got = of('retries');
    expect(got.map((d) => d.status)).toEqual([503, 429, 200]);
    expect(new Set(got.map((d) => (JSON.parse(d.body) as DeploymentEvent).id))).toEqual(new Set([stored.item.id]));
    expect(new Set(got.map((d) => d.headers['x-deployment-delivery'])).size).toBe(3);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(950); // Retry-After: 1
    expect(letters.filter((l) => l.webhook.feedName === 'retries')).toEqual([]);
  });

  it('dead-letters what is not taken: after the attempts for 5xx, at once for another 4xx', async () => {
    await addWebhook('dead');
    rx.scripts.set('dead', [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 404 }]);
    const a = await put(record('dead', '1.0.0'));
    await waitFor(() => letters.some((l) => l.event.id === a.item.id));
    const b = await put(record('dead', '1.1.0'));
    await waitFor(() => letters.some((l) => l.event.id === b.item.id));
    const [la, lb] = [a, b].map((r) => letters.find((l) => l.event.id === r.item.id)!);
    expect(la).toMatchObject({ attempts: 4, lastOutcome: expect.stringContaining('HTTP 500') });
    expect(lb).toMatchObject({ attempts: 1, lastOutcome: 'HTTP 404' });
    expect(of('dead').map((d) => d.status)).toEqual([500, 500, 500, 500, 404]);
  });
});
