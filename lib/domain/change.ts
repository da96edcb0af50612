/**
 * What a deployment did to its target, from the version it deployed and the one the target ran before.
 *
 * Minimal stand-in: issue 12 (the overview) brings lib/domain/versions.ts with `compareVersions` and `changeOf`, the
 * one version order of the service (SemVer 2.0, NuGet four-part versions, dotted numbers). Once it is merged,
 * `changeKind` becomes `(previous, next) => changeOf(next, previous)` and the order below goes away. Until then it
 * orders the same grammar the same way for the common cases: numeric parts as numbers (missing trailing parts are 0),
 * a pre-release lower than its release, pre-release identifiers left to right (numeric ones as numbers, lower than
 * alphanumeric ones); anything else "cannot be ordered" (`changed`), never guessed.
 */
export const CHANGES = ['deployed', 'upgraded', 'rolledback', 'redeployed', 'changed'] as const;
export type Change = (typeof CHANGES)[number];

const VERSION = /^[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const digits = (a: string, b: string): number => {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
};

const identifiers = (a: string, b: string): number => {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return digits(a, b);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** Negative, 0 or positive as `a` is lower than, equal to or higher than `b`; undefined when either cannot be ordered. */
export const compareVersionsMinimal = (a: string, b: string): number | undefined => {
  const pa = VERSION.exec(a.trim());
  const pb = VERSION.exec(b.trim());
  if (!pa || !pb || a.length > 256 || b.length > 256) return undefined;
  const na = pa[1]!.split('.');
  const nb = pb[1]!.split('.');
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const c = digits(na[i] ?? '0', nb[i] ?? '0');
    if (c !== 0) return c;
  }
  const ra = pa[2]?.split('.') ?? [];
  const rb = pb[2]?.split('.') ?? [];
  if (ra.length === 0 || rb.length === 0) return rb.length - ra.length;
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const c = identifiers(ra[i]!, rb[i]!);
    if (c !== 0) return c;
  }
  return ra.length - rb.length;
};

/** The Change of a record deploying `next` to a target that ran `previous` (undefined: nothing before). */
export const changeKind = (previous: string | undefined, next: string): Change => {
  if (previous === undefined) return 'deployed';
  if (previous === next) return 'redeployed';
  const c = compareVersionsMinimal(next, previous);
  if (c === undefined) return 'changed';
  return c > 0 ? 'upgraded' : c < 0 ? 'rolledback' : 'redeployed';
};
