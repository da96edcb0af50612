import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { deliver, dispatch, type DeadLetter, type DispatchDeps } from '../../lib/app/events.ts';
import { postOnce, refusedWebhookUrl, safeLookup } from '../../lib/app/webhook-client.ts';
import { announcedEvent, DETAIL_TYPES, signBody, slackText, webhookBody, webhookHeaders, type DeploymentEvent } from '../../lib/domain/events.ts';
import { currentKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import { checkWebhookUrl, classify, refusedAddress, retryAfterMs, retryDelayMs, type AttemptOutcome, type Webhook } from '../../lib/domain/webhooks.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StreamRecord } from '../../lib/store/stream.ts';
import { REGION, sampleRecord } from '../support/sample-record.ts';

const record = (over: Record<string, unknown> = {}) => sampleRecord(over);
const current = (over: Record<string, unknown> = {}) => {
  const r = record(over);
  return { ...currentKey(r.feedName, undefined, r.packageName, r.target), latest: `${r.date}#${r.id}`, ...r };
};
const history = (over: Record<string, unknown> = {}) => {
  const r = record(over);
  return { pk: deploymentPartitionKey(r.feedName, undefined, r.packageName), sk: `${r.date}#${r.id}`, ...r };
};

describe('which change of the table announces a record', () => {
  it('a first current item (INSERT) announces a deployment without PreviousVersion', () => {
    const event = announcedEvent({ eventName: 'INSERT', newImage: current() }, REGION)!;
    expect(event.id).toBe('01J00000000000000000000001');
    expect(event.detail.Change).toBe('deployed');
    expect(event.detail.PreviousVersion).toBeUndefined();
    expect(event['detail-type']).toBe('dev.cdevents.service.deployed');
    expect(event.detail).toMatchObject({
      Id: event.id,
      FeedName: 'Releases',
      PackageName: 'App',
      Version: '1.2.0',
      Target: 'web01',
      Region: REGION,
      UserName: 'alice',
    });
    // The item's own keys never leak into the event.
    expect(Object.keys(event.detail)).not.toContain('pk');
    expect(Object.keys(event.detail)).not.toContain('latest');
  });

  it('a MODIFY of the current item takes PreviousVersion from the old image', () => {
    const cases: Array<[string, string, string, string]> = [
      ['1.0.0', '1.2.0', 'upgraded', 'dev.cdevents.service.upgraded'],
      ['2.0.0', '1.2.0', 'rolledback', 'dev.cdevents.service.rolledback'],
      ['1.2.0', '1.2.0', 'redeployed', 'dev.cdevents.service.deployed'],
      ['nightly-7', '1.2.0', 'changed', 'dev.cdevents.service.upgraded'],
    ];
    for (const [previous, version, change, detailType] of cases) {
      const event = announcedEvent(
        { eventName: 'MODIFY', oldImage: current({ id: '01J00000000000000000000000', version: previous }), newImage: current({ version }) },
        REGION,
      )!;
      expect([event.detail.Change, event['detail-type'], event.detail.PreviousVersion]).toEqual([change, detailType, previous]);
    }
  });

  it('a failed history item announces itself as failed, with the service’s own detail-type; its note on the current item does not', () => {
    const event = announcedEvent({ eventName: 'INSERT', newImage: { ...history({ status: 'Failed' }), failed: true } }, REGION)!;
    expect([event.detail.Change, event['detail-type'], event.detail.Status, event.detail.PreviousVersion]).toEqual([
      'failed',
      'package-deployment-api.deployment.failed',
      'Failed',
      undefined,
    ]);
    expect(slackText(event)).toMatch(/^\*App 1\.2\.0\* FAILED to deploy on \*web01\* by /);
    const note = { ...current(), lastAttempt: { Version: '9.9.9', Status: 'Failed', Date: 'x', Id: 'y' } };
    expect(announcedEvent({ eventName: 'MODIFY', newImage: note, oldImage: current() }, REGION)).toBeUndefined();
  });

  it('a backdated history item announces itself; an ordinary history item does not (its current item does)', () => {
    expect(announcedEvent({ eventName: 'INSERT', newImage: history() }, REGION)).toBeUndefined();
    const event = announcedEvent({ eventName: 'INSERT', newImage: { ...history(), backdated: true } }, REGION)!;
    expect(event.detail.Change).toBe('backdated');
    expect(event['detail-type']).toBe(DETAIL_TYPES.backdated);
  });

  it('nothing for a replica (another region), a rewrite of the same record, a removal or another kind of item', () => {
    expect(announcedEvent({ eventName: 'INSERT', newImage: current({ region: 'us-east-1' }) }, REGION)).toBeUndefined();
    expect(announcedEvent({ eventName: 'INSERT', newImage: { ...history({ region: 'us-east-1' }), backdated: true } }, REGION)).toBeUndefined();
    expect(announcedEvent({ eventName: 'MODIFY', oldImage: current(), newImage: { ...current(), overviewPk: 'x' } }, REGION)).toBeUndefined();
    expect(announcedEvent({ eventName: 'REMOVE', oldImage: current() }, REGION)).toBeUndefined();
    expect(announcedEvent({ eventName: 'INSERT', newImage: { pk: 'N#feed', sk: '2026-01-01', count: 1, region: REGION } }, REGION)).toBeUndefined();
    // Every field of a record, under another kind of key: still not announced (the key prefix decides).
    expect(announcedEvent({ eventName: 'INSERT', newImage: { ...history(), pk: 'N#feed', sk: 'x' } }, REGION)).toBeUndefined();
    expect(
      announcedEvent({ eventName: 'MODIFY', oldImage: current(), newImage: { ...current({ id: '01J00000000000000000000009' }), pk: 'N#feed' } }, REGION),
    ).toBeUndefined();
    expect(announcedEvent({ eventName: 'MODIFY', newImage: { ...history(), backdated: true } }, REGION)).toBeUndefined();
  });
});

const event = announcedEvent(
  { eventName: 'MODIFY', oldImage: current({ id: '01J00000000000000000000000', version: '1.1.0' }), newImage: current({ url: 'https://ci.example.com/b/7' }) },
  REGION,
)!;

describe('webhook payloads', () => {
  it('json: the event itself, signed as GitHub signs (HMAC-SHA256 of the raw body, hex, sha256= prefix)', () => {
    const body = webhookBody(event, 'json');
    expect(JSON.parse(body)).toEqual(event);
    const headers = webhookHeaders(event, body, 's3cret-s3cret-s3cret', 'delivery-1');
    const expected = `sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(Buffer.from(body)).digest('hex')}`;
    expect(headers['X-Deployment-Signature-256']).toBe(expected);
    expect(headers).toMatchObject({
      'X-Deployment-Event': 'upgraded',
      'X-Deployment-Delivery': 'delivery-1',
      'X-Deployment-Id': event.id,
      'Content-Type': 'application/json',
    });
    expect(signBody('other-secret-other', body)).not.toBe(expected);
  });

  it('slack: one line naming package, version, target, region, who and the change, escaped for mrkdwn', () => {
    const text = slackText(event);
    expect(JSON.parse(webhookBody(event, 'slack'))).toEqual({ text });
    for (const part of ['App 1.2.0', 'upgraded', 'web01', 'was 1.1.0', 'alice', REGION, 'Releases', '<https://ci.example.com/b/7|details>'])
      expect(text).toContain(part);
    // The target after "on": "upgraded to *web01*" would read as a version.
    expect(text).toMatch(/^\*App 1\.2\.0\* upgraded on \*web01\* \(was 1\.1\.0\) by alice in /);
    const tricky = announcedEvent(
      { eventName: 'INSERT', newImage: current({ packageName: '<!channel>', userName: 'a&b', url: 'javascript:alert(1)' }) },
      REGION,
    )!;
    const escaped = slackText(tricky);
    expect(escaped).toContain('&lt;!channel&gt;');
    expect(escaped).toContain('a&amp;b');
    expect(escaped).not.toContain('javascript:');
    expect(escaped).toContain('deployed');
    // A link's URL cannot close the link or open a mention: < > | are percent-encoded, & escaped (attacker review).
    const link = slackText(announcedEvent({ eventName: 'INSERT', newImage: current({ url: 'https://ci.example.com/<!channel>|x?a=1&b=2' }) }, REGION)!);
    expect(link).toContain('<https://ci.example.com/%3C!channel%3E%7Cx?a=1&amp;b=2|details>');
    expect(link).not.toMatch(/<!channel/);
  });
});

describe('which addresses may receive deliveries (AWS settings: no loopback)', () => {
  const aws = { allowLoopback: false };
  it('refuses private, loopback, link-local, unique-local and other special addresses, and http', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
      '64:ff9b::a9fe:a9fe',
      '224.0.0.1',
      '::a9fe:a9fe',
      '::7f00:1',
      '::0a00:1',
      '4000::1',
    ]) {
      expect(refusedAddress(address, aws), address).toBeDefined();
    }
    expect(refusedAddress('93.184.215.14', aws)).toBeUndefined();
    expect(refusedAddress('2606:4700::1111', aws)).toBeUndefined();
    for (const url of [
      'https://127.0.0.1/',
      'https://10.0.0.5/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]:8443/',
      'https://[fd12::1]/',
      'https://localhost/',
      'http://93.184.215.14/',
      'ftp://example.com/',
      'https://u:p@example.com/',
      'not a url',
    ]) {
      expect(checkWebhookUrl(url, aws).ok, url).toBe(false);
    }
    expect(checkWebhookUrl('https://hooks.example.com/x', aws).ok).toBe(true);
  });

  it('locally (WEBHOOKS_ALLOW_LOOPBACK), loopback and plain http too, but still no private address', () => {
    const local = { allowLoopback: true };
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', local).ok).toBe(true);
    expect(checkWebhookUrl('http://[::1]:9000/hook', local).ok).toBe(true);
    expect(checkWebhookUrl('http://10.0.0.1/hook', local).ok).toBe(false);
    expect(checkWebhookUrl('http://169.254.169.254/', local).ok).toBe(false);
  });

  it('a name is checked after resolution: one resolving to loopback is refused, at the connection too', async () => {
    const reason = await new Promise<string>((resolve) => safeLookup(aws)('localhost', {}, (err) => resolve(err ? err.message : 'connected')));
    expect(reason).toMatch(/loopback/);
    // This machine's own name resolves to a loopback or private address wherever tests run (a container's /etc/hosts
    // names its private IP): refused when the webhook is added, and again by the lookup postOnce connects with.
    const own = hostname();
    const addresses = await lookup(own, { all: true }).catch(() => []);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => refusedAddress(a.address, aws) !== undefined)).toBe(true);
    expect(await refusedWebhookUrl(`https://${own}/hook`, aws)).toMatch(/resolves to /);
    expect(await postOnce(`https://${own}:1/hook`, '{}', {}, { timeoutMs: 2000, policy: aws })).toMatchObject({
      retryable: false,
      error: expect.stringMatching(/resolves to .*webhooks are delivered only to public addresses/),
    });
    expect(await refusedWebhookUrl('https://name-that-does-not-exist.invalid/', aws)).toMatch(/does not resolve/);
  });
});

