import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runGuard } from './checks/guard.ts';
import { checkTemplate, loadSpec } from './checks/spec.ts';
import { root } from './paths.ts';

/**
 * `npm run check:templates [-- template.json ...]`: checks the packaged CloudFormation templates (by default every
 * dist/package/<stage>-<region>/, as `npm run package` leaves them) with cfn-guard and the project's rules
 * (infra/guard) and against AWS's resource specification (infra/checks/spec.ts). Exits 1 on any finding.
 */
const TEMPLATE = 'cloudformation-template-update-stack.json';

const packagedTemplates = (): string[] => {
  const dir = join(root, 'dist', 'package');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, TEMPLATE)))
    .map((d) => join(dir, d.name, TEMPLATE))
    .sort();
};

export type TemplateReport = {
  file: string;
  resources: number;
  specProblems: { path: string; message: string }[];
  guardFailures: { rule: string; messages: string[] }[];
  guardRules: number;
};

export const checkTemplates = async (files: string[]): Promise<{ reports: TemplateReport[]; specMs: number; guardMs: number }> => {
  let started = performance.now();
  const db = await loadSpec();
  const templates = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { Resources?: object });
  const spec = templates.map((t) => checkTemplate(t, db));
  const specMs = performance.now() - started;
  started = performance.now();
  const guard = await runGuard(files);
  const guardMs = performance.now() - started;
  const reports = files.map((file, i) => {
    const g = guard.find((r) => resolve(r.file) === resolve(file));
    if (!g) throw new Error(`cfn-guard reported nothing for ${file}`);
    return {
      file,
      resources: Object.keys(templates[i]!.Resources ?? {}).length,
      specProblems: spec[i]!,
      guardFailures: g.failed,
      guardRules: g.failed.length + g.passed.length + g.skipped.length,
    };
  });
  return { reports, specMs, guardMs };
};

if (import.meta.main) {
  let positionals: string[] = [];
  try {
    ({ positionals } = parseArgs({ allowPositionals: true, strict: true, options: {} }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}\nUsage: npm run check:templates [-- template.json ...]`);
    process.exit(2);
  }
  const files = positionals.length > 0 ? positionals.map((f) => resolve(f)) : packagedTemplates();
  if (files.length === 0) {
    console.error('No packaged template in dist/package/: run `npm run package` first.');
    process.exit(1);
  }
  const { reports, specMs, guardMs } = await checkTemplates(files);
  let failed = 0;
  for (const r of reports) {
    const ok = r.specProblems.length === 0 && r.guardFailures.length === 0;
    if (!ok) failed++;
    console.log(
      `${ok ? 'PASS' : 'FAIL'} ${relative(root, r.file)}: ${r.resources} resources; specification ${r.specProblems.length} problem(s); cfn-guard ${r.guardFailures.length} of ${r.guardRules} rules failed`,
    );
    for (const p of r.specProblems) console.log(`  spec  ${p.path}: ${p.message}`);
    for (const f of r.guardFailures) console.log(`  guard ${f.rule}: ${f.messages.join(' | ')}`);
  }
  console.log(`checked ${reports.length} template(s): specification ${specMs.toFixed(0)} ms (with loading it), cfn-guard ${guardMs.toFixed(0)} ms`);
  process.exit(failed > 0 ? 1 : 0);
}
