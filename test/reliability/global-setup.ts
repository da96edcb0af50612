import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The headline numbers, added up over the parts that reported them. */
const summary = (all: Array<Record<string, number | string>>): string[] => {
  const sum = (...names: string[]) => all.reduce((n, f) => n + names.reduce((m, name) => m + (typeof f[name] === 'number' ? (f[name] as number) : 0), 0), 0);
  const lines: Array<[string, number | string]> = [
    ['fuzz cases', sum('cases')],
    [
      'records written / expected (load)',
      `${sum('records stored (DynamoDB Query)').toLocaleString('en-US')} / ${sum('records expected').toLocaleString('en-US')}`,
    ],
    ['duplicates', sum('duplicates (records beyond one per key)', 'records with more than one copy')],
    ['faults injected', sum('faults injected')],
    ['retries (SDK + service)', sum('SDK retries', 'service retries (cancelled transactions)')],
    [
      '200s without a durable record',
      sum('200 without a durable record', '200s whose record is missing after the restart', 'answered ids missing from the store'),
    ],
    ['5xx seen (other than 503 for a failing store)', sum('5xx seen', '5xx other than 503')],
    ['keys found in logs', sum('keys found in logs')],
  ];
  return ['Summary:', ...lines.map(([name, value]) => `  ${name.padEnd(44)} ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`)];
};

/**
 * The reliability suite's figures: each part appends what it counted (see figures.ts); they are printed here, after
 * the last test, as one block: what was written and found, what was generated, what was injected, what leaked.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'reliability-'));
  const file = join(dir, 'figures.jsonl');
  project.provide('figuresFile', file);
  return () => {
    const lines = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
    rmSync(dir, { recursive: true, force: true });
    const merged = new Map<string, Record<string, number | string>>();
    for (const line of lines) {
      const { part, figures } = JSON.parse(line) as { part: string; figures: Record<string, number | string> };
      merged.set(part, { ...merged.get(part), ...figures });
    }
    const parts = [...merged].map(([part, figures]) => ({ part, figures }));
    const out: string[] = ['', 'Reliability figures', '==================='];
    for (const { part, figures } of parts.sort((a, b) => a.part.localeCompare(b.part))) {
      out.push(`${part}:`);
      for (const [name, value] of Object.entries(figures))
        out.push(`  ${name.padEnd(44)} ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`);
    }
    if (parts.length === 0) out.push('(no part reported figures)');
    else out.push(...summary(parts.map((p) => p.figures)));
    console.log(out.join('\n'));
  };
}
