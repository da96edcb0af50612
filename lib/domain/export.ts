import * as z from './zod.ts';
import { optional, required, STATUSES } from './deployment.ts';
import { foldName } from './keys.ts';
import { FUTURE_DATE_SKEW_MS } from './dates.ts';
import { isDateInFuture, toView, type DeploymentRecord } from './record.ts';
import { invalid, valid, type Checked } from './result.ts';

/**
 * The records `export` writes and `import` reads: each history record as the API shows it (DeploymentView: every
 * field, the optional ones when present), plus `KeyId` (the id of the API key that recorded it, or `anonymous`; never
 * the key), so that a restore keeps who recorded what, and on each target's current record `PreviousVersion` (the
 * version it replaced), so that a restore gives the target the same PreviousVersion and Change even when the record it
 * replaced has expired and is not exported. JSON Lines (one record a line) for import; CSV (RFC 4180) for
 * spreadsheets and warehouses, with cells that a spreadsheet would run as a formula made inert.
 *
 * The CSV is written here rather than by a library: a well-kept, zero-dependency one exists (csv-stringify, whose
 * `escape_formulas` option does the same prefixing, since 6.3.0), but it is not among the project's dependencies, and
 * what is needed is a dozen lines: RFC 4180's quoting and OWASP's advice on formula injection (tested in
 * test/unit/retention.test.ts). Adopting csv-stringify later changes csvHeader and csvRow only.
 */
export type ExportedRecord = ReturnType<typeof toView> & { KeyId: string; PreviousVersion?: string };

/** A record as exported; `previousVersion` when it is its target's current record and replaced another. */
export const toExported = (record: DeploymentRecord, previousVersion?: string | null): ExportedRecord => ({
  ...toView(record),
  KeyId: record.keyId,
  ...(typeof previousVersion === 'string' ? { PreviousVersion: previousVersion } : {}),
});

/** The CSV's columns, in order: every field a record can have. */
export const CSV_COLUMNS = [
  'Id',
  'FeedName',
  'GroupName',
  'PackageName',
  'Version',
  'Target',
  'Application',
  'Description',
  'UserName',
  'Url',
  'Date',
  'ReceivedAt',
  'DateInFuture',
  'Region',
  'Status',
  'CommitSha',
  'CommitTime',
  'TrustPolicy',
  'KeyId',
  'PreviousVersion',
] as const satisfies ReadonlyArray<keyof ExportedRecord>;

/** Characters that make a spreadsheet read a cell as a formula (OWASP: =, +, -, @, and tab and carriage return). */
const FORMULA_LEAD = /^[=+\-@\t\r]/;

/**
 * One CSV cell: a value a spreadsheet would evaluate is prefixed with a single quote (OWASP's CSV injection advice);
 * then, per RFC 4180, a cell holding a comma, a double quote, CR or LF is quoted, its quotes doubled.
 */
