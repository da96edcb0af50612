import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { dispatch, type DispatchDeps } from '../../lib/app/events.ts';
import { announcedEvent } from '../../lib/domain/events.ts';
import { Readable } from 'node:stream';
import { importFeed, MAX_IMPORT_LINE_BYTES, readLines, type ImportLine } from '../../lib/app/admin/transfer.ts';
import type { FeedRecord } from '../../lib/domain/auth.ts';
import { csvCell, csvHeader, csvRow, jsonLine, parseExportedLine, toExported, type ExportedRecord } from '../../lib/domain/export.ts';
import { currentKey, deploymentPartitionKey } from '../../lib/domain/keys.ts';
import type { DeploymentRecord } from '../../lib/domain/record.ts';
import { expiryOf, isExpired, parseRetainDays, replacedRecord, wantedExpiry, type ReplacedRecord } from '../../lib/domain/retention.ts';
import type { StreamRecord } from '../../lib/store/stream.ts';
import { REGION, sampleRecord } from '../support/sample-record.ts';

const record = (over: Partial<DeploymentRecord> = {}) => sampleRecord(over);
const current = (r: DeploymentRecord, extra: Record<string, unknown> = {}) => ({
  ...currentKey(r.feedName, undefined, r.packageName, r.target),
  latest: `${r.date}#${r.id}`,
  ...r,
  ...extra,
});
const DAY = 86_400;

describe('retention rules', () => {
  it('--retain-days takes 1 to 36500 days or forever', () => {
    expect(parseRetainDays('30')).toEqual({ ok: true, days: 30 });
    expect(parseRetainDays(' Forever ')).toEqual({ ok: true, days: undefined });
    for (const bad of ['0', '-1', '1.5', '36501', 'thirty', '']) expect(parseRetainDays(bad).ok).toBe(false);
  });

  it('a record expires N days after its Date (after ReceivedAt for a Date in the future); never while current, never forever', () => {
    const r = record();
    expect(expiryOf(r, 30)).toBe(Date.parse(r.date) / 1000 + 30 * DAY);
    const future = record({ date: '2027-01-01T00:00:00.000Z', dateInFuture: true });
    expect(expiryOf(future, 1)).toBe(Date.parse(future.receivedAt) / 1000 + DAY);
    expect(wantedExpiry(r, { retainDays: 30, current: true })).toBeUndefined();
    expect(wantedExpiry(r, { retainDays: undefined, current: false })).toBeUndefined();
    expect(wantedExpiry(r, { retainDays: 30, current: false })).toBe(expiryOf(r, 30));
    expect(isExpired(100, 100)).toBe(true);
    expect(isExpired(101, 100)).toBe(false);
    expect(isExpired(undefined, 100)).toBe(false);
  });

  it('a current item whose record moved on names the replaced history item and its expiry, by the new image retention', () => {
    const old = record();
    const next = record({ id: '01J00000000000000000000002', date: '2026-01-05T00:00:00.000Z', version: '1.3.0' });
    const change = { eventName: 'MODIFY', oldImage: current(old), newImage: current(next, { retainDays: 10 }) };
    expect(replacedRecord(change)).toEqual({
      history: { pk: deploymentPartitionKey('Releases', undefined, 'App'), sk: `${old.date}#${old.id}` },
      current: currentKey('Releases', undefined, 'App', 'web01'),
      expiresAt: expiryOf(old, 10),
    });
    // Forever (no retainDays), a first deployment (INSERT), the same record rewritten, a history item: nothing.
    expect(replacedRecord({ ...change, newImage: current(next) })).toBeUndefined();
    expect(replacedRecord({ eventName: 'INSERT', newImage: current(next, { retainDays: 10 }) })).toBeUndefined();
    expect(replacedRecord({ ...change, newImage: current(old, { retainDays: 10 }) })).toBeUndefined();
    expect(replacedRecord({ eventName: 'REMOVE', oldImage: current(old) })).toBeUndefined();
  });
});

