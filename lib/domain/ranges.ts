/**
 * Version ranges, in the two spellings people paste from advisories, as one matcher: a union of clauses, each clause
 * a conjunction of comparators (`>=`, `>`, `<`, `<=`, `=`) on one version order.
 *
 * - npm semver ranges (`<13.0.1`, `>=1.0.0 <1.2.6 || <0.2.4`, `^1.2.0`, `1.2.x`, `1.0.0 - 2.0.0`): parsed by node-semver
 *   (`semver`'s Range with `includePrerelease: true`, so that 13.0.1-beta1 is below 13.0.1 and `<13.0.1` holds it,
 *   never skipped as node-semver's default would), which turns every sugar into its comparators. The comparators are
 *   then evaluated here with the version order below rather than with node-semver's `satisfies`, because the versions
 *   deployed are not all SemVer (NuGet's four parts, dotted numbers): node-semver refuses those, and an unreadable
 *   version must be reported as Unknown, never compared loosely.
 * - NuGet interval notation (`[1.0,2.0)`, `(,13.0.1)`, `[1.2.3]`, `[1.0,)`): hand-written, because no well-kept
 *   JavaScript library parses it (NuGet's own parser is NuGet.Versioning, in .NET). The grammar is the table of
 *   learn.microsoft.com's "Package versioning" (version ranges): a `[` or `(`, an optional lower version, a comma and
 *   an optional upper version, a `]` or `)`; or `[v]` for exactly v. Floating versions (`1.*`) are refused.
 * - A bare version (`1.2.3`) is refused: NuGet reads it as `>= 1.2.3`, npm as `= 1.2.3`; the caller is asked to say
 *   which with an operator or an interval.
 *
 * Version orders (both from lib/domain/versions.ts, which also reads NuGet's four parts and other dotted numbers):
 * - `semver`: SemVer 2.0 precedence (pre-release identifiers in ASCII order), build metadata ignored;
 * - `nuget`: the same with pre-release labels compared case-insensitively, as NuGet does (1.0.0-Beta == 1.0.0-beta).
 * A version outside that grammar cannot be ordered: matching it answers `unknown`.
 */
import semver from 'semver';
import { compareParsed, compareVersions, parseVersion, versionKey, type Ordering, type ParsedVersion } from './versions.ts';

export type VersionOrder = 'semver' | 'nuget';
export type Operator = '<' | '<=' | '>' | '>=' | '=';
export type Comparator = { operator: Operator; version: string };
/** All comparators hold (an empty list holds every version); `fixedIn` is the version that ends the clause, if known. */
export type Clause = { comparators: Comparator[]; fixedIn?: string };
/** A version matches when some clause holds it, or when it is one of `versions` (an advisory's explicit list). */
export type Matcher = { order: VersionOrder; clauses: Clause[]; versions?: string[] };

export type Match = { kind: 'affected'; fixedIn?: string } | { kind: 'unaffected' } | { kind: 'unknown' };

/** The longest range text read (the query parameter's own limit). */
export const MAX_RANGE_LENGTH = 1024;

/** `a` against `b` in an order; undefined when either cannot be ordered. */
export const compareIn = (order: VersionOrder, a: string, b: string): Ordering | undefined =>
  order === 'nuget' ? compareVersions(a.toLowerCase(), b.toLowerCase()) : compareVersions(a, b);

export const isOrderable = (version: string): boolean => parseVersion(version) !== undefined;

/** A version read in an order (NuGet's compares prerelease labels case-insensitively). */
const parseIn = (order: VersionOrder, version: string): ParsedVersion | undefined => parseVersion(order === 'nuget' ? version.toLowerCase() : version);

/**
 * A matcher with its versions parsed once: the comparators' versions, and the explicit versions as a set of exact
 * texts and a set of version keys. Matching a target then parses its version once and costs a Set lookup plus the
 * comparators, not a parse of every listed version (an advisory may list 50,000, checked against 1,000 targets).
 */
type Compiled = {
  clauses: Array<{ comparators: Array<{ operator: Operator; version: ParsedVersion | undefined }>; fixedIn?: string | undefined }>;
  exact: Set<string>;
  keys: Set<string>;
};
const compiledMatchers = new WeakMap<Matcher, Compiled>();

