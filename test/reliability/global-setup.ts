import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * The reliability suite's figures: each part appends what it counted (see figures.ts); they are printed here, after
 * the last test, as one block: what was written and found, what was generated, what was injected, what leaked.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'reliability-'));
  const file = join(dir, 'figures.jsonl');
  project.provide('figuresFile', file);
  return () => {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
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
      for (const [name, value] of Object.entries(figures)) out.push(`  ${name.padEnd(44)} ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`);
    }
    if (parts.length === 0) out.push('(no part reported figures)');
    console.log(out.join('\n'));
  };
}
