import { expect, it } from 'vitest';
import { checkAction } from '../../infra/check-action.ts';

/** GitHub runs the committed action/dist/index.mjs: it must be what its sources build (npm run build:action). */
it('the committed Action bundle matches its sources', async () => {
  const { ok, message } = await checkAction();
  expect(message).toBe('action/dist/index.mjs matches its sources');
  expect(ok).toBe(true);
}, 30_000);
