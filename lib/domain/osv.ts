/**
 * OSV advisories (the Open Source Vulnerability format, schema 1.x: the GitHub Advisory Database and osv.dev) as the
 * packages they name and a matcher per package (lib/domain/ranges.ts).
 *
 * Read: `id`, and per `affected[]` entry `package.{ecosystem,name}`, `ranges[]` of type `ECOSYSTEM` or `SEMVER` with
 * `introduced` / `fixed` / `last_affected` / `limit` events, and `versions[]`. Everything else (summary, severity,
 * `database_specific`, ...) is allowed and ignored; `GIT` ranges (commit hashes, which deployment records do not
 * carry) are ignored. Several `affected[]` entries for one package are merged.
 *
 * Orders: NuGet advisories in NuGet's order, every other ecosystem in SemVer's. `SEMVER` ranges say their versions are
 * SemVer whatever the ecosystem; `ECOSYSTEM` ranges are read for NuGet and npm only, whose orders the service knows. A
 * package with no range that can be read is matched by its `versions[]` list alone (`versions-list`).
 *
 * Hostile input is refused before the work it would cause: the text's size, nesting depth and repeated keys are checked
 * in one linear scan before JSON.parse, the counts of entries, ranges, events and versions before the schema reads them, and the
 * count of packages before any matching. Every problem
 * is a FieldError naming its JSON path (`affected[0].ranges[1].events[2]`).
 */
import * as z from './zod.ts';
import { clausesOfEvents, isOrderable, type Clause, type Matcher, type RangeEvent, type VersionOrder } from './ranges.ts';
import { invalid, valid, type Checked, type FieldError } from './result.ts';

/** The largest advisory read, in bytes (the largest GitHub advisories, with long `versions[]` lists, are far below). */
export const MAX_ADVISORY_BYTES = 1024 * 1024;
export const MAX_DEPTH = 32;
export const MAX_AFFECTED = 200;
export const MAX_PACKAGES = 50;
export const MAX_RANGES = 1000;
export const MAX_EVENTS = 10_000;
export const MAX_VERSIONS = 50_000;
const MAX_NAME = 250;
const MAX_VERSION = 256;

export type Matching = 'range' | 'versions-list';

export type AdvisoryPackage = {
  ecosystem: string;
  /** The package's name as the advisory spells it (npm: `@scope/name` for a scoped package). */
  name: string;
  matching: Matching;
  matcher: Matcher;
};

export type Advisory = { id: string | null; packages: AdvisoryPackage[] };

const text = (max: number) => z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
const version = text(MAX_VERSION);

const Event = z.union([
  z.strictObject({ introduced: version }),
  z.strictObject({ fixed: version }),
  z.strictObject({ last_affected: version }),
  z.strictObject({ limit: version }),
]);

const Range = z.looseObject({
  type: z.string(),
  events: z.array(Event).check(z.minLength(1, 'must hold at least one event')),
});

const Affected = z.looseObject({
  package: z.looseObject({ ecosystem: text(100), name: text(MAX_NAME) }),
  ranges: z.optional(z.array(Range)),
  versions: z.optional(z.array(version)),
});

const AdvisorySchema = z.looseObject({
  id: z.optional(z.nullable(z.string().check(z.maxLength(200, 'must be at most 200 characters')))),
  affected: z.array(Affected).check(z.minLength(1, 'must name at least one package'), z.maxLength(MAX_AFFECTED, `must hold at most ${MAX_AFFECTED} entries`)),
});

/** A JSON path as people read it: `affected[0].ranges[1].type`. */
export const jsonPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s === '' ? String(p) : `${s}.${String(p)}`), '') || '(the advisory)';

/**
 * One linear scan of a JSON text, before it is parsed: whether arrays and objects nest deeper than `limit` (it stops
 * as soon as they do), and the first key that one object repeats. JSON.parse keeps the last of repeated keys without a
 * word, so `{"fixed": "13.0.1", "fixed": "1.0.0"}` would quietly call versions safe; an advisory that repeats a key is
 * refused instead. Hand-written because JSON.parse reports neither, and a parser that does would be a dependency for
 * about thirty lines: strings are skipped with their escapes, and a string followed by `:` inside an object is a key
 * (decoded with JSON.parse, so `"fix\u0065d"` is `fixed`).
 */
