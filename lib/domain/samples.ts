/**
 * Lead and restore times (seconds) as a day's summary keeps them: every value while there are few, a histogram of
 * logarithmic buckets once there are more, so that a summary's size is bounded whatever the day's deployments; and the
 * median and 90th percentile of any number of such samples.
 *
 * Written here rather than taken from a sketch library (DDSketch's JavaScript port, t-digest): the summary is stored as
 * a short string in a DynamoDB item and merged by plain addition, and a quantile of exact values must stay exact (the
 * hand-checked examples of docs/api.md); the buckets are DDSketch's (relative accuracy ALPHA: bucket i holds the values
 * in (GAMMA^(i-1), GAMMA^i], read as 2·GAMMA^i/(GAMMA+1), within ALPHA of any of them).
 */

/** While a (day, region) has at most this many lead (or restore) times, its summary keeps them all, exactly. */
export const EXACT_LIMIT = 32;
/** A histogram's relative accuracy: a median read from it is within 2% of the value it stands for. */
export const ALPHA = 0.02;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/**
 * Logarithmic buckets: `counts[k]` values in bucket `offset + k`; `zeros`: values of 0 seconds. Dense, so that a
 * stored histogram reads back with one split and merges by plain addition.
 */
export type Histogram = { zeros: number; offset: number; counts: number[] };
/** Times in seconds: `values` exactly, and `histogram` for those that were summarized (absent: none were). */
export type Sample = { values: number[]; histogram?: Histogram | undefined };

const bucketOf = (value: number): number => Math.ceil(Math.log(value) / LOG_GAMMA);
/** The buckets a value above 0 can fall in: a stored histogram beyond them was not written by histogramOf. */
const LOWEST_BUCKET = bucketOf(Number.MIN_VALUE);
const HIGHEST_BUCKET = bucketOf(Number.MAX_VALUE);
/** The value a bucket stands for: within ALPHA of every value it holds. */
const valueOf = (index: number): number => (2 * GAMMA ** index) / (GAMMA + 1);

/** A histogram of `values`. */
export const histogramOf = (values: readonly number[]): Histogram => {
  let zeros = 0;
  const indexes: number[] = [];
  for (const v of values) {
    if (v > 0) indexes.push(bucketOf(v));
    else zeros += 1;
  }
  if (indexes.length === 0) return { zeros, offset: 0, counts: [] };
  let low = indexes[0]!;
  let high = low;
  for (const i of indexes) {
    if (i < low) low = i;
    if (i > high) high = i;
  }
  const counts = new Array<number>(high - low + 1).fill(0);
  for (const i of indexes) counts[i - low]! += 1;
  return { zeros, offset: low, counts };
};

/** The sample a summary keeps of `values`: all of them up to EXACT_LIMIT, a histogram beyond. */
export const summarize = (values: number[]): Sample => (values.length <= EXACT_LIMIT ? { values } : { values: [], histogram: histogramOf(values) });

/** How many values a sample stands for. */
export const sampleSize = (s: Sample): number => {
  let n = s.values.length + (s.histogram?.zeros ?? 0);
  for (const c of s.histogram?.counts ?? []) n += c;
  return n;
};

/* ---------------------------------------------------------------- storage */

/**
 * A sample as stored in a summary: a JSON array of the values, or a histogram `{z, o, c}`: the zeros, the first
 * bucket's index, and the counts of the buckets from it on, one character each for 0 to 61 (`0-9`, `a-z`, `A-Z`) and
 * `{<decimal>}` for more ("30a{75}": 3, 0, 10, 75): about one character per bucket, read back without splitting.
 */
export type StoredSample = number[] | { z: number; o: number; c: string };

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const storeSample = (s: Sample): StoredSample => {
  if (s.histogram === undefined) return s.values;
  const h = s.values.length > 0 ? mergeHistograms([s.histogram, histogramOf(s.values)]) : s.histogram;
  return { z: h.zeros, o: h.offset, c: h.counts.map((c) => (c < DIGITS.length ? DIGITS[c]! : `{${c}}`)).join('') };
};

