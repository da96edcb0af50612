import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zip } from '../../infra/zip.ts';

/**
 * infra/zip.ts read back by an independent reader: Info-ZIP's unzip (as Lambda's own unpacking is not available
 * here; .ci/run installs unzip where it is missing). `unzip -t` checks every entry's CRC-32, `unzip -p` gives the
 * contents, `zipinfo` the names, sizes, method, permissions and timestamps.
 */
const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const unzip = (...args: string[]): Buffer => execFileSync('unzip', args, { maxBuffer: 64 * 1024 * 1024 });
const written = (name: string, bytes: Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

// A bundle-like text, a source map, an empty file, incompressible bytes and a UTF-8 name.
const ENTRIES = [
  { name: 'index.mjs', data: Buffer.from(`export const handler = async () => ({ statusCode: 200 });\n`.repeat(2000)) },
  { name: 'index.mjs.map', data: Buffer.from(JSON.stringify({ version: 3, sources: ['a.ts'], mappings: 'AAAA;'.repeat(500) })) },
  { name: 'empty.txt', data: Buffer.alloc(0) },
  { name: 'random.bin', data: randomBytes(100_000) },
  { name: 'dé-🚀.txt', data: Buffer.from('non-ASCII name\n') },
];

describe('infra/zip.ts, read back with unzip', () => {
  const path = written('artifact.zip', zip(ENTRIES));

  it('passes unzip -t: every CRC-32 matches', () => {
    const report = unzip('-t', path).toString();
    expect(report).toMatch(/No errors detected/);
    for (const { name } of ENTRIES) expect(report).toContain(`testing: ${name}`);
  });

  it('holds every entry, byte for byte', () => {
    for (const { name, data } of ENTRIES) {
      const back = unzip('-p', path, name);
      expect(createHash('sha256').update(back).digest('hex'), name).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('lists the names sorted, as regular files -rw-r--r--, deflated, dated 1980-01-01 00:00', () => {
    const lines = execFileSync('zipinfo', ['-T', path])
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('-'));
    expect(lines.map((l) => l.split(/\s+/).slice(7).join(' '))).toEqual(ENTRIES.map((e) => e.name).sort((a, b) => a.localeCompare(b)));
    for (const line of lines) {
      const [mode, , , size, , method, time] = line.split(/\s+/);
      expect(mode).toBe('-rw-r--r--');
      expect(method).toBe('defN');
      expect(time).toBe('19800101.000000');
      expect(Number(size)).toBe(ENTRIES.find((e) => line.endsWith(` ${e.name}`))!.data.length);
    }
  });

  it('is deterministic: the same entries, in any order, give the same bytes', () => {
    const again = zip([...ENTRIES].reverse());
    expect(again.equals(zip(ENTRIES))).toBe(true);
    const changed = zip(ENTRIES.map((e) => (e.name === 'index.mjs' ? { ...e, data: Buffer.concat([e.data, Buffer.from(' ')]) } : e)));
    expect(changed.equals(zip(ENTRIES))).toBe(false);
  });
});