const scanJson = (json: string, limit: number): { deep: true } | { repeated: string } | undefined => {
  const open: Array<Set<string> | undefined> = []; // per open container: the keys of an object, undefined for an array
  const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      const keys = open.at(-1);
      if (keys === undefined) continue;
      let j = i + 1;
      while (j < json.length && isSpace(json.charCodeAt(j))) j++;
      if (json.charCodeAt(j) !== 0x3a) continue;
      let key: string;
      try {
        key = JSON.parse(json.slice(start, i + 1)) as string;
      } catch {
        continue; // not a JSON string: JSON.parse reports the text
      }
      if (keys.has(key)) return { repeated: key };
      keys.add(key);
    } else if (c === 0x7b || c === 0x5b) {
      open.push(c === 0x7b ? new Set() : undefined);
      if (open.length > limit) return { deep: true };
    } else if (c === 0x7d || c === 0x5d) open.pop();
  }
  return undefined;
};

const orderOf = (ecosystem: string): VersionOrder => (ecosystem.toLowerCase() === 'nuget' ? 'nuget' : 'semver');
const ORDERED_ECOSYSTEMS = new Set(['nuget', 'npm']);

/** The ecosystem's canonical spelling for the answer (OSV's own: NuGet, npm), others as given. */
const CANONICAL_ECOSYSTEMS = new Map([
  ['nuget', 'NuGet'],
  ['npm', 'npm'],
]);
const ecosystemName = (ecosystem: string): string => CANONICAL_ECOSYSTEMS.get(ecosystem.toLowerCase()) ?? ecosystem;

/** JSON's names for the types the schema expects, with their article, for "must be ...". */
const EXPECTED: Record<string, string> = { string: 'a string', array: 'an array', object: 'an object' };

/**
 * What one schema issue tells the caller, in the words of the other field errors: a missing or wrongly typed value
 * says which (zod's own text, "Invalid input: expected array, received undefined", names neither JSON nor the fix).
 */
