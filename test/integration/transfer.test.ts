import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handler as read } from '../../functions/query-deployments/handler.ts';
import { run } from '../../infra/admin.ts';
import { VIEW_AND_DOWNLOAD } from '../../lib/domain/auth.ts';
import type { NewDeployment } from '../../lib/domain/record.ts';
import { documentClient } from '../../lib/store/client.ts';
import { putDeployment } from '../../lib/store/deployments.ts';
import { FeedRepository } from '../../lib/store/feeds.ts';
import { invoke, type Answer } from '../support/invoke.ts';
import { TEST_TABLES } from './tables.ts';

/**
 * Export and import on a real local DynamoDB: a feed's reads (history, current versions, overview, frequency) are the
 * same after export, purge, add and import as before; importing twice is importing once; a malformed line is reported
 * by its number and the rest go in.
 */
const client = documentClient();
const suffix = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), 'transfer-'));
const DAY_MS = 86_400_000;
const feeds = new FeedRepository(client, TEST_TABLES.feeds, TEST_TABLES);

const admin = async (...args: string[]): Promise<{ out: string[]; err: string[] }> => {
  const out: string[] = [];
  const err: string[] = [];
  await run(
    args,
    (line) => out.push(...line.split('\n')),
    (line) => err.push(line),
  );
  return { out, err };
};
const get = (path: string, params: Record<string, string>): Promise<Answer> =>
  invoke(read, { method: 'GET', path, query: new URLSearchParams(params).toString() });

const pages = async (path: string, params: Record<string, string>, key: 'Items' | 'Packages'): Promise<unknown[]> => {
  const out: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await get(path, { ...params, ...(cursor ? { cursor } : {}) });
    expect(page.status).toBe(200);
    out.push(...(page.json[key] as unknown[]));
    cursor = page.json.NextCursor as string | undefined;
  } while (cursor);
  return out;
};

/** Every read of the feed a user sees. */
const reads = async (feed: string) => ({
  history: await pages('/api/deployments', { FeedName: feed, limit: '7' }, 'Items'),
  app: await pages('/api/deployments', { FeedName: feed, PackageName: 'App', limit: '3' }, 'Items'),
  lib: await pages('/api/deployments', { FeedName: feed, PackageName: 'Lib', GroupName: 'Tools' }, 'Items'),
  currentApp: await pages('/api/deployments/current', { FeedName: feed, PackageName: 'App' }, 'Items'),
  currentLib: await pages('/api/deployments/current', { FeedName: feed, PackageName: 'Lib', GroupName: 'Tools' }, 'Items'),
  overview: await pages('/api/deployments/overview', { FeedName: feed }, 'Packages'),
  frequency: (await get('/api/deployments/frequency', { FeedName: feed, interval: 'day', from: new Date(Date.now() - 25 * DAY_MS).toISOString().slice(0, 10) }))
    .json,
});

const historyRecord = fc.record({
  pkg: fc.constantFrom('App', 'Lib'),
  version: fc.constantFrom('1.0.0', '1.1.0', '2.0.0', '1.0.0-beta'), // a move back is a rollback
  target: fc.constantFrom('web01', 'web02', 'db01'),
  region: fc.constantFrom('eu-west-1', 'us-east-1'),
  minutesAgo: fc.integer({ min: 1, max: 20 * 24 * 60 }),
  url: fc.option(fc.constant('https://ci.example/run/1?a=1,b=2'), { nil: undefined }),
  description: fc.constantFrom('release', '=HYPERLINK("http://evil")', 'multi\nline, "quoted"', '@SUM(A1)'),
  user: fc.constantFrom('alice', 'ci-bot', '+1 user'),
});

type HistoryRecord = typeof historyRecord extends fc.Arbitrary<infer T> ? T : never;

const newRecord = (feed: string, r: HistoryRecord): NewDeployment => {
  const date = new Date(Date.now() - r.minutesAgo * 60_000).toISOString();
  return {
    feedName: feed,
    ...(r.pkg === 'Lib' ? { groupName: 'Tools' } : {}),
    packageName: r.pkg,
    version: r.version,
    target: r.target,
    application: 'Shop',
    description: r.description,
    userName: r.user,
    ...(r.url !== undefined ? { url: r.url } : {}),
    date,
    receivedAt: date,
    keyId: 'anonymous',
    region: r.region,
  };
};

