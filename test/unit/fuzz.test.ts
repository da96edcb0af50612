import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, fuzzWorld, type FuzzWorld } from '../support/fuzz.ts';
import { invoke, seedFields } from '../support/invoke.ts';

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

describe('the stubbed world answers as DynamoDB would', () => {
  // Found by the reliability run (seed 351582306): the stub answered a feed named __proto__ with Object.prototype.
  it.each(['__proto__', 'constructor', 'toString'])('a feed named %s is not found (404), as in the real service', async (name) => {
    const answer = await invoke(world.record, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(seedFields({ FeedName: name })) });
    expect(answer.status).toBe(404);
  });
});