/** Whether `n` is a count: a safe integer, 0 or more. */
export const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The count a character stands for, or -1. */
const digit = (code: number): number =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 122 ? code - 87 : code >= 65 && code <= 90 ? code - 29 : -1;

/** A stored sample read back; throws on a shape it did not write. */
export const loadSample = (stored: unknown): Sample => {
  if (Array.isArray(stored)) {
    if (!stored.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new TypeError('a stored sample holds a value that is not a number');
    return { values: stored as number[] };
  }
  const { z, o, c } = (stored ?? {}) as { z?: unknown; o?: unknown; c?: unknown };
  if (!isCount(z) || typeof o !== 'number' || !Number.isSafeInteger(o) || typeof c !== 'string') {
    throw new TypeError('a stored sample is neither a list nor a histogram');
  }
  const counts: number[] = [];
  for (let at = 0; at < c.length; at++) {
    const code = c.charCodeAt(at);
    if (code === 123) {
      const end = c.indexOf('}', at);
      const n = end === -1 ? NaN : Number(c.slice(at + 1, end));
      if (!isCount(n) || end === at + 1) throw new TypeError('a stored histogram holds a count that is not one');
      counts.push(n);
      at = end;
      continue;
    }
    const d = digit(code);
    if (d < 0) throw new TypeError('a stored histogram holds a count that is not one');
    counts.push(d);
  }
  if (o < LOWEST_BUCKET || o + counts.length - 1 > HIGHEST_BUCKET) throw new TypeError('a stored histogram holds a bucket no value falls in');
  return { values: [], histogram: { zeros: z, offset: o, counts } };
};

/* ---------------------------------------------------------------- quantiles */

const mergeHistograms = (hs: readonly Histogram[]): Histogram => {
  let zeros = 0;
  let low = Infinity;
  let high = -Infinity;
  for (const h of hs) {
    zeros += h.zeros;
    if (h.counts.length === 0) continue;
    low = Math.min(low, h.offset);
    high = Math.max(high, h.offset + h.counts.length - 1);
  }
  if (low > high) return { zeros, offset: 0, counts: [] };
  const counts = new Array<number>(high - low + 1).fill(0);
  for (const h of hs) {
    const shift = h.offset - low;
    for (let k = 0; k < h.counts.length; k++) counts[shift + k]! += h.counts[k]!;
  }
  return { zeros, offset: low, counts };
};

/** Every value of the samples, as ascending (value, how many) runs: exact values as they are, buckets as their value. */
const runs = (samples: Iterable<Sample>): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  const histograms: Histogram[] = [];
  for (const s of samples) {
    for (const v of s.values) out.push([v, 1]);
    if (s.histogram) histograms.push(s.histogram);
  }
  if (histograms.length > 0) {
    const h = mergeHistograms(histograms);
    if (h.zeros > 0) out.push([0, h.zeros]);
    h.counts.forEach((c, k) => {
      if (c > 0) out.push([valueOf(h.offset + k), c]);
    });
  }
  return out.sort((a, b) => a[0] - b[0]);
};

/** The k-th smallest value (1-based) of ascending runs. */
const nth = (sorted: Array<[number, number]>, k: number): number => {
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= k) return value;
  }
  return sorted.at(-1)![0];
};

/**
 * The median (the mean of the two middle values for an even count) and the 90th percentile by nearest rank (the
 * smallest value that at least 90% of the values do not exceed) of all the samples' values, and how many there are;
 * null when there are none. Exact when no sample holds a histogram; otherwise within ALPHA of the exact values.
 */
export const quantiles = (samples: Iterable<Sample>): { count: number; median: number | null; p90: number | null } => {
  const sorted = runs(samples);
  const count = sorted.reduce((n, [, c]) => n + c, 0);
  if (count === 0) return { count, median: null, p90: null };
  const median = count % 2 === 1 ? nth(sorted, (count + 1) / 2) : (nth(sorted, count / 2) + nth(sorted, count / 2 + 1)) / 2;
  return { count, median, p90: nth(sorted, Math.ceil(0.9 * count)) };
};
