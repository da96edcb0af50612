/**
 * ISO 8601 instants as pipelines send them, in extended or basic format:
 * - the date as a calendar date (`2024-05-01`, `20240501`), an ordinal date (`2024-122`, `2024122`) or a week date
 *   (`2024-W18-3`, `2024W183`);
 * - then optionally a time of day after `T` (or a space): `12`, `12:30`, `12:30:45` (or `1230`, `123045`), with a
 *   decimal fraction of its last part (`.1234567` as .NET's `Get-Date -Format o` prints, `12.5` for 12:30), `24:00` for
 *   the end of the day, and second 60 (a leap second, stored as the last millisecond before it);
 * - then optionally a zone: `Z`, `+02:00`, `+0200` or `+02`. No zone means UTC.
 * The result is normalised to UTC with millisecond precision (finer digits are dropped), fixed width, so it sorts as
 * text. Years 0001 to 9999.
 */
const DATE = /^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2})|-?(\d{3})|-?W(\d{2})-?([1-7]))$/;
const TIME = /^(\d{2})(?::(\d{2})(?::(\d{2}))?|(\d{2})(\d{2})?)?(?:[.,](\d{1,9}))?$/;
const ZONE = /(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

const NOT_ISO = 'is not an ISO 8601 date, e.g. 2024-05-01T12:00:00Z';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (year: number, month: number): number => (month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!);
const DAY_MS = 86_400_000;

export type DateResult = { ok: true; iso: string } | { ok: false; reason: string };
type Fail = { ok: false; reason: string };
const fail = (reason: string): Fail => ({ ok: false, reason });
const isFail = (v: unknown): v is Fail => typeof v === 'object' && v !== null && 'reason' in v;

/** Milliseconds of midnight UTC on year-01-01 (proleptic Gregorian; not Date.UTC, which reads years 0-99 as 19xx). */
const startOfYear = (year: number): number => {
  const d = new Date(0);
  d.setUTCFullYear(year, 0, 1);
  return d.getTime();
};
/** ISO weekday of a UTC instant: Monday 1 ... Sunday 7. */
const isoWeekday = (t: number): number => ((new Date(t).getUTCDay() + 6) % 7) + 1;
const weeksInYear = (year: number): number => {
  const jan1 = isoWeekday(startOfYear(year));
  return jan1 === 4 || (jan1 === 3 && isLeap(year)) ? 53 : 52;
};

/** The date part as milliseconds of its midnight UTC, or why it is not a date. */
const parseDate = (text: string): number | Fail => {
  const m = DATE.exec(text);
  if (!m) return fail(NOT_ISO);
  const year = Number(m[1]);
  if (year < 1) return fail('has year 0000; years start at 0001');
  const [month, day] = m[2] !== undefined ? [m[2], m[3]!] : m[4] !== undefined ? [m[4], m[5]!] : [undefined, undefined];
  if (month !== undefined && day !== undefined) {
    const mo = Number(month),
      d = Number(day);
    if (mo < 1 || mo > 12) return fail(`has month ${month}, which does not exist`);
    if (d < 1 || d > daysInMonth(year, mo)) return fail(`has day ${day}, which ${m[1]}-${month} does not have`);
    const t = new Date(startOfYear(year));
    t.setUTCMonth(mo - 1, d);
    return t.getTime();
  }
  if (m[6] !== undefined) {
    const ordinal = Number(m[6]);
    if (ordinal < 1 || ordinal > (isLeap(year) ? 366 : 365)) return fail(`has day ${m[6]} of the year, which ${m[1]} does not have`);
    return startOfYear(year) + (ordinal - 1) * DAY_MS;
  }
  const week = Number(m[7]);
  if (week < 1 || week > weeksInYear(year)) return fail(`has week ${m[7]}, which ${m[1]} does not have`);
  // Week 1 is the week with the year's first Thursday, i.e. the week of 4 January.
  const jan4 = startOfYear(year) + 3 * DAY_MS;
  const monday1 = jan4 - (isoWeekday(jan4) - 1) * DAY_MS;
  return monday1 + ((week - 1) * 7 + Number(m[8]) - 1) * DAY_MS;
};

/** The time of day in milliseconds (truncated to whole milliseconds), or why it is not one. */
const parseTime = (text: string): number | Fail => {
  const m = TIME.exec(text);
  if (!m) return fail(NOT_ISO);
  const [, h, mExt, sExt, mBasic, sBasic, frac] = m;
  const minutes = mExt ?? mBasic;
  const seconds = sExt ?? sBasic;
  const hour = Number(h),
    minute = Number(minutes ?? 0),
    second = Number(seconds ?? 0);
  const fraction = frac === undefined ? 0 : Number(`0.${frac}`);
  if (hour === 24) {
    if (minute !== 0 || second !== 0 || fraction !== 0) return fail('has a time of day out of range (24:00 is the only time in hour 24)');
    return DAY_MS;
  }
  if (hour > 23 || minute > 59 || second > 60) return fail('has a time of day out of range');
  // The fraction belongs to the last part given: hours, minutes or seconds.
  const unit = seconds !== undefined ? 1000 : minutes !== undefined ? 60_000 : 3_600_000;
  if (second === 60) return hour * 3_600_000 + minute * 60_000 + 59_999; // a leap second: its last millisecond before
  return hour * 3_600_000 + minute * 60_000 + second * 1000 + Math.floor(Math.round(fraction * unit * 1e6) / 1e6);
};

export const parseInstant = (input: string): DateResult => {
  const split = input.search(/[Tt ]/);
  const datePart = split < 0 ? input : input.slice(0, split);
  const timeWithZone = split < 0 ? undefined : input.slice(split + 1);
  const date = parseDate(datePart);
  if (isFail(date)) return date;
  let offsetMinutes = 0;
  let time = 0;
  if (timeWithZone !== undefined) {
    const zone = ZONE.exec(timeWithZone);
    const clock = zone ? timeWithZone.slice(0, zone.index) : timeWithZone;
    if (zone?.[1] !== undefined) {
      const oh = Number(zone[2]),
        om = Number(zone[3] ?? 0);
      if (oh > 23 || om > 59) return fail('has a time-zone offset out of range');
      offsetMinutes = (zone[1] === '-' ? -1 : 1) * (oh * 60 + om);
    }
    const parsed = parseTime(clock);
    if (isFail(parsed)) return parsed;
    time = parsed;
  }
  const t = date + time - offsetMinutes * 60_000;
  const year = new Date(t).getUTCFullYear();
  if (year < 1 || year > 9999) return fail('is outside the years 0001 to 9999 in UTC');
  return { ok: true, iso: new Date(t).toISOString() };
};

/**
 * How far a record's `Date` may lie ahead of the time it was received (clock skew between a pipeline and the service)
 * and still order the record by its Date. Beyond it, the record is ordered by the time it was received (see
 * lib/domain/record.ts), so that a wrong clock or a typo cannot own a target's current version for years.
 */
export const FUTURE_DATE_SKEW_MS = 5 * 60 * 1000;

/** The current instant in the same normalised form. */
export const nowIso = (now: Date = new Date()): string => now.toISOString();
