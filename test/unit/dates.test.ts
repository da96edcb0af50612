import { describe, expect, it } from 'vitest';
import { nowIso, parseInstant } from '../../lib/domain/dates.ts';

const FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const ok = (input: string): string => {
  const result = parseInstant(input);
  if (!result.ok) throw new Error(`expected ${input} to parse, got: ${result.reason}`);
  expect(result.iso).toMatch(FORMAT);
  return result.iso;
};

const reason = (input: string): string => {
  const result = parseInstant(input);
  if (result.ok) throw new Error(`expected ${input} to be refused, got ${result.iso}`);
  expect(result.reason.length).toBeGreaterThan(5);
  return result.reason;
};

describe('parseInstant: accepted forms', () => {
  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00+00:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00-00:00', '2024-05-01T12:00:00.000Z'],
  ])('UTC: %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each([
    ['2024-05-01T14:00:00+02:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T14:00:00+0200', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T14:00:00+02', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T06:30:00-0530', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T06:30:00-05:30', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T17:45:00+05:45', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T01:00:00+02:00', '2024-04-30T23:00:00.000Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000Z'],
    ['2024-05-01T14:00+02:00', '2024-05-01T12:00:00.000Z'],
  ])('with an offset: %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each([
    ['2024-05-01T14:00:00.1234567+02:00', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T12:00:00.1234567Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T12:00:00.1234567', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T12:00:00.5Z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T12:00:00.05Z', '2024-05-01T12:00:00.050Z'],
    ['2024-05-01T12:00:00,25Z', '2024-05-01T12:00:00.250Z'],
    ['2024-05-01T12:00:00.999999999Z', '2024-05-01T12:00:00.999Z'],
    ['2024-05-01T12:00:00.0000000-00:00', '2024-05-01T12:00:00.000Z'],
  ])('with fractional seconds (truncated to milliseconds): %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each([
    ['2024-05-01T12:00:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
  ])('without a zone, as UTC: %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each([
    ['2024-05-01 12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01t12:00:00z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01 14:00:00.1+02:00', '2024-05-01T12:00:00.100Z'],
  ])('with a space or lower-case t/z: %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it('parses what .NET Get-Date -Format o prints, whatever the time zone of the machine', () => {
    expect(ok('2024-05-01T08:00:00.0000000-04:00')).toBe('2024-05-01T12:00:00.000Z');
  });

  it('round-trips its own output', () => {
    const iso = ok('2024-05-01T14:00:00.1234567+02:00');
    expect(ok(iso)).toBe(iso);
  });

  it('sorts chronologically as text', () => {
    const inputs = ['2024-05-01T12:00:00+02:00', '2024-05-01T11:00:00Z', '2024-05-01T10:30:00Z', '0999-01-01', '9999-01-01'];
    const isos = inputs.map(ok);
    const byText = [...isos].sort();
    const byTime = [...isos].sort((a, b) => Date.parse(a) - Date.parse(b));
    expect(byText).toEqual(byTime);
  });
});

describe('parseInstant: calendar', () => {
  it.each(['2024-02-29', '2000-02-29', '2400-02-29', '0004-02-29'])('accepts the leap day %s', (input) => {
    expect(ok(input)).toBe(`${input}T00:00:00.000Z`);
  });

  it.each(['2023-02-29', '1900-02-29', '2100-02-29', '0001-02-29'])('refuses the non-existent leap day %s', (input) => {
    expect(reason(input)).toMatch(/has day 29, which \d{4}-02 does not have/);
  });

  it.each([
    ['2024-04-31', 'day 31'],
    ['2024-06-31', 'day 31'],
    ['2024-02-30', 'day 30'],
    ['2024-01-32', 'day 32'],
    ['2024-01-00', 'day 00'],
  ])('refuses %s', (input, what) => {
    expect(reason(input)).toContain(`has ${what}`);
  });

  it.each(['2024-01-31', '2024-03-31', '2024-12-31', '2024-04-30'])('accepts the last day of the month %s', (input) => {
    expect(ok(input)).toBe(`${input}T00:00:00.000Z`);
  });

  it.each(['2024-00-01', '2024-13-01', '2024-99-01'])('refuses the month of %s', (input) => {
    expect(reason(input)).toMatch(/has month \d\d, which does not exist/);
  });
});

describe('parseInstant: time of day and offsets', () => {
  it.each(['2024-05-01T24:00:01Z', '2024-05-01T24:30Z', '2024-05-01T12:60:00Z', '2024-05-01T12:00:61Z', '2024-05-01T99:99:99Z'])(
    'refuses the time of %s',
    (input) => {
      expect(reason(input)).toMatch(/time of day out of range/);
    },
  );

  it.each([
    ['2024-05-01T00:00:00Z', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T23:59:59.999Z', '2024-05-01T23:59:59.999Z'],
  ])('accepts the bounds %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each(['2024-05-01T12:00:00+24:00', '2024-05-01T12:00:00+02:60', '2024-05-01T12:00:00-9999'])('refuses the offset of %s', (input) => {
    expect(reason(input)).toMatch(/offset out of range/);
  });

  it('accepts the largest offsets it allows', () => {
    expect(ok('2024-05-01T23:59:00+23:59')).toBe('2024-05-01T00:00:00.000Z');
    expect(ok('2024-05-01T00:00:00-23:59')).toBe('2024-05-01T23:59:00.000Z');
  });
});

