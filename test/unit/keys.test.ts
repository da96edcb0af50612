import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import {
  currentKey,
  currentPartitionKey,
  feedIndexKey,
  idempotencyId,
  sortKeyRange,
  targetIndexKey,
  versionIndexKey,
  deploymentPartitionKey,
  deploymentSortKey,
  feedKey,
  foldName,
  hashApiKey,
} from '../../lib/domain/keys.ts';

/**
 * The inverse of deploymentPartitionKey (of the folded names), written here from the key's documented format
 * (`F#<feed>#G#<group>#P#<package>`, '%' and '#' escaped as %25 and %23): the proof that the encoding is injective.
 */
const parseDeploymentPartitionKey = (pk: string): { feed: string; group: string; pkg: string } => {
  const parts = pk.split('#');
  if (parts.length !== 6 || parts[0] !== 'F' || parts[2] !== 'G' || parts[4] !== 'P') {
    throw new Error('not a deployment partition key');
  }
  const unescape = (s: string) => s.replace(/%2[35]/g, (m) => (m === '%23' ? '#' : '%'));
  return { feed: unescape(parts[1]!), group: unescape(parts[3]!), pkg: unescape(parts[5]!) };
};

/** A small deterministic PRNG (mulberry32), so that a failure reproduces. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Pieces chosen to collide if escaping were wrong: separators, escapes, escaped escapes, marker letters. */
const PIECES = ['', '#', '%', '%23', '%25', '%2', '23', '25', '##', '%%', '#G#', '#P#', 'F', 'G', 'P', 'a', 'A', 'é', 'É', 'e\u0301', '🚀', 'İ', ' '];

const randomName = (rand: () => number): string => {
  const n = Math.floor(rand() * 4);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  return s;
};

describe('deploymentPartitionKey', () => {
  it('has the documented shape', () => {
    expect(deploymentPartitionKey('DefaultNuGet', undefined, 'Newtonsoft.Json')).toBe('F#defaultnuget#G##P#newtonsoft.json');
    expect(deploymentPartitionKey('npm', '@Scope', 'Pkg')).toBe('F#npm#G#@scope#P#pkg');
  });

  it('escapes # and % so that parts cannot run into each other', () => {
    expect(deploymentPartitionKey('a#G#b', '', 'c')).toBe('F#a%23g%23b#G##P#c');
    expect(deploymentPartitionKey('100%', '%23', '#')).toBe('F#100%25#G#%2523#P#%23');
  });

  it('folds case: Newtonsoft.Json and newtonsoft.json share a key', () => {
    const a = deploymentPartitionKey('DefaultNuGet', undefined, 'Newtonsoft.Json');
    expect(deploymentPartitionKey('defaultnuget', undefined, 'newtonsoft.json')).toBe(a);
    expect(deploymentPartitionKey('DEFAULTNUGET', '', 'NEWTONSOFT.JSON')).toBe(a);
    expect(deploymentPartitionKey('npm', 'MyGroup', 'x')).toBe(deploymentPartitionKey('NPM', 'mygroup', 'X'));
  });

  it('folds non-ASCII case and Unicode normalisation forms', () => {
    expect(deploymentPartitionKey('Café', 'ÉCOLE', 'Ü')).toBe(deploymentPartitionKey('cafe\u0301', 'e\u0301cole', 'u\u0308'));
  });

  it('treats a missing group as the empty group', () => {
    expect(deploymentPartitionKey('f', undefined, 'p')).toBe(deploymentPartitionKey('f', '', 'p'));
  });

  it('keeps differently placed parts apart', () => {
    const keys = new Set([
      deploymentPartitionKey('a', 'b', 'c'),
      deploymentPartitionKey('a', 'c', 'b'),
      deploymentPartitionKey('b', 'a', 'c'),
      deploymentPartitionKey('a#b', '', 'c'),
      deploymentPartitionKey('a', 'b#c', ''),
      deploymentPartitionKey('a#G#b', '', 'c'),
      deploymentPartitionKey('a', '', 'b#P#c'),
      deploymentPartitionKey('a%23b', '', 'c'),
      deploymentPartitionKey('a%2523b', '', 'c'),
      deploymentPartitionKey('a', '', 'c'),
      deploymentPartitionKey('', 'a', 'c'),
    ]);
    expect(keys.size).toBe(11);
  });

  it('never gives two distinct folded triples the same key, and parses back to the folded triple', () => {
    const rand = prng(20240501);
    const seen = new Map<string, string>();
    let distinct = 0;
    for (let i = 0; i < 30_000; i++) {
      const feed = randomName(rand);
      const group = rand() < 0.2 ? undefined : randomName(rand);
      const pkg = randomName(rand);
      const key = deploymentPartitionKey(feed, group, pkg);
      const folded = { feed: foldName(feed), group: foldName(group ?? ''), pkg: foldName(pkg) };
      expect(parseDeploymentPartitionKey(key)).toEqual(folded);
      expect(key.split('#')).toHaveLength(6);
      const triple = JSON.stringify([folded.feed, folded.group, folded.pkg]);
      const previous = seen.get(key);
      if (previous === undefined) {
        seen.set(key, triple);
        distinct++;
      } else expect(previous).toBe(triple);
    }
    // Enough distinct triples for the property to mean something.
    expect(distinct).toBeGreaterThan(20_000);
  });

  it('is injective over every triple of a small adversarial alphabet', () => {
    const names = ['', '#', '%', '%23', '%25', '%2523', '#%', 'G', '#G#', 'x'];
    const seen = new Set<string>();
    for (const f of names) for (const g of names) for (const p of names) seen.add(deploymentPartitionKey(f, g, p));
    expect(seen.size).toBe(names.length ** 3);
  });
});

