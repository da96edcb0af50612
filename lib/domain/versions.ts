/**
 * Version order, for the overview's `Change` (upgraded, rolled back, redeployed): one comparison for the version
 * strings pipelines send. Hand-written rather than the `semver` package: semver refuses NuGet's four-part versions and
 * dotted numbers of other lengths, which are most of what ProGet feeds hold, and a wrong `upgraded` is worse than
 * `changed`, so anything outside the grammar below must be "cannot be ordered", never coerced.
 *
 * Grammar (a leading `v` or `V` is ignored): `N(.N)*` numbers, then optionally `-` and dot-separated pre-release
 * identifiers of [0-9A-Za-z-], then optionally `+` and build metadata of the same characters. That covers
 * SemVer 2.0, NuGet (1.2.3.4, 1.2.3.4-beta) and dotted numbers of any length.
 *
 * Order:
 * - numeric segments as numbers (any length: compared as digit strings, so 10 > 9 and no precision is lost), missing
 *   trailing segments count as 0 (1.0 == 1.0.0 == 1.0.0.0, as NuGet normalises);
 * - a pre-release is lower than its release; pre-release identifiers compared left to right as SemVer 2.0 says
 *   (numeric ones as numbers and lower than alphanumeric ones, alphanumeric ones in ASCII order, a shorter list lower
 *   when all before are equal);
 * - build metadata is ignored (1.0.0+a == 1.0.0+b).
 * This is a total preorder on the versions it parses (tested with fast-check: reflexive, antisymmetric, transitive).
 */
export type Ordering = -1 | 0 | 1;

type Parsed = { numbers: string[]; pre: string[] };
/** A version as parseVersion reads it, for comparing one version with many without parsing it again. */
export type ParsedVersion = Parsed;

const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const VERSION = new RegExp(`^[vV]?(\\d+(?:\\.\\d+)*)(?:-(${IDENTIFIERS}))?(?:\\+(${IDENTIFIERS}))?$`);
/** Longer inputs are not versions anyone sends (the field's limit is 100 characters). */
const MAX_LENGTH = 256;

/** A digit string without its leading zeros ('0' stays '0'). */
const canonical = (digits: string): string => digits.replace(/^0+(?=\d)/, '');

export const parseVersion = (text: string): Parsed | undefined => {
  if (text.length > MAX_LENGTH) return undefined;
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  const numbers = match[1]!.split('.').map(canonical);
  while (numbers.length > 1 && numbers.at(-1) === '0') numbers.pop();
  return { numbers, pre: match[2] === undefined ? [] : match[2].split('.') };
};

const sign = (n: number): Ordering => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Two canonical digit strings as numbers. */
const compareDigits = (a: string, b: string): Ordering => (a.length !== b.length ? sign(a.length - b.length) : a < b ? -1 : a > b ? 1 : 0);

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

const compareIdentifiers = (a: string, b: string): Ordering => {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return compareDigits(canonical(a), canonical(b));
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

export const compareParsed = (a: Parsed, b: Parsed): Ordering => {
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const c = compareDigits(a.numbers[i] ?? '0', b.numbers[i] ?? '0');
    if (c !== 0) return c;
  }
  // A release is higher than any of its pre-releases.
  if (a.pre.length === 0 || b.pre.length === 0) return sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const c = compareIdentifiers(a.pre[i]!, b.pre[i]!);
    if (c !== 0) return c;
  }
  return sign(a.pre.length - b.pre.length);
};

/**
 * A text that two parsed versions share exactly when compareParsed calls them equal (trailing zero segments, leading
 * zeros of numeric identifiers and build metadata do not count): one Set lookup instead of a comparison with each.
 */
export const versionKey = (p: Parsed): string =>
  p.pre.length === 0 ? p.numbers.join('.') : `${p.numbers.join('.')}-${p.pre.map((id) => (isNumeric(id) ? canonical(id) : id)).join('.')}`;

/** -1, 0 or 1 as `a` is lower than, equal to or higher than `b`; undefined when either cannot be ordered. */
export const compareVersions = (a: string, b: string): Ordering | undefined => {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  return pa && pb ? compareParsed(pa, pb) : undefined;
};

/** What a deployment did to its target, from the version it deployed and the one the target ran before. */
export const CHANGES = ['deployed', 'upgraded', 'rolledback', 'redeployed', 'changed'] as const;
export type Change = (typeof CHANGES)[number];

export const changeOf = (version: string, previousVersion: string | undefined): Change => {
  if (previousVersion === undefined) return 'deployed';
  if (version === previousVersion) return 'redeployed';
  switch (compareVersions(version, previousVersion)) {
    case 1:
      return 'upgraded';
    case -1:
      return 'rolledback';
    case 0:
      return 'redeployed';
    default:
      return 'changed';
  }
};

/** A digit string as a sortable string: its length in three digits, then the digits (10 > 9 as '00210' > '0019'). */
const sortableDigits = (digits: string): string => String(digits.length).padStart(3, '0') + digits;

/**
 * A string whose order (DynamoDB compares strings by their UTF-8 bytes, as JavaScript's `<` does for these ASCII
 * characters) is the version order of compareVersions: `versionOrderKey(a) < versionOrderKey(b)` exactly when
 * compareVersions(a, b) is -1, and the keys are equal when it is 0. A version that cannot be ordered gets ' ', lower
 * than every other key, so that nothing deployed after it is ever taken for a rollback (changeOf says `changed`).
 * The record transaction's condition uses it to tell, without reading the target's current item, that a deployment
 * is not a rollback (lib/store/deployments.ts).
 *
 * Layout: each numeric segment as '.' + sortableDigits, then '!' (lower than '.', so 1 < 1.0.1); then '~' for a
 * release or '-' and the pre-release identifiers for a pre-release ('-' < '~': a release is higher); each identifier
 * is '0' + sortableDigits (numeric, lower) or '1' + its text (alphanumeric, in ASCII order), ended by '!', and the
 * list is ended by ' ' (lower than any identifier: a shorter list is lower). '!' and ' ' are lower than every
 * character an identifier may hold ([0-9A-Za-z-]), so "ab" < "ab-" holds in the key too.
 */
export const versionOrderKey = (version: string): string => {
  const parsed = parseVersion(version);
  if (!parsed) return ' ';
  const numbers = parsed.numbers.map((n) => `.${sortableDigits(n)}`).join('') + '!';
  if (parsed.pre.length === 0) return `${numbers}~`;
  const pre = parsed.pre.map((id) => (isNumeric(id) ? `0${sortableDigits(canonical(id))}` : `1${id}`) + '!').join('');
  return `${numbers}-${pre} `;
};