describe('events and retention', () => {
  it('announces no imported record and no TTL deletion', () => {
    const r = record();
    expect(announcedEvent({ eventName: 'INSERT', newImage: current(r) }, REGION)?.id).toBe(r.id);
    expect(announcedEvent({ eventName: 'INSERT', newImage: current(r, { imported: true }) }, REGION)).toBeUndefined();
    const historyItem = { pk: deploymentPartitionKey('Releases', undefined, 'App'), sk: `${r.date}#${r.id}`, ...r, backdated: true };
    expect(announcedEvent({ eventName: 'INSERT', newImage: { ...historyItem, imported: true } }, REGION)).toBeUndefined();
    // DynamoDB's TTL deletion: a REMOVE whose old image is the record; nothing to announce.
    expect(announcedEvent({ eventName: 'REMOVE', oldImage: historyItem }, REGION)).toBeUndefined();
  });

  const streamRecord = (eventName: string, images: { old?: object; new?: object }, seq: string): StreamRecord => ({
    eventID: seq,
    eventName,
    dynamodb: {
      SequenceNumber: seq,
      ...(images.old ? { OldImage: marshall(images.old, { removeUndefinedValues: true }) } : {}),
      ...(images.new ? { NewImage: marshall(images.new, { removeUndefinedValues: true }) } : {}),
    },
  });
  const deps = (expire: (r: ReplacedRecord) => Promise<boolean>, published: string[]): DispatchDeps => ({
    region: REGION,
    webhooksFor: async () => [],
    publish: async (events) => {
      published.push(...events.map((e) => e.id));
      return events.map(() => true);
    },
    post: async () => ({ status: 200 }),
    deadLetter: async () => {},
    retry: { maxAttempts: 1, baseDelayMs: 1, budgetMs: 10, timeoutMs: 10 },
    expireReplaced: expire,
  });

  it('the dispatcher expires the replaced record; a failed write is the batch failure from that record on', async () => {
    const a = record();
    const b = record({ id: '01J00000000000000000000002', date: '2026-01-05T00:00:00.000Z', version: '1.3.0' });
    const c = record({ id: '01J00000000000000000000003', date: '2026-01-06T00:00:00.000Z', version: '1.4.0', target: 'web02' });
    const batch = [
      streamRecord('MODIFY', { old: current(a, { retainDays: 5 }), new: current(b, { retainDays: 5 }) }, '1'),
      streamRecord('INSERT', { new: current(c, { retainDays: 5 }) }, '2'),
    ];
    const expired: ReplacedRecord[] = [];
    const published: string[] = [];
    const ok = await dispatch(
      batch,
      deps(async (r) => (expired.push(r), true), published),
    );
    expect(ok.batchItemFailures).toEqual([]);
    expect(expired.map((r) => r.history.sk)).toEqual([`${a.date}#${a.id}`]);
    expect(published).toEqual([b.id, c.id]);

    const refused: string[] = [];
    const failed = await dispatch(
      batch,
      deps(async () => {
        throw new Error('throttled');
      }, refused),
    );
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
    expect(refused).toEqual([]);
  });
});