describe("the test's own inverse of the partition key", () => {
  it('inverts the key of folded names', () => {
    expect(parseDeploymentPartitionKey(deploymentPartitionKey('Feed#1', '50%', 'P%23#'))).toEqual({
      feed: 'feed#1',
      group: '50%',
      pkg: 'p%23#',
    });
  });

  it.each(['', 'F#a#G#b', 'F#a#G#b#P#c#d', 'X#a#G#b#P#c', 'F#a#X#b#P#c', 'F#a#G#b#X#c'])('refuses %j', (pk) => {
    expect(() => parseDeploymentPartitionKey(pk)).toThrow(/not a deployment partition key/);
  });
});

describe('foldName and feedKey', () => {
  it('lower-cases and normalises to NFC', () => {
    expect(foldName('DefaultNuGet')).toBe('defaultnuget');
    expect(foldName('CAFE\u0301')).toBe('caf\u00e9');
  });

  it('keys feeds by their folded name', () => {
    expect(feedKey('DefaultNuGet')).toEqual({ name: 'defaultnuget' });
    expect(feedKey('defaultnuget')).toEqual(feedKey('DEFAULTNUGET'));
  });
});

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the key (known vectors)', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes the UTF-8 bytes of the key', () => {
    const key = 'clé-🔑';
    expect(hashApiKey(key)).toBe(createHash('sha256').update(Buffer.from(key, 'utf8')).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is case-sensitive (keys are secrets, not names)', () => {
    expect(hashApiKey('ABC')).not.toBe(hashApiKey('abc'));
  });
});

