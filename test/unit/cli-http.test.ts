import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiUrl, normaliseBase, parseCommandLine } from '../../cli/args.ts';
import { backoffDelay, DEFAULT_POLICY, isRetryableStatus, parseRetryAfter, sendWithRetries } from '../../cli/http.ts';
import { run } from '../../cli/main.ts';
import { exitForStatus, problemDetail, table, type Io } from '../../cli/output.ts';

/** The CLI's retry arithmetic, URL handling, option refusals and exit codes, without a network. */
describe('Retry-After', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('reads an HTTP date (IMF-fixdate, RFC 850, asctime); a past date is 0', () => {
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Monday, 30-Nov-26 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon Nov 30 12:00:03 2026', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    for (const v of [null, undefined, '', '-1', '1.5', 'soon', '2026-11-30', 'Mon, 99 Foo 2026 12:00:00 GMT']) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});

describe('backoff: exponential with full jitter', () => {
  it('stays within 0 and min(max, base * 2^retry)', () => {
    const policy = { baseDelayMs: 250, maxDelayMs: 10_000 };
    for (let retry = 0; retry < 40; retry++) {
      const ceiling = Math.min(10_000, 250 * 2 ** retry);
      expect(backoffDelay(retry, policy, () => 0)).toBe(0);
      expect(backoffDelay(retry, policy, () => 0.999999)).toBeLessThan(ceiling);
      expect(backoffDelay(retry, policy, () => 0.999999)).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.999));
      const d = backoffDelay(retry, policy, Math.random);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceiling);
    }
    expect(DEFAULT_POLICY).toMatchObject({ totalMs: 60_000, baseDelayMs: 250, maxDelayMs: 10_000 });
  });
  it('retries 408, 429 and 5xx (and what the caller adds), nothing else', () => {
    expect([408, 429, 500, 502, 503, 504].every((s) => isRetryableStatus(s))).toBe(true);
    expect([200, 400, 403, 404, 405, 409, 413, 415, 422].some((s) => isRetryableStatus(s))).toBe(false);
    expect(isRetryableStatus(409, [409])).toBe(true);
  });
});

describe('--url', () => {
  it('accepts a base with or without a trailing slash, with a path prefix, or the endpoint itself', () => {
    expect(normaliseBase('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(normaliseBase('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(normaliseBase('https://host/prod/')).toBe('https://host/prod');
    expect(normaliseBase('https://host/prod/api/package-deployment/')).toBe('https://host/prod');
    expect(apiUrl('https://host/prod', '/api/package-deployment/')).toBe('https://host/prod/api/package-deployment/');
    expect(apiUrl('https://host/prod', '/api/deployments/current', { FeedName: 'A B', GroupName: undefined })).toBe(
      'https://host/prod/api/deployments/current?FeedName=A+B',
    );
  });
  it('refuses other schemes, credentials and queries', () => {
    expect(() => normaliseBase('ftp://host')).toThrow(/http/);
    expect(() => normaliseBase('host:3000')).toThrow(/http/);
    expect(() => normaliseBase('https://api:secret@host')).toThrow(/credentials/);
    expect(() => normaliseBase('https://host/?key=x')).toThrow(/query/);
  });
});

describe('options', () => {
  const base = ['--url', 'http://h', '--feed', 'F', '--package', 'P', '--version', '1', '--target', 'T', '--application', 'A'];
  it('refuses a key on the command line without echoing it', () => {
    for (const opt of [['--key', 's3cret'], ['--api-key=s3cret'], ['--apikey', 's3cret'], ['--API-KEY', 's3cret']]) {
      let message = '';
      try {
        parseCommandLine(['record', ...base, ...opt]);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/environment variable PACKAGE_DEPLOYMENT_API_KEY/);
      expect(message).not.toContain('s3cret');
    }
  });
  it('parses record and current, with defaults', () => {
    expect(parseCommandLine(['record', ...base])).toMatchObject({
      command: 'record',
      timeoutMs: 60_000,
      keyEnv: 'PACKAGE_DEPLOYMENT_API_KEY',
      description: undefined,
    });
    expect(
      parseCommandLine(['current', '--url', 'http://h/', '--feed', 'F', '--package', 'P', '--target', 'a', '--target', 'b', '--timeout', '5']),
    ).toMatchObject({
      command: 'current',
      url: 'http://h',
      targets: ['a', 'b'],
      timeoutMs: 5000,
    });
    expect(() => parseCommandLine(['record', ...base.slice(2)])).toThrow(/missing --url/);
    expect(() => parseCommandLine(['record', ...base, '--timeout', 'x'])).toThrow(/--timeout/);
    expect(() => parseCommandLine(['record', ...base, '--colour', 'red'])).toThrow(/colour/);
    expect(parseCommandLine(['record', '--help'])).toEqual({ command: 'help', topic: 'record' });
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help', topic: 'main' });
  });

  it('no command at all is a usage error: the help on stderr, exit 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { env: {}, stdout: (l) => void out.push(l), stderr: (l) => void err.push(l) };
    const code = await run([], io);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/^Usage: package-deployment <command>/);
  });
});