describe('parseInstant: the rest of ISO 8601', () => {
  it.each([
    ['20240501', '2024-05-01T00:00:00.000Z'],
    ['20240501T120000Z', '2024-05-01T12:00:00.000Z'],
    ['20240501T1200+0200', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T12', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12.5Z', '2024-05-01T12:30:00.000Z'],
    ['2024-05-01T12:30.25Z', '2024-05-01T12:30:15.000Z'],
    ['2024-05-01T12:00:00,5Z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T24:00:00Z', '2024-05-02T00:00:00.000Z'],
    ['2024-12-31T24:00Z', '2025-01-01T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
    ['2024-122', '2024-05-01T00:00:00.000Z'],
    ['2024122T12:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-366', '2024-12-31T00:00:00.000Z'],
    ['2024-W18-3', '2024-05-01T00:00:00.000Z'],
    ['2024W183T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2020-W53-7', '2021-01-03T00:00:00.000Z'],
    ['2026-W01-1', '2025-12-29T00:00:00.000Z'],
    ['2027-W01-1', '2027-01-04T00:00:00.000Z'],
  ])('accepts %s', (input, iso) => {
    expect(ok(input)).toBe(iso);
  });

  it.each([
    ['2023-366', /day 366 of the year/],
    ['2024-000', /day 000 of the year/],
    ['2024-W53-1', /week 53, which 2024 does not have/],
    ['2024-W00-1', /week 00/],
    ['2024-W18-8', /is not an ISO 8601 date/],
    ['2024-05-01T24:00:00.001Z', /24:00 is the only time in hour 24/],
  ])('refuses %s', (input, detail) => {
    expect(reason(input)).toMatch(detail);
  });

  it('agrees with the week-date rule over four centuries: every Monday of week 1 holds 4 January', () => {
    for (let year = 1601; year <= 2400; year++) {
      const monday = ok(`${year}-W01-1`);
      const days = (Date.parse(`${String(year).padStart(4, '0')}-01-04T00:00:00Z`) - Date.parse(monday)) / 86_400_000;
      expect(days).toBeGreaterThanOrEqual(0);
      expect(days).toBeLessThan(7);
      expect(new Date(monday).getUTCDay()).toBe(1);
    }
  });
});

describe('parseInstant: year range', () => {
  it('accepts the first instant of 0001 and the last of 9999', () => {
    expect(ok('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(ok('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
  });

  it('reads years 0001-0099 as such, not as 19xx', () => {
    expect(ok('0050-06-15T12:00:00Z')).toBe('0050-06-15T12:00:00.000Z');
    expect(ok('0099-12-31')).toBe('0099-12-31T00:00:00.000Z');
  });

  it('refuses year 0000', () => {
    expect(reason('0000-01-01T00:00:00Z')).toMatch(/year 0000/);
  });

  it('refuses an offset that pushes 9999-12-31 past the year 9999', () => {
    expect(reason('9999-12-31T23:00-02:00')).toMatch(/outside the years 0001 to 9999/);
    expect(ok('9999-12-31T23:00-00:59')).toBe('9999-12-31T23:59:00.000Z');
  });

  it('refuses an offset that pushes 0001-01-01 before the year 0001', () => {
    expect(reason('0001-01-01T00:30+01:00')).toMatch(/outside the years 0001 to 9999/);
    expect(ok('0001-01-01T01:00+01:00')).toBe('0001-01-01T00:00:00.000Z');
  });
});

describe('parseInstant: garbage', () => {
  it.each([
    '',
    ' ',
    'now',
    'yesterday',
    'null',
    '2024',
    '2024-05',
    '2024-5-1',
    '24-05-01',
    '2024/05/01',
    '01/05/2024',
    'May 1, 2024',
    'Wed, 01 May 2024 12:00:00 GMT',
    '1714564800',
    '+002024-05-01T12:00:00Z',
    '-000001-01-01T00:00:00Z',
    '2024-05-01T1:00',
    '2024-05-01T12:00:00.Z',
    '2024-05-01T12:00:00.1234567890Z',
    '2024-05-01T12:00:00ZZ',
    '2024-05-01T12:00:00+2',
    '2024-05-01T12:00:00+02:',
    '2024-05-01T12:00:00+02:0',
    '2024-05-01T12:00:00 +02:00',
    '2024-05-01T12:00:00 UTC',
    '2024-05-01T12:00:00Z ',
    ' 2024-05-01',
    '2024-05-01+02:00',
    '2024-05-01TT12:00',
    '２０２４-05-01',
    '2024-05-01T12:00:00Z\n',
  ])('refuses %j', (input) => {
    expect(reason(input)).toMatch(/is not an ISO 8601 date, e\.g\. 2024-05-01T12:00:00Z/);
  });
});

describe('nowIso', () => {
  it('prints an instant in the same normalised form', () => {
    expect(nowIso(new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 7)))).toBe('2024-05-01T12:00:00.007Z');
    expect(nowIso()).toMatch(FORMAT);
  });
});