describe('export format', () => {
  const feed = { name: 'releases', id: '01FEED' };
  const NOW = new Date('2026-06-01T00:00:00Z');

  it('CSV cells that a spreadsheet would evaluate are made inert; RFC 4180 quoting', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      const cell = csvCell(`${lead}x`);
      expect([`'${lead}x`, `"'${lead}x"`]).toContain(cell);
    }
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('plain 1.0')).toBe('plain 1.0');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvHeader()).toBe(
      'Id,FeedName,GroupName,PackageName,Version,Target,Application,Description,UserName,Url,Date,ReceivedAt,DateInFuture,Region,Status,CommitSha,CommitTime,TrustPolicy,KeyId,PreviousVersion\r\n',
    );
    const row = csvRow(toExported(record({ description: '=1+1', groupName: 'G', url: 'https://x/?a=1,2' })));
    expect(row).toBe(
      `01J00000000000000000000001,Releases,G,App,1.2.0,web01,Shop,'=1+1,alice,"https://x/?a=1,2",2026-01-01T00:00:00.000Z,2026-01-01T00:00:00.000Z,,eu-west-1,,,,,anonymous,\r\n`,
    );
  });

  it('a JSON line reads back as the same record, every field', () => {
    const r = record({ groupName: 'G', url: 'https://x/', dateInFuture: true, date: '2027-01-01T00:00:00.000Z', keyId: '01KEY', feedId: 'old' });
    const parsed = parseExportedLine(jsonLine(toExported(r, '1.0.0')).trim(), feed, NOW);
    expect(parsed).toEqual({ ok: true, value: { ...r, feedId: feed.id, previousVersion: '1.0.0' } });
    expect(toExported(r, null)).not.toHaveProperty('PreviousVersion');
  });

  it('the optional fields beyond ProGet (Status, CommitSha, CommitTime, TrustPolicy) go out and come back', () => {
    const r = record({ status: 'Failed', commitSha: 'abc1234', commitTime: '2025-12-31T23:00:00.000Z', trustPolicy: '01POLICY' });
    const exported = toExported(r, null);
    expect(exported).toMatchObject({ Status: 'Failed', CommitSha: 'abc1234', CommitTime: '2025-12-31T23:00:00.000Z', TrustPolicy: '01POLICY' });
    expect(csvRow(exported)).toContain(',Failed,abc1234,2025-12-31T23:00:00.000Z,01POLICY,');
    expect(parseExportedLine(jsonLine(exported).trim(), feed, NOW)).toEqual({ ok: true, value: { ...r, feedId: feed.id } });
  });

  it('a malformed line says what is wrong', () => {
    const good: ExportedRecord = toExported(record());
    const bad = (line: string) => {
      const parsed = parseExportedLine(line, feed, NOW);
      return parsed.ok ? 'ok' : parsed.detail;
    };
    expect(bad('{not json')).toMatch(/^not JSON/);
    expect(bad(JSON.stringify({ ...good, Id: 'x' }))).toMatch(/Id must be a record id/);
    expect(bad(JSON.stringify({ ...good, Date: '2026-01-01' }))).toMatch(/Date must be an ISO 8601 instant/);
    expect(bad(JSON.stringify({ ...good, Version: undefined }))).toMatch(/Version/);
    expect(bad(JSON.stringify({ ...good, FeedName: 'Other' }))).toBe('FeedName Other is not the feed releases');
    expect(bad(JSON.stringify(good))).toBe('ok');
  });

  it('refuses a line the record path could not have stored: received in the future, committed after Date or ReceivedAt', () => {
    const good: ExportedRecord = toExported(record());
    const bad = (over: Partial<ExportedRecord>) => {
      const parsed = parseExportedLine(JSON.stringify({ ...good, ...over }), feed, NOW);
      return parsed.ok ? 'ok' : parsed.errors[0]!.field;
    };
    // A ReceivedAt (and Date) far ahead would order the record after every later one: its target's version forever.
    expect(bad({ Date: '2099-01-01T00:00:00.000Z', ReceivedAt: '2099-01-01T00:00:00.000Z' })).toBe('ReceivedAt');
    expect(bad({ CommitTime: '2026-01-01T00:00:00.001Z' })).toBe('CommitTime');
    expect(bad({ Date: '2099-01-01T00:00:00.000Z', DateInFuture: true, CommitTime: '2098-01-01T00:00:00.000Z' })).toBe('CommitTime');
    expect(bad({ CommitTime: '2025-12-31T00:00:00.000Z' })).toBe('ok');
  });

  it('DateInFuture is what Date and ReceivedAt say, whatever the line says', () => {
    const good: ExportedRecord = toExported(record());
    const parsed = (over: Partial<ExportedRecord>) => {
      const p = parseExportedLine(JSON.stringify({ ...good, ...over }), feed, NOW);
      return p.ok ? p.value.dateInFuture : 'refused';
    };
    expect(parsed({ Date: '2099-01-01T00:00:00.000Z' })).toBe(true);
    expect(parsed({ DateInFuture: true })).toBeUndefined();
  });
});

