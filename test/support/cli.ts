import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../infra/build-cli.ts';

/**
 * Runs the BUILT CLI as a pipeline would: `node package-deployment.mjs ...` from a fresh directory, on the machine's
 * own Node 20 (/usr/bin/node; the test runner itself is Node 24 from node_modules) when it exists, with an
 * environment of PATH alone plus what the test gives: no NODE_PATH, no node_modules anywhere near, no CI variables of
 * the machine running the tests.
 */
export const NODE20 = '/usr/bin/node';
export const hasNode20 = existsSync(NODE20);
export const cliNode = hasNode20 ? NODE20 : process.execPath;

let built: Promise<string> | undefined;
/** Builds the CLI once per test file into a temporary directory (npm run build writes the same to dist/cli/). */
export const builtCli = (): Promise<string> => (built ??= buildCli(join(mkdtempSync(join(tmpdir(), 'pda-cli-')), 'package-deployment.mjs')));

export type CliRun = { code: number | null; stdout: string; stderr: string; ms: number };

export const runCli = async (args: string[], env: Record<string, string> = {}): Promise<CliRun> => {
  const file = await builtCli();
  const cwd = mkdtempSync(join(tmpdir(), 'pda-cli-run-'));
  const started = Date.now();
  const child = spawn(cliNode, [file, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stdout, stderr, ms: Date.now() - started };
};