describe('output', () => {
  it('maps statuses to exit codes', () => {
    expect([200, 301, 308, 400, 413, 415, 401, 403, 404, 409, 422, 405, 500, 503].map(exitForStatus)).toEqual([0, 2, 2, 2, 2, 2, 3, 3, 4, 5, 5, 1, 1, 1]);
  });
  it('takes the problem detail, or the start of another body', () => {
    expect(problemDetail('{"status":400,"title":"Invalid or missing data","detail":"Version is required."}')).toBe('Version is required.');
    expect(problemDetail('<html> Bad   gateway </html>')).toBe('<html> Bad gateway </html>');
  });
  it('aligns a table', () => {
    expect(
      table([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'c'],
      ]),
    ).toEqual(['A    BB  C', 'aaa  b   c']);
  });
});

describe('sendWithRetries (fetch stubbed, a fake clock)', () => {
  const fakeClock = () => {
    let t = 0;
    const slept: number[] = [];
    return {
      slept,
      clock: {
        now: () => t,
        random: () => 0.999,
        sleep: async (ms: number) => {
          slept.push(ms);
          t += ms;
        },
      },
      advance: (ms: number) => (t += ms),
    };
  };
  const answers = (...list: Array<[number, Record<string, string>?] | 'network'>) => {
    const sent: Array<RequestInit | undefined> = [];
    vi.stubGlobal('fetch', async (_url: string, init?: RequestInit) => {
      sent.push(init);
      const next = list.length > 1 ? list.shift()! : list[0]!;
      if (next === 'network') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return new Response('{"detail":"x"}', { status: next[0], headers: next[1] ?? {} });
    });
    return sent;
  };
  afterEach(() => vi.unstubAllGlobals());
  const request = { method: 'POST' as const, url: 'http://h/api/package-deployment/', headers: { 'Idempotency-Key': 'k1' }, body: '{}' };
  const policy = { totalMs: 10_000, attemptMs: 5_000, baseDelayMs: 250, maxDelayMs: 10_000 };

  it('retries network errors and 503 with growing backoff, the same request each time, until an answer', async () => {
    const { clock, slept } = fakeClock();
    const sent = answers('network', [503], [503], [200]);
    const outcome = await sendWithRetries(request, policy, () => {}, clock);
    expect(outcome).toMatchObject({ kind: 'answer', attempts: 4, retriesExhausted: false, answer: { status: 200 } });
    expect(slept).toEqual([249, 499, 999]);
    expect(new Set(sent.map((i) => JSON.stringify([i?.method, i?.headers, i?.body]))).size).toBe(1);
  });

  it('waits what Retry-After says; gives up at once when it asks for more than --timeout leaves', async () => {
    const { clock, slept } = fakeClock();
    answers([429, { 'Retry-After': '3' }], [200]);
    expect(await sendWithRetries(request, policy, () => {}, clock)).toMatchObject({ attempts: 2, answer: { status: 200 } });
    expect(slept).toEqual([3000]);
    const second = fakeClock();
    answers([503, { 'Retry-After': '30' }]);
    expect(await sendWithRetries(request, policy, () => {}, second.clock)).toMatchObject({ attempts: 1, retriesExhausted: true, answer: { status: 503 } });
    expect(second.slept).toEqual([]);
  });

  it('stays within --timeout: the last backoff is cut short for one more attempt', async () => {
    const { clock, slept } = fakeClock();
    answers([503]);
    const outcome = await sendWithRetries(request, policy, () => {}, clock);
    expect(outcome).toMatchObject({ kind: 'answer', retriesExhausted: true, answer: { status: 503 } });
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(slept.at(-1)).toBeLessThan(Math.min(10_000, 250 * 2 ** (slept.length - 1)));
    expect(outcome.attempts).toBe(slept.length + 1);
  });

  it('does not retry a final answer (400, 403, 404, 422)', async () => {
    for (const status of [400, 403, 404, 422]) {
      answers([status]);
      expect(await sendWithRetries(request, policy, () => {}, fakeClock().clock)).toMatchObject({ attempts: 1, answer: { status } });
    }
  });

  it('reports a network failure that lasts past --timeout', async () => {
    answers('network');
    expect(await sendWithRetries(request, { ...policy, totalMs: 2_000 }, () => {}, fakeClock().clock)).toMatchObject({
      kind: 'failed',
      error: 'fetch failed (ECONNRESET)',
    });
  });
});