describe('import of malformed lines', () => {
  it('reports each malformed line as it is read and keeps only a count (memory stays flat)', async () => {
    const feed = { name: 'releases', displayName: 'Releases', id: '01FEED', anonymousPrivileges: [] } as unknown as FeedRecord;
    const reported: number[] = [];
    const seenWhenAsked: number[] = [];
    async function* lines() {
      for (let i = 1; i <= 5; i++) {
        seenWhenAsked.push(reported.length);
        yield i % 2 === 0 ? '[]' : '{not json';
      }
    }
    const deps = { feeds: { get: async () => feed }, client: undefined, deploymentsTable: 't', idempotencyTable: 'i' } as unknown as Parameters<
      typeof importFeed
    >[0];
    const result = await importFeed(deps, { name: 'Releases', lines: lines(), dryRun: false, now: new Date(), onMalformed: (line) => reported.push(line) });
    expect(result).toMatchObject({ imported: 0, skipped: 0, malformed: 5 });
    expect(reported).toEqual([1, 2, 3, 4, 5]);
    expect(seenWhenAsked).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('readLines: the lines of an import file, none kept beyond the limit', () => {
  const collect = async (chunks: string[], max?: number) => {
    const lines: ImportLine[] = [];
    for await (const line of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), max)) lines.push(line);
    return lines;
  };

  it('splits on LF across chunks, drops a CR before it, keeps a last line without LF and UTF-8 split across chunks', async () => {
    const euro = Buffer.from('€');
    const input = [Buffer.from('{"a":1}\r\n{"b"'), Buffer.from(':2}\n\n'), euro.subarray(0, 2), Buffer.concat([euro.subarray(2), Buffer.from('x')])];
    const lines: ImportLine[] = [];
    for await (const line of readLines(Readable.from(input))) lines.push(line);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '', '€x']);
  });

  it('reports a line longer than the limit by its length, without keeping it, and goes on with the next', async () => {
    expect(await collect(['ok\n', 'x'.repeat(6), 'y'.repeat(6), '\nok2\n'], 10)).toEqual(['ok', { tooLong: 12 }, 'ok2']);
    expect(await collect(['x'.repeat(11)], 10)).toEqual([{ tooLong: 11 }]);
    expect(await collect(['x'.repeat(10), '\n'], 10)).toEqual(['x'.repeat(10)]);
  });

  it('import counts a too-long line as malformed, with its number', async () => {
    const feed = { name: 'releases', displayName: 'Releases', id: '01FEED', anonymousPrivileges: [] } as unknown as FeedRecord;
    const deps = { feeds: { get: async () => feed }, client: undefined, deploymentsTable: 't', idempotencyTable: 'i' } as unknown as Parameters<
      typeof importFeed
    >[0];
    const reported: string[] = [];
    const lines = readLines(Readable.from([Buffer.from('[]\n'), Buffer.alloc(MAX_IMPORT_LINE_BYTES + 1, 0x20)]));
    const result = await importFeed(deps, {
      name: 'Releases',
      lines,
      dryRun: true,
      now: new Date(),
      onMalformed: (line, detail) => reported.push(`${line}: ${detail}`),
    });
    expect(result).toMatchObject({ malformed: 2 });
    expect(reported[1]).toBe(`2: the line is ${MAX_IMPORT_LINE_BYTES + 1} bytes long; an exported record's is at most ${MAX_IMPORT_LINE_BYTES}`);
  });
});
