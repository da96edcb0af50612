/**
 * ISO 8601 instants as pipelines send them: `2024-05-01T12:00:00Z`, with an offset (`+02:00`, `+0200`, `+02`),
 * with up to 9 fractional digits (.NET's `Get-Date -Format o` prints 7), a space instead of `T`, or a date alone.
 * No zone means UTC. The result is normalised to UTC with millisecond precision, fixed width, so it sorts as text.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (year: number, month: number): number => (month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!);

export type DateResult = { ok: true; iso: string } | { ok: false; reason: string };

export const parseInstant = (input: string): DateResult => {
  const m = ISO_INSTANT.exec(input);
  if (!m) return { ok: false, reason: 'is not an ISO 8601 date, e.g. 2024-05-01T12:00:00Z' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', , sign, oh = '0', om = '0'] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = Number(s);
  const offHours = Number(oh), offMinutes = Number(om);
  if (year < 1) return { ok: false, reason: 'has year 0000; years start at 0001' };
  if (month < 1 || month > 12) return { ok: false, reason: `has month ${mo}, which does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, reason: `has day ${d}, which ${y}-${mo} does not have` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'has a time of day out of range' };
  if (offHours > 23 || offMinutes > 59) return { ok: false, reason: 'has a time-zone offset out of range' };
  const millis = Number((frac + '000').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0-99 as 1900-1999
  date.setUTCHours(hour, minute, second, millis);
  const offset = sign ? (sign === '-' ? -1 : 1) * (offHours * 60 + offMinutes) : 0;
  const t = date.getTime() - offset * 60_000;
  const normalised = new Date(t);
  const outYear = normalised.getUTCFullYear();
  if (outYear < 1 || outYear > 9999) return { ok: false, reason: 'is outside the years 0001 to 9999 in UTC' };
  return { ok: true, iso: normalised.toISOString() };
};

/** The current instant in the same normalised form. */
export const nowIso = (now: Date = new Date()): string => now.toISOString();
