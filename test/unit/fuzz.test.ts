import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lambdaContext } from '../../infra/local/gateway.ts';
import { fuzz, fuzzWorld, malformedUtf16Events, type FuzzWorld } from '../support/fuzz.ts';
import { restApiEvent } from '../fixtures/events/doors.ts';
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

describe('malformed UTF-16 in a directly invoked event of any door', () => {
  /** The status and problem of an answer in any door's shape (ALB's and REST API's are plain objects too). */
  const answerOf = (result: unknown) => {
    const r = result as { statusCode: number; body: string };
    return { status: r.statusCode, problem: JSON.parse(r.body) as { status: number; detail: string } };
  };

  it('a lone surrogate in a REST API query parameter is a 400 naming the field, not a 500', async () => {
    const event = restApiEvent({ method: 'GET', path: '/api/deployments', query: 'FeedName=open' });
    event.queryStringParameters = { FeedName: 'op\ud800en' };
    event.multiValueQueryStringParameters = { FeedName: ['op\ud800en'] };
    const { status, problem } = answerOf(await world.query(event as never, lambdaContext('utf16-rest')));
    expect(status).toBe(400);
    expect(problem.detail).toBe('The request holds a string that is not well-formed UTF-16 (a lone surrogate) in "queryStringParameters"; send text as UTF-8.');
  });

  it.each([
    ['record', '/api/package-deployment/'],
    ['query', '/api/deployments'],
  ] as const)(`the %s function answers ${RUNS} such events, a lone surrogate in any value or name, with a 400`, async (which, path) => {
    const handler = which === 'record' ? world.record : world.query;
    const writes = world.writes();
    await fc.assert(
      fc.asyncProperty(malformedUtf16Events([path]), async ({ event, place }) => {
        const { status, problem } = answerOf(await handler(event as never, lambdaContext(`utf16-${which}`)));
        expect({ place, status, problemStatus: problem.status }).toEqual({ place, status: 400, problemStatus: 400 });
        expect(problem.detail).toMatch(/not well-formed UTF-16/);
      }),
      { numRuns: RUNS },
    );
    expect(world.writes()).toBe(writes);
  });
});