describe('export and import', () => {
  it('round trip: export, purge, add, import gives every read as before; importing again changes nothing', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(historyRecord, { minLength: 1, maxLength: 14 }), async (history) => {
        const feed = `Trip-${suffix}-${run++}`;
        await feeds.add(feed, VIEW_AND_DOWNLOAD);
        // Recorded in Date order, as a pipeline records them; several targets, packages, regions, rollbacks.
        const records = history.map((r) => newRecord(feed, r)).sort((a, b) => a.date.localeCompare(b.date));
        for (const r of records) await putDeployment(client, TEST_TABLES, r);
        const before = await reads(feed);

        const jsonl = join(dir, `${feed}.jsonl`);
        const csv = join(dir, `${feed}.csv`);
        expect((await admin('export', '--feed', feed, '--out', jsonl)).err.at(-1)).toBe(
          `export: ${records.length} record(s) of feed ${feed} written to ${jsonl} (jsonl).`,
        );
        await admin('export', '--feed', feed, '--format', 'csv', '--out', csv);
        const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
        expect(lines).toHaveLength(records.length);
        // In Date order, every field.
        expect(lines.map((l) => (JSON.parse(l) as { Date: string }).Date)).toEqual(records.map((r) => r.date));
        expect(
          readFileSync(csv, 'utf8')
            .split('\r\n')
            .filter((l) => /^01[0-9A-Z]{24},/.test(l)),
        ).toHaveLength(records.length);

        await admin('feeds', 'remove', feed, '--purge');
        expect((await pages('/api/deployments', { FeedName: feed }, 'Items').catch(() => [])).length).toBe(0);
        await admin('feeds', 'add', feed, '--anonymous');
        expect((await admin('import', '--feed', feed, jsonl)).out).toEqual([
          `Imported ${records.length} record(s) into feed ${feed}; 0 already there (skipped).`,
        ]);
        expect(await reads(feed)).toEqual(before);

        expect((await admin('import', '--feed', feed, jsonl, '--dry-run')).out).toEqual([
          `Dry run: would import 0 record(s) into feed ${feed}; ${records.length} already there (skipped).`,
        ]);
        expect((await admin('import', '--feed', feed, jsonl)).out).toEqual([
          `Imported 0 record(s) into feed ${feed}; ${records.length} already there (skipped).`,
        ]);
        expect(await reads(feed)).toEqual(before);
      }),
      { numRuns: 4 },
    );
  });

  it('a malformed line is reported with its number; the rest go in; --from/--to narrow the export', async () => {
    const feed = `Lines-${suffix}`;
    await feeds.add(feed, VIEW_AND_DOWNLOAD);
    const base = { pkg: 'App', version: '1.0.0', target: 'web01', region: 'eu-west-1', url: undefined, description: 'release', user: 'alice' } as const;
    for (const minutesAgo of [300, 200, 100]) await putDeployment(client, TEST_TABLES, newRecord(feed, { ...base, minutesAgo }));
    const file = join(dir, `${feed}.jsonl`);
    await admin('export', '--feed', feed, '--out', file);
    const [first, second, third] = readFileSync(file, 'utf8').trimEnd().split('\n') as [string, string, string];
    const narrowed = join(dir, `${feed}-narrow.jsonl`);
    const middle = JSON.parse(second) as { Date: string; Id: string };
    await admin('export', '--feed', feed, '--from', middle.Date, '--to', middle.Date, '--out', narrowed);
    expect(readFileSync(narrowed, 'utf8')).toBe(`${second}\n`);

    await admin('feeds', 'remove', feed, '--purge');
    await admin('feeds', 'add', feed, '--anonymous');
    const edited = join(dir, `${feed}-edited.jsonl`);
    writeFileSync(edited, [first, '{"Id": "broken"', '', second.replace(`"FeedName":"${feed}"`, '"FeedName":"Elsewhere"'), third].join('\n'));
    const err: string[] = [];
    const out: string[] = [];
    await expect(
      run(
        ['import', '--feed', feed, edited],
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).rejects.toThrow(`2 line(s) of ${edited} were not imported`);
    expect(err).toEqual([
      `${edited}:2: not JSON: ${jsonError('{"Id": "broken"')}`,
      `${edited}:4: FeedName Elsewhere is not the feed ${feed.toLowerCase()}`,
      'import: line 5: 2 imported, 0 already there, 2 malformed',
    ]);
    expect(out).toEqual([`Imported 2 record(s) into feed ${feed}; 0 already there (skipped); 2 malformed line(s) not imported (listed above).`]);
    expect(((await get('/api/deployments', { FeedName: feed })).json.Items as unknown[]).length).toBe(2);
    await expect(admin('import', '--feed', `Nope-${suffix}`, edited)).rejects.toThrow(/No feed named/);

    // A line whose Id is stored already is skipped whatever else it says (a record's key is its package and Date).
    const moved = join(dir, `${feed}-moved.jsonl`);
    const laterDate = new Date(Date.parse(JSON.parse(first).Date as string) + 60_000).toISOString();
    writeFileSync(moved, [first.replace(/"Date":"[^"]+"/, `"Date":"${laterDate}"`), first.replace('"PackageName":"App"', '"PackageName":"Other"')].join('\n'));
    const again = await admin('import', '--feed', feed, moved);
    expect(again.out).toEqual([`Imported 0 record(s) into feed ${feed}; 2 already there (skipped).`]);
    const ids = ((await get('/api/deployments', { FeedName: feed })).json.Items as Array<{ Id: string }>).map((r) => r.Id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    await expect(admin('export', '--feed', `Nope-${suffix}`)).rejects.toThrow(/No feed named/);
  });
});

const jsonError = (text: string): string => {
  try {
    JSON.parse(text);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};
