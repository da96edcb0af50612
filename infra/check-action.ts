import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionPath, buildAction } from './build-cli.ts';

/**
 * GitHub runs the Action from the committed `action/dist/index.mjs`. This rebuilds it from the sources into a
 * temporary directory and reports whether the committed file is byte for byte what the sources give today.
 */
export const checkAction = async (): Promise<{ ok: boolean; message: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'pda-action-'));
  try {
    const fresh = readFileSync(await buildAction(join(dir, 'index.mjs')), 'utf8');
    let committed: string;
    try {
      committed = readFileSync(actionPath, 'utf8');
    } catch {
      return { ok: false, message: 'action/dist/index.mjs is missing: run npm run build:action and commit it' };
    }
    if (fresh === committed) return { ok: true, message: 'action/dist/index.mjs matches its sources' };
    return { ok: false, message: 'action/dist/index.mjs differs from what its sources build: run npm run build:action and commit it' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (import.meta.main) {
  const { ok, message } = await checkAction();
  (ok ? console.log : console.error)(message);
  process.exitCode = ok ? 0 : 1;
}