describe('deploymentSortKey', () => {
  it('joins the date and the id', () => {
    expect(deploymentSortKey('2024-05-01T12:00:00.000Z', '01HWZ3Y6Q8X2N4K7J9M1P5R3T6')).toBe('2024-05-01T12:00:00.000Z#01HWZ3Y6Q8X2N4K7J9M1P5R3T6');
  });

  it('sorts by date, then by id', () => {
    const rand = prng(7);
    const dates = [
      '0001-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2024-05-01T12:00:00.000Z',
      '2024-05-01T12:00:00.001Z',
      '2024-05-02T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ];
    const rows: Array<{ date: string; id: string }> = [];
    for (let i = 0; i < 300; i++) {
      const date = dates[Math.floor(rand() * dates.length)]!;
      // ids received at arbitrary times: the record date, not the id's time, must decide first.
      rows.push({ date, id: ulid(Math.floor(rand() * 2 ** 40)) });
    }
    const byKey = [...rows].sort((a, b) => {
      const x = deploymentSortKey(a.date, a.id);
      const y = deploymentSortKey(b.date, b.id);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const byDateThenId = [...rows].sort((a, b) => (a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(byKey).toEqual(byDateThenId);
  });

  it('keeps two records of the same millisecond apart', () => {
    const date = '2024-05-01T12:00:00.000Z';
    const t = Date.parse(date);
    const a = deploymentSortKey(date, ulid(t));
    const b = deploymentSortKey(date, ulid(t));
    expect(a).not.toBe(b);
  });
});

describe('current-state and index keys', () => {
  it('have the documented shapes, folded and escaped like the history key', () => {
    expect(currentKey('DefaultNuGet', undefined, 'Newtonsoft.Json', 'WEB01')).toEqual({
      pk: 'C#F#defaultnuget#G##P#newtonsoft.json',
      sk: 'T#web01',
    });
    expect(feedIndexKey('Default#NuGet')).toBe('F#default%23nuget');
    expect(targetIndexKey('npm', 'Web#01')).toBe('F#npm#T#web%2301');
    expect(versionIndexKey('npm', '@Scope', 'Pkg', '1.0.0-Beta')).toBe('F#npm#G#@scope#P#pkg#V#1.0.0-beta');
  });

  it('never share a partition between the current items and any history', () => {
    const rand = prng(7);
    for (let i = 0; i < 2000; i++) {
      const [feed, group, pkg] = [randomName(rand), randomName(rand), randomName(rand)];
      expect(currentPartitionKey(feed, group, pkg).startsWith('C#')).toBe(true);
      expect(deploymentPartitionKey(feed, group, pkg).startsWith('F#')).toBe(true);
    }
  });

  it('keep (feed, target) and (package, version) pairs apart whatever they contain', () => {
    const rand = prng(99);
    const targets = new Map<string, string>();
    const versions = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const [feed, target, pkg, version] = [randomName(rand), randomName(rand), randomName(rand), randomName(rand)];
      const t = JSON.stringify([foldName(feed), foldName(target)]);
      const tk = targetIndexKey(feed, target);
      expect(targets.get(tk) ?? t).toBe(t);
      targets.set(tk, t);
      const v = JSON.stringify([foldName(feed), foldName(pkg), foldName(version)]);
      const vk = versionIndexKey(feed, undefined, pkg, version);
      expect(versions.get(vk) ?? v).toBe(v);
      versions.set(vk, v);
    }
    expect(targets.size).toBeGreaterThan(1000);
  });

  it('bound a date range inclusively at both ends', () => {
    const from = '2024-05-01T00:00:00.000Z';
    const to = '2024-05-31T23:59:59.999Z';
    const { low, high } = sortKeyRange(from, to);
    const inside = [deploymentSortKey(from, ulid()), deploymentSortKey(to, ulid()), deploymentSortKey(to, 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ')];
    for (const sk of inside) expect(sk >= low! && sk <= high!).toBe(true);
    expect(deploymentSortKey('2024-06-01T00:00:00.000Z', '0'.repeat(26)) > high!).toBe(true);
    expect(deploymentSortKey('2024-04-30T23:59:59.999Z', 'Z'.repeat(26)) < low!).toBe(true);
    expect(sortKeyRange(undefined, undefined)).toEqual({});
  });

  it('scope Idempotency-Keys to their caller', () => {
    expect(idempotencyId('anonymous', 'k')).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyId('KEY1', 'k')).not.toBe(idempotencyId('KEY2', 'k'));
    expect(idempotencyId('a', 'b\nc')).not.toBe(idempotencyId('a\nb', 'c'));
  });
});