const compile = (matcher: Matcher): Compiled => {
  const keys = new Set<string>();
  for (const v of matcher.versions ?? []) {
    const parsed = parseIn(matcher.order, v);
    if (parsed) keys.add(versionKey(parsed));
  }
  const compiled: Compiled = {
    clauses: matcher.clauses.map((c) => ({
      comparators: c.comparators.map((k) => ({ operator: k.operator, version: parseIn(matcher.order, k.version) })),
      fixedIn: c.fixedIn,
    })),
    exact: new Set(matcher.versions ?? []),
    keys,
  };
  compiledMatchers.set(matcher, compiled);
  return compiled;
};

const holds = (operator: Operator, cmp: Ordering): boolean => {
  switch (operator) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '=':
      return cmp === 0;
  }
};

/** Whether `version` is in the range: affected (with the clause's fix, if any), unaffected, or unknown (not orderable). */
export const matchVersion = (matcher: Matcher, version: string): Match => {
  const compiled = compiledMatchers.get(matcher) ?? compile(matcher);
  const parsed = parseIn(matcher.order, version);
  if (compiled.exact.has(version) || (parsed !== undefined && compiled.keys.has(versionKey(parsed)))) return { kind: 'affected' };
  if (parsed === undefined) return { kind: 'unknown' };
  for (const clause of compiled.clauses) {
    // A comparator whose version cannot be ordered holds nothing (the parsers refuse such ranges before this).
    if (clause.comparators.every((c) => c.version !== undefined && holds(c.operator, compareParsed(parsed, c.version)))) {
      return clause.fixedIn !== undefined ? { kind: 'affected', fixedIn: clause.fixedIn } : { kind: 'affected' };
    }
  }
  return { kind: 'unaffected' };
};

export type RangeResult = { ok: true; matcher: Matcher } | { ok: false; detail: string };

