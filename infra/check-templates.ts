import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FAILING_LEVELS, runCfnLint, type LintFinding } from './checks/cfn-lint.ts';
import { runGuard } from './checks/guard.ts';
import { checkTemplate } from './checks/spec.ts';
import { root } from './paths.ts';

/**
 * `npm run check:templates [-- template.json ...]`: checks the packaged CloudFormation templates (by default every
 * dist/package/<stage>-<region>[-<door>]/, as `npm run package` leaves them) with cfn-lint (infra/checks/cfn-lint.ts,
 * for the regions they are packaged for: an error or a warning fails, unless the template's Metadata ignores that
 * rule), with cfn-guard and the project's
 * rules (infra/guard), and for what cfn-lint lacks (infra/checks/spec.ts). Exits 1 on any finding.
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

/**
 * The region a packaged template is for: osls's serverless-state.json beside it (`npm run package` leaves one) names
 * the provider's region; undefined for a template on its own.
 */
export const packagedRegion = (file: string): string | undefined => {
  const state = join(dirname(file), 'serverless-state.json');
  if (!existsSync(state)) return undefined;
  const region = (JSON.parse(readFileSync(state, 'utf8')) as { service?: { provider?: { region?: unknown } } }).service?.provider?.region;
  return typeof region === 'string' ? region : undefined;
};

export type TemplateReport = {
  file: string;
  resources: number;
  /** cfn-lint's errors and warnings; undefined when not asked for (`lint: false`). */
  lint: LintFinding[] | undefined;
  /** infra/checks/spec.ts's problems. */
  specProblems: { path: string; message: string }[];
  guardFailures: { rule: string; messages: string[] }[];
  guardRules: number;
};

/** Every check on `files`; `lint: false` leaves cfn-lint out (its start-up takes seconds; the rules' own tests skip it). */
export const checkTemplates = async (
  files: string[],
  options: { lint?: boolean } = {},
): Promise<{ reports: TemplateReport[]; lintMs: number; specMs: number; guardMs: number }> => {
  let started = performance.now();
  // One cfn-lint run for every template, for each region one of them is packaged for.
  const regions = [...new Set(files.map(packagedRegion).filter((r) => r !== undefined))].sort();
  const lint = options.lint === false ? undefined : await runCfnLint(files, regions);
  const lintMs = performance.now() - started;
  started = performance.now();
  const templates = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { Resources?: object });
  const spec = templates.map((t) => checkTemplate(t));
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
      lint: lint?.[i]!.filter((f) => FAILING_LEVELS.has(f.level)),
      specProblems: spec[i]!,
      guardFailures: g.failed,
      guardRules: g.failed.length + g.passed.length + g.skipped.length,
    };
  });
  return { reports, lintMs, specMs, guardMs };
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
  const { reports, lintMs, specMs, guardMs } = await checkTemplates(files);
  let failed = 0;
  for (const r of reports) {
    const lint = r.lint ?? [];
    const ok = lint.length === 0 && r.specProblems.length === 0 && r.guardFailures.length === 0;
    if (!ok) failed++;
    console.log(
      `${ok ? 'PASS' : 'FAIL'} ${relative(root, r.file)}: ${r.resources} resources; cfn-lint ${lint.length} finding(s); intrinsics ${r.specProblems.length} problem(s); cfn-guard ${r.guardFailures.length} of ${r.guardRules} rules failed`,
    );
    for (const f of lint) console.log(`  cfn-lint ${f.rule} (${f.level}) ${f.path} (line ${f.line}): ${f.message}`);
    for (const p of r.specProblems) console.log(`  intrinsics ${p.path}: ${p.message}`);
    for (const f of r.guardFailures) console.log(`  guard ${f.rule}: ${f.messages.join(' | ')}`);
  }
  console.log(
    `checked ${reports.length} template(s): cfn-lint ${lintMs.toFixed(0)} ms, intrinsics ${specMs.toFixed(0)} ms, cfn-guard ${guardMs.toFixed(0)} ms`,
  );
  process.exit(failed > 0 ? 1 : 0);
}
