import type { FeedRecord } from '../../domain/auth.ts';
import { NotFound } from '../../domain/errors.ts';
import { csvHeader, csvRow, jsonLine, parseExportedLine, toExported } from '../../domain/export.ts';
import { sortKeyRange } from '../../domain/keys.ts';
import { isExpired } from '../../domain/retention.ts';
import { putDeployment } from '../../store/deployments.ts';
import { recordIds } from '../../store/feed-records.ts';
import { applyRetention } from './retention.ts';
import { currentRecords, feedHistoryPage, type CurrentOf } from '../../store/retention.ts';
import type { AdminDependencies } from './dependencies.ts';

/**
 * `export` and `import`: a feed's history out of the table and back in (lib/domain/export.ts is the format).
 *
 * Export reads the feed's history in Date order (the byFeed index, sorted by `sk` = Date#Id, all regions), page by
 * page, leaving out what the history reads leave out (expired records), with each target's current record's
 * PreviousVersion (one BatchGetItem of the page's targets), and hands each page's text to `write`, which
 * resolves when the output has taken it: memory holds one page, whatever the feed's size.
 *
 * Import restores records through the record transaction with their own Id (lib/store/deployments.ts), in the file's
 * order (an export's is Date order), so the current items, the overview and the counters end as if the records had
 * been recorded then; each is marked `imported`, so no event is announced again. A record whose history item exists
 * already is skipped and counted, so importing twice is importing once. A malformed line is reported by its number as
 * it is read (and counted, not kept: a file of a million bad lines takes no more memory than a good one), and
 * the rest go in.
 */
export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];
const EXPORT_PAGE = 500;

export const exportFeed = async (
  deps: Pick<AdminDependencies, 'feeds' | 'client' | 'deploymentsTable'>,
  request: {
    name: string;
    from?: string | undefined;
    to?: string | undefined;
    format: ExportFormat;
    now: Date;
    write: (text: string) => Promise<void>;
    onPage?: (exported: number) => void;
  },
): Promise<{ exported: number }> => {
  const feed = await deps.feeds.get(request.name);
  const nowSeconds = Math.floor(request.now.getTime() / 1000);
  const range = sortKeyRange(request.from, request.to);
  let exported = 0;
  let after: string | undefined;
  if (request.format === 'csv') await request.write(csvHeader());
  do {
    const page = await feedHistoryPage(deps.client, deps.deploymentsTable, { feedName: request.name, after, limit: EXPORT_PAGE, range });
    const kept = page.items.filter((item) => !isExpired((item as { expiresAt?: unknown }).expiresAt, nowSeconds));
    const current = kept.length > 0 ? await currentRecords(deps.client, deps.deploymentsTable, kept) : new Map<string, CurrentOf>();
    const line = request.format === 'csv' ? csvRow : jsonLine;
    if (kept.length > 0) await request.write(kept.map((item) => line(toExported(item, current.get(item.sk)?.previousVersion))).join(''));
    exported += kept.length;
    after = page.next;
    request.onPage?.(exported);
  } while (after !== undefined);
  if (!feed && exported === 0) throw new NotFound(`No feed named ${request.name}, and no records stored under that name (see feeds list).`);
  return { exported };
};

/**
 * The longest line import reads, in bytes. An exported record is far shorter (the API takes bodies of 64 KiB; JSON
 * escapes at most multiply that by 6), and a longer line is reported rather than gathered into memory (node's readline
 * gathers a line whatever its length, and throws a RangeError past V8's longest string, about 512 MiB).
 */
export const MAX_IMPORT_LINE_BYTES = 1024 * 1024;

/** A line of the file, or the length of one longer than MAX_IMPORT_LINE_BYTES, which is not kept. */
export type ImportLine = string | { tooLong: number };

/**
 * The lines of a byte stream (LF-separated, a CR before the LF dropped, UTF-8), keeping at most `max` bytes of a
 * line: a longer one is skipped to its end and yielded as its length. Hand-written because readline has no limit and
 * the libraries that split with one (split2's maxLength) are not among the dependencies; it is the few lines below.
 */
export async function* readLines(input: AsyncIterable<Uint8Array>, max = MAX_IMPORT_LINE_BYTES): AsyncGenerator<ImportLine> {
  let parts: Buffer[] = [];
  let length = 0;
  const line = (): ImportLine => {
    if (length > max) return { tooLong: length };
    const text = Buffer.concat(parts).toString('utf8');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of input) {
    let buffer = Buffer.from(chunk);
    for (let lf = buffer.indexOf(10); lf !== -1; lf = buffer.indexOf(10)) {
      if (length + lf <= max) parts.push(buffer.subarray(0, lf));
      length += lf;
      yield line();
      parts = [];
      length = 0;
      buffer = buffer.subarray(lf + 1);
    }
    if (length + buffer.length <= max) parts.push(buffer);
    else parts = [];
    length += buffer.length;
  }
  if (length > 0) yield line();
}

/** Counts only: a malformed line is handed to `onMalformed` as it is read, so memory stays flat whatever the file holds. */
export type ImportResult = { imported: number; skipped: number; malformed: number };

export const importFeed = async (
  deps: Pick<AdminDependencies, 'feeds' | 'client' | 'deploymentsTable' | 'idempotencyTable'>,
  request: {
    name: string;
    lines: AsyncIterable<ImportLine>;
    dryRun: boolean;
    now: Date;
    onMalformed: (line: number, detail: string) => void;
    onProgress?: (result: ImportResult, line: number) => void;
  },
): Promise<ImportResult & { feed: FeedRecord }> => {
  const feed = await deps.feeds.get(request.name);
  if (!feed) throw new NotFound(`No feed named ${request.name}: add it first (feeds add ${request.name}).`);
  const tables = { deployments: deps.deploymentsTable, idempotency: deps.idempotencyTable };
  const result: ImportResult = { imported: 0, skipped: 0, malformed: 0 };
  // A record's key is its package and Date, not its id: an id stored already (or met earlier in the file) is skipped
  // whatever else the line says, so no two records of the feed share an id. Read at the first well-formed line.
  let known: Set<string> | undefined;
  let number = 0;
  for await (const line of request.lines) {
    number++;
    if (typeof line !== 'string') {
      result.malformed++;
      request.onMalformed(number, `the line is ${line.tooLong} bytes long; an exported record's is at most ${MAX_IMPORT_LINE_BYTES}`);
      continue;
    }
    if (line.trim() === '') continue;
    const parsed = parseExportedLine(line, { name: feed.name, id: feed.id }, request.now);
    if (!parsed.ok) {
      result.malformed++;
      request.onMalformed(number, parsed.detail);
      continue;
    }
    const { id, previousVersion, ...record } = parsed.value;
    known ??= await recordIds(deps.client, deps.deploymentsTable, feed.name);
    if (known.has(id)) {
      result.skipped++;
    } else if (request.dryRun) {
      result.imported++;
    } else {
      const { replayed } = await putDeployment(deps.client, tables, record, { id, imported: true, retainDays: feed.retainDays, previousVersion });
      if (replayed) result.skipped++;
      else result.imported++;
    }
    known.add(id);
    if (number % 1000 === 0) request.onProgress?.(result, number);
  }
  request.onProgress?.(result, number);
  // The records the import replaced as their targets' current ones get their expiry here rather than from the stream.
  if (!request.dryRun && feed.retainDays !== undefined && result.imported > 0) await applyRetention(deps, { name: feed.name, now: request.now });
  return { ...result, feed };
};
