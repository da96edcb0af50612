import * as z from './zod.ts';
import { isKeyParameter } from './auth.ts';
import { instant, optional, required, zodFailure } from './deployment.ts';
import { isForbiddenKey } from './fields.ts';
import { INTERVALS } from './frequency.ts';
import { invalid, valid, type Checked, type FieldError } from './result.ts';
import { ROUTES } from './routes.ts';

/**
 * The read API's parameters: one schema per route (the OpenAPI document is generated from them), and how a query
 * string's names are matched to them.
 */
/** Page sizes: `limit` is 1 to MAX_LIMIT, DEFAULT_LIMIT when not given. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** A `limit` parameter: a whole number from 1 to `max` (at most one digit more than `max` has), `byDefault` when absent. */
export const pageLimit = (byDefault: number, max: number) => {
  const digits = new RegExp(`^\\d{1,${String(max).length + 1}}$`);
  return z.pipe(
    z.optional(z.string()),
    z.transform((s: string | undefined, ctx) => {
      if (s === undefined || s.trim() === '') return byDefault;
      const n = digits.test(s.trim()) ? Number(s.trim()) : NaN;
      if (n >= 1 && n <= max) return n;
      ctx.issues.push({ code: 'custom', message: `must be a whole number from 1 to ${max}`, input: s });
      return z.NEVER;
    }),
  );
};
const limit = pageLimit(DEFAULT_LIMIT, MAX_LIMIT);
const cursor = z.optional(z.string().check(z.maxLength(4096, 'is not a cursor this API returned')));

/** The history route (`ROUTES.history`): a package's history (optionally of one version), a target's, or a feed's. */
export const HistoryQuerySchema = z
  .object({
    FeedName: required('FeedName'),
    PackageName: optional('PackageName'),
    GroupName: optional('GroupName'),
    Version: optional('Version'),
    Target: optional('Target'),
    from: instant('Date'),
    to: instant('Date'),
    limit,
    cursor,
  })
  .check(
    z.superRefine((q, ctx) => {
      if (q.PackageName === undefined) {
        for (const field of ['Version', 'GroupName'] as const) {
          if (q[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'needs PackageName' });
        }
      } else if (q.Target !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['Target'],
          message: `cannot be combined with PackageName; ask for the package (its history lists each target) or the target, or see ${ROUTES.current.path}`,
        });
      }
      if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'is after to' });
      }
    }),
  );
export type HistoryQuery = z.output<typeof HistoryQuerySchema>;

/** The current route (`ROUTES.current`): the latest record per target of one package. */
export const CurrentQuerySchema = z.object({
  FeedName: required('FeedName'),
  PackageName: required('PackageName'),
  GroupName: optional('GroupName'),
  limit,
  cursor,
});
export type CurrentQuery = z.output<typeof CurrentQuerySchema>;

/**
 * The overview route (`ROUTES.overview`): every package of a feed with its current record per target. `limit` counts
 * packages; the filters keep the targets that match (GroupName also narrows the read itself).
 */
export const OverviewQuerySchema = z.object({
  FeedName: required('FeedName'),
  GroupName: optional('GroupName'),
  Target: optional('Target'),
  // A region name is at most a few dozen characters; the Target limit is generous and keeps the error messages alike.
  Region: optional('Target'),
  Application: optional('Application'),
  limit,
  cursor,
});
export type OverviewQuery = z.output<typeof OverviewQuerySchema>;

/** A GroupName needs its PackageName, and `from` may not be after `to` (the frequency and DORA reads). */
const groupNeedsPackageFromBeforeTo = z.superRefine(
  (q: { GroupName?: string | undefined; PackageName?: string | undefined; from?: string | undefined; to?: string | undefined }, ctx) => {
    if (q.GroupName !== undefined && q.PackageName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['GroupName'], message: 'needs PackageName' });
    }
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'is after to' });
    }
  },
);

/** The frequency route (`ROUTES.frequency`): deployments per day or week (Monday UTC), from the per-day counters. */
export const FrequencyQuerySchema = z
  .object({
    FeedName: required('FeedName'),
    GroupName: optional('GroupName'),
    PackageName: optional('PackageName'),
    Target: optional('Target'),
    from: instant('Date'),
    to: instant('Date'),
    interval: z.pipe(
      z.optional(z.string()),
      z.transform((s: string | undefined, ctx) => {
        const value = s?.trim().toLowerCase() || 'week';
        if ((INTERVALS as readonly string[]).includes(value)) return value as (typeof INTERVALS)[number];
        ctx.issues.push({ code: 'custom', message: `must be one of ${INTERVALS.join(', ')}`, input: s });
        return z.NEVER;
      }),
    ),
  })
  .check(groupNeedsPackageFromBeforeTo);
export type FrequencyQuery = z.output<typeof FrequencyQuerySchema>;

/** The dora route (`ROUTES.dora`): the four DORA keys of a feed, a package, a target or a region, from the counters. */
export const DoraQuerySchema = z
  .object({
    FeedName: required('FeedName'),
    GroupName: optional('GroupName'),
    PackageName: optional('PackageName'),
    Target: optional('Target'),
    // A region name is at most a few dozen characters; the Target limit keeps the error messages alike.
    Region: optional('Target'),
    from: instant('Date'),
    to: instant('Date'),
  })
  .check(groupNeedsPackageFromBeforeTo);
export type DoraQuery = z.output<typeof DoraQuerySchema>;

/** The feeds route (`ROUTES.feeds`): no parameters besides an API key. */
export const FeedsQuerySchema = z.object({});

type Query = Readonly<Record<string, string | undefined>> | undefined;

/**
 * Query-string parameters by name, case-insensitively as ProGet matches names; `key` is the API key and not a
 * parameter of the query. An unknown name is a 400 (a typo must not widen a query silently), as is a name given twice.
 */
export const readParameters = <T>(schema: z.ZodMiniType<T>, names: readonly string[], query: Query, rawQuery?: string): Checked<T> => {
  const canonical = new Map(names.map((n) => [n.toLowerCase(), n]));
  const values: Record<string, string> = Object.create(null);
  const errors: FieldError[] = [];
  // A name repeated in the same casing reaches us once, its values joined with commas: count it in the raw query.
  const sent = new Map<string, number>();
  for (const [raw] of new URLSearchParams(rawQuery ?? '')) sent.set(raw.trim().toLowerCase(), (sent.get(raw.trim().toLowerCase()) ?? 0) + 1);
  for (const [name, count] of sent) {
    const known = canonical.get(name);
    if (known !== undefined && count > 1) errors.push({ field: known, detail: `${known} was given more than once.` });
  }
  for (const [raw, value] of Object.entries(query ?? {})) {
    if (isKeyParameter(raw)) continue;
    const lower = raw.trim().toLowerCase();
    const name = canonical.get(lower);
    if (name === undefined || isForbiddenKey(raw)) {
      const use = names.length > 0 ? `use ${names.join(', ')}` : 'it takes none (an API key may be sent as key)';
      errors.push({ field: raw, detail: `${raw} is not a parameter here; ${use}.` });
    } else if (name in values) {
      if (!errors.some((e) => e.field === name)) errors.push({ field: name, detail: `${name} was given more than once.` });
    } else {
      values[name] = value ?? '';
    }
  }
  if (errors.length > 0) return invalid(errors);
  const parsed = schema.safeParse(values);
  return parsed.success ? valid(parsed.data) : zodFailure(parsed.error, 'query');
};
