import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, curl, endpoint } from './support.ts';

/**
 * Webhooks through `npm start`, as a newcomer tries them: a feed and two webhooks added with the admin CLI (json with
 * a generated secret, and slack), records posted with curl, deliveries received by a local receiver that checks each
 * signature. Measures the delay from the API's 200 to the delivery. Only against the local service: a deployed stage
 * cannot reach a receiver on this machine (and refuses loopback URLs).
 */
const local = !process.env.E2E_BASE_URL;
type Received = { path: string; headers: IncomingHttpHeaders; body: string; at: number };

describe.skipIf(!local)('webhooks under npm start', () => {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.timeOrigin + performance.now() });
      res.end('ok');
    });
  });
  let url = '';
  const feed = `Hooks${Date.now().toString(36)}`;
  let secret = '';
  let ids: string[] = [];

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await admin('feeds', 'add', feed, '--anonymous');
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const post = async (fields: Record<string, string>, headers: string[] = []) => {
    const sent = performance.timeOrigin + performance.now();
    const answer = await curl(
      '-X',
      'POST',
      endpoint(),
      ...headers.flatMap((h) => ['-H', h]),
      ...Object.entries({ FeedName: feed, Application: 'Shop', Description: 'e2e', Target: 'web01', PackageName: 'App', ...fields }).flatMap(([k, v]) => [
        '--data-urlencode',
        `${k}=${v}`,
      ]),
    );
    const answeredAt = performance.timeOrigin + performance.now();
    expect(answer.status).toBe(200);
    return { id: String(answer.json().Id), sent, answeredAt };
  };
  const waitFor = async (check: () => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('the CLI adds a webhook, prints its id and the generated secret last, and lists it without the secret', async () => {
    const added = await admin('webhooks', 'add', '--feed', feed, '--url', `${url}/json`);
    expect(added[0]).toMatch(/^Added webhook wh_[0-9a-z]+/);
    secret = added.at(-1)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const slack = await admin('webhooks', 'add', '--feed', feed, '--url', `${url}/slack`, '--format', 'slack', '--secret', 'slack-secret-0123456789');
    expect(slack.join('\n')).not.toContain('slack-secret-0123456789');
    const list = (await admin('webhooks', 'list')).join('\n');
    expect(list).toContain(feed);
    expect(list).not.toContain(secret);
  });

  it('one correctly signed delivery per new record, with the right change kind; none for a replay', async () => {
    const posts = [
      await post({ Version: '1.0.0' }),
      await post({ Version: '1.1.0' }),
      await post({ Version: '1.0.9' }),
      await post({ Version: '2.0.0' }, ['Idempotency-Key: e2e-hooks-1']),
    ];
    const replay = await post({ Version: '2.0.0' }, ['Idempotency-Key: e2e-hooks-1']);
    expect(replay.id).toBe(posts[3]!.id);
    ids = posts.map((p) => p.id);
    const json = () => received.filter((r) => r.path === '/json');
    await waitFor(() => json().length >= 4 && received.filter((r) => r.path === '/slack').length >= 4);
    await new Promise((r) => setTimeout(r, 1500)); // a replay's delivery, if any, would have arrived by now
    expect(json().map((r) => r.headers['x-deployment-event'])).toEqual(['deployed', 'upgraded', 'rolledback', 'upgraded']);
    expect(json().map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(ids);
    for (const r of json()) {
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
      const got = Buffer.from(String(r.headers['x-deployment-signature-256']));
      expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true);
    }
    const slack = received.filter((r) => r.path === '/slack').map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(slack).toHaveLength(4);
    expect(slack[1]).toMatch(/App 1\.1\.0\* upgraded on \*web01\* \(was 1\.0\.0\) by Anonymous in /);
    const latencies = posts.map((p, i) => Math.round(json()[i]!.at - p.answeredAt));
    console.log(`webhook delivery latency (200 -> received, npm start, dynalite): ${latencies.join(', ')} ms`);
    expect(Math.max(...latencies)).toBeLessThan(3000);
  });

  it('removing a webhook stops its deliveries', async () => {
    const id = (await admin('webhooks', 'list')).find((l) => l.includes(feed) && l.includes('slack'))!.split(/\s+/)[0]!;
    expect(await admin('webhooks', 'remove', id)).toEqual([`Removed webhook ${id}.`]);
    const before = received.length;
    await post({ Version: '3.0.0' });
    await waitFor(() => received.length > before);
    await new Promise((r) => setTimeout(r, 1000));
    expect(received.slice(before).map((r) => r.path)).toEqual(['/json']);
  });
});