const issueDetail = (issue: z.core.$ZodIssue, root: unknown): string => {
  if (issue.code === 'invalid_union') return 'must be one event: {"introduced"|"fixed"|"last_affected"|"limit": "<version>"}';
  if (issue.code !== 'invalid_type') return issue.message;
  const given = issue.path.reduce<unknown>(
    (at, key) => (at !== null && typeof at === 'object' && Object.hasOwn(at, key) ? (at as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );
  if (given === undefined) return 'is required';
  return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
};

type Parsed = z.output<typeof AdvisorySchema>;

/**
 * The advisory's lists counted on the parsed JSON, before the schema reads it: the schema reports one issue per wrong
 * element, and hundreds of thousands of them (a 1 MiB body holds that many) overflow the stack where zod gathers
 * them. Counted defensively (any shape; own properties only), so that the limits hold whatever the types.
 */
const oversized = (value: object): FieldError[] => {
  const own = (v: unknown, key: string): unknown =>
    typeof v === 'object' && v !== null && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
  const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
  const affected = list(own(value, 'affected'));
  let ranges = 0;
  let events = 0;
  let versions = 0;
  for (const a of affected) {
    const rs = list(own(a, 'ranges'));
    ranges += rs.length;
    for (const r of rs) events += list(own(r, 'events')).length;
    versions += list(own(a, 'versions')).length;
  }
  const errors: FieldError[] = [];
  const fail = (detail: string) => errors.push({ field: 'affected', detail: `affected ${detail}.` });
  if (affected.length > MAX_AFFECTED) fail(`must hold at most ${MAX_AFFECTED} entries (it holds ${affected.length})`);
  if (ranges > MAX_RANGES) fail(`hold ${ranges} ranges; at most ${MAX_RANGES} are read`);
  if (events > MAX_EVENTS) fail(`hold ${events} range events; at most ${MAX_EVENTS} are read`);
  if (versions > MAX_VERSIONS) fail(`hold ${versions} versions; at most ${MAX_VERSIONS} are read`);
  return errors;
};

const toAdvisory = (parsed: Parsed): Checked<Advisory> => {
  const errors: FieldError[] = [];
  const fail = (path: PropertyKey[], detail: string) => errors.push({ field: jsonPath(path), detail: `${jsonPath(path)} ${detail}.` });
  const byPackage = new Map<string, { ecosystem: string; name: string; clauses: Clause[]; versions: string[]; ranged: boolean }>();
  parsed.affected.forEach((a, i) => {
    const ecosystem = ecosystemName(a.package.ecosystem.trim());
    const name = a.package.name.trim();
    const order = orderOf(ecosystem);
    const key = `${ecosystem.toLowerCase()}\n${name.normalize('NFC').toLowerCase()}`;
    const entry = byPackage.get(key) ?? { ecosystem, name, clauses: [], versions: [], ranged: false };
    byPackage.set(key, entry);
    (a.ranges ?? []).forEach((r, j) => {
      const type = r.type.toUpperCase();
      if (type === 'GIT') return;
      if (type !== 'SEMVER' && type !== 'ECOSYSTEM') {
        fail(['affected', i, 'ranges', j, 'type'], `is ${JSON.stringify(r.type)}; OSV range types are SEMVER, ECOSYSTEM and GIT`);
        return;
      }
      if (type === 'ECOSYSTEM' && !ORDERED_ECOSYSTEMS.has(ecosystem.toLowerCase())) return;
      if (!r.events.some((e) => 'introduced' in e)) {
        fail(['affected', i, 'ranges', j, 'events'], 'has no introduced event (use "introduced": "0" for from the first version)');
        return;
      }
      const unreadable = r.events.findIndex((e) => {
        const v = Object.values(e)[0] as string;
        return !(('introduced' in e && v === '0') || isOrderable(v));
      });
      if (unreadable >= 0) {
        fail(['affected', i, 'ranges', j, 'events', unreadable], `is ${JSON.stringify(Object.values(r.events[unreadable]!)[0])}, which is not a version`);
        return;
      }
      entry.clauses.push(...clausesOfEvents(order, r.events as RangeEvent[])!);
      entry.ranged = true;
    });
    entry.versions.push(...(a.versions ?? []));
  });
  if (byPackage.size > MAX_PACKAGES) fail(['affected'], `name ${byPackage.size} packages; at most ${MAX_PACKAGES} are read`);
  if (errors.length > 0) return invalid(errors);
  return valid({
    id: parsed.id ?? null,
    packages: [...byPackage.values()].map((p) => ({
      ecosystem: p.ecosystem,
      name: p.name,
      matching: p.ranged ? 'range' : 'versions-list',
      matcher: { order: orderOf(p.ecosystem), clauses: p.clauses, versions: [...new Set(p.versions)] },
    })),
  });
};

/**
 * An advisory from its JSON text: the packages it names with their matchers, or every problem found, each naming
 * its JSON path (`(the advisory)` for the text as a whole). The caller checks the byte size (MAX_ADVISORY_BYTES)
 * before decoding the text.
 */
export const parseAdvisory = (json: string): Checked<Advisory> => {
  const whole = (detail: string) => invalid([{ field: '(the advisory)', detail }]);
  if (json.trim() === '') return whole('The body is empty: send an OSV advisory as JSON.');
  const scanned = scanJson(json, MAX_DEPTH);
  if (scanned && 'deep' in scanned) return whole(`The advisory nests arrays and objects deeper than ${MAX_DEPTH} levels; OSV advisories need fewer than 10.`);
  if (scanned) {
    return whole(`The advisory repeats the key ${JSON.stringify(scanned.repeated)} within one object; which value counts would be a guess.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return whole(`The body is not JSON: ${(e as Error).message}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return whole('The body must be one OSV advisory, a JSON object.');
  const tooMany = oversized(value);
  if (tooMany.length > 0) return invalid(tooMany);
  const parsed = AdvisorySchema.safeParse(value);
  if (!parsed.success) {
    return invalid(
      parsed.error.issues.map((issue) => {
        const field = jsonPath(issue.path);
        return { field, detail: `${field} ${issueDetail(issue, value)}.` };
      }),
    );
  }
  return toAdvisory(parsed.data);
};