describe('retries', () => {
  const policy = { maxAttempts: 5, budgetMs: 30_000, timeoutMs: 1000, baseDelayMs: 1000 };
  it('5xx, 429, timeouts and network errors are retried; other 4xx, redirects and unsafe addresses are not', () => {
    expect(classify({ status: 200 })).toBe('delivered');
    expect(classify({ status: 204 })).toBe('delivered');
    expect(classify({ status: 500 })).toBe('retry');
    expect(classify({ status: 503 })).toBe('retry');
    expect(classify({ status: 429 })).toBe('retry');
    expect(classify({ error: 'timeout', retryable: true })).toBe('retry');
    expect(classify({ status: 400 })).toBe('failed');
    expect(classify({ status: 404 })).toBe('failed');
    expect(classify({ status: 301 })).toBe('failed');
    expect(classify({ error: 'loopback', retryable: false })).toBe('failed');
  });

  it("exponential backoff with jitter, or the receiver's Retry-After (seconds or a date)", () => {
    expect(retryDelayMs(2, policy, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(3, policy, undefined, () => 1)).toBe(2000);
    expect(retryDelayMs(4, policy, undefined, () => 0)).toBe(2000);
    expect(retryDelayMs(2, policy, 7000)).toBe(7000);
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });

  const webhook: Webhook = { id: 'wh_1', feedName: 'Releases', url: 'https://hooks.example.com/', secret: 'x'.repeat(32), format: 'json', createdAt: '' };
  const scripted = (outcomes: AttemptOutcome[]) => {
    let clock = 0;
    const waits: number[] = [];
    const deps: DispatchDeps = {
      region: REGION,
      retry: policy,
      webhooksFor: async () => [webhook],
      publish: async (events) => events.map(() => true),
      post: async () => outcomes.shift() ?? { status: 200 },
      deadLetter: async () => {},
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    };
    return { deps, waits };
  };

  it('stops at the first success, after the attempts limit, at a final answer, or when the budget would be exceeded', async () => {
    let s = scripted([{ status: 503 }, { status: 429, retryAfter: '2' }, { status: 200 }]);
    expect(await deliver(webhook, event, s.deps)).toMatchObject({ delivered: true, attempts: 3 });
    expect(s.waits[1]).toBe(2000);
    s = scripted(Array.from({ length: 9 }, () => ({ status: 500 })));
    expect(await deliver(webhook, event, s.deps)).toMatchObject({ delivered: false, attempts: 5 });
    s = scripted([{ status: 410 }]);
    expect(await deliver(webhook, event, s.deps)).toMatchObject({ delivered: false, attempts: 1, outcome: 'HTTP 410' });
    s = scripted([{ status: 429, retryAfter: '3600' }]);
    expect(await deliver(webhook, event, s.deps)).toMatchObject({ delivered: false, attempts: 1 });
    expect(s.waits).toEqual([]);
  });

  it("a retry is made only if it can end (its wait and its timeout) within the budget and the invocation's deadline", async () => {
    // The budget counts the next attempt's timeout: 29 s waited, 1 s wait, 1 s timeout is past 30 s.
    let s = scripted([{ status: 503, retryAfter: '29' }, { status: 503, retryAfter: '1' }, { status: 200 }]);
    expect(await deliver(webhook, event, s.deps)).toMatchObject({ delivered: false, attempts: 2, outcome: 'HTTP 503; no time left to retry' });
    // The invocation's deadline, 2 s away (1 s timeouts): room for one wait (0.5-1 s) and a second attempt, no more.
    s = scripted(Array.from({ length: 9 }, () => ({ status: 500 })));
    expect(await deliver(webhook, event, { ...s.deps, deadline: 2_000 })).toMatchObject({ delivered: false, attempts: 2 });
    // Past it, a delivery is not attempted at all (and the dispatcher dead-letters it).
    s = scripted([{ status: 200 }]);
    expect(await deliver(webhook, event, { ...s.deps, deadline: 500 })).toMatchObject({
      delivered: false,
      attempts: 0,
      outcome: /no time left in this invocation/,
    });
  });
});

describe('dispatch: failures in stream order', () => {
  const streamRecord = (seq: number, image: Record<string, unknown>): StreamRecord => ({
    eventID: String(seq),
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String(seq), NewImage: marshall(image, { removeUndefinedValues: true }) },
  });
  const batch = [1, 2, 3].map((n) => streamRecord(n, current({ id: `01J0000000000000000000000${n}`, target: `web0${n}` })));
  const base = (over: Partial<DispatchDeps> = {}) => {
    const posted: string[] = [];
    const letters: DeadLetter[] = [];
    const deps: DispatchDeps = {
      region: REGION,
      retry: { maxAttempts: 1, budgetMs: 0, timeoutMs: 100, baseDelayMs: 0 },
      webhooksFor: async () => [{ id: 'wh_1', feedName: 'Releases', url: 'https://hooks.example.com/', secret: 'x'.repeat(32), format: 'json', createdAt: '' }],
      publish: async (events: DeploymentEvent[]) => events.map(() => true),
      post: async (_w, body) => {
        posted.push(JSON.parse(body).id);
        return { status: 200 };
      },
      deadLetter: async (l) => {
        letters.push(l);
      },
      ...over,
    };
    return { deps, posted, letters };
  };

  it("receivers that hang, however many, do not use up the invocation's time before another feed's are tried", async () => {
    // Prepare: 9 records of feed Hanging with 40 webhooks that never answer (each attempt costs the 100 ms timeout),
    // then 1 record of feed Healthy; a deadline that leaves time for a few rounds of the pool only.
    const records = [
      ...Array.from({ length: 9 }, (_, n) => streamRecord(n + 1, current({ id: `01J0000000000000000000000${n + 1}`, feedName: 'Hanging', target: `t${n}` }))),
      streamRecord(10, current({ id: '01J00000000000000000000010', feedName: 'Healthy' })),
    ];
    const hook = (id: string, feedName: string): Webhook => ({
      id,
      feedName,
      url: `https://${id}.example.com/`,
      secret: 'x'.repeat(32),
      format: 'json',
      createdAt: '',
    });
    let clock = 0;
    const { deps, letters } = base({
      now: () => clock,
      deadline: 400,
      webhooksFor: async (feed) => (feed === 'Hanging' ? Array.from({ length: 40 }, (_, i) => hook(`wh_h${i}`, feed)) : [hook('wh_ok', feed)]),
      post: async (webhook) => {
        if (webhook.id === 'wh_ok') return { status: 200 };
        clock += 100;
        return { error: 'no answer within 100 ms', retryable: true };
      },
    });
    // Act
    const out = await dispatch(records, deps);
    // Assess: the healthy feed's delivery was made; the hanging ones that found no time left were dead-lettered.
    expect(out.deliveries.find((d) => d.webhookId === 'wh_ok')).toMatchObject({ delivered: true, attempts: 1 });
    expect(letters.some((l) => l.reason.includes('no time left in this invocation'))).toBe(true);
    expect(out.deliveries).toHaveLength(9 * 40 + 1);
  });

  it('all good: one event and one delivery per record, no failure', async () => {
    const { deps, posted } = base();
    const out = await dispatch(batch, deps);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.events.map((e) => e.id)).toEqual(posted);
    expect(posted).toHaveLength(3);
  });

  it('the bus refusing the second event fails the batch from it; nothing after it is delivered', async () => {
    const { deps, posted } = base({ publish: async (events) => events.map((_, i) => i !== 1) });
    const out = await dispatch(batch, deps);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    expect(posted).toEqual(['01J00000000000000000000001']);
  });

  it('a webhook that refuses is dead-lettered on its own: the record is not retried', async () => {
    // A Slack-like URL, whose path is its credential: the letter names the webhook by scheme and host only.
    const slackLike: Webhook = {
      id: 'wh_1',
      feedName: 'Releases',
      url: 'https://hooks.example.com/services/T0/B0/tok3n',
      secret: 'x'.repeat(32),
      format: 'slack',
      createdAt: '',
    };
    const { deps, letters } = base({ post: async () => ({ status: 500 }), webhooksFor: async () => [slackLike] });
    const out = await dispatch(batch, deps);
    expect(out.batchItemFailures).toEqual([]);
    expect(letters.map((l) => l.event.id)).toHaveLength(3);
    expect(JSON.stringify(letters)).not.toContain('x'.repeat(32)); // never the secret
    expect(JSON.stringify(letters)).not.toContain('tok3n'); // nor the URL's path
    expect(letters[0]!.webhook.url).toMatch(/^https:\/\/hooks\.example\.com/);
  });

  it('a dead letter that cannot be written fails the batch from that record', async () => {
    const { deps } = base({
      post: async (_w, body) => ({ status: JSON.parse(body).id.endsWith('2') ? 500 : 200 }),
      deadLetter: async () => {
        throw new Error('SQS down');
      },
    });
    expect((await dispatch(batch, deps)).batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });

  it('webhooks that cannot be read fail the batch from the first record that needs them', async () => {
    // Records 1 and 2 of feed Releases, record 3 of feed Other, whose webhooks cannot be read.
    const mixed = [...batch.slice(0, 2), streamRecord(3, current({ id: '01J00000000000000000000003', feedName: 'Other', target: 'web03' }))];
    const { deps, posted } = base({
      webhooksFor: async (feed) => {
        if (feed === 'Other') throw new Error('throttled');
        return [{ id: 'wh_1', feedName: feed, url: 'https://hooks.example.com/', secret: 'x'.repeat(32), format: 'json', createdAt: '' }];
      },
    });
    expect((await dispatch(mixed, deps)).batchItemFailures).toEqual([{ itemIdentifier: '3' }]);
    expect(posted).toEqual(['01J00000000000000000000001', '01J00000000000000000000002']);
  });
});

describe('the webhook client', () => {
  it('closes the connection once the status arrives: a receiver streaming an endless body holds no socket', async () => {
    // Prepare: a receiver that answers 200, then writes a chunk every 10 ms for as long as the connection stays open.
    let closedAfterMs: number | undefined;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200);
        const started = Date.now();
        const timer = setInterval(() => res.write('x'.repeat(64 * 1024)), 10);
        res.on('close', () => {
          clearInterval(timer);
          closedAfterMs = Date.now() - started;
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      // Act
      const outcome = await postOnce(`http://127.0.0.1:${port}/hook`, '{}', {}, { timeoutMs: 2000, policy: { allowLoopback: true } });
      await new Promise((r) => setTimeout(r, 300));
      // Assess: delivered, and the receiver saw its connection closed at once (not after the 2 s timeout, nor never).
      expect(outcome).toEqual({ status: 200, retryAfter: undefined });
      expect(closedAfterMs).toBeDefined();
      expect(closedAfterMs!).toBeLessThan(300);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