export const csvCell = (value: string | boolean | undefined): string => {
  if (value === undefined) return '';
  const text = String(value);
  const safe = FORMULA_LEAD.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** RFC 4180 lines end with CRLF. */
export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;
export const csvRow = (record: ExportedRecord): string => `${CSV_COLUMNS.map((c) => csvCell(record[c])).join(',')}\r\n`;
export const jsonLine = (record: ExportedRecord): string => `${JSON.stringify(record)}\n`;

/** An instant exactly as the service stores it (toISOString's form), so the record's sort key is what it was. */
const storedInstant = z
  .string()
  .check(
    z.refine(
      (s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s,
      'must be an ISO 8601 instant in UTC as exported (e.g. 2026-01-02T03:04:05.000Z)',
    ),
  );
const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(256, 'must be at most 256 characters'));

/** A line of the export's JSON Lines, checked as the API checks the same fields. */
const ExportedRecordSchema = z.object({
  Id: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a record id (a ULID) as exported')),
  FeedName: required('FeedName'),
  GroupName: optional('GroupName'),
  PackageName: required('PackageName'),
  Version: required('Version'),
  Target: required('Target'),
  Application: required('Application'),
  Description: required('Description', true),
  UserName: required('UserName'),
  Url: optional('Url'),
  Date: storedInstant,
  ReceivedAt: storedInstant,
  DateInFuture: z.optional(z.literal(true)),
  Region: nonEmpty,
  Status: z.optional(z.enum(STATUSES)),
  CommitSha: z.optional(z.string().check(z.regex(/^[0-9a-f]{7,64}$/, 'must be 7 to 64 lower-case hexadecimal digits as exported'))),
  CommitTime: z.optional(storedInstant),
  TrustPolicy: z.optional(nonEmpty),
  KeyId: z._default(nonEmpty, 'anonymous'),
  PreviousVersion: optional('Version'),
});

/**
 * A line of an export as the record to restore into feed `feed` (its id given to the record): the record's own Id,
 * Date and everything else as exported. A line that is not JSON, lacks a field, or belongs to another feed is an error
 * saying which, and so is one the record path could not have stored (`now` is the time of the import): a ReceivedAt
 * in the future, a CommitTime after Date or after ReceivedAt; otherwise such a line could order its record after every
 * later one, keeping its target's current version forever, or count lead times that never were. DateInFuture is what
 * the record path would say of Date and ReceivedAt, whatever the line says.
 */
export const parseExportedLine = (
  line: string,
  feed: { name: string; id: string },
  now: Date,
): Checked<DeploymentRecord & { feedId: string; previousVersion?: string }> => {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return invalid([{ field: 'line', detail: `not JSON: ${(e as Error).message}` }]);
  }
  const parsed = ExportedRecordSchema.safeParse(json);
  if (!parsed.success) {
    return invalid(parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'line', detail: `${i.path.join('.') || 'the line'} ${i.message}` })));
  }
  const r = parsed.data;
  if (foldName(r.FeedName) !== foldName(feed.name)) return invalid([{ field: 'FeedName', detail: `FeedName ${r.FeedName} is not the feed ${feed.name}` }]);
  if (Date.parse(r.ReceivedAt) > now.getTime() + FUTURE_DATE_SKEW_MS) {
    return invalid([{ field: 'ReceivedAt', detail: `ReceivedAt ${r.ReceivedAt} is in the future: no record was received then` }]);
  }
  if (r.CommitTime !== undefined && (r.CommitTime > r.Date || Date.parse(r.CommitTime) > Date.parse(r.ReceivedAt) + FUTURE_DATE_SKEW_MS)) {
    return invalid([{ field: 'CommitTime', detail: `CommitTime ${r.CommitTime} is after Date or ReceivedAt: the commit must come before its deployment` }]);
  }
  const dateInFuture = isDateInFuture(r.Date, r.ReceivedAt);
  return valid({
    id: r.Id,
    feedName: r.FeedName,
    feedId: feed.id,
    ...(r.GroupName !== undefined ? { groupName: r.GroupName } : {}),
    packageName: r.PackageName,
    version: r.Version,
    target: r.Target,
    application: r.Application,
    description: r.Description,
    userName: r.UserName,
    ...(r.Url !== undefined ? { url: r.Url } : {}),
    date: r.Date,
    receivedAt: r.ReceivedAt,
    ...(dateInFuture ? { dateInFuture: true } : {}),
    keyId: r.KeyId,
    region: r.Region,
    ...(r.Status !== undefined ? { status: r.Status } : {}),
    ...(r.CommitSha !== undefined ? { commitSha: r.CommitSha } : {}),
    ...(r.CommitTime !== undefined ? { commitTime: r.CommitTime } : {}),
    ...(r.TrustPolicy !== undefined ? { trustPolicy: r.TrustPolicy } : {}),
    ...(r.PreviousVersion !== undefined ? { previousVersion: r.PreviousVersion } : {}),
  });
};
