/**
 * Query strings as API Gateway reads them: the one percent-decoder of lib/http (the doors, the local gateway's events
 * and the log redaction all use it), and query parameters as ordered name/value pairs.
 */

/**
 * Percent-decoding as API Gateway decodes query strings (`+` is a space). A malformed escape (`%zz`, a truncated UTF-8
 * sequence) is kept as sent, and the well-formed runs around it are still decoded: never a URIError.
 */
export const decodeQueryComponent = (s: string): string => {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
};

/**
 * Percent-encoding of a name or value for a rebuilt `rawQueryString` (a space as `+`). Callers pass well-formed
 * strings only: the front door refuses a request holding a lone surrogate before anything encodes it.
 */
export const encodeQueryComponent = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

/** A query string's parameters in order, as sent (not decoded); empty parts are skipped, `a` alone is `a=`. */
export const rawQueryPairs = (query: string): Array<[string, string]> =>
  query === ''
    ? []
    : query
        .split('&')
        .filter((p) => p !== '')
        .map((p): [string, string] => {
          const eq = p.indexOf('=');
          return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
        });

/** Decoded pairs as payload 2.0's `queryStringParameters`: a repeated name's values joined with `,`; none: undefined. */
export const joinedQuery = (pairs: Array<[string, string]>): Record<string, string> | undefined => {
  if (pairs.length === 0) return undefined;
  // A null-prototype object, as AWS's JSON parsing gives: a parameter named `__proto__` is a parameter like any other.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of pairs) out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
  return out;
};
