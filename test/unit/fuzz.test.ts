import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, fuzzWorld, type FuzzWorld } from '../support/fuzz.ts';

/** A short fuzzing run on every `npm test`; `npm run test:reliability` runs over 100,000 cases. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
let world: FuzzWorld;
beforeAll(async () => {
  world = await fuzzWorld();
});
afterAll(() => world.restore());

describe('fuzzing the real handlers (short run)', () => {
  it(`record-deployment answers ${RUNS} generated requests with a 4xx problem or a stored record`, async () => {
    const figures = await fuzz(world, 'record', { numRuns: RUNS });
    expect(figures.cases).toBe(RUNS);
    expect(figures.writes).toBe(figures.recorded);
  });

  it(`query-deployments answers ${RUNS} generated requests with a 4xx problem or a page`, async () => {
    const figures = await fuzz(world, 'query', { numRuns: RUNS });
    expect(figures.cases).toBe(RUNS);
    expect(figures.writes).toBe(0);
  });
});