const BARE = /^[vV]?\d+(?:\.\d+)*(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** `[`/`(` lower? `,` upper? `]`/`)`, or `[version]`; whitespace around the parts is allowed, as NuGet allows it. */
const INTERVAL = /^([[(])\s*([^,\s[\]()]*)\s*(?:(,)\s*([^,\s[\]()]*)\s*)?([\])])$/;

const parseNuGetInterval = (text: string): RangeResult => {
  const m = INTERVAL.exec(text);
  const bad = (why: string): RangeResult => ({
    ok: false,
    detail: `Range ${JSON.stringify(text)} is not a NuGet interval: ${why} (e.g. [1.0,2.0), (,13.0.1), [1.2.3]).`,
  });
  if (!m) return bad('expected [ or (, versions separated by a comma, then ] or )');
  const [, open, lowText = '', comma, highText = '', close] = m;
  for (const v of [lowText, highText]) {
    if (v !== '' && !isOrderable(v)) return bad(`${JSON.stringify(v)} is not a version (floating versions such as 1.* are not ranges here)`);
  }
  if (comma === undefined) {
    if (open !== '[' || close !== ']' || lowText === '') return bad('a single version needs square brackets, [1.2.3]');
    return { ok: true, matcher: { order: 'nuget', clauses: [{ comparators: [{ operator: '=', version: lowText }] }] } };
  }
  if (lowText === '' && highText === '') return bad('give at least one bound');
  const comparators: Comparator[] = [];
  if (lowText !== '') comparators.push({ operator: open === '[' ? '>=' : '>', version: lowText });
  if (highText !== '') comparators.push({ operator: close === ']' ? '<=' : '<', version: highText });
  if (lowText !== '' && highText !== '') {
    const cmp = compareIn('nuget', lowText, highText)!;
    if (cmp > 0 || (cmp === 0 && (open === '(' || close === ')'))) return bad('the lower bound is above the upper one, so no version is in it');
  }
  return { ok: true, matcher: { order: 'nuget', clauses: [{ comparators }] } };
};

const OPERATORS = new Set<string>(['<', '<=', '>', '>=', '=']);

const parseNpmRange = (text: string): RangeResult => {
  const bad = (why: string): RangeResult => ({
    ok: false,
    detail: `Range ${JSON.stringify(text)} is not an npm semver range: ${why} (e.g. <13.0.1, >=1.0.0 <1.2.6 || <0.2.4, ^1.2.0).`,
  });
  // node-semver reads an empty alternative (`<13.0.1 ||`, `|| <1.0.0`, `||`) as `*`, every version: a typo or an empty
  // template variable would mark every target affected. `*` says that on purpose.
  if (text.split('||').some((alternative) => alternative.trim() === '')) {
    return bad('an alternative around || is empty, which npm reads as every version (write * for every version)');
  }
  let range: semver.Range;
  try {
    range = new semver.Range(text, { includePrerelease: true });
  } catch {
    return bad('it cannot be parsed');
  }
  const clauses: Clause[] = [];
  for (const set of range.set) {
    const comparators: Comparator[] = [];
    for (const c of set) {
      if (c.value === '') continue; // `*`: no constraint (node-semver's ANY comparator)
      const operator = c.operator === '' ? '=' : c.operator;
      if (!OPERATORS.has(operator)) return bad(`operator ${operator} is not understood`);
      comparators.push({ operator: operator as Operator, version: c.semver.version });
    }
    clauses.push({ comparators });
  }
  return { ok: true, matcher: { order: 'semver', clauses } };
};

/**
 * A range as the API takes it: NuGet interval notation when it starts with `[` or `(`, otherwise an npm semver range.
 * A bare version, an empty text and a text that parses in neither spelling are refused with a detail for the client.
 */
export const parseRange = (input: string): RangeResult => {
  const text = input.trim();
  if (text === '') return { ok: false, detail: 'Range is empty: give an interval such as (,13.0.1) or a range such as <13.0.1.' };
  if (text.length > MAX_RANGE_LENGTH) return { ok: false, detail: `Range is longer than ${MAX_RANGE_LENGTH} characters.` };
  if (BARE.test(text)) {
    return {
      ok: false,
      detail: `Range ${JSON.stringify(text)} is a bare version, which NuGet reads as >= ${text} and npm as = ${text}: say which with an operator (<${text}, >=${text}, =${text}) or an interval ([${text}], [${text},), (,${text})).`,
    };
  }
  return text.startsWith('[') || text.startsWith('(') ? parseNuGetInterval(text) : parseNpmRange(text);
};

/** One OSV range event (schema 1.x): exactly one of the four keys. */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

const eventVersion = (e: RangeEvent): string => ('introduced' in e ? e.introduced : 'fixed' in e ? e.fixed : 'last_affected' in e ? e.last_affected : e.limit);

/**
 * An OSV `ranges[]` entry's events as clauses, by the schema's evaluation: the events sorted by version (`introduced:
 * "0"` first, ties in the order given), a version affected from an `introduced` until a `fixed` (exclusive) or after a
 * `last_affected` (inclusive); with `limit` events, only below the highest limit. Every version must be orderable
 * (the caller has checked them); undefined otherwise.
 */
export const clausesOfEvents = (order: VersionOrder, events: readonly RangeEvent[]): Clause[] | undefined => {
  const key = (e: RangeEvent): string | undefined => ('introduced' in e && e.introduced === '0' ? undefined : eventVersion(e));
  for (const e of events) {
    const v = key(e);
    if (v !== undefined && !isOrderable(v)) return undefined;
  }
  const sorted = events
    .filter((e) => !('limit' in e))
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const ka = key(a.e);
      const kb = key(b.e);
      if (ka === undefined || kb === undefined) return ka === kb ? a.i - b.i : ka === undefined ? -1 : 1;
      return compareIn(order, ka, kb)! || a.i - b.i;
    })
    .map(({ e }) => e);
  const limits = events.filter((e): e is { limit: string } => 'limit' in e).map((e) => e.limit);
  const highestLimit = limits.reduce<string | undefined>((hi, v) => (hi === undefined || compareIn(order, v, hi)! > 0 ? v : hi), undefined);
  const clauses: Clause[] = [];
  let open: Comparator[] | undefined;
  for (const e of sorted) {
    if ('introduced' in e) {
      if (open === undefined) open = e.introduced === '0' ? [] : [{ operator: '>=', version: e.introduced }];
    } else if (open !== undefined) {
      if ('fixed' in e) clauses.push({ comparators: [...open, { operator: '<', version: e.fixed }], fixedIn: e.fixed });
      else if ('last_affected' in e) clauses.push({ comparators: [...open, { operator: '<=', version: e.last_affected }] });
      open = undefined;
    }
  }
  if (open !== undefined) clauses.push({ comparators: open });
  return highestLimit === undefined ? clauses : clauses.map((c) => ({ ...c, comparators: [...c.comparators, { operator: '<', version: highestLimit }] }));
};
