/**
 * The domain's one Result type: a value, or every problem found, each naming its field. Validation returns it instead
 * of throwing, so that the caller decides the order of checks (ProGet answers a bad key before a bad body).
 */
export type FieldError = { field: string; detail: string };

export type Checked<T> = { ok: true; value: T } | { ok: false; detail: string; errors: FieldError[] };

export const valid = <T>(value: T): Checked<T> => ({ ok: true, value });

/** At most this many problems are reported (each once): a body of 5,000 bad fields gets a short answer. */
const MAX_ERRORS = 20;

export const invalid = (errors: FieldError[]): Checked<never> => {
  const unique = [...new Map(errors.map((e) => [`${e.field}\n${e.detail}`, e])).values()];
  const shown = unique.slice(0, MAX_ERRORS);
  const more = unique.length - shown.length;
  return {
    ok: false,
    errors: shown,
    detail: shown.map((e) => e.detail).join(' ') + (more > 0 ? ` (and ${more} more problems)` : ''),
  };
};

/** Both values, or the problems of both. */
export const both = <A, B>(a: Checked<A>, b: Checked<B>): Checked<[A, B]> =>
  a.ok && b.ok ? valid([a.value, b.value]) : invalid([...(a.ok ? [] : a.errors), ...(b.ok ? [] : b.errors)]);
