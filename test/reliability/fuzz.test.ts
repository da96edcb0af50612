import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, fuzzWorld, newSeed, type FuzzFigures, type FuzzWorld } from '../support/fuzz.ts';
import { report } from './figures.ts';

/**
 * Over 100,000 generated requests through the real handlers (see test/support/fuzz.ts for what is generated and what
 * each answer must satisfy). The seed is new each run and printed, so a failure can be replayed with FUZZ_SEED.
 */
const RECORD_RUNS = Number(process.env.FUZZ_RECORD_RUNS ?? 85_000);
const QUERY_RUNS = Number(process.env.FUZZ_QUERY_RUNS ?? 20_000);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : newSeed();

let world: FuzzWorld;
beforeAll(async () => {
  world = await fuzzWorld();
});
afterAll(() => world.restore());

const statusLine = (f: FuzzFigures) =>
  Object.entries(f.byStatus)
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');

describe(`fuzzing (seed ${seed})`, () => {
  it(`record-deployment: ${RECORD_RUNS} requests, every answer a 4xx problem or a stored record`, async () => {
    const f = await fuzz(world, 'record', { numRuns: RECORD_RUNS, seed });
    expect(f.cases).toBe(RECORD_RUNS);
    expect(f.writes).toBe(f.recorded);
    expect(Object.keys(f.byStatus).filter((s) => Number(s) >= 500)).toEqual([]);
    report('1 fuzz: record-deployment', {
      seed: String(seed),
      cases: f.cases,
      'answers by status': statusLine(f),
      'records written (each answered 200 once)': f.writes,
      'replays answered': f.replayed,
      '5xx seen': Object.entries(f.byStatus)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
    });
  }, 600_000);

  it(`query-deployments: ${QUERY_RUNS} requests, every answer a 4xx problem or a page`, async () => {
    const f = await fuzz(world, 'query', { numRuns: QUERY_RUNS, seed: seed + 1 });
    expect(f.cases).toBe(QUERY_RUNS);
    expect(f.writes).toBe(0);
    report('1 fuzz: query-deployments', {
      seed: String(seed + 1),
      cases: f.cases,
      'answers by status': statusLine(f),
      '5xx seen': Object.entries(f.byStatus)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
    });
  }, 600_000);
});
