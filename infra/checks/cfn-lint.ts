import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * cfn-lint, AWS's CloudFormation linter (the Python package `cfn-lint`, 1.x, on the PATH: `pip install cfn-lint`),
 * run on packaged templates: resource types, property names, required properties and values against AWS's schemas,
 * references (Ref, Fn::GetAtt, Fn::Sub, conditions, mappings, DependsOn), references to a conditional resource from
 * where its condition may be false, and best practices. A finding is ignored only where the template says so: a
 * resource's (or the template's) `Metadata: cfn-lint: config: ignore_checks: [...]`, written in
 * infra/cloudformation/*.yml with the reason beside it.
 */
export const CFN_LINT = process.env.CFN_LINT ?? 'cfn-lint';

/** One finding; `path` is where in the template, as cfn-lint gives it (`Resources/<id>/Properties/...`). */
export type LintFinding = { rule: string; level: string; path: string; message: string; line: number };

type Match = {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
  Location: { Start: { LineNumber: number }; Path: Array<string | number> | null };
};

/** The levels that fail a template: errors and warnings (a warning not meant is ignored in the template's Metadata). */
export const FAILING_LEVELS = new Set(['Error', 'Warning']);

/**
 * Lints the templates in one cfn-lint process (its start-up is most of its time), each for every one of `regions`
 * (resource types and values as AWS offers them there; cfn-lint's default, us-east-1, when none); returns each
 * file's findings, in the order of `files`. Throws if cfn-lint is missing or fails itself.
 */
export const runCfnLint = (files: string[], regions: string[] = []): Promise<LintFinding[][]> =>
  new Promise((done, fail) => {
    const regionArgs = regions.length > 0 ? ['--regions', ...regions] : [];
    execFile(CFN_LINT, ['--format', 'json', ...regionArgs, '--', ...files], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        return fail(new Error(`${CFN_LINT} not found: install AWS's CloudFormation linter with \`pip install cfn-lint\` (or set CFN_LINT to its path)`));
      }
      // Exit status: a bit set per level found (2 error, 4 warning, 8 informational); any other bit is cfn-lint failing.
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (code < 0 || (code & ~(2 | 4 | 8)) !== 0) return fail(new Error(`cfn-lint exited with ${code}: ${stderr || stdout}`));
      let matches: Match[];
      try {
        matches = JSON.parse(stdout) as Match[];
      } catch (e) {
        return fail(new Error(`cfn-lint printed no JSON: ${stdout.slice(0, 500)} ${stderr}`, { cause: e }));
      }
      done(
        files.map((file) =>
          matches
            .filter((m) => resolve(m.Filename) === resolve(file))
            .map((m) => ({
              rule: m.Rule.Id,
              level: m.Level,
              path: (m.Location.Path ?? []).join('/'),
              message: m.Message,
              line: m.Location.Start.LineNumber,
            })),
        ),
      );
    });
  });
