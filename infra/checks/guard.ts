import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { root } from '../paths.ts';

/**
 * cfn-guard, the static binary shipped in the npm package @cdklabs/cdk-validator-cfnguard (bin/<os>/<arch>/), run
 * with the project's rules in infra/guard/*.guard.
 */
const RULES_DIR = join(root, 'infra', 'guard');

const guardBinary = (): string => {
  const os = platform() === 'linux' ? 'ubuntu' : platform() === 'darwin' ? 'macos' : undefined;
  const cpu = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : undefined;
  if (!os || !cpu) throw new Error(`cfn-guard is shipped for Linux and macOS on x64 and arm64, not ${platform()} ${arch()}`);
  const pkg = dirname(createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
  const binary = join(pkg, 'bin', os, cpu, 'cfn-guard');
  if (!existsSync(binary)) throw new Error(`cfn-guard not found at ${binary}`);
  return binary;
};

export type GuardFailure = { rule: string; messages: string[] };
export type GuardResult = { file: string; status: string; failed: GuardFailure[]; passed: string[]; skipped: string[] };

const MAX_MESSAGE = 300;

/** The custom and error messages anywhere in a rule's report, trimmed and deduplicated. */
const messagesIn = (report: unknown): string[] => {
  const found = new Set<string>();
  const visit = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'custom_message' || k === 'error_message') && typeof x === 'string' && x.trim() !== '') {
        const text = x.trim().replace(/\s*\n\s*/g, ' ');
        found.add(text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}...` : text);
      } else visit(x);
    }
  };
  visit(report);
  return [...found];
};

type Structured = {
  name: string;
  status: string;
  not_compliant: Array<{ Rule: { name: string } }>;
  not_applicable: string[];
  compliant: string[];
};

/** Validates the templates against the rules; one result per template. Throws if cfn-guard itself fails. */
export const runGuard = (files: string[], rules: string = RULES_DIR): Promise<GuardResult[]> =>
  new Promise((done, fail) => {
    const args = ['validate', '--rules', rules, ...files.flatMap((f) => ['--data', f]), '--output-format', 'json', '--structured', '--show-summary', 'none'];
    execFile(guardBinary(), args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // 0: every rule passed; 19: some rule failed. Anything else is cfn-guard failing (e.g. a rule file's syntax).
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (code !== 0 && code !== 19) return fail(new Error(`cfn-guard exited with ${code}: ${stderr || stdout}`));
      let reports: Structured[];
      try {
        reports = JSON.parse(stdout) as Structured[];
      } catch (e) {
        return fail(new Error(`cfn-guard printed no JSON: ${stdout.slice(0, 500)} ${stderr}`, { cause: e }));
      }
      done(
        reports.map((r) => ({
          file: r.name,
          status: r.status,
          failed: r.not_compliant.map((n) => ({ rule: n.Rule.name, messages: messagesIn(n) })),
          passed: r.compliant,
          skipped: r.not_applicable,
        })),
      );
    });
  });
