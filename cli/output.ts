/** Exit codes, the one-line reasons on stderr, and the table `current` prints. */
export const EXIT = {
  ok: 0,
  /** Gave up after retries, or an answer the CLI does not expect. */
  failed: 1,
  /** Bad options, or the service found the input invalid (400, 413, 415). */
  invalid: 2,
  /** The key was refused, or lacks the privilege (401, 403). */
  forbidden: 3,
  /** The feed (or, for `current`, any record of the package or target) was not found. */
  notFound: 4,
  /** The Idempotency-Key is taken by another record (422) or still being written when time ran out (409). */
  conflict: 5,
  /** `current --expect-version`: a target runs another version. */
  unexpectedVersion: 6,
  /** `affected`: at least one target runs an affected version. */
  affected: 7,
} as const;

export type Io = {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
};

export const PROGRAM = 'package-deployment';

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A value as printed: every control character (C0, DEL, C1) and Unicode's line and paragraph separators escaped
 * (`\n`, `\r`, `\t`, `\u001b`, `\u2028`...), so that nothing a CI service, an option or the service's answer
 * supplies (a branch name, a commit message, a user name) can end the line it is printed in and forge one of its
 * own: a workflow command (`::error::`, `::set-output`), a "Recorded" line, a terminal escape sequence.
 */
export const escapeControls = (text: string): string =>
  text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Characters a linguistic (culture-sensitive) .NET string comparison may skip: Unicode's format characters (Cf). */
const IGNORABLE = String.raw`\p{Cf}*`;
/** A line whose first non-blank characters are `::`: a GitHub Actions workflow command (the runner trims the start). */
const LEADING_COMMAND = new RegExp(String.raw`^([\s\p{Cf}]*):(?=${IGNORABLE}:)`, 'u');
/** `##[` (GitHub's legacy command form) or `##vso[` (Azure Pipelines' logging command): read anywhere in a line. */
const INLINE_COMMAND = new RegExp(String.raw`#(?=${IGNORABLE}#${IGNORABLE}(?:v${IGNORABLE}s${IGNORABLE}o${IGNORABLE})?\[)`, 'giu');

/**
 * A line as printed in a CI log: its control characters escaped (escapeControls), and no workflow or logging command
 * left in it. GitHub's runner takes a line that starts with `::` after leading white space as a command (`::error::`,
 * `::add-mask::`) and, in its legacy form, `##[` anywhere in a line; Azure Pipelines takes `##vso[` anywhere. Such a
 * line's first `:`, or the first `#`, is written `\u003a` or `\u0023` (also a JSON escape, so a `--json` line still
 * parses to the same value). The runners compare these markers with .NET's culture-sensitive string functions, which
 * may skip format characters (zero-width space, soft hyphen), so those do not hide a marker from this check either.
 */
export const printableLine = (line: string): string =>
  escapeControls(line)
    .replace(LEADING_COMMAND, (_, blank: string) => `${blank}\\u003a`)
    .replace(INLINE_COMMAND, '\\u0023');

/** `io` printing each line through printableLine (controls escaped, no CI command); every command prints through it. */
export const printable = (io: Io): Io => ({
  env: io.env,
  stdout: (line) => io.stdout(printableLine(line)),
  stderr: (line) => io.stderr(printableLine(line)),
});

export class UsageError extends Error {}

/** The exit code for a final (non-retried, or retried to the deadline) HTTP status. */
export const exitForStatus = (status: number): number => {
  if (status >= 200 && status < 300) return EXIT.ok;
  // A redirect: --url is not the service's own URL.
  if (status >= 300 && status < 400) return EXIT.invalid;
  if (status === 400 || status === 413 || status === 415) return EXIT.invalid;
  if (status === 401 || status === 403) return EXIT.forbidden;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 422) return EXIT.conflict;
  return EXIT.failed;
};

const STATUS_WORDS: Record<number, string> = {
  400: 'invalid input',
  401: 'refused',
  403: 'refused',
  404: 'not found',
  409: 'conflict',
  413: 'request too large',
  415: 'unsupported request',
  422: 'Idempotency-Key conflict',
  429: 'too many requests',
};

/** The problem+json `detail` of an error answer (or its title, or the start of a body that is not a problem). */
export const problemDetail = (text: string): string => {
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown; message?: unknown };
    for (const v of [body.detail, body.title, body.message]) if (typeof v === 'string' && v.trim()) return v.trim();
  } catch {
    // not JSON
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
};

export const describeStatus = (status: number, text: string, location?: string | null): string => {
  if (status >= 300 && status < 400) return `the service redirects (${status}) to ${location ?? 'another URL'}: use that URL's base as --url`;
  const detail = problemDetail(text);
  const words = STATUS_WORDS[status] ?? (status >= 500 ? 'service error' : 'unexpected answer');
  return `${words} (${status})${detail ? `: ${detail}` : ''}`;
};

/** Columns padded to their widest cell; the last column is not padded. */
export const table = (rows: string[][]): string[] => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
};
