import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { run } from '../../infra/admin.ts';
import { documentClient } from '../../lib/store/client.ts';
import { hashApiKey } from '../../lib/domain/keys.ts';
import { TEST_TABLES } from './tables.ts';

const admin = async (...args: string[]): Promise<string[]> => {
  const lines: string[] = [];
  await run(args, (line) => lines.push(...line.split('\n')));
  return lines;
};
const suffix = randomUUID().slice(0, 8);

describe('admin CLI against a real DynamoDB', () => {
  it('adds, lists and removes feeds; a name is unique case-insensitively', async () => {
    const name = `Admin-${suffix}`;
    expect(await admin('feeds', 'add', name, '--anonymous')).toEqual([`Added feed ${name} (anonymous users: Feeds_ViewFeed, Feeds_DownloadPackage).`]);
    await expect(admin('feeds', 'add', name.toLowerCase())).rejects.toThrow(/already exists/);
    const listed = await admin('feeds', 'list');
    expect(listed[0]).toMatch(/^NAME\s+ANONYMOUS\s+CREATED\s+ID\s+HISTORY KEPT$/);
    expect(listed.some((l) => l.startsWith(name) && l.includes('Feeds_ViewFeed,Feeds_DownloadPackage'))).toBe(true);
    expect(await admin('feeds', 'remove', name.toUpperCase())).toEqual([
      `Removed feed ${name.toUpperCase()}; its deployment records are kept (a feed added later under this name must take them over).`,
    ]);
    await expect(admin('feeds', 'remove', name)).rejects.toThrow(/No feed/);
  });

  it('creates a key printed alone on the last line, stored only as its SHA-256, never listed', async () => {
    await admin('feeds', 'add', `Keyed-${suffix}`);
    const out = await admin('keys', 'add', '--user', `deployer-${suffix}`, '--feed', `Keyed-${suffix}`, '--privilege', 'Feeds_DownloadPackage');
    const key = out.at(-1)!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const stored = await documentClient().send(new GetCommand({ TableName: TEST_TABLES.apiKeys, Key: { keyHash: hashApiKey(key) } }));
    expect(stored.Item).toMatchObject({ user: `deployer-${suffix}`, feeds: [`keyed-${suffix}`], privileges: ['Feeds_DownloadPackage'], revoked: false });
    const everything = await documentClient().send(new ScanCommand({ TableName: TEST_TABLES.apiKeys }));
    expect(JSON.stringify(everything.Items)).not.toContain(key);
    const listed = (await admin('keys', 'list')).join('\n');
    expect(listed).toContain(`deployer-${suffix}`);
    // The feed by its display name; after it is removed, marked so.
    const row = () => listed.split('\n').find((l) => l.includes(`deployer-${suffix}`))!;
    expect(row()).toContain(`Keyed-${suffix}`);
    await admin('feeds', 'remove', `Keyed-${suffix}`);
    const after = (await admin('keys', 'list')).find((l) => l.includes(`deployer-${suffix}`))!;
    expect(after).toContain(`keyed-${suffix} (removed)`);
    expect(listed).not.toContain(key);
    expect(listed).not.toContain(hashApiKey(key));
  });

  it('imports an existing key with --key, and revokes by id', async () => {
    const imported = `proget-key-${suffix}`;
    const out = await admin('keys', 'add', '--user', 'importer', '--key', imported, '--expires', '2999-01-01T00:00:00Z');
    expect(out.at(-1)).toBe(imported);
    const id = /Added key (\S+)/.exec(out[0]!)![1]!;
    expect(await admin('keys', 'revoke', id)).toEqual([
      `Revoked key ${id}; running functions stop accepting it within LOOKUP_CACHE_TTL_SECONDS (default 30 s).`,
    ]);
    const row = (await admin('keys', 'list')).find((l) => l.startsWith(id));
    expect(row).toMatch(/2999-01-01T00:00:00.000Z\s+revoked$/);
    await expect(admin('keys', 'revoke', 'NOSUCHID')).rejects.toThrow(/No key with id/);
  });

  it('refuses bad input with a usage error', async () => {
    await expect(admin('keys', 'add')).rejects.toThrow(/--user/);
    await expect(admin('keys', 'add', '--user', 'x', '--privilege', 'Feeds_Everything')).rejects.toThrow(/unknown privilege/);
    await expect(admin('keys', 'add', '--user', 'x', '--expires', '2001-01-01')).rejects.toThrow(/in the past/);
    await expect(admin('feeds', 'frobnicate')).rejects.toThrow(/unknown command/);
    await expect(admin('feeds', 'list', 'extra')).rejects.toThrow(/unexpected argument extra/);
    await expect(admin('feeds', 'add', 'X', '--user', 'x')).rejects.toThrow(/feeds add takes no --user/);
    await expect(admin('keys', 'add', '--user', 'x', '--anonymous')).rejects.toThrow(/keys add takes no --anonymous/);
    await expect(admin('keys', 'add', '--user', 'x'.repeat(251))).rejects.toThrow(/--user must be at most 250 characters/);
    await expect(admin('keys', 'add', '--user', 'a\u001bb')).rejects.toThrow(/--user must not contain control characters/);
    await expect(admin('keys', 'add', '--user', ' ')).rejects.toThrow(/--user must not be blank/);
    await expect(admin('keys', 'add', '--user', 'x', '--key', 'abc,defghij')).rejects.toThrow(/cannot contain commas/);
    await expect(admin('feeds', 'add', '\u200b')).rejects.toThrow(/a feed name must not be blank/);
  });

  it('trims feed names given to keys add, as the API trims them', async () => {
    await admin('feeds', 'add', `Spaced-${suffix}`);
    const out = await admin('keys', 'add', '--user', `trim-${suffix}`, '--feed', `  Spaced-${suffix}  `);
    expect(out[0]).toMatch(new RegExp(`on Spaced-${suffix} with`));
  });
});
