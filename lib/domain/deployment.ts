import * as z from './zod.ts';
import { FUTURE_DATE_SKEW_MS, parseInstant } from './dates.ts';
import { isForbiddenKey, type Fields } from './fields.ts';
import { invalid, type Checked, type FieldError } from './result.ts';
import { currentKey, targetIndexKey, versionIndexKey } from './keys.ts';

/**
 * The seed's data model. Field names match case-insensitively (ProGet is .NET), values are trimmed, and the limits
 * below keep every key within DynamoDB's limits (partition key 2048 bytes) and every item far below 400 KB.
 */
export const FIELD_LIMITS = {
  FeedName: 100,
  GroupName: 250,
  PackageName: 250,
  Version: 100,
  Target: 250,
  Application: 250,
  Description: 4000,
  UserName: 250,
  Url: 2048,
  Date: 64,
  Status: 16,
  CommitSha: 64,
  CommitTime: 64,
} as const;

/** DynamoDB's limits on key lengths in bytes: partition keys (of the table and of indexes), and sort keys. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

export type FieldName = keyof typeof FIELD_LIMITS;
const FIELD_NAMES = Object.keys(FIELD_LIMITS) as FieldName[];
const CANONICAL = new Map<string, FieldName>(FIELD_NAMES.map((f) => [f.toLowerCase(), f]));

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

// C0 controls, DEL and C1 controls (U+009B starts terminal escape sequences); Description may hold tabs and line breaks.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Something visible: not only white space, separators and invisible format characters (zero-width spaces). */
const VISIBLE = /[^\s\p{Z}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/**
 * Invisible format characters (Unicode category Cf): zero-width spaces and joiners, bidi controls such as U+202E, the
 * BOM U+FEFF. In a name they make two names that look the same differ (or one look like another), so the fields that
 * name things refuse them; Description may keep them (emoji sequences use U+200D). The other characters Unicode says
 * render as nothing (Default_Ignorable_Code_Point: the combining grapheme joiner U+034F, variation selectors, the
 * Hangul fillers U+115F and U+3164) are refused with them.
 */
const FORMAT = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** The fields that name things: these refuse invisible format characters (see FORMAT). */
export const NAME_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Application', 'UserName']);
const FORMAT_MESSAGE =
  'must not contain invisible format characters (Unicode category Cf or default-ignorable, such as U+200B zero-width space, U+202E right-to-left override, U+FEFF, U+034F or U+3164)';

// A JSON number is accepted as its text (decodeBody keeps the source text, so `12.0` stays "12.0").
const input = z.pipe(
  z.transform((v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v)),
  z.string({
    error: (iss) => (iss.input === undefined ? 'is required' : `must be a string or a number, not ${describe(iss.input)}`),
  }),
);

const text = (max: number, multiline = false, name = false) =>
  z.string().check(
    z.refine((s) => VISIBLE.test(s), 'must not be blank'),
    z.maxLength(max, `must be at most ${max} characters`),
    z.refine((s) => s.isWellFormed(), 'must be valid Unicode text (it has an unpaired surrogate)'),
    z.refine((s) => !(multiline ? CONTROL_MULTILINE : CONTROL).test(s), 'must not contain control characters'),
    // Invisible-only is already "blank": one problem per field.
    z.refine((s) => !name || !FORMAT.test(s) || !VISIBLE.test(s), FORMAT_MESSAGE),
  );

/** A required field: trimmed, within its limit, printable. */
export const required = (field: FieldName, multiline = false) =>
  z.pipe(
    z.pipe(
      input,
      z.transform((s: string) => s.trim()),
    ),
    text(FIELD_LIMITS[field], multiline, NAME_FIELDS.has(field)),
  );

/** Optional fields: absent, null or blank all mean "not supplied". */
export const optional = (field: FieldName) =>
  z.pipe(
    z.pipe(
      z.optional(input),
      z.transform((s: string | undefined) => (s?.trim() ? s.trim() : undefined)),
    ),
    z.optional(text(FIELD_LIMITS[field], false, NAME_FIELDS.has(field))),
  );

const isHttpUrl = (s: string): boolean => {
  // WHATWG would read `http:example.com` as http://example.com/ and `http:///path` as http://path/.
  if (!/^https?:\/\/[^/\\]/i.test(s) || /\s/.test(s)) return false;
  const url = URL.parse(s);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
};

/** An optional ISO 8601 instant, normalised to UTC (see parseInstant). */
export const instant = (field: FieldName) =>
  z.pipe(
    optional(field),
    z.transform((d: string | undefined, ctx) => {
      if (d === undefined) return undefined;
      const parsed = parseInstant(d);
      if (parsed.ok) return parsed.iso;
      ctx.issues.push({ code: 'custom', message: parsed.reason, input: d });
      return z.NEVER;
    }),
  );

/** A deployment's outcome: `Succeeded` unless the caller says `Failed` (then the target still runs what it ran). */
export const STATUSES = ['Succeeded', 'Failed'] as const;
export type Status = (typeof STATUSES)[number];

export const DeploymentSchema = z
  .object({
    Application: required('Application'),
    Description: required('Description', true),
    Target: required('Target'),
    FeedName: required('FeedName'),
    PackageName: required('PackageName'),
    Version: required('Version'),
    GroupName: optional('GroupName'),
    UserName: optional('UserName'),
    Url: optional('Url').check(z.refine((u) => u === undefined || isHttpUrl(u), 'must be an absolute http:// or https:// URL')),
    Date: instant('Date'),
    Status: z.pipe(
      optional('Status'),
      z.transform((s: string | undefined, ctx) => {
        if (s === undefined) return undefined;
        const status = STATUSES.find((v) => v.toLowerCase() === s.toLowerCase());
        if (status !== undefined) return status;
        ctx.issues.push({ code: 'custom', message: `must be ${STATUSES.join(' or ')} (case does not matter)`, input: s });
        return z.NEVER;
      }),
    ),
    CommitSha: z.pipe(
      optional('CommitSha').check(z.refine((s) => s === undefined || /^[0-9a-f]{7,64}$/i.test(s), 'must be a commit id: 7 to 64 hexadecimal digits')),
      z.transform((s: string | undefined) => s?.toLowerCase()),
    ),
    CommitTime: instant('CommitTime'),
  })
  .check(
    z.superRefine((d, ctx) => {
      if (d.CommitTime !== undefined && d.Date !== undefined && d.CommitTime > d.Date) {
        ctx.addIssue({ code: 'custom', path: ['CommitTime'], message: 'is after Date: the commit must come before its deployment' });
      }
    }),
  );

export type DeploymentInput = z.output<typeof DeploymentSchema>;

export type Validation = Checked<DeploymentInput>;
const fail = invalid;

type KeyFields = Pick<DeploymentInput, 'FeedName' | 'GroupName' | 'PackageName' | 'Version' | 'Target'>;

/**
 * The storage keys a record's names end up in, with DynamoDB's limit for each. Case folding, NFC and escaping can
 * lengthen a name (U+FB2C is 3 bytes, 6 once normalised; '#' becomes '%23'), so the per-field limits alone do not
 * bound them, and an oversized key would be a DynamoDB ValidationException (a 500), not a 400. The version index key
 * contains the history and current partition keys and is longer than both, so it stands for them.
 */
const STORAGE_KEYS: Array<{ fields: Array<keyof KeyFields>; key: (d: KeyFields) => string; limit: number }> = [
  {
    fields: ['FeedName', 'GroupName', 'PackageName', 'Version'],
    key: (d) => versionIndexKey(d.FeedName, d.GroupName, d.PackageName, d.Version),
    limit: MAX_PARTITION_KEY_BYTES,
  },
  { fields: ['FeedName', 'Target'], key: (d) => targetIndexKey(d.FeedName, d.Target), limit: MAX_PARTITION_KEY_BYTES },
  { fields: ['Target'], key: (d) => currentKey(d.FeedName, d.GroupName, d.PackageName, d.Target).sk, limit: MAX_SORT_KEY_BYTES },
];

const oversizedKey = (d: KeyFields): FieldError | undefined => {
  for (const { fields, key, limit } of STORAGE_KEYS) {
    const bytes = Buffer.byteLength(key(d), 'utf8');
    if (bytes <= limit) continue;
    // The longest contributor is named; on a tie the later field (the package rather than its group).
    const field = fields.reduce((a, b) => (Buffer.byteLength(d[b] ?? '') >= Buffer.byteLength(d[a] ?? '') ? b : a));
    const names = fields.length === 1 ? fields[0]! : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)!}`;
    return {
      field,
      detail: `${field} is too long: ${names} ${fields.length === 1 ? 'makes' : 'together make'} a storage key of ${bytes} bytes once case-folded and encoded; at most ${limit} are allowed.`,
    };
  }
  return undefined;
};

/**
 * Matches the body's fields to the data model (`now`, the time received, bounds a CommitTime sent without a Date): names case-insensitively, JSON null as absent, unknown fields
 * ignored (as ProGet ignores them), and a field given twice (`Version=1&version=2`) refused.
 */
export const validateDeployment = (entries: Fields, now?: Date): Validation => {
  const fields: Partial<Record<FieldName, unknown>> = Object.create(null);
  const errors: FieldError[] = [];
  for (const [name, value] of entries) {
    if (isForbiddenKey(name)) {
      errors.push({ field: name, detail: `The field name "${name}" is not allowed.` });
      continue;
    }
    const field = CANONICAL.get(name.trim().toLowerCase());
    if (field === undefined) continue;
    if (field in fields) {
      errors.push({ field, detail: `${field} was given more than once; send each field once.` });
      continue;
    }
    fields[field] = value === null ? undefined : value;
  }
  if (errors.length > 0) return fail(errors);
  const parsed = DeploymentSchema.safeParse(fields);
  if (parsed.success) {
    const tooLong = oversizedKey(parsed.data);
    if (tooLong) return fail([tooLong]);
    // A commit cannot be later than the time received (beyond the clock-skew allowance), whatever the Date says: without
    // a Date the deployment is dated then, and a Date in the future is ordered by then too.
    const { CommitTime, Date: date } = parsed.data;
    if (now !== undefined && CommitTime !== undefined && Date.parse(CommitTime) > now.getTime() + FUTURE_DATE_SKEW_MS) {
      const detail =
        date === undefined
          ? 'CommitTime is after Date (the time received, as no Date was given): the commit must come before its deployment.'
          : 'CommitTime is in the future (after the time received): the commit must come before its deployment.';
      return fail([{ field: 'CommitTime', detail }]);
    }
    return { ok: true, value: parsed.data };
  }
  return zodFailure(parsed.error, 'body');
};

/** zod's issues as field errors: "<field> <problem>." */
export const zodFailure = (error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }, whole: string): Checked<never> =>
  fail(
    error.issues.map((issue) => {
      const field = String(issue.path[0] ?? whole);
      return { field, detail: `${field} ${issue.message}.` };
    }),
  );
