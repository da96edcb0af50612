import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { feedKey } from '../../lib/domain/keys.ts';
import { documentClient } from '../../lib/store/client.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../infra/admin.ts';
import { ensureTables, localClientConfig } from '../../infra/local/dynamodb.ts';
import { TEST_TABLES } from './tables.ts';

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(args, (line) => lines.push(...line.split('\n')));
  return lines;
};
const WEBHOOKS = 'it-webhooks';
const endpoint = () => process.env.AWS_ENDPOINT_URL_DYNAMODB!;

beforeAll(async () => {
  const client = new DynamoDBClient(localClientConfig(endpoint()));
  await ensureTables(client, { ...TEST_TABLES, webhooks: WEBHOOKS });
  client.destroy();
  vi.stubEnv('WEBHOOKS_TABLE', WEBHOOKS);
});
afterAll(() => vi.unstubAllEnvs());

describe('admin CLI: webhooks', () => {
  it('adds (printing the id, and a generated secret alone on the last line), lists without secrets, removes', async () => {
    await admin('feeds', 'add', 'Hooked');
    const added = await admin('webhooks', 'add', '--feed', 'Hooked', '--url', 'http://127.0.0.1:9/hook');
    const id = /^Added webhook (wh_[0-9a-z]+):/.exec(added[0]!)![1]!;
    const secret = added.at(-1)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A second webhook to the same URL (someone who lost the secret) is added, with a warning naming the first.
    const warnings = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const again = await admin('webhooks', 'add', '--feed', 'Hooked', '--url', 'http://127.0.0.1:9/hook');
      expect(warnings.mock.calls.flat().join('\n')).toMatch(
        new RegExp(`already has 1 webhook\\(s\\) to this URL \\(${id}\\).*Lost a secret\\? Remove the old webhook`),
      );
      await admin('webhooks', 'remove', /^Added webhook (wh_[0-9a-z]+):/.exec(again[0]!)![1]!);
    } finally {
      warnings.mockRestore();
    }
    const given = await admin(
      'webhooks',
      'add',
      '--feed',
      'Hooked',
      '--url',
      'http://127.0.0.1:9/services/T0/B0/tokentoken',
      '--format',
      'slack',
      '--secret',
      'given-secret-0123456789',
    );
    expect(given).toHaveLength(1);
    const list = (await admin('webhooks', 'list')).join('\n');
    expect(list).toContain(id);
    expect(list).toContain('http://127.0.0.1:9/…');
    for (const hidden of [secret, 'given-secret-0123456789', 'tokentoken']) expect(list).not.toContain(hidden);
    // An id typed in upper case is the same id.
    expect(await admin('webhooks', 'remove', id.toUpperCase())).toEqual([`Removed webhook ${id}.`]);
    await expect(admin('webhooks', 'remove', id)).rejects.toThrow(/No webhook/);
  });

  it('refuses a feed that does not exist, storing nothing', async () => {
    await expect(admin('webhooks', 'add', '--feed', 'NoSuchFeed', '--url', 'http://127.0.0.1:9/hook')).rejects.toThrow(/No feed named NoSuchFeed/);
    expect((await admin('webhooks', 'list')).join('\n')).not.toContain('NoSuchFeed');
  });

  it('a feed removed takes its webhooks with it; a feed re-created under its name starts without them', async () => {
    // Prepare
    await admin('feeds', 'add', 'Leaving');
    const id = /^Added webhook (wh_[0-9a-z]+):/.exec((await admin('webhooks', 'add', '--feed', 'leaving', '--url', 'http://127.0.0.1:9/a'))[0]!)![1]!;
    // Act
    const removed = await admin('feeds', 'remove', 'Leaving');
    // Assess
    expect(removed).toContain('Removed its 1 webhook(s) stored under the name Leaving.');
    expect((await admin('webhooks', 'list')).join('\n')).not.toContain(id);
    await admin('feeds', 'add', 'Leaving');
    expect((await admin('webhooks', 'list')).join('\n')).not.toMatch(/Leaving/i);
  });

  it('webhooks left under a name by an interrupted removal go with the next removal or a new feed of the name', async () => {
    // Prepare: the feed is gone but its webhook stayed (a removal stopped between the two, or a race with webhooks add).
    await admin('feeds', 'add', 'Orphaned');
    const hook = async () =>
      /^Added webhook (wh_[0-9a-z]+):/.exec((await admin('webhooks', 'add', '--feed', 'Orphaned', '--url', 'http://127.0.0.1:9/o'))[0]!)![1]!;
    const first = await hook();
    await documentClient().send(new DeleteCommand({ TableName: TEST_TABLES.feeds, Key: feedKey('Orphaned') }));
    // Act, Assess: removing again completes the removal.
    expect(await admin('feeds', 'remove', 'Orphaned')).toEqual(['Removed the 1 webhook(s) stored under the name Orphaned.']);
    expect((await admin('webhooks', 'list')).join('\n')).not.toContain(first);
    // And a new feed of the name starts without any.
    await admin('feeds', 'add', 'Orphaned');
    const second = await hook();
    await documentClient().send(new DeleteCommand({ TableName: TEST_TABLES.feeds, Key: feedKey('Orphaned') }));
    expect(await admin('feeds', 'add', 'Orphaned')).toContain(
      'Removed 1 webhook(s) left under the name by a feed removed earlier: the new feed starts without them.',
    );
    expect((await admin('webhooks', 'list')).join('\n')).not.toContain(second);
  });

  it('on AWS tables, loopback and plain http are refused even if WEBHOOKS_ALLOW_LOOPBACK=true is exported', async () => {
    const local = endpoint();
    vi.stubEnv('WEBHOOKS_ALLOW_LOOPBACK', 'true');
    try {
      for (const aws of ['https://dynamodb.eu-west-1.amazonaws.com', '']) {
        vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', aws);
        await expect(admin('webhooks', 'add', '--feed', 'F', '--url', 'http://127.0.0.1:9/x')).rejects.toThrow(/--url refused/);
      }
    } finally {
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local);
      vi.stubEnv('WEBHOOKS_ALLOW_LOOPBACK', '');
    }
  });

  it('refuses bad input with a usage error', async () => {
    await expect(admin('webhooks', 'add', '--url', 'https://example.com/')).rejects.toThrow(/exactly one --feed/);
    await expect(admin('webhooks', 'add', '--feed', 'F', '--url', 'https://example.com/', '--format', 'xml')).rejects.toThrow(/--format must be json or slack/);
    await expect(admin('webhooks', 'add', '--feed', 'F', '--url', 'https://example.com/', '--secret', 'short')).rejects.toThrow(/at least 16/);
  });

  it('refuses private, link-local and (for AWS tables) loopback or plain-http URLs before storing anything', async () => {
    for (const url of ['http://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00::1]/']) {
      await expect(admin('webhooks', 'add', '--feed', 'F', '--url', url), url).rejects.toThrow(/--url refused/);
    }
    const local = endpoint();
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'https://dynamodb.eu-west-1.amazonaws.com');
    try {
      for (const url of ['https://127.0.0.1/', 'https://[::1]/', 'https://localhost/', 'http://example.com/']) {
        await expect(admin('webhooks', 'add', '--feed', 'F', '--url', url), url).rejects.toThrow(/--url refused/);
      }
    } finally {
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local);
    }
    expect((await admin('webhooks', 'list')).join('\n')).not.toMatch(/10\.0\.0\.1|169\.254|fd00/);
  });
});
